"""Memory Aware Synapses (MAS; Aljundi et al., "Memory Aware Synapses: Learning what (not) to forget",
ECCV 2018), the documentation's worked example of a baseline (docs/extending.md).

After each task, the importance of every weight is the mean over samples of the absolute gradient of
the squared L2 norm of the network's active outputs, Ω_k = mean_x |∂ ||f(x)||² / ∂θ_k| (accumulated
over tasks), and later tasks add λ Σ_k Ω_k (θ_k - θ*_k)² to the loss, θ* the weights after the
previous task. To use it: copy this file to ``baselines/mas.py`` and add ``mas`` to ``methods:``.
"""

from __future__ import annotations

import torch

from hnet.core import Setting, TargetNetMethod


class MAS(TargetNetMethod):
    name = "mas"
    settings = {
        "mas_lambda": Setting(
            1.0, "penalty strength λ (Aljundi et al. 2018, Sec. 5: 1)", type="float", constraint="non_negative"
        ),
        "mas_samples": Setting(512, "training samples Ω is estimated on", type="int", constraint="positive"),
    }
    state = ("omega", "anchor")  # what a checkpoint keeps: a resumed run continues exactly

    def __init__(self, ctx):
        super().__init__(ctx)
        self.omega: list[torch.Tensor] | None = None
        self.anchor: list[torch.Tensor] | None = None

    def end_task(self, task, data):
        seen = task + 1
        omega = [torch.zeros_like(p) for p in self.params]
        count = 0
        # data.iterate: the phase's training samples in order, (inputs, labels, task ids) per batch
        for x, y, task_ids in data.iterate(self.cfg["batch_size"], self.cfg["mas_samples"]):
            mask, _ = self.scenario.mask_and_target(task_ids, y, seen)  # the outputs each sample may use
            for i in range(len(x)):  # per sample: MAS averages absolute per-sample gradients
                out = self.forward(x[i : i + 1])[0]
                grads = torch.autograd.grad(out[mask[i]].pow(2).sum(), self.params)
                for o, g in zip(omega, grads):
                    o += g.abs()
            count += len(x)
        omega = [o / count for o in omega]
        self.omega = omega if self.omega is None else [a + b for a, b in zip(self.omega, omega)]
        self.anchor = [p.detach().clone() for p in self.params]

    def penalty(self):
        if self.omega is None:
            return 0.0
        total = sum((o * (p - a) ** 2).sum() for o, p, a in zip(self.omega, self.params, self.anchor))
        return self.cfg["mas_lambda"] * total
