"""DGR+distill (Shin et al. 2017; van de Ven & Tolias 2019): generative replay with distillation.

A VAE (its own weights, no hypernetwork) learns the inputs of every task, trained on the current
task's data and on samples of its copy from before the task (replaying its own earlier samples).
The classifier is trained on the current task and, on replayed inputs, matches the soft outputs of
its copy from before the task (distillation at ``distill_temperature``): per previous task's head
in CL1 (averaged over those tasks), on the shared head in CL2, and in CL3 over every class seen
so far with the classes the copy did not know at target 0. As in van de Ven & Tolias' code, current
and replayed losses are weighted 1/t and 1 - 1/t at task t (1-based), for both models.
"""

import copy

import torch
import torch.nn.functional as F

from hnet.core import REQUIRED, Setting, TargetNetMethod
from hnet.core.losses import distillation_loss
from hnet.core.optim import adam
from hnet.nets import MLP


class DGRDistill(TargetNetMethod):
    name = "dgr_distill"
    needs_flat_input = True
    classification_only = True
    settings = {
        "vae_enc_hidden": Setting(REQUIRED, "encoder hidden layer sizes of the generator", type="ints"),
        "vae_dec_hidden": Setting(REQUIRED, "decoder hidden layer sizes of the generator", type="ints"),
        "vae_latent": Setting(REQUIRED, "latent size of the generator", type="int", constraint="positive"),
        "distill_temperature": Setting(
            REQUIRED, "temperature of the soft targets", type="float", constraint="positive"
        ),
    }
    state = ("enc_params", "dec_params", "vae_optimizer")

    def __init__(self, ctx):
        super().__init__(ctx)
        c, d = self.cfg, ctx.benchmark.input_dim
        self.latent = c["vae_latent"]
        self.encoder = MLP(d, c["vae_enc_hidden"], 2 * self.latent, "relu")
        self.decoder = MLP(self.latent, c["vae_dec_hidden"], d, "relu")
        self.enc_params = [p.to(self.device).requires_grad_() for p in self.encoder.init_params()]
        self.dec_params = [p.to(self.device).requires_grad_() for p in self.decoder.init_params()]
        self.vae_optimizer = adam(self.enc_params + self.dec_params, c["lr"], (c["adam_beta1"], c["adam_beta2"]))

    def begin_task(self, task):
        super().begin_task(task)
        self.task = task
        # the copies that replay and teach during this task
        self.prev_params = [p.detach().clone() for p in self.params]
        self.prev_state = copy.deepcopy(self.net_state)
        self.prev_dec = [p.detach().clone() for p in self.dec_params]

    def vae_loss(self, x):
        """Pixel-mean reconstruction BCE plus the KL divergence divided by the input size."""
        mu, logvar = self.encoder(x, self.enc_params).chunk(2, 1)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        rec = F.binary_cross_entropy_with_logits(self.decoder(z, self.dec_params), x, reduction="none").mean(1)
        kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(1) / x.shape[1]
        return (rec + kl).mean()

    @torch.no_grad()
    def replay(self, n):
        """Inputs sampled from the generator's copy, and the classifier copy's outputs on them."""
        z = torch.randn(n, self.latent, device=self.device)
        x = torch.sigmoid(self.decoder(z, self.prev_dec))
        return x, self.net(x, self.prev_params, self.prev_state, False)

    def replay_loss(self, x, teacher, seen):
        student = self.forward(x, train=True)
        sc, temp = self.scenario, self.cfg["distill_temperature"]
        if sc.name == "cl1":  # each earlier task's head on its own, averaged
            heads = [sc.active_range(k, seen) for k in range(self.task)]
            return sum(distillation_loss(student[:, lo:hi], teacher[:, lo:hi], temp) for lo, hi in heads) / len(heads)
        lo, hi = sc.active_range(0, seen)
        t_lo, t_hi = sc.active_range(0, self.task)  # the units the copy knew
        return distillation_loss(student[:, lo:hi], teacher[:, t_lo:t_hi], temp)

    def train_step(self, x, y, task_ids, seen):
        loss, vae = self.task_loss(x, y, task_ids, seen), self.vae_loss(x)
        if self.task > 0:
            rnt = 1.0 / (self.task + 1)
            xr, teacher = self.replay(len(x))
            loss = rnt * loss + (1 - rnt) * self.replay_loss(xr, teacher, seen)
            vae = rnt * vae + (1 - rnt) * self.vae_loss(xr)
        self.optimizer.zero_grad(set_to_none=True)
        self.vae_optimizer.zero_grad(set_to_none=True)
        (loss + vae).backward()
        self.optimizer.step()
        self.vae_optimizer.step()
        return loss.detach() + vae.detach()
