"""Differential tests against ``hypnettorch`` 0.0.4, the library of the paper's authors, in float64.

Every test copies identical weights and inputs into this project's objects and into hypnettorch's,
and compares real numbers (forward passes, generated weights, lookahead steps, regulariser values and
gradients, a whole training step). The mappings between the two are stated where they are used:

- images: hypnettorch's ``ResNet`` / ``ZenkeNet`` take channels-last inputs ``(B, H, W, C)`` (they
  ``view`` the input as ``in_shape=(32, 32, 3)`` and permute), this project takes ``(B, C, H, W)``;
- batch norm: this project's per-task running statistics (``HNET.net_states[t]``, a fresh
  ``init_state()`` per task) are hypnettorch's ``bn_track_stats=True`` with one
  ``BatchNormLayer.checkpoint_stats()`` per new task and ``condition=t``; ``state=None`` (batch
  statistics always, nothing stored) is hypnettorch's ``bn_track_stats=False``; ``train`` is the
  module's ``train()`` / ``eval()`` mode;
- chunked hypernetwork: hypnettorch's ``ChunkedHMLP`` feeds ``[chunk embedding; task embedding]``,
  this project ``[task embedding; chunk embedding]``: the first layer's columns are swapped
  (``_to_hyp_first_layer``). The chunk layout and the cut of the last chunk are the same. Parameter
  order: hypnettorch's unconditional parameters are ``hidden.i.weight/bias, out.weight/bias, chunk
  embeddings``; this project's ``named_parameters()`` yields ``chunk_emb`` first (``_hyp_names``).
  With a single chunk this project builds a full hypernetwork while ChunkedHMLP keeps one chunk
  embedding (``_single_chunk_is_a_full_hypernetwork``);
- lookahead: hypnettorch's ``calc_delta_theta`` (``utils/optim_step.py`` ``adam_step``) is this
  project's ``adam_step_delta(..., "uncorrected")``, the default of ``lookahead_eps``; the
  ``corrected`` form (torch.optim.Adam's step today) differs by the factor asserted in
  ``test_lookahead_eps_forms_differ_by_the_bias_corrected_eps``;
- regulariser: ``calc_fix_target_reg`` returns sum over the regularised tasks of the summed squared
  output difference divided by their number, so ``beta * calc_fix_target_reg`` is this project's
  ``beta / (T-1) * penalty`` (or ``beta / K`` with a subset of K tasks). hypnettorch draws the subset
  with ``numpy.random.choice``, this project with ``torch.randperm``; the tests hand hypnettorch the
  project's subset.
"""

from __future__ import annotations

import math
import types

import numpy as np
import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("hypnettorch")

from hypnettorch.hnets import HMLP, ChunkedHMLP
from hypnettorch.mnets import MLP as HypMLP
from hypnettorch.mnets import ResNet as HypResNet
from hypnettorch.mnets import ZenkeNet as HypZenkeNet
from hypnettorch.utils import hnet_regularizer as hreg
from hypnettorch.utils.optim_step import calc_delta_theta

from hnet.methods.lookahead import adam_step_delta
from hnet.methods.protected import ProtectedHypernet, hypernet_settings
from hnet.methods.regulariser import Snapshot, gram_penalty, reference_penalty
from hnet.nets import MLP, HyperNetwork, ResNet, ZenkeNet

pytestmark = pytest.mark.filterwarnings("ignore:This overload of add", "ignore:This overload of addcmul")

RTOL = 1e-10


def close(a, b, rtol=RTOL, atol=1e-13):
    torch.testing.assert_close(a, b, rtol=rtol, atol=atol)


def close_all(xs, ys, rtol=RTOL, atol=1e-13):
    xs, ys = list(xs), list(ys)
    assert len(xs) == len(ys)
    for a, b in zip(xs, ys):
        close(a, b, rtol, atol)


_ACT = {"relu": torch.nn.ReLU, "elu": torch.nn.ELU}


# --------------------------------------------------------------------------- target networks


def test_mlp_forward_matches_hypnettorch(float64):
    torch.manual_seed(0)
    net = MLP(784, [400, 400], 10, "relu")
    hyp = HypMLP(
        n_in=784, n_out=10, hidden_layers=(400, 400), activation_fn=torch.nn.ReLU(), no_weights=True, verbose=False
    )
    assert net.num_params == hyp.num_params == 478_410
    assert net.param_shapes == [tuple(s) for s in hyp.param_shapes]
    weights = torch.stack([torch.cat([p.flatten() for p in net.init_params()]) for _ in range(2)])  # two networks
    x = torch.randn(4, 784)
    ours_batched = net(x, weights)  # (K, B, out) through batched matrix products
    for k in range(2):
        ref = hyp.forward(x, weights=net.split(weights[k]))
        close(net(x, weights[k]), ref)
        close(ours_batched[k], ref)
    assert not torch.allclose(ours_batched[0], ours_batched[1])


def _perturbed_resnet_weights(net: ResNet) -> list[torch.Tensor]:
    """Xavier conv weights (``init_params``) and non-trivial batch-norm scales/shifts and biases."""
    ws = net.init_params()
    out = []
    for i, w in enumerate(ws):
        if i < 2 * net.n_bn:
            w = w + 0.1 * torch.randn_like(w)
        elif w.dim() == 1:
            w = 0.1 * torch.randn_like(w)
        out.append(w)
    return out


def test_resnet32_forward_with_per_task_batch_norm_matches_hypnettorch(float64):
    """Two tasks, each with its own running statistics: hypnettorch's ``bn_track_stats=True``,
    ``distill_bn_stats=False``, one ``checkpoint_stats()`` per new task and ``condition=task``. Train
    mode (batch statistics, running statistics updated in place with momentum 0.1) and eval mode
    (the task's running statistics)."""
    torch.manual_seed(0)
    net = ResNet(60, n=5, input_shape=(3, 32, 32))
    hyp = HypResNet(
        in_shape=(32, 32, 3),
        num_classes=60,
        n=5,
        no_weights=True,
        bn_track_stats=True,
        distill_bn_stats=False,
        verbose=False,
    )
    assert net.num_params == hyp.num_params == 468_540
    assert net.param_shapes == [tuple(s) for s in hyp.param_shapes]
    w = _perturbed_resnet_weights(net)
    states = [net.init_state()]  # task 0's set; hypnettorch made its stats 0 in the constructor
    for bn in hyp.batchnorm_layers:  # task 1
        bn.checkpoint_stats()
    states.append(net.init_state())

    def nhwc(x):
        return x.permute(0, 2, 3, 1).contiguous()

    def hyp_stats(task):
        return [t for bn in hyp.batchnorm_layers for t in bn.get_stats(task)]

    g = torch.Generator().manual_seed(1)
    batches = [torch.randn(4, 3, 32, 32, generator=g) + t for t in range(2)]  # tasks see different statistics
    hyp.train()
    for _ in range(2):
        for task in (0, 1):
            out = net(batches[task], w, states[task], train=True)
            close(out, hyp.forward(nhwc(batches[task]), weights=w, condition=task))
    for task in (0, 1):
        close_all(states[task], hyp_stats(task))
    assert not torch.allclose(states[0][0], states[1][0])  # per-task sets really differ
    hyp.eval()
    x = torch.randn(4, 3, 32, 32, generator=g)
    for task in (0, 1):
        close(net(x, w, states[task], train=False), hyp.forward(nhwc(x), weights=w, condition=task))
    close_all(states[1], hyp_stats(1))  # eval changed nothing
    # distill_bn_stats=True: statistics handed in (``distilled_params``, e.g. generated) in the order of
    # this project's state, [mean, var] per batch-norm layer
    hyp_distill = HypResNet(
        in_shape=(32, 32, 3),
        num_classes=60,
        n=5,
        no_weights=True,
        bn_track_stats=True,
        distill_bn_stats=True,
        verbose=False,
    ).eval()
    assert [tuple(s) for s in hyp_distill.hyper_shapes_distilled] == [tuple(t.shape) for t in states[0]]
    close(net(x, w, states[0], train=False), hyp_distill.forward(nhwc(x), weights=w, distilled_params=states[0]))

    # state=None (batch statistics in train and eval mode, nothing stored) is bn_track_stats=False
    hyp_free = HypResNet(
        in_shape=(32, 32, 3), num_classes=60, n=5, no_weights=True, bn_track_stats=False, verbose=False
    )
    for mode in (True, False):
        hyp_free.train(mode)
        close(net(x, w, None, train=mode), hyp_free.forward(nhwc(x), weights=w))


def test_zenkenet_forward_matches_hypnettorch(float64):
    """Eval mode (no dropout), train mode without dropout (rate -1 on both sides) and train mode with
    dropout 0.25 where both sides draw their masks after the same ``torch.manual_seed``: the calls
    (``dropout2d`` twice, then ``dropout`` with 2p) are the same, in the same order."""
    torch.manual_seed(0)
    ours = {p: ZenkeNet(60, p, (3, 32, 32)) for p in (0.25, -1)}
    hyps = {
        p: HypZenkeNet(in_shape=(32, 32, 3), num_classes=60, no_weights=True, dropout_rate=p, verbose=False)
        for p in (0.25, -1)
    }
    net = ours[0.25]
    assert net.num_params == hyps[0.25].num_params == 1_276_508
    assert net.param_shapes == [tuple(s) for s in hyps[0.25].param_shapes]
    w = [p + 0.05 * torch.randn_like(p) if p.dim() == 1 else p for p in net.init_params()]
    x = torch.randn(4, 3, 32, 32)
    xh = x.permute(0, 2, 3, 1).contiguous()
    for p in (0.25, -1):
        hyps[p].eval()
        close(ours[p](x, w, train=False), hyps[p].forward(xh, weights=w))
        hyps[p].train()
        torch.manual_seed(5)
        a = ours[p](x, w, train=True)
        torch.manual_seed(5)
        close(a, hyps[p].forward(xh, weights=w))
    torch.manual_seed(6)
    assert not torch.allclose(net(x, w, train=True), net(x, w, train=False))  # dropout was really on


# --------------------------------------------------------------------------- hypernetworks


def _to_hyp_first_layer(w: torch.Tensor, emb_dim: int) -> torch.Tensor:
    """This project's first-layer weight (columns ``[task emb | chunk emb]``) in hypnettorch's
    ChunkedHMLP order (columns ``[chunk emb | task emb]``)."""
    return torch.cat([w[:, emb_dim:], w[:, :emb_dim]], 1)


def _from_hyp_first_layer(w: torch.Tensor, emb_dim: int) -> torch.Tensor:
    c = w.shape[1] - emb_dim
    return torch.cat([w[:, c:], w[:, :c]], 1)


def _hyp_names(h: HyperNetwork) -> list[str]:
    """This project's parameter names in the order of hypnettorch's unconditional parameters:
    ``hidden.i.weight/bias``, ``out.weight/bias``, then the chunk embeddings (``h.named_parameters()``
    yields ``chunk_emb`` first, being the module's own parameter)."""
    names = [f"hidden.{i}.{k}" for i in range(len(h.hidden)) for k in ("weight", "bias")]
    return names + ["out.weight", "out.bias"] + (["chunk_emb"] if h.chunk_emb is not None else [])


def _to_hyp(h: HyperNetwork, values: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """Tensors keyed by this project's parameter names, as a list in hypnettorch's layout: its order
    (``_hyp_names``), the first layer's columns swapped when chunked."""
    first = _hyp_names(h)[0]
    return [
        (_to_hyp_first_layer(values[n], h.emb_dim) if n == first and h.chunk_emb is not None else values[n])
        .detach()
        .clone()
        for n in _hyp_names(h)
    ]


def _hyp_to_ours(h: HyperNetwork, values) -> dict[str, torch.Tensor]:
    out = dict(zip(_hyp_names(h), values, strict=True))
    first = _hyp_names(h)[0]
    if h.chunk_emb is not None:
        out[first] = _from_hyp_first_layer(out[first], h.emb_dim)
    return out


def _hyp_hnet(h: HyperNetwork, target_shapes, act: str, num_cond_embs: int = 0):
    """hypnettorch's counterpart of ``h`` holding ``h``'s parameters (and ``num_cond_embs`` internal
    task embeddings, else none)."""
    kw = {
        "uncond_in_size": 0,
        "cond_in_size": h.emb_dim,
        "layers": [m.out_features for m in h.hidden],
        "verbose": False,
        "activation_fn": _ACT[act](),
        "no_cond_weights": num_cond_embs == 0,
        "num_cond_embs": num_cond_embs,
    }
    if h.chunk_emb is None:
        hyp = HMLP(target_shapes, **kw)
    else:
        hyp = ChunkedHMLP(target_shapes, h.chunk_size, chunk_emb_size=h.chunk_emb_dim, cond_chunk_embs=False, **kw)
    with torch.no_grad():
        for dst, src in zip(hyp.unconditional_params, _to_hyp(h, h.params()), strict=True):
            dst.copy_(src)
    return hyp


TARGET = MLP(12, [10], 3, "relu")  # 163 weights


@pytest.mark.parametrize("hidden", [[], [7], [8, 6]])
@pytest.mark.parametrize("act", ["relu", "elu"])
def test_full_hypernetwork_matches_hmlp(float64, hidden, act):
    torch.manual_seed(0)
    h = HyperNetwork(TARGET.num_params, 4, hidden, act)
    hyp = _hyp_hnet(h, [list(s) for s in TARGET.param_shapes], act)
    assert h.num_params() == hyp.num_params
    embs = torch.randn(5, 4)
    ours = h(embs)
    close(ours, hyp.forward(cond_input=embs, ret_format="flattened"))
    for k, per_net in enumerate(hyp.forward(cond_input=embs, ret_format="sequential")):
        close_all(TARGET.split(ours[k]), per_net)


@pytest.mark.parametrize("hidden", [[], [7], [8, 6]])
@pytest.mark.parametrize("chunk_size", [40, 163, 17])
def test_chunked_hypernetwork_matches_chunked_hmlp(float64, hidden, chunk_size):
    """Same chunk layout (chunk j is flat weights ``[j*c, (j+1)*c)``, the last one cut to the target
    size); the input concatenation order differs: hypnettorch feeds ``[chunk emb; task emb]``, this
    project ``[task emb; chunk emb]``, so the first layer's columns are swapped to copy weights."""
    torch.manual_seed(0)
    h = HyperNetwork(TARGET.num_params, 4, hidden, "elu", chunk_size=chunk_size, chunk_emb_dim=3)
    if chunk_size >= TARGET.num_params:
        _single_chunk_is_a_full_hypernetwork(h, hidden)
        return
    hyp = _hyp_hnet(h, [list(s) for s in TARGET.param_shapes], "elu")
    assert hyp.num_chunks == h.n_chunks == math.ceil(163 / chunk_size)
    assert h.num_params() == hyp.num_params
    embs = torch.randn(5, 4)
    ours = h(embs)
    close(ours, hyp.forward(cond_input=embs, ret_format="flattened"))
    close_all(TARGET.split(ours[2]), hyp.forward(cond_input=embs[2:3]))
    # without the column swap the outputs differ (the mapping is needed, not cosmetic)
    with torch.no_grad():
        hyp.unconditional_params[0].copy_(h.get_parameter(_hyp_names(h)[0]))
    assert not torch.allclose(ours, hyp.forward(cond_input=embs, ret_format="flattened"))


def _single_chunk_is_a_full_hypernetwork(h: HyperNetwork, hidden) -> None:
    """With one chunk this project builds a full hypernetwork (no chunk embedding); hypnettorch's
    ChunkedHMLP keeps one chunk embedding c and its first-layer columns W_c (3 * width + 3 more
    parameters). It is the same function with the first bias b' = b - W_c c."""
    assert h.chunk_emb is None and h.n_chunks == 1
    hyp = ChunkedHMLP(
        [list(s) for s in TARGET.param_shapes],
        TARGET.num_params,
        chunk_emb_size=3,
        uncond_in_size=0,
        cond_in_size=4,
        layers=hidden,
        verbose=False,
        activation_fn=torch.nn.ELU(),
        no_cond_weights=True,
        num_cond_embs=0,
    )
    first_out = hidden[0] if hidden else TARGET.num_params
    assert hyp.num_params - h.num_params() == 3 * first_out + 3
    ours = h.params()
    names = _hyp_names(h)
    w_c, c = torch.randn(first_out, 3), torch.randn(1, 3)
    values = [ours[n].detach() for n in names]
    values[0] = torch.cat([w_c, values[0]], 1)  # [chunk emb | task emb] columns
    values[1] = values[1] - (c @ w_c.T)[0]
    with torch.no_grad():
        for dst, src in zip(hyp.unconditional_params, [*values, c], strict=True):
            dst.copy_(src)
    embs = torch.randn(5, 4)
    close(h(embs), hyp.forward(cond_input=embs, ret_format="flattened"))


@pytest.mark.parametrize("chunked", [False, True])
def test_torch_default_init_is_hypnettorchs(float64, chunked):
    """``init="torch_default"`` draws what hypnettorch's HMLP / ChunkedHMLP draw: Kaiming-uniform
    (a = sqrt 5) weights and uniform +-1/sqrt(fan_in) biases layer by layer, then chunk embeddings
    ~ N(0, 1). This project's ``nn.Linear`` layers draw once when built and again in
    ``reset_parameters``; replaying the first draws before building hypnettorch's network makes the
    values equal. (This project's default, ``xavier``, is not what hypnettorch's constructors do.)"""
    sizes = [7 if chunked else 4, 8, 6]
    kw = {"chunk_size": 40, "chunk_emb_dim": 3} if chunked else {}
    torch.manual_seed(3)
    h = HyperNetwork(TARGET.num_params, 4, [8, 6], "relu", init="torch_default", **kw)
    chunk = 40 if chunked else TARGET.num_params
    torch.manual_seed(3)
    for a, b in zip(sizes, [8, 6, chunk]):
        torch.nn.Linear(a, b)  # the draws of this project's first pass
    common = {
        "uncond_in_size": 0,
        "cond_in_size": 4,
        "layers": [8, 6],
        "verbose": False,
        "no_cond_weights": True,
        "num_cond_embs": 0,
    }
    if chunked:
        hyp = ChunkedHMLP([[TARGET.num_params]], 40, chunk_emb_size=3, **common)
    else:
        hyp = HMLP([[TARGET.num_params]], **common)
    # raw tensors, not swapped: both draw the first layer as a (8, 7) matrix
    close_all(
        [h.get_parameter(n).detach() for n in _hyp_names(h)],
        [p.detach() for p in hyp.unconditional_params],
        rtol=0,
        atol=0,
    )


# --------------------------------------------------------------------------- lookahead


def _adam_with_history(h: HyperNetwork, n_steps: int, lr=0.01) -> torch.optim.Adam:
    opt = torch.optim.Adam(h.parameters(), lr=lr, betas=(0.9, 0.999))
    g = torch.Generator().manual_seed(11)
    x, y = torch.randn(8, 12, generator=g), torch.randint(0, 3, (8,), generator=g)
    emb = torch.randn(1, h.emb_dim, generator=g)
    for i in range(n_steps + 1):
        opt.zero_grad()
        F.cross_entropy(TARGET(x, h(emb)[0]), y).backward()
        if i < n_steps:
            opt.step()
    return opt


@pytest.mark.parametrize("prior_steps", [0, 3])
def test_calc_delta_theta_is_the_uncorrected_lookahead(float64, prior_steps):
    torch.manual_seed(0)
    h = HyperNetwork(TARGET.num_params, 4, [8, 6], "elu", chunk_size=40, chunk_emb_dim=3)
    opt = _adam_with_history(h, prior_steps)
    theirs = calc_delta_theta(opt, False)
    ours = adam_step_delta(opt, "uncorrected")
    params = list(h.parameters())
    close_all([ours[p] for p in params], theirs, atol=1e-16)
    corrected = adam_step_delta(opt, "corrected")
    assert max(((corrected[p] - t).abs().max() / t.abs().max()).item() for p, t in zip(params, theirs)) > 1e-6


def test_the_default_lookahead_is_the_authors_form():
    """What a run gets without ``lookahead_eps`` set is hypnettorch's (and hypercl's) lookahead."""
    from hnet.methods.protected import hypernet_settings

    assert hypernet_settings()["lookahead_eps"].default == "uncorrected"
    assert hypernet_settings("vae_")["vae_lookahead_eps"].default == "uncorrected"


@pytest.mark.parametrize("prior_steps", [0, 3])
def test_lookahead_eps_forms_differ_by_the_bias_corrected_eps(float64, prior_steps):
    """``corrected`` is torch.optim.Adam's actual step m̂/(sqrt v̂ + ε); hypnettorch's (``uncorrected``)
    is m̂/(sqrt v̂ + ε/sqrt(1-β2^t)): the ratio is (sqrt v̂ + ε)/(sqrt v̂ + ε/sqrt(1-β2^t)), exactly."""
    torch.manual_seed(0)
    h = HyperNetwork(TARGET.num_params, 4, [8, 6], "elu", chunk_size=40, chunk_emb_dim=3)
    opt = _adam_with_history(h, prior_steps)
    params = list(h.parameters())
    theirs = calc_delta_theta(opt, False)
    corrected = adam_step_delta(opt, "corrected")
    t = prior_steps + 1
    eps, b2 = 1e-8, 0.999
    for p, d_unc in zip(params, theirs):
        st = opt.state.get(p, {})
        v = st["exp_avg_sq"] * b2 + (1 - b2) * p.grad**2 if st else (1 - b2) * p.grad**2
        root_vhat = v.sqrt() / math.sqrt(1 - b2**t)
        close(d_unc, corrected[p] * (root_vhat + eps) / (root_vhat + eps / math.sqrt(1 - b2**t)), atol=1e-16)
    before = [p.detach().clone() for p in params]
    opt.step()  # the real step is the corrected form
    close_all([p.detach() - b for p, b in zip(params, before)], [corrected[p] for p in params], atol=1e-15)


# --------------------------------------------------------------------------- regulariser


def _subset_as_numpy_choice(monkeypatch, ids: list[int]) -> None:
    """hypnettorch draws the regularised subset with ``np.random.choice(n, size=K, replace=False)``;
    hand it ``ids`` instead (this project draws with ``torch.randperm``)."""

    def choice(n, size, replace):
        assert not replace and size == len(ids) and max(ids) < n
        return np.array(ids)

    monkeypatch.setattr(hreg, "np", types.SimpleNamespace(random=types.SimpleNamespace(choice=choice)))


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("subset", [None, [2, 0]])
def test_fix_target_reg_with_lookahead_matches(float64, monkeypatch, chunked, subset):
    """Three previous tasks with stored targets, the task loss's Adam lookahead (uncorrected form =
    ``calc_delta_theta``), value and gradients with respect to the hypernetwork's parameters:
    ``beta/(T-1) * penalty == beta * calc_fix_target_reg`` (``beta/K`` and ``batch_size=K`` with a
    subset of K previous tasks, the subset handed to hypnettorch in place of its numpy draw)."""
    torch.manual_seed(0)
    beta, n_prev = 0.05, 3
    kw = {"chunk_size": 40, "chunk_emb_dim": 3} if chunked else {}
    h = HyperNetwork(TARGET.num_params, 4, [8, 6], "elu", **kw)
    embs = torch.randn(n_prev + 1, 4)  # the previous tasks', then the current one's
    hyp = _hyp_hnet(h, [list(s) for s in TARGET.param_shapes], "elu", num_cond_embs=n_prev + 1)
    with torch.no_grad():
        for dst, e in zip(hyp.conditional_params, embs, strict=True):
            dst.copy_(e)
    prev = embs[:n_prev]
    targets = h(prev).detach()  # stored before the task (Θ*)
    snap = Snapshot.take(h, prev)
    theirs_targets = hreg.get_current_targets(n_prev, hyp)
    close_all(targets, [torch.cat([w.flatten() for w in t]) for t in theirs_targets])

    with torch.no_grad():  # Θ moves away from Θ* (training on the current task)
        for p in h.parameters():
            p.add_(0.05 * torch.randn_like(p))
    opt = _adam_with_history(h, 2)  # two Adam steps taken, gradients of a third task loss held
    with torch.no_grad():
        for dst, src in zip(hyp.unconditional_params, _to_hyp(h, h.params())):
            dst.copy_(src)
    named = h.params()
    opt_hyp = torch.optim.Adam(hyp.unconditional_params, lr=0.01, betas=(0.9, 0.999))
    state = {
        key: _to_hyp(h, {n: (p.grad if key == "grad" else opt.state[p][key]) for n, p in named.items()})
        for key in ("grad", "exp_avg", "exp_avg_sq")
    }
    for i, q in enumerate(hyp.unconditional_params):
        q.grad = state["grad"][i]
        opt_hyp.state[q] = {
            "step": opt.state[named["out.weight"]]["step"].clone(),
            "exp_avg": state["exp_avg"][i],
            "exp_avg_sq": state["exp_avg_sq"][i],
        }
    d_theta = calc_delta_theta(opt_hyp, False)
    delta = adam_step_delta(opt, "uncorrected")
    d_mapped = _hyp_to_ours(h, d_theta)
    close_all([d_mapped[n] for n in named], [delta[p] for p in named.values()], atol=1e-16)

    index = None if subset is None else torch.tensor(subset)
    if subset is not None:
        _subset_as_numpy_choice(monkeypatch, subset)
    theirs = beta * hreg.calc_fix_target_reg(
        hyp, n_prev, targets=theirs_targets, dTheta=d_theta, batch_size=None if subset is None else len(subset)
    )
    looked_ahead = {k: p + delta[p] for k, p in named.items()}
    n_used = n_prev if index is None else len(index)
    sel_prev, sel_targets = (prev, targets) if index is None else (prev[index], targets[index])
    ours_ref = beta / n_used * reference_penalty(h, looked_ahead, sel_prev, sel_targets)
    ours_gram = beta / n_used * gram_penalty(h, looked_ahead, sel_prev, snap, index)
    assert theirs.item() > 1e-4
    close(ours_ref, theirs)
    close(ours_gram, theirs)
    g_theirs = _hyp_to_ours(h, torch.autograd.grad(theirs, hyp.unconditional_params))
    for ours in (ours_ref, ours_gram):
        close_all(torch.autograd.grad(ours, list(named.values())), [g_theirs[n] for n in named], atol=1e-15)


# --------------------------------------------------------------------------- a whole training step


def _torch_adam_delta(opt: torch.optim.Adam) -> list[torch.Tensor]:
    """The step ``torch.optim.Adam.step()`` would take, from its documented update (bias-corrected
    moments, ε added to sqrt v̂): the counterpart of ``lookahead_eps="corrected"``."""
    out = []
    for group in opt.param_groups:
        (b1, b2), lr, eps = group["betas"], group["lr"], group["eps"]
        for p in group["params"]:
            st = opt.state.get(p, {})
            t = float(st["step"]) + 1 if st else 1.0
            m = b1 * st["exp_avg"] + (1 - b1) * p.grad if st else (1 - b1) * p.grad
            v = b2 * st["exp_avg_sq"] + (1 - b2) * p.grad**2 if st else (1 - b2) * p.grad**2
            out.append(-lr * (m / (1 - b1**t)) / ((v / (1 - b2**t)).sqrt() + eps))
    return out


class _HypnettorchHNET:
    """HNET's step written with hypnettorch's pieces, as in the authors' training loop: the task loss
    through ``hnet.forward(cond_id=t)`` and the main network, ``backward``, ``calc_delta_theta`` on
    the optimizer of the unconditional parameters, ``beta * calc_fix_target_reg`` (stored targets
    from ``get_current_targets``, or ``prev_theta``/``prev_task_embs``), ``backward``, then the two
    Adam steps (hypernetwork; current task embedding)."""

    def __init__(self, h: HyperNetwork, s: dict, n_tasks: int, mnet, delta):
        self.s, self.mnet, self.delta = s, mnet, delta
        self.hnet = _hyp_hnet(h, [list(p) for p in mnet.param_shapes], s["hnet_activation"], num_cond_embs=n_tasks)

    def begin_task(self, task: int, emb: torch.Tensor) -> None:
        s, hn = self.s, self.hnet
        with torch.no_grad():
            hn.conditional_params[task].copy_(emb)
        betas = (s["adam_beta1"], s["adam_beta2"])
        self.opt_theta = torch.optim.Adam(hn.unconditional_params, lr=s["lr"], betas=betas)
        self.opt_emb = torch.optim.Adam([hn.conditional_params[task]], lr=s["lr"], betas=betas)
        self.task = task
        self.targets = self.prev_theta = self.prev_embs = None
        if task > 0 and s["reg_targets"] == "stored":
            self.targets = hreg.get_current_targets(task, hn)
        elif task > 0:
            self.prev_theta = [p.detach().clone() for p in hn.unconditional_params]
            self.prev_embs = [p.detach().clone() for p in hn.conditional_params]

    def step(self, x, y) -> torch.Tensor:
        s, hn = self.s, self.hnet
        loss = F.cross_entropy(self.mnet.forward(x, weights=hn.forward(cond_id=self.task)), y)
        self.opt_theta.zero_grad()
        self.opt_emb.zero_grad()
        loss.backward()
        total = loss.detach()
        if self.task > 0:
            d_theta = self.delta(self.opt_theta) if s["lookahead"] else None
            reg = s["beta"] * hreg.calc_fix_target_reg(
                hn,
                self.task,
                targets=self.targets,
                dTheta=d_theta,
                prev_theta=self.prev_theta,
                prev_task_embs=self.prev_embs,
                batch_size=s["reg_subset"] or None,
            )
            reg.backward()
            total = total + reg.detach()
        self.opt_theta.step()
        self.opt_emb.step()
        return total


STEP_CASES = {  # name: (hnet_type, reg_impl, reg_targets, reg_subset, lookahead, lookahead_eps)
    "chunked-gram": ("chunked", "gram", "stored", 0, True, "uncorrected"),
    "full-reference": ("full", "reference", "stored", 0, True, "uncorrected"),
    "chunked-subset": ("chunked", "reference", "stored", 2, True, "uncorrected"),
    "chunked-snapshot-targets": ("chunked", "reference", "snapshot", 0, True, "uncorrected"),
    "no-lookahead": ("chunked", "gram", "stored", 0, False, "uncorrected"),
    "corrected-eps": ("chunked", "gram", "stored", 0, True, "corrected"),
}


@pytest.mark.parametrize("case", list(STEP_CASES))
def test_whole_hnet_training_steps_match_hypnettorch(float64, monkeypatch, case):
    """Four tasks of two steps each on fixed batches: ``ProtectedHypernet.step`` (what ``HNET.train_step``
    calls) against the same step with hypnettorch's hypernetwork, main network, ``calc_delta_theta``,
    ``calc_fix_target_reg`` and ``torch.optim.Adam``; every hypernetwork parameter, the current task
    embedding and the step's loss after every step. ``corrected-eps`` replaces ``calc_delta_theta``
    by torch.optim.Adam's own step (``_torch_adam_delta``), hypnettorch having no such form."""
    hnet_type, reg_impl, reg_targets, subset, lookahead, eps_form = STEP_CASES[case]
    s = {k: v.default for k, v in hypernet_settings().items()}
    s.update(
        hnet_type=hnet_type,
        hnet_hidden=[8, 6],
        hnet_activation="elu",
        emb_dim=4,
        chunk_size=40,
        chunk_emb_dim=3,
        beta=0.05,
        reg_impl=reg_impl,
        reg_targets=reg_targets,
        reg_subset=subset,
        lookahead=lookahead,
        lookahead_eps=eps_form,
        lr=0.01,
        adam_beta1=0.9,
        adam_beta2=0.999,
    )
    target = MLP(12, [10], 3, "relu")
    hyp_mnet = HypMLP(
        n_in=12, n_out=3, hidden_layers=(10,), activation_fn=torch.nn.ReLU(), no_weights=True, verbose=False
    )
    torch.manual_seed(0)
    ph = ProtectedHypernet(target.num_params, s, torch.device("cpu"))
    n_tasks = 4
    theirs = _HypnettorchHNET(
        ph.hnet,
        s,
        n_tasks,
        hyp_mnet,
        _torch_adam_delta if eps_form == "corrected" else lambda o: calc_delta_theta(o, False),
    )
    g = torch.Generator().manual_seed(1)
    subsets_used, ended = [], []
    for task in range(n_tasks):
        ph.begin_task(task)
        theirs.begin_task(task, ph.emb.detach())
        x, y = torch.randn(8, 12, generator=g) + task, torch.randint(0, 3, (8,), generator=g)
        for _ in range(2):
            if subset and 0 < subset < task:  # the subset ProtectedHypernet.step will draw, for hypnettorch
                rng = torch.get_rng_state()
                ids = torch.randperm(task)[:subset].tolist()
                torch.set_rng_state(rng)
                _subset_as_numpy_choice(monkeypatch, ids)
                subsets_used.append(ids)
            ours_loss = ph.step(lambda w, x=x, y=y: F.cross_entropy(target(x, w), y))
            close(ours_loss, theirs.step(x, y))
            ours, mapped = ph.hnet.params(), _hyp_to_ours(ph.hnet, theirs.hnet.unconditional_params)
            close_all([ours[n] for n in mapped], mapped.values())
            close(ph.emb, theirs.hnet.conditional_params[task])
        ph.end_task(task)
        ended.append(theirs.hnet.conditional_params[task].detach().clone())
    if subset:
        assert len(subsets_used) == 2 and all(len(i) == subset for i in subsets_used)
    # every task's embedding as its task left it, on both sides (previous ones frozen)
    close_all(ph.embs, theirs.hnet.conditional_params)
    close_all(ended, theirs.hnet.conditional_params, rtol=0, atol=0)
