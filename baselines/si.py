"""Synaptic Intelligence (Zenke et al. 2017) as in van de Ven & Tolias 2019.

During a task, W accumulates the path integral -grad * Δθ over every optimizer step (grad of the
total loss, as in van de Ven & Tolias' code). After the task, Ω += W / (Δθ_task^2 + ξ) with
damping ξ = ``si_epsilon`` (0.1) and the anchor θ* moves to the current weights. Penalty:
c * sum_i Ω_i (θ_i - θ*_i)^2.
"""

import torch

from hnet.core import REQUIRED, Setting, TargetNetMethod


class SI(TargetNetMethod):
    name = "si"
    packable = True
    settings = {
        "si_c": Setting(REQUIRED, "penalty strength c", type="float", constraint="non_negative"),
        "si_epsilon": Setting(
            0.1,
            "damping ξ of the importance estimate (van de Ven & Tolias' code: --epsilon, default 0.1)",
            constraint="positive",
        ),
    }
    state = ("omega", "anchor")

    def __init__(self, ctx):
        super().__init__(ctx)
        self.omega = [torch.zeros_like(p) for p in self.params]
        self.anchor = [p.detach().clone() for p in self.params]

    def begin_task(self, task):
        super().begin_task(task)
        self.path = [torch.zeros_like(p) for p in self.params]
        self.start = [p.detach().clone() for p in self.params]
        self.previous = [p.detach().clone() for p in self.params]

    def after_step(self):
        with torch.no_grad():
            for w, p, prev in zip(self.path, self.params, self.previous):
                if p.grad is not None:
                    w.add_(-p.grad * (p - prev))
                prev.copy_(p)

    def end_task(self, task, data):
        eps = self.cfg["si_epsilon"]
        with torch.no_grad():
            for o, w, p, s in zip(self.omega, self.path, self.params, self.start):
                o.add_(w / ((p - s) ** 2 + eps))
        self.anchor = [p.detach().clone() for p in self.params]

    def penalty(self):
        return self.cfg["si_c"] * sum((o * (p - a) ** 2).sum() for o, p, a in zip(self.omega, self.params, self.anchor))
