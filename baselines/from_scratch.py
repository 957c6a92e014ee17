"""From scratch: a fresh network (and optimizer) per task, each kept for its own task.

No transfer between tasks and no forgetting of the stored per-task networks: a reference point.
Each task keeps its own running statistics too (batch norm). CL1 only: choosing a task's network
needs the task identity, which CL2 and CL3 withhold, so a number there would be a task-oracle bound
filed as if it were a CL2/CL3 result.
"""

import torch

from hnet.core import TargetNetMethod


class FromScratch(TargetNetMethod):
    name = "from_scratch"
    supports = frozenset({"cl1"})
    state = ("per_task", "per_task_state")

    def __init__(self, ctx):
        super().__init__(ctx)
        self.per_task = {}
        self.per_task_state = {}

    def begin_task(self, task):
        if task > 0:
            with torch.no_grad():
                for p, fresh in zip(self.params, self.net.init_params()):
                    p.copy_(fresh)
            self.net_state = [s.to(self.device) for s in self.net.init_state()]
            self.optimizer = self._new_optimizer()

    def end_task(self, task, data):
        self.per_task[task] = [p.detach().clone() for p in self.params]
        self.per_task_state[task] = [s.clone() for s in self.net_state]

    def predictor(self, task):
        params = self.per_task.get(task, self.params)
        state = self.per_task_state.get(task, self.net_state)
        return lambda x: self.net(x, params, state, False)
