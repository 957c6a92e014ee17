"""Online EWC (Schwarz et al. 2018) as in van de Ven & Tolias 2019.

One running Fisher F <- gamma * F + F_new and the latest anchor θ*; penalty
lambda/2 * sum_i gamma * F_i (θ_i - θ*_i)^2 (the extra gamma in the penalty is Schwarz et al.'s
and van de Ven & Tolias' code's). Fisher definition: see ``baselines.fisher``.
"""

from baselines import fisher
from baselines.fisher import task_fisher
from hnet.core import REQUIRED, Setting, TargetNetMethod


class OnlineEWC(TargetNetMethod):
    name = "online_ewc"
    packable = True
    settings = {
        "ewc_lambda": Setting(REQUIRED, "penalty strength λ", type="float", constraint="non_negative"),
        "gamma": Setting(REQUIRED, "decay γ of the running Fisher", type="float", constraint="probability"),
        **fisher.SETTINGS,
    }
    state = ("fisher", "anchor")

    def __init__(self, ctx):
        super().__init__(ctx)
        self.fisher = None
        self.anchor = None

    def end_task(self, task, data):
        new = task_fisher(self, data, task + 1, self.cfg["fisher_samples"])
        gamma = self.cfg["gamma"]
        self.fisher = new if self.fisher is None else [gamma * f + n for f, n in zip(self.fisher, new)]
        self.anchor = [p.detach().clone() for p in self.params]

    def penalty(self):
        if self.fisher is None:
            return 0.0
        quad = sum((f * (p - a) ** 2).sum() for f, p, a in zip(self.fisher, self.params, self.anchor))
        return self.cfg["ewc_lambda"] / 2 * self.cfg["gamma"] * quad
