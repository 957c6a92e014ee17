"""HNET+R and HNET+TIR: generative replay from a hypernetwork-protected VAE (paper Sec. 3.2, 4.2).

``HyperVAE``: a VAE whose decoder weights come from its own task-conditioned hypernetwork, protected
by the same output regulariser as the classifier (``ProtectedHypernet``); the decoder also gets a
one-hot task code beside the latent. Loss: pixel-mean reconstruction BCE plus the KL divergence
divided by the input size. Its samples of earlier tasks are replayed.

- ``hnet_r`` (HNET+R): a plain classifier trained on the current task and on replayed samples of
  all earlier tasks, whose soft targets come from a copy of the classifier taken before the current
  task (distillation temperature 2); real and replay losses weighted 0.5/0.5.
- ``hnet_tir`` (HNET+TIR): a task-inference network (one output per task seen so far) trained on
  real data of the current task and replayed samples of earlier tasks with hard task labels; at test
  time it picks the task embedding (and head) of the CL1 hypernetwork classifier.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from hnet.benchmarks import Scenario
from hnet.hnet_method import ProtectedHypernet, hnet_settings
from hnet.methods import Context, Method, TargetNetMethod, build_target, register
from hnet.nets import MLP
from hnet.task_inference import as_scenario_outputs


class HyperVAE:
    def __init__(self, input_dim: int, n_tasks: int, cfg: dict, device: torch.device):
        self.n_tasks, self.latent, self.device = n_tasks, cfg["vae_latent"], device
        self.encoder = MLP(input_dim, cfg["vae_enc_hidden"], 2 * self.latent, "relu")
        self.enc_params = [p.to(device).requires_grad_() for p in self.encoder.init_params()]
        self.decoder = MLP(self.latent + n_tasks, cfg["vae_dec_hidden"], input_dim, "relu")
        self.ph = ProtectedHypernet(self.decoder.num_params, hnet_settings(cfg, "vae_"), device)
        self.lr, self.betas = cfg["lr"], (cfg["adam_beta1"], cfg["adam_beta2"])

    def begin_task(self, task: int) -> None:
        self.ph.begin_task(task)
        self.enc_opt = torch.optim.Adam(self.enc_params, lr=self.lr, betas=self.betas)

    def end_task(self, task: int) -> None:
        self.ph.end_task(task)

    def _code(self, tasks: Tensor) -> Tensor:
        return F.one_hot(tasks, self.n_tasks).float()

    def train_step(self, x: Tensor, task: int) -> Tensor:
        mu, logvar = self.encoder(x, self.enc_params).chunk(2, 1)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        code = self._code(torch.full((len(x),), task, device=x.device))
        kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(1) / x.shape[1]

        def loss(weights):
            logits = self.decoder(torch.cat([z, code], 1), weights)
            rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").mean(1)
            return (rec + kl).mean()

        self.enc_opt.zero_grad(set_to_none=True)
        total = self.ph.step(loss)
        self.enc_opt.step()
        return total

    @torch.no_grad()
    def sample(self, tasks: Tensor) -> Tensor:
        """One generated input per entry of ``tasks`` (each from its task's decoder weights)."""
        weights = self.ph.all_weights(int(tasks.max()) + 1)
        z = torch.randn(len(tasks), self.latent, device=tasks.device)
        inputs = torch.cat([z, self._code(tasks)], 1)
        out = torch.empty(len(tasks), self.decoder.out_dim, device=tasks.device)
        for k in tasks.unique().tolist():
            sel = tasks == k
            out[sel] = torch.sigmoid(self.decoder(inputs[sel], weights[k]))
        return out

    def state_dict(self) -> dict:
        return {"encoder": [p.detach().clone() for p in self.enc_params], "hnet": self.ph.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        with torch.no_grad():
            for p, v in zip(self.enc_params, state["encoder"]):
                p.copy_(v)
        self.ph.load_state_dict(state["hnet"])


def replay_tasks(n: int, task: int, device) -> Tensor:
    """Task labels of a replay batch: uniform over the ``task`` earlier tasks."""
    return torch.randint(0, task, (n,), device=device)


def distillation_loss(student: Tensor, teacher: Tensor, temperature: float) -> Tensor:
    """Soft cross-entropy between tempered softmaxes, scaled by T^2 (Hinton et al. 2015).

    ``student`` may have more units than ``teacher`` (classes added since): those get target 0.
    """
    p_teacher = torch.softmax(teacher / temperature, 1)
    log_q = torch.log_softmax(student / temperature, 1)[:, : teacher.shape[1]]
    return -(p_teacher * log_q).sum(1).mean() * temperature**2


@register
class HNETReplay(TargetNetMethod):
    name = "hnet_r"
    supports = frozenset({"cl2", "cl3"})

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.vae = HyperVAE(ctx.benchmark.input_dim, ctx.benchmark.n_tasks, self.cfg, self.device)
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
            teacher = self.net(x, self.teacher)[:, lo:hi]
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
            student = self.net(xr, self.params)[:, lo:hi]
            loss = 0.5 * loss + 0.5 * distillation_loss(student, teacher, self.cfg["distill_temperature"])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach() + vae_loss

    def state_dict(self) -> dict:
        return {**super().state_dict(), "vae": self.vae.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.vae.load_state_dict(state["vae"])


@register
class HNETTaskInference(Method):
    name = "hnet_tir"
    supports = frozenset({"cl2", "cl3"})

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        c = self.cfg
        self.eval_scenario = ctx.scenario
        self.shared_head = ctx.scenario.name == "cl2"
        self.train_scenario = Scenario("cl2" if self.shared_head else "cl1", ctx.scenario.n_tasks,
                                       ctx.scenario.per_task)
        self.target = build_target(Context(ctx.benchmark, self.train_scenario, c, self.device))
        self.ph = ProtectedHypernet(self.target.num_params, hnet_settings(c), self.device)
        self.vae = HyperVAE(ctx.benchmark.input_dim, ctx.benchmark.n_tasks, c, self.device)
        n = ctx.benchmark.n_tasks
        self.tir = MLP(ctx.benchmark.input_dim, c["tir_hidden"], n, "relu")
        self.tir_params = [p.to(self.device).requires_grad_() for p in self.tir.init_params()]
        self.tir_opt = torch.optim.Adam(self.tir_params, lr=c["lr"], betas=(c["adam_beta1"], c["adam_beta2"]))
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
        cls_loss = self.ph.step(lambda w: self.train_scenario.loss(self.target(x, w), task_ids, y, seen))
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
        sc = self.eval_scenario

        def predict(x):
            chosen, local = self.infer(x, seen)
            return as_scenario_outputs(chosen, local, sc.per_task, sc.n_outputs, sc.name == "cl3")

        return predict

    def state_dict(self) -> dict:
        return {"ph": self.ph.state_dict(), "vae": self.vae.state_dict(),
                "tir": [p.detach().clone() for p in self.tir_params], "tir_opt": self.tir_opt.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.ph.load_state_dict(state["ph"])
        self.vae.load_state_dict(state["vae"])
        with torch.no_grad():
            for p, v in zip(self.tir_params, state["tir"]):
                p.copy_(v)
        self.tir_opt.load_state_dict(state["tir_opt"])
