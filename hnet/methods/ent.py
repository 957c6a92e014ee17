"""HNET+ENT: HNET with the task identity inferred at test time (CL2, CL3) by predictive entropy.

HNET+ENT trains the CL1 hypernetwork classifier (one task embedding per task; in CL3 the target
network has one head per task, in CL2 one shared head whose weights are still task-specific). At
test time every learned embedding's network is applied to the input and the task whose softmax
(over its own head in CL3, the shared head in CL2) has the lowest entropy is chosen; its
prediction is used. Evaluation is batched: the weights of all learned tasks are generated in one
hypernetwork call and applied to a whole test batch with batched matrix products.
"""

from __future__ import annotations

import torch
from torch import Tensor

from hnet.benchmarks import Scenario
from hnet.core import Context
from hnet.methods.hnet import HNET


def entropy(logits: Tensor) -> Tensor:
    """Predictive entropy of ``softmax(logits)`` over the last axis, in float64.

    Confident networks reach logit margins of 100 and more; in float32 their entropies (about
    margin * exp(-margin)) underflow to exactly 0, and the comparison between tasks would then be
    decided by ties (argmin takes the first task), not by confidence. float64 holds them to ~700.
    """
    logp = torch.log_softmax(logits.double(), -1)
    return -(logp.exp() * logp).sum(-1)


def head_logits(outputs: Tensor, per_task: int, shared_head: bool) -> Tensor:
    """``(K, B, n_out)`` outputs of K task networks -> ``(K, B, per_task)`` logits of each task's head."""
    if shared_head:
        return outputs
    k = outputs.shape[0]
    idx = (
        torch.arange(k, device=outputs.device)[:, None] * per_task + torch.arange(per_task, device=outputs.device)[None]
    )
    return outputs.gather(2, idx[:, None, :].expand(k, outputs.shape[1], per_task))


def select_by_entropy(heads: Tensor) -> tuple[Tensor, Tensor]:
    """``(K, B, c)`` head logits -> (chosen task ``(B,)``, its local class ``(B,)``)."""
    chosen = entropy(heads).argmin(0)
    local = heads[chosen, torch.arange(heads.shape[1], device=heads.device)].argmax(-1)
    return chosen, local


class HNETEntropy(HNET):
    name = "hnet_ent"
    supports = frozenset({"cl2", "cl3"})
    packable = False  # its entropy-based task inference is not implemented for packed seeds

    def __init__(self, ctx: Context):
        self.eval_scenario = ctx.scenario
        # Train the CL1 classifier: per-task heads in CL3, the shared head in CL2.
        train = Scenario("cl1" if ctx.scenario.name == "cl3" else "cl2", ctx.scenario.n_tasks, ctx.scenario.per_task)
        super().__init__(Context(ctx.benchmark, train, ctx.cfg, ctx.device, compile=ctx.compile))
        self.shared_head = ctx.scenario.name == "cl2"

    @torch.no_grad()
    def infer(self, x: Tensor, seen: int) -> tuple[Tensor, Tensor]:
        """(chosen task, local class) for a batch, all candidate tasks at once."""
        outputs = self.target(x, self.ph.all_weights(seen))  # (K, B, n_out)
        return select_by_entropy(head_logits(outputs, self.scenario.per_task, self.shared_head))

    @torch.no_grad()
    def infer_per_sample(self, x: Tensor, seen: int) -> tuple[Tensor, Tensor]:
        """Reference: one sample and one task at a time (what a straightforward loop does)."""
        weights = [self.weights_for(t) for t in range(seen)]
        c = self.scenario.per_task
        chosen, local = [], []
        for i in range(len(x)):
            best = None
            for t, w in enumerate(weights):
                out = self.target(x[i : i + 1], w)[0]
                head = out if self.shared_head else out[t * c : (t + 1) * c]
                h = float(entropy(head))
                if best is None or h < best[0]:
                    best = (h, t, int(head.argmax()))
            chosen.append(best[1])
            local.append(best[2])
        return torch.tensor(chosen), torch.tensor(local)

    def predictor(self, task: int):
        """Ignores ``task``: the task identity is inferred from the input."""
        seen = len(self.ph.embs)
        sc = self.eval_scenario

        def predict(x):
            return sc.inferred_outputs(*self.infer(x, seen))

        return predict
