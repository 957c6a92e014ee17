"""HNET for S seeds as one batched model (``hnet.run.packed``): the S hypernetworks' parameters are
stacked, and the hypernetwork, the lookahead and the output regulariser are evaluated for all seeds
at once (``torch.func.vmap`` over the seed dimension). Per seed it draws exactly what an unpacked
run of that seed draws (hypernetwork initialisation, task embeddings), from that seed's stream, and
Adam, being elementwise, updates every seed as its own optimizer would. Supported: the default
regulariser (``reg_impl: gram``, all previous tasks every step, not ``hnet_from_scratch``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.func import vmap

from hnet.core import Context
from hnet.methods.lookahead import adam_step_delta
from hnet.methods.protected import hnet_settings
from hnet.methods.regulariser import Snapshot, gram_penalty
from hnet.nets import HyperNetwork, build_target


class PackedHNET:
    def __init__(self, ctx: Context, seeds: list[int], seed_rng: Callable[[int], None]):
        self.cfg, self.device, self.scenario = ctx.cfg, ctx.device, ctx.scenario
        self.n_tasks = ctx.benchmark.n_tasks
        s = self.s = hnet_settings(ctx.cfg)
        why = [why for bad, why in ((s["reg_impl"] != "gram", "reg_impl other than gram"),
                                    (s["reg_subset"] != 0, "reg_subset"),
                                    (s["hnet_from_scratch"], "hnet_from_scratch")) if bad]
        if why:
            raise ValueError(f"HNET with {why[0]} cannot be packed; run its seeds unpacked")
        self.target = build_target(ctx.cfg, ctx.benchmark.input_shape, ctx.scenario.n_outputs)
        if not getattr(self.target, "batched_weights", False) or self.target.init_state():
            raise ValueError(f"{type(self.target).__name__} cannot be packed; run its seeds unpacked")
        chunked = s["hnet_type"] == "chunked"
        self.rng_states, nets = [], []
        for seed in seeds:  # as an unpacked HNET of this seed builds its hypernetwork
            seed_rng(seed)
            nets.append(HyperNetwork(self.target.num_params, s["emb_dim"], s["hnet_hidden"], s["hnet_activation"],
                                     chunk_size=s["chunk_size"] if chunked else None,
                                     chunk_emb_dim=s["chunk_emb_dim"] if chunked else 0,
                                     init=s["hnet_init"]).to(self.device))
            self.rng_states.append(torch.get_rng_state())
        self.template = nets[0]
        self.theta = {k: nn.Parameter(torch.stack([dict(n.named_parameters())[k].detach() for n in nets]))
                      for k, _ in self.template.named_parameters()}
        self.embs: list[Tensor] = []  # per finished task: (S, emb_dim)

    def phases(self, n_tasks: int) -> list[list[int]]:
        return [[t] for t in range(n_tasks)]

    def _draw(self, k: int, fn):
        outer = torch.get_rng_state()
        torch.set_rng_state(self.rng_states[k])
        try:
            return fn()
        finally:
            self.rng_states[k] = torch.get_rng_state()
            torch.set_rng_state(outer)

    def generate(self, theta: dict, embs: Tensor) -> Tensor:
        """Target weights of every seed, ``embs``: (S, K, emb_dim) -> (S, K, P)."""
        return vmap(lambda p, e: self.template(e, p))(theta, embs)

    def begin_task(self, task: int) -> None:
        s = self.s
        n = len(self.rng_states)
        self.emb = nn.Parameter(torch.stack([self._draw(k, lambda: torch.randn(s["emb_dim"]).to(self.device))
                                             for k in range(n)]))
        betas = (s["adam_beta1"], s["adam_beta2"])
        self.opt_h = torch.optim.Adam(list(self.theta.values()), lr=s["lr"], betas=betas)
        self.opt_e = torch.optim.Adam([self.emb], lr=s["lr"], betas=betas)
        self.reg_active = task > 0 and s["beta"] > 0
        if self.reg_active:
            self.prev = torch.stack(self.embs, 1)  # (S, T_prev, emb_dim), frozen for the task
            with torch.no_grad():
                theta = {k: v.detach() for k, v in self.theta.items()}
                snaps = [Snapshot.take_from(self.template, {k: v[i] for k, v in theta.items()}, self.prev[i])
                         for i in range(n)]
            self.snapshot = tuple(torch.stack(field) for field in zip(*(sn.as_tuple() for sn in snaps)))

    def end_task(self, task: int, data=None) -> None:
        self.embs.append(self.emb.detach().clone())

    def train_step(self, x: Tensor, y: Tensor, task_ids: Tensor, seen: int) -> Tensor:
        weights = self.generate(self.theta, self.emb[:, None])[:, 0]  # (S, P)
        loss = self.scenario.loss(self.target(x, weights, None, True), task_ids, y, seen)
        self.opt_h.zero_grad(set_to_none=True)
        self.opt_e.zero_grad(set_to_none=True)
        loss.backward()
        total = loss.detach()
        if self.reg_active:
            if self.s["lookahead"]:
                delta = adam_step_delta(self.opt_h, self.s["lookahead_eps"])
                params = {k: p + delta[p] if p in delta else p for k, p in self.theta.items()}
            else:
                params = dict(self.theta)

            def penalty(p, prev, *snap):
                return gram_penalty(self.template, p, prev, Snapshot(*snap))

            reg = self.s["beta"] / self.prev.shape[1] * vmap(penalty)(params, self.prev, *self.snapshot).sum()
            reg.backward()
            total = total + reg.detach()
        self.opt_h.step()
        self.opt_e.step()
        return total

    def info(self) -> dict:
        """One seed's hypernetwork, as ``HNET.info``."""
        hnet_params = self.template.num_params()
        n_emb = self.s["emb_dim"] * self.n_tasks
        return {"target_params": self.target.num_params, "hnet_params": hnet_params, "task_embedding_params": n_emb,
                "n_chunks": self.template.n_chunks,
                "compression_ratio": (hnet_params + n_emb) / self.template.target_numel}

    @torch.no_grad()
    def seed_predictor(self, k: int, task: int):
        theta = {name: v[k].detach() for name, v in self.theta.items()}
        emb = self.embs[task][k] if task < len(self.embs) else self.emb[k].detach()
        weights = self.template(emb[None], theta)[0]
        return lambda x: self.target(x, weights)
