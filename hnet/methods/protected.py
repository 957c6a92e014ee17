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
from torch.func import vmap

from hnet.core import REQUIRED, Setting, Stateful
from hnet.core.compiling import compiled
from hnet.core.optim import adam
from hnet.core.seeds import SeedStreams
from hnet.methods.lookahead import EPS_FORMS, adam_step_delta
from hnet.methods.regulariser import Snapshot, gram_penalty, reference_penalty
from hnet.nets import ACTIVATIONS, HyperNetwork
from hnet.nets.hypernet import INITS


def hypernet_settings(prefix: str = "") -> dict[str, Setting]:
    """What a protected hypernetwork reads: paper hyperparameters (from the presets) and
    implementation switches (typed defaults). ``prefix`` names another hypernetwork's copy of them
    (``vae_`` for the VAE decoder's)."""

    def required(doc, type_, **kw):
        return Setting(REQUIRED, doc, type=type_, **kw)

    return {
        prefix + "hnet_type": required(
            "full (one output per target weight) or chunked", "str", choices=("full", "chunked")
        ),
        prefix + "hnet_hidden": required("hidden layer sizes of the hypernetwork ([]: linear)", "ints"),
        prefix + "hnet_activation": required(
            "activation of the hypernetwork's hidden layers", "str", choices=ACTIVATIONS
        ),
        prefix + "emb_dim": required("task embedding size", "int", constraint="positive"),
        prefix + "chunk_size": required(
            "target weights per chunk (chunked hypernetwork; null: unchunked)",
            "int",
            constraint="positive",
            nullable=True,
        ),
        prefix + "chunk_emb_dim": required(
            "chunk embedding size (chunked hypernetwork)", "int", constraint="non_negative"
        ),
        prefix + "beta": required("strength of the output regulariser", "float", constraint="non_negative"),
        prefix + "hnet_init": Setting(
            "xavier", "initialisation of the hypernetwork's layers (hnet.nets.hypernet)", choices=INITS
        ),
        prefix + "lookahead": Setting(
            True,
            "regulariser at Θ_h + ΔΘ_h, ΔΘ_h the task loss's Adam step "
            "(paper eq. 2; the authors' code: no_lookahead=False)",
        ),
        prefix + "lookahead_eps": Setting(
            "uncorrected",
            "where Adam's ε enters the lookahead step (hnet.methods.lookahead); the authors' code: "
            "hypercl utils/optim_step.py adam_step, the uncorrected form",
            choices=EPS_FORMS,
        ),
        prefix + "reg_impl": Setting(
            "gram",
            "gram: exact fast form of the regulariser (hnet.methods.regulariser); reference: the plain sum",
            choices=("gram", "reference"),
        ),
        prefix + "reg_targets": Setting(
            "stored",
            "stored: previous tasks' outputs stored before each task (paper); snapshot: recomputed from a copy of Θ_h*",
            choices=("stored", "snapshot"),
        ),
        prefix + "reg_subset": Setting(
            0, "K > 0: K random previous tasks per step; 0: all (paper)", constraint="non_negative"
        ),
        prefix + "hnet_from_scratch": Setting(False, "true: a fresh hypernetwork per task (a reference point)"),
    }


OPTIMIZER_KEYS = ("lr", "adam_beta1", "adam_beta2")  # run settings (hnet.run.config), shared by every optimizer


def hnet_settings(cfg: dict, prefix: str = "") -> dict:
    """The declared hypernetwork settings of ``cfg`` by their unprefixed names (``prefix`` selects
    e.g. the VAE decoder's copy, ``vae_``), with the run's optimizer settings."""
    return {**{k: cfg[prefix + k] for k in hypernet_settings()}, **{k: cfg[k] for k in OPTIMIZER_KEYS}}


def pack_refusal(s: dict) -> str | None:
    """Why a protected hypernetwork with settings ``s`` (``hnet_settings``) cannot train packed seeds."""
    for bad, why in (
        (s["reg_impl"] != "gram", "reg_impl other than gram"),
        (s["reg_subset"] != 0, "reg_subset"),
        (s["hnet_from_scratch"], "hnet_from_scratch"),
    ):
        if bad:
            return f"a protected hypernetwork with {why} cannot be packed"
    return None


def stacked(nets: list[nn.Module]) -> nn.Module:
    """The first of ``nets`` with every parameter replaced by all nets' values stacked along a new
    leading (seed) dimension: one module, one optimizer, called through ``vmap``."""
    template = nets[0]
    for name, _ in list(template.named_parameters()):
        owner, _, leaf = name.rpartition(".")
        module = template.get_submodule(owner) if owner else template
        values = [n.get_parameter(name).detach() for n in nets]
        module._parameters[leaf] = nn.Parameter(torch.stack(values))
    return template


class ProtectedHypernet(Stateful):
    """One task-conditioned hypernetwork, or S of them (packed seeds, ``streams``): then every
    parameter and task embedding has a leading seed dimension, every seed draws its initialisation
    and embeddings from its own stream, and generation, lookahead and regulariser run for all seeds at
    once through ``torch.func.vmap``; Adam, being elementwise, updates each seed as its own would."""

    state = ("hnet", "embs", "frozen_weights")

    def __init__(
        self,
        target_numel: int,
        s: dict,
        device: torch.device,
        streams: SeedStreams | None = None,
        compile_mode: str = "none",
    ):
        self.s, self.device, self.streams = s, device, streams
        # The training step's generation and regulariser (hnet.core.compiling); evaluation stays eager.
        self.train_generate = compiled(self.generate, compile_mode)
        self.train_penalty = compiled(self.penalty, compile_mode)
        chunked = s["hnet_type"] == "chunked"

        def build() -> HyperNetwork:
            return HyperNetwork(
                target_numel,
                s["emb_dim"],
                s["hnet_hidden"],
                s["hnet_activation"],
                chunk_size=s["chunk_size"] if chunked else None,
                chunk_emb_dim=s["chunk_emb_dim"] if chunked else 0,
                init=s["hnet_init"],
            )

        if streams is None:
            self.hnet = build().to(device)
        else:
            why = pack_refusal(s)
            if why:
                raise ValueError(why)
            self.hnet = stacked(streams.each(build)).to(device)
        self.embs: list[Tensor] = []  # per finished task: (emb_dim,), packed (S, emb_dim)
        self.frozen_weights: dict[int, Tensor] = {}  # hnet_from_scratch only

    def generate(self, embs: Tensor, params: dict[str, Tensor] | None = None) -> Tensor:
        """Target weights ``(K, P)`` for embeddings ``(K, emb_dim)``; packed ``(S, K, P)`` for ``(S, K, emb_dim)``."""
        if self.streams is None:
            return self.hnet(embs, params)
        return vmap(lambda p, e: self.hnet(e, p))(params or dict(self.hnet.named_parameters()), embs)

    def _previous(self) -> Tensor:
        """The frozen embeddings of the previous tasks, ``(T, emb_dim)``; packed ``(S, T, emb_dim)``."""
        return torch.stack(self.embs) if self.streams is None else torch.stack(self.embs, 1)

    def begin_task(self, task: int) -> None:
        s = self.s
        if s["hnet_from_scratch"] and task > 0:
            self.hnet.reset_parameters()
        if self.streams is None:
            self.emb = nn.Parameter(torch.randn(s["emb_dim"]).to(self.device))
        else:
            self.emb = nn.Parameter(
                torch.stack([e.to(self.device) for e in self.streams.each(lambda: torch.randn(s["emb_dim"]))])
            )
        betas = (s["adam_beta1"], s["adam_beta2"])
        self.opt_h = adam(self.hnet.parameters(), s["lr"], betas)
        self.opt_e = adam([self.emb], s["lr"], betas)
        self.reg_active = task > 0 and s["beta"] > 0 and not s["hnet_from_scratch"]
        self.snapshot = self.targets = self.snapshot_params = None
        if self.reg_active:
            self.prev_embs = prev = self._previous()  # frozen for the whole task
            if self.streams is not None:  # one snapshot per seed, stacked (only the Gram form is packed)
                with torch.no_grad():
                    named = {k: v.detach() for k, v in self.hnet.named_parameters()}
                    snaps = [
                        Snapshot.take_from(self.hnet, {k: v[i] for k, v in named.items()}, prev[i])
                        for i in range(len(self.streams))
                    ]
                self.snapshot = tuple(torch.stack(field) for field in zip(*(sn.as_tuple() for sn in snaps)))
            elif s["reg_impl"] == "gram":
                self.snapshot = Snapshot.take(self.hnet, prev)
            elif s["reg_targets"] == "stored":
                with torch.no_grad():
                    self.targets = self.hnet(prev)
            else:  # recompute targets from a stored copy of Θ_h* (memory O(|Θ_h|), not O(T |θ|))
                self.snapshot_params = {k: v.detach().clone() for k, v in self.hnet.named_parameters()}

    def end_task(self, task: int) -> None:
        self.embs.append(self.emb.detach().clone())
        if self.s["hnet_from_scratch"]:  # (never packed)
            with torch.no_grad():
                self.frozen_weights[task] = self.hnet(self.emb[None])[0].clone()

    def penalty(self, params: dict[str, Tensor], index: Tensor | None) -> Tensor:
        """sum over previous tasks (or the subset ``index``) of ||h(e_t; params) - h(e_t; Θ*)||^2."""
        prev = self.prev_embs if index is None else self.prev_embs[index]
        if self.streams is not None:  # the seeds' penalties, each on its own snapshot

            def one_seed(p, e, *snap):
                return gram_penalty(self.hnet, p, e, Snapshot(*snap))

            return vmap(one_seed)(params, prev, *self.snapshot).sum()
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
        # squeeze, not select: a view whose backward fills no zero vector of the target's size
        loss = task_loss(self.train_generate(self.emb[None] if self.streams is None else self.emb[:, None]).squeeze(-2))
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
            k = self.s["reg_subset"]  # (never packed)
            index = torch.randperm(n_prev)[:k].to(self.device) if 0 < k < n_prev else None
            n_used = n_prev if index is None else len(index)
            reg = self.s["beta"] / n_used * self.train_penalty(params, index)
            reg.backward()
            total = total + reg.detach()
        self.opt_h.step()
        self.opt_e.step()
        return total

    @torch.no_grad()
    def weights_for(self, task: int) -> Tensor:
        """Task ``task``'s target weights ``(P,)``; packed ``(S, P)``."""
        if task in self.frozen_weights:
            return self.frozen_weights[task]
        emb = self.embs[task] if task < len(self.embs) else self.emb.detach()
        return self.generate(emb[None] if self.streams is None else emb[:, None]).select(-2, 0)

    @torch.no_grad()
    def all_weights(self, n: int) -> Tensor:
        """Weights of tasks 0..n-1 in one batched hypernetwork call, ``(n, target_numel)``; packed ``(S, n, P)``."""
        if self.frozen_weights:
            return torch.stack([self.weights_for(t) for t in range(n)])
        embs = self.embs[:n]
        if len(embs) < n:
            embs = [*embs, self.emb.detach()]
        return self.generate(torch.stack(embs, 0 if self.streams is None else 1))

    def info(self, n_tasks: int) -> dict:
        """One seed's hypernetwork (packed seeds each have one of the same size)."""
        hnet_params = self.hnet.num_params() // (1 if self.streams is None else len(self.streams))
        n_emb = self.s["emb_dim"] * n_tasks
        return {
            "hnet_params": hnet_params,
            "task_embedding_params": n_emb,
            "n_chunks": self.hnet.n_chunks,
            "compression_ratio": (hnet_params + n_emb) / self.hnet.target_numel,
        }
