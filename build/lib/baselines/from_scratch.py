"""From scratch: a fresh network (and optimizer) per task, each kept for its own task.

No transfer between tasks and no forgetting of the stored per-task networks: a reference point,
which needs the task identity at test time in every scenario.
"""

import torch

from hnet.core import TargetNetMethod


class FromScratch(TargetNetMethod):
    name = "from_scratch"
    state = ("per_task",)

    def __init__(self, ctx):
        super().__init__(ctx)
        self.per_task = {}

    def begin_task(self, task):
        if task > 0:
            with torch.no_grad():
                for p, fresh in zip(self.params, self.net.init_params()):
                    p.copy_(fresh)
            self.optimizer = self._new_optimizer()

    def end_task(self, task, data):
        self.per_task[task] = [p.detach().clone() for p in self.params]

    def predictor(self, task):
        params = self.per_task.get(task, self.params)
        return lambda x: self.forward(x, params)
