"""HNET: a task-conditioned hypernetwork with the output regulariser (von Oswald et al. 2020).

Per task t a task embedding e_t ~ N(0, I) is learned; the hypernetwork h(e_t; Θ_h) generates all
target-network weights. While learning task T the loss is

    L_task(Θ_h, e_T) + beta/(T-1) * sum_{t<T} ||h(e_t; Θ_h + ΔΘ_h) - h(e_t; Θ_h*)||^2

with Θ_h* the hypernetwork before task T and ΔΘ_h the (detached) Adam step from the task loss alone
(``lookahead``). Previous embeddings are frozen; the current one has its own Adam at the same lr;
both optimizers start fresh each task. With ``reg_subset`` K > 0 a random subset of K previous tasks
is used per step and scaled by 1/K instead of 1/(T-1). ``beta = 0`` fine-tunes the hypernetwork and
``hnet_from_scratch`` trains a fresh hypernetwork per task (keeping each task's generated weights).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from hnet.lookahead import adam_step_delta
from hnet.methods import Context, Method, build_target, register
from hnet.nets import HyperNetwork
from hnet.regulariser import Snapshot, gram_penalty, reference_penalty


@register
class HNET(Method):
    name = "hnet"
    supports = frozenset({"cl1"})

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        c = self.cfg
        self.target = build_target(ctx)
        chunked = c["hnet_type"] == "chunked"
        self.hnet = HyperNetwork(
            self.target.num_params, c["emb_dim"], c["hnet_hidden"], c["hnet_activation"],
            chunk_size=c["chunk_size"] if chunked else None,
            chunk_emb_dim=c["chunk_emb_dim"] if chunked else 0,
        ).to(self.device)
        self.embs: list[Tensor] = []
        self.frozen_weights: dict[int, Tensor] = {}  # hnet_from_scratch only

    # -- per task -------------------------------------------------------------------------------
    def begin_task(self, task: int) -> None:
        c = self.cfg
        if c["hnet_from_scratch"] and task > 0:
            self.hnet.reset_parameters()
        self.emb = nn.Parameter(torch.randn(c["emb_dim"]).to(self.device))
        betas = (c["adam_beta1"], c["adam_beta2"])
        self.opt_h = torch.optim.Adam(self.hnet.parameters(), lr=c["lr"], betas=betas)
        self.opt_e = torch.optim.Adam([self.emb], lr=c["lr"], betas=betas)
        self.reg_active = task > 0 and c["beta"] > 0 and not c["hnet_from_scratch"]
        self.snapshot = self.targets = self.snapshot_params = None
        if self.reg_active:
            prev = torch.stack(self.embs)
            if c["reg_impl"] == "gram":
                self.snapshot = Snapshot.take(self.hnet, prev)
            elif c["reg_targets"] == "stored":
                with torch.no_grad():
                    self.targets = self.hnet(prev)
            else:  # recompute targets from a stored copy of Θ_h* (memory O(|Θ_h|), not O(T |θ|))
                self.snapshot_params = {k: v.detach().clone() for k, v in self.hnet.named_parameters()}

    def end_task(self, task: int, data) -> None:
        self.embs.append(self.emb.detach().clone())
        if self.cfg["hnet_from_scratch"]:
            with torch.no_grad():
                self.frozen_weights[task] = self.hnet(self.emb[None])[0].clone()

    # -- training -------------------------------------------------------------------------------
    def penalty(self, params: dict[str, Tensor], index: Tensor | None) -> Tensor:
        prev = torch.stack(self.embs)
        if index is not None:
            prev = prev[index]
        if self.snapshot is not None:
            return gram_penalty(self.hnet, params, prev, self.snapshot, index)
        if self.targets is not None:
            targets = self.targets if index is None else self.targets[index]
        else:
            with torch.no_grad():
                targets = self.hnet(prev, self.snapshot_params)
        return reference_penalty(self.hnet, params, prev, targets)

    def train_step(self, x, y, task_ids, seen) -> Tensor:
        weights = self.hnet(self.emb[None])[0]
        loss = self.scenario.loss(self.target(x, weights), task_ids, y, seen)
        self.opt_h.zero_grad(set_to_none=True)
        self.opt_e.zero_grad(set_to_none=True)
        loss.backward()
        total = loss.detach()
        if self.reg_active:
            named = dict(self.hnet.named_parameters())
            if self.cfg["lookahead"]:
                delta = adam_step_delta(self.opt_h)
                params = {k: p + delta[p] if p in delta else p for k, p in named.items()}
            else:
                params = named
            n_prev = len(self.embs)
            k = self.cfg["reg_subset"]
            index = torch.randperm(n_prev)[:k].to(self.device) if 0 < k < n_prev else None
            n_used = n_prev if index is None else len(index)
            reg = self.cfg["beta"] / n_used * self.penalty(params, index)
            reg.backward()
            total = total + reg.detach()
        self.opt_h.step()
        self.opt_e.step()
        return total

    # -- evaluation and state -------------------------------------------------------------------
    @torch.no_grad()
    def weights_for(self, task: int) -> Tensor:
        if task in self.frozen_weights:
            return self.frozen_weights[task]
        emb = self.embs[task] if task < len(self.embs) else self.emb.detach()
        return self.hnet(emb[None])[0]

    def predictor(self, task: int):
        weights = self.weights_for(task)
        return lambda x: self.target(x, weights)

    def nonfinite(self) -> str | None:
        w = self.weights_for(len(self.embs) - 1)
        if not torch.isfinite(w).all():
            return "non-finite generated target weights"
        return None

    def info(self) -> dict:
        hnet_params = self.hnet.num_params()
        n_emb = self.cfg["emb_dim"] * self.ctx.benchmark.n_tasks
        return {
            "target_params": self.target.num_params,
            "hnet_params": hnet_params,
            "task_embedding_params": n_emb,
            "n_chunks": self.hnet.n_chunks,
            "compression_ratio": (hnet_params + n_emb) / self.target.num_params,
        }

    def state_dict(self) -> dict:
        return {"hnet": self.hnet.state_dict(), "embs": [e.clone() for e in self.embs],
                "frozen_weights": dict(self.frozen_weights)}

    def load_state_dict(self, state: dict) -> None:
        self.hnet.load_state_dict(state["hnet"])
        self.embs = [e.to(self.device) for e in state["embs"]]
        self.frozen_weights = {k: v.to(self.device) for k, v in state["frozen_weights"].items()}
