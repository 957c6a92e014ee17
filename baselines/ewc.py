"""EWC (Kirkpatrick et al. 2017) as in van de Ven & Tolias 2019: one (anchor, Fisher) pair per task.

Penalty: lambda/2 * sum_t sum_i F_t,i (θ_i - θ*_t,i)^2. The Fisher is ``baselines.fisher``'s
(``fisher_labels``: at the model's predicted label by default, as van de Ven & Tolias' code, or the
expectation over its predictive distribution). The sum over tasks is kept as the Fisher-weighted
mean μ = sum_t F_t θ*_t / sum_t F_t: sum_t F_t (θ - θ*_t)^2 = (sum_t F_t)(θ - μ)^2 + c with c
independent of θ, so a step costs O(|θ|) whatever the number of tasks, with exactly the same
gradient; c is tracked so the value is exact too.
"""

import torch

from baselines import fisher
from baselines.fisher import task_fisher
from hnet.core import REQUIRED, Setting, TargetNetMethod


class EWC(TargetNetMethod):
    name = "ewc"
    packable = True
    settings = {
        "ewc_lambda": Setting(REQUIRED, "penalty strength λ", type="float", constraint="non_negative"),
        **fisher.SETTINGS,
    }
    state = ("fisher_sum", "weighted_sum", "mean", "constant", "sq_sum")

    def __init__(self, ctx):
        super().__init__(ctx)
        self.fisher_sum = None  # sum_t F_t
        self.weighted_sum = None  # sum_t F_t θ*_t
        self.mean = None  # μ
        self.constant = 0.0  # c
        self.sq_sum = 0.0  # sum_t F_t θ*_t^2, for c

    def task_fisher(self, task, data):
        return task_fisher(self, data, task + 1, self.cfg["fisher_samples"])

    def end_task(self, task, data):
        fisher = self.task_fisher(task, data)
        anchor = [p.detach().clone() for p in self.params]
        if self.fisher_sum is None:
            self.fisher_sum = fisher
            self.weighted_sum = [f * a for f, a in zip(fisher, anchor)]
            sq = sum(float((f.double() * a.double() ** 2).sum()) for f, a in zip(fisher, anchor))
        else:
            self.fisher_sum = [s + f for s, f in zip(self.fisher_sum, fisher)]
            self.weighted_sum = [w + f * a for w, f, a in zip(self.weighted_sum, fisher, anchor)]
            sq = self.sq_sum + sum(float((f.double() * a.double() ** 2).sum()) for f, a in zip(fisher, anchor))
        self.sq_sum = sq
        self.mean = [
            torch.where(s > 0, w / s.clamp_min(1e-30), a) for s, w, a in zip(self.fisher_sum, self.weighted_sum, anchor)
        ]
        self.constant = sq - sum(
            float((s.double() * m.double() ** 2).sum()) for s, m in zip(self.fisher_sum, self.mean)
        )

    def penalty(self):
        if self.fisher_sum is None:
            return 0.0
        quad = sum((s * (p - m) ** 2).sum() for s, p, m in zip(self.fisher_sum, self.params, self.mean))
        return self.cfg["ewc_lambda"] / 2 * (quad + self.constant)
