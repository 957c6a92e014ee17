"""A task-conditioned hypernetwork protected by HNET's output regulariser (von Oswald et al. 2020).

Per task t a task embedding e_t ~ N(0, I) is learned; the hypernetwork h(e_t; Θ_h) generates all
weights of a target network. While learning task T the loss is

    L_task(Θ_h, e_T) + beta/(T-1) * sum_{t<T} ||h(e_t; Θ_h + ΔΘ_h) - h(e_t; Θ_h*)||^2

with Θ_h* the hypernetwork before task T and ΔΘ_h the (detached) Adam step from the task loss alone
(``lookahead``). Previous embeddings are frozen; the current one has its own Adam at the same lr;
both optimizers start fresh each task. With ``reg_subset`` K > 0 a random subset of K previous tasks
is used per step and scaled by 1/K instead of 1/(T-1). ``beta = 0`` fine-tunes the hypernetwork and
``hnet_from_scratch`` trains a fresh hypernetwork per task (keeping each task's generated weights).

``ProtectedHypernet`` holds that machinery for any target network: the classifier of HNET,
HNET+ENT and HNET+TIR, and the VAE decoder of HNET+R and HNET+TIR (``hnet.methods.vae``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from hnet.core import REQUIRED, Setting, Stateful
from hnet.methods.lookahead import EPS_FORMS, adam_step_delta
from hnet.methods.regulariser import Snapshot, gram_penalty, reference_penalty
from hnet.nets import HyperNetwork
from hnet.nets.hypernet import INITS

# Paper hyperparameters of a protected hypernetwork (values in the presets).
HNET_KEYS = ("hnet_type", "hnet_hidden", "hnet_activation", "hnet_init", "emb_dim", "chunk_size", "chunk_emb_dim", "beta",
             "lookahead", "lookahead_eps", "reg_impl", "reg_targets", "reg_subset", "hnet_from_scratch", "lr", "adam_beta1",
             "adam_beta2")


def hypernet_settings(prefix: str = "") -> dict[str, Setting]:
    """What a protected hypernetwork reads: paper hyperparameters (from the presets) and
    implementation switches (typed defaults). ``prefix`` names another hypernetwork's copy of them
    (``vae_`` for the VAE decoder's)."""
    required = {
        "hnet_type": "full (one output per target weight) or chunked",
        "hnet_hidden": "hidden layer sizes of the hypernetwork",
        "hnet_activation": "activation of the hypernetwork's hidden layers",
        "emb_dim": "task embedding size",
        "chunk_size": "target weights per chunk (chunked hypernetwork; null: unchunked)",
        "chunk_emb_dim": "chunk embedding size (chunked hypernetwork)",
        "beta": "strength of the output regulariser",
    }
    return {
        **{prefix + k: Setting(REQUIRED, doc) for k, doc in required.items()},
        prefix + "hnet_init": Setting("xavier", "initialisation of the hypernetwork's layers (hnet.nets.hypernet)",
                                      choices=INITS),
        prefix + "lookahead": Setting(True, "regulariser at Θ_h + ΔΘ_h, ΔΘ_h the task loss's Adam step "
                                            "(paper eq. 2; the authors' code: no_lookahead=False)"),
        prefix + "lookahead_eps": Setting("corrected", "where Adam's ε enters the lookahead step "
                                                      "(hnet.methods.lookahead)", choices=EPS_FORMS),
        prefix + "reg_impl": Setting("gram", "gram: exact fast form of the regulariser (hnet.methods.regulariser); "
                                             "reference: the plain sum", choices=("gram", "reference")),
        prefix + "reg_targets": Setting("stored", "stored: previous tasks' outputs stored before each task (paper); "
                                                  "snapshot: recomputed from a copy of Θ_h*",
                                        choices=("stored", "snapshot")),
        prefix + "reg_subset": Setting(0, "K > 0: K random previous tasks per step; 0: all (paper)"),
        prefix + "hnet_from_scratch": Setting(False, "true: a fresh hypernetwork per task (a reference point)"),
    }


def hnet_settings(cfg: dict, prefix: str = "") -> dict:
    """The hypernetwork settings of ``cfg``; ``prefix`` selects e.g. the VAE decoder's (``vae_``)."""
    return {k: cfg.get(prefix + k, cfg.get(k)) for k in HNET_KEYS}


class ProtectedHypernet(Stateful):
    state = ("hnet", "embs", "frozen_weights")

    def __init__(self, target_numel: int, s: dict, device: torch.device):
        self.s, self.device = s, device
        chunked = s["hnet_type"] == "chunked"
        self.hnet = HyperNetwork(
            target_numel, s["emb_dim"], s["hnet_hidden"], s["hnet_activation"],
            chunk_size=s["chunk_size"] if chunked else None,
            chunk_emb_dim=s["chunk_emb_dim"] if chunked else 0, init=s["hnet_init"],
        ).to(device)
        self.embs: list[Tensor] = []
        self.frozen_weights: dict[int, Tensor] = {}  # hnet_from_scratch only

    def begin_task(self, task: int) -> None:
        s = self.s
        if s["hnet_from_scratch"] and task > 0:
            self.hnet.reset_parameters()
        self.emb = nn.Parameter(torch.randn(s["emb_dim"]).to(self.device))
        betas = (s["adam_beta1"], s["adam_beta2"])
        self.opt_h = torch.optim.Adam(self.hnet.parameters(), lr=s["lr"], betas=betas)
        self.opt_e = torch.optim.Adam([self.emb], lr=s["lr"], betas=betas)
        self.reg_active = task > 0 and s["beta"] > 0 and not s["hnet_from_scratch"]
        self.snapshot = self.targets = self.snapshot_params = None
        if self.reg_active:
            self.prev_embs = prev = torch.stack(self.embs)  # frozen for the whole task
            if s["reg_impl"] == "gram":
                self.snapshot = Snapshot.take(self.hnet, prev)
            elif s["reg_targets"] == "stored":
                with torch.no_grad():
                    self.targets = self.hnet(prev)
            else:  # recompute targets from a stored copy of Θ_h* (memory O(|Θ_h|), not O(T |θ|))
                self.snapshot_params = {k: v.detach().clone() for k, v in self.hnet.named_parameters()}

    def end_task(self, task: int) -> None:
        self.embs.append(self.emb.detach().clone())
        if self.s["hnet_from_scratch"]:
            with torch.no_grad():
                self.frozen_weights[task] = self.hnet(self.emb[None])[0].clone()

    def penalty(self, params: dict[str, Tensor], index: Tensor | None) -> Tensor:
        """sum over previous tasks (or the subset ``index``) of ||h(e_t; params) - h(e_t; Θ*)||^2."""
        prev = self.prev_embs if index is None else self.prev_embs[index]
        if self.snapshot is not None:
            return gram_penalty(self.hnet, params, prev, self.snapshot, index)
        if self.targets is not None:
            targets = self.targets if index is None else self.targets[index]
        else:
            with torch.no_grad():
                targets = self.hnet(prev, self.snapshot_params)
        return reference_penalty(self.hnet, params, prev, targets)

    def step(self, task_loss: Callable[[Tensor], Tensor]) -> Tensor:
        """One optimizer step on ``task_loss(generated weights)`` plus the output regulariser."""
        loss = task_loss(self.hnet(self.emb[None])[0])
        self.opt_h.zero_grad(set_to_none=True)
        self.opt_e.zero_grad(set_to_none=True)
        loss.backward()
        total = loss.detach()
        if self.reg_active:
            named = dict(self.hnet.named_parameters())
            if self.s["lookahead"]:
                delta = adam_step_delta(self.opt_h, self.s["lookahead_eps"])
                params = {k: p + delta[p] if p in delta else p for k, p in named.items()}
            else:
                params = named
            n_prev = len(self.embs)
            k = self.s["reg_subset"]
            index = torch.randperm(n_prev)[:k].to(self.device) if 0 < k < n_prev else None
            n_used = n_prev if index is None else len(index)
            reg = self.s["beta"] / n_used * self.penalty(params, index)
            reg.backward()
            total = total + reg.detach()
        self.opt_h.step()
        self.opt_e.step()
        return total

    @torch.no_grad()
    def weights_for(self, task: int) -> Tensor:
        if task in self.frozen_weights:
            return self.frozen_weights[task]
        emb = self.embs[task] if task < len(self.embs) else self.emb.detach()
        return self.hnet(emb[None])[0]

    @torch.no_grad()
    def all_weights(self, n: int) -> Tensor:
        """Weights of tasks 0..n-1 in one batched hypernetwork call, ``(n, target_numel)``."""
        if self.frozen_weights:
            return torch.stack([self.weights_for(t) for t in range(n)])
        embs = self.embs[:n]
        if len(embs) < n:
            embs = [*embs, self.emb.detach()]
        return self.hnet(torch.stack(embs))

    def info(self, n_tasks: int) -> dict:
        hnet_params = self.hnet.num_params()
        n_emb = self.s["emb_dim"] * n_tasks
        return {"hnet_params": hnet_params, "task_embedding_params": n_emb, "n_chunks": self.hnet.n_chunks,
                "compression_ratio": (hnet_params + n_emb) / self.hnet.target_numel}
