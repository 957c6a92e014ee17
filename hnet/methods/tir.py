"""HNET+TIR (paper Sec. 3.2): HNET's classifier with the task identity chosen by a task-inference
network, which is trained on real inputs of the current task and on inputs of earlier tasks
replayed by the hypernetwork-protected VAE (``hnet.methods.vae``), with hard task labels.

At test time the task-inference network picks the task embedding (and, in CL3, the head) of the
CL1 hypernetwork classifier for each input.
"""

from __future__ import annotations

import torch
from torch import Tensor

from hnet.benchmarks import Scenario
from hnet.core import REQUIRED, Context, Method, Setting
from hnet.core.compiling import compiled
from hnet.core.optim import adam
from hnet.methods import vae
from hnet.methods.protected import ProtectedHypernet, hnet_settings, hypernet_settings
from hnet.methods.vae import HyperVAE, replay_tasks
from hnet.nets import MLP, build_target


class HNETTaskInference(Method):
    name = "hnet_tir"
    supports = frozenset({"cl2", "cl3"})
    needs_flat_input = True
    settings = {
        **hypernet_settings(),
        **vae.SETTINGS,
        "tir_hidden": Setting(REQUIRED, "hidden layer sizes of the task-inference network", type="ints"),
    }
    state = ("ph", "vae", "tir_params", "tir_opt")

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        c, n = self.cfg, ctx.benchmark.n_tasks
        self.eval_scenario = ctx.scenario
        self.shared_head = ctx.scenario.name == "cl2"
        # The classifier is trained as in CL1 (a head per task) or, in CL2, with the shared head.
        self.train_scenario = Scenario("cl2" if self.shared_head else "cl1", n, ctx.scenario.per_task)
        self.target = build_target(c, ctx.benchmark.input_shape, self.train_scenario.n_outputs)
        self.ph = ProtectedHypernet(self.target.num_params, hnet_settings(c), self.device, compile_mode=ctx.compile)
        self.train_target = compiled(self.target, ctx.compile)  # the training forward (hnet.core.compiling)
        self.vae = HyperVAE(ctx.benchmark.input_dim, n, c, self.device, ctx.compile)
        self.tir = MLP(ctx.benchmark.input_dim, c["tir_hidden"], n, "relu")
        self.tir_params = [p.to(self.device).requires_grad_() for p in self.tir.init_params()]
        self.tir_opt = adam(self.tir_params, c["lr"], (c["adam_beta1"], c["adam_beta2"]))
        # The task-inference head grows one unit per task: units of tasks not yet seen are masked out.
        self.tir_scenario = Scenario("cl3", n, 1)

    def begin_task(self, task: int) -> None:
        self.task = task
        self.ph.begin_task(task)
        self.vae.begin_task(task)

    def end_task(self, task: int, data) -> None:
        self.ph.end_task(task)
        self.vae.end_task(task)

    def tir_loss(self, x: Tensor, task: int) -> Tensor:
        seen = task + 1
        zero = torch.zeros(len(x), dtype=torch.long, device=x.device)
        own = torch.full((len(x),), task, device=x.device)
        loss = self.tir_scenario.loss(self.tir(x, self.tir_params), own, zero, seen)
        if task > 0:
            tasks = replay_tasks(len(x), task, x.device)
            xr = self.vae.sample(tasks)
            replay = self.tir_scenario.loss(self.tir(xr, self.tir_params), tasks, torch.zeros_like(tasks), seen)
            loss = 0.5 * loss + 0.5 * replay
        return loss

    def train_step(self, x, y, task_ids, seen) -> Tensor:
        cls_loss = self.ph.step(
            lambda w: self.train_scenario.loss(self.train_target(x, w, None, True), task_ids, y, seen)
        )
        vae_loss = self.vae.train_step(x, self.task)
        loss = self.tir_loss(x, self.task)
        self.tir_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.tir_opt.step()
        return cls_loss + vae_loss + loss.detach()

    @torch.no_grad()
    def infer(self, x: Tensor, seen: int) -> tuple[Tensor, Tensor]:
        chosen = self.tir(x, self.tir_params)[:, :seen].argmax(1)
        outputs = self.target(x, self.ph.all_weights(seen))  # (K, B, n_out), all tasks batched
        picked = outputs[chosen, torch.arange(len(x), device=x.device)]  # (B, n_out)
        c = self.eval_scenario.per_task
        if not self.shared_head:
            idx = chosen[:, None] * c + torch.arange(c, device=x.device)[None]
            picked = picked.gather(1, idx)
        return chosen, picked.argmax(1)

    def predictor(self, task: int):
        """Ignores ``task``: the task-inference network chooses it."""
        seen = len(self.ph.embs)
        return lambda x: self.eval_scenario.inferred_outputs(*self.infer(x, seen))
