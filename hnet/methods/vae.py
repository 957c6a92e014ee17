"""A VAE whose decoder is protected by a hypernetwork: the replay model of HNET+R and HNET+TIR
(paper Sec. 3.2, 4.2).

The decoder's weights come from its own task-conditioned hypernetwork, protected by the same output
regulariser as the classifier (``ProtectedHypernet``, settings prefixed ``vae_``); the decoder also
gets a one-hot task code beside the latent. Loss: pixel-mean reconstruction BCE plus the KL
divergence divided by the input size. ``sample`` generates inputs of earlier tasks for replay.
Encoder and decoder are MLPs: the VAE needs flat inputs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from hnet.core import REQUIRED, Setting, Stateful
from hnet.core.optim import adam
from hnet.methods.protected import ProtectedHypernet, hnet_settings, hypernet_settings
from hnet.nets import MLP

SETTINGS = {
    "vae_enc_hidden": Setting(REQUIRED, "encoder hidden layer sizes", type="ints"),
    "vae_dec_hidden": Setting(REQUIRED, "decoder hidden layer sizes", type="ints"),
    "vae_latent": Setting(REQUIRED, "latent size", type="int", constraint="positive"),
    **hypernet_settings("vae_"),
}


class HyperVAE(Stateful):
    state = ("enc_params", "ph")

    def __init__(self, input_dim: int, n_tasks: int, cfg: dict, device: torch.device, compile_mode: str = "none"):
        self.n_tasks, self.latent, self.device = n_tasks, cfg["vae_latent"], device
        self.encoder = MLP(input_dim, cfg["vae_enc_hidden"], 2 * self.latent, "relu")
        self.enc_params = [p.to(device).requires_grad_() for p in self.encoder.init_params()]
        self.decoder = MLP(self.latent + n_tasks, cfg["vae_dec_hidden"], input_dim, "relu")
        self.ph = ProtectedHypernet(
            self.decoder.num_params, hnet_settings(cfg, "vae_"), device, compile_mode=compile_mode
        )
        self.lr, self.betas = cfg["lr"], (cfg["adam_beta1"], cfg["adam_beta2"])

    def begin_task(self, task: int) -> None:
        self.ph.begin_task(task)
        self.enc_opt = adam(self.enc_params, self.lr, self.betas)

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


def replay_tasks(n: int, task: int, device) -> Tensor:
    """Task labels of a replay batch: uniform over the ``task`` earlier tasks."""
    return torch.randint(0, task, (n,), device=device)
