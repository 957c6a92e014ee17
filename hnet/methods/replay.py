"""HNET+R (paper Sec. 3.2): a plain classifier trained on the current task and on replayed inputs
of earlier tasks from the hypernetwork-protected VAE (``hnet.methods.vae``).

The replayed inputs get soft targets from a copy of the classifier taken before the current task
(distillation at ``distill_temperature``); real and replay losses are weighted 0.5/0.5.
"""

from __future__ import annotations

import torch
from torch import Tensor

from hnet.core import REQUIRED, Context, Setting, TargetNetMethod
from hnet.core.losses import distillation_loss
from hnet.methods import vae
from hnet.methods.vae import HyperVAE, replay_tasks


class HNETReplay(TargetNetMethod):
    name = "hnet_r"
    supports = frozenset({"cl2", "cl3"})
    needs_flat_input = True
    settings = {
        **vae.SETTINGS,
        "distill_temperature": Setting(
            REQUIRED, "temperature of the soft targets", type="float", constraint="positive"
        ),
    }
    state = ("vae",)  # the teacher is rebuilt from the weights when a task begins

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.vae = HyperVAE(ctx.benchmark.input_dim, ctx.benchmark.n_tasks, self.cfg, self.device, ctx.compile)
        self.teacher = None

    def begin_task(self, task: int) -> None:
        super().begin_task(task)
        self.task = task
        self.vae.begin_task(task)
        self.teacher = [p.detach().clone() for p in self.params] if task > 0 else None

    def end_task(self, task: int, data) -> None:
        self.vae.end_task(task)

    def replay_batch(self, n: int) -> tuple[Tensor, Tensor, Tensor]:
        """Generated inputs of earlier tasks, their task ids, and the teacher's logits on them."""
        tasks = replay_tasks(n, self.task, self.device)
        x = self.vae.sample(tasks)
        lo, hi = self.scenario.active_range(0, self.task)  # the output units the teacher knew
        with torch.no_grad():
            teacher = self.forward(x, self.teacher)[:, lo:hi]
        return x, tasks, teacher

    def train_step(self, x, y, task_ids, seen) -> Tensor:
        vae_loss = self.vae.train_step(x, self.task)
        loss = self.task_loss(x, y, task_ids, seen)
        if self.teacher is not None:
            xr, _, teacher = self.replay_batch(len(x))
            # The student answers over every class active now; the teacher's soft targets cover the
            # classes it knew and give the new ones zero probability, which (in CL3) keeps new classes
            # from taking over replayed inputs of old tasks.
            lo, hi = self.scenario.active_range(0, seen)
            student = self.forward(xr, train=True)[:, lo:hi]
            loss = 0.5 * loss + 0.5 * distillation_loss(student, teacher, self.cfg["distill_temperature"])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach() + vae_loss
