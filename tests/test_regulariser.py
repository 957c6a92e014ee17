"""The output regulariser and the lookahead, against hand computations."""

import copy

import pytest
import torch

from hnet.methods.lookahead import adam_step_delta
from hnet.methods.regulariser import Snapshot, gram_penalty, reference_penalty, self_gram
from hnet.nets import HyperNetwork


def _perturb(h, scale=0.05):
    with torch.no_grad():
        for p in h.parameters():
            p.add_(scale * torch.randn_like(p))


@pytest.mark.parametrize(
    "numel,chunk_size,chunk_emb,hidden",
    [
        (53, 7, 3, [5, 6]),  # 8 chunks, the last one short
        (53, None, 0, [5]),  # unchunked
        (53, 10, 2, [4]),
        (53, 53, 2, []),  # a single chunk, no hidden layer
        (53, 9, 2, []),  # no hidden layer, the last chunk short
        (50, 10, 2, [4, 3]),  # every chunk full
    ],
)
def test_gram_form_equals_reference_value_and_gradients(float64, numel, chunk_size, chunk_emb, hidden):
    torch.manual_seed(0)
    h = HyperNetwork(numel, 4, hidden, "elu", chunk_size=chunk_size, chunk_emb_dim=chunk_emb)
    embs = torch.randn(4, 4)
    targets = h(embs).detach()
    snap = Snapshot.take(h, embs)
    _perturb(h)
    params = h.params()
    ref = reference_penalty(h, params, embs, targets)
    fast = gram_penalty(h, params, embs, snap)
    torch.testing.assert_close(fast, ref, rtol=1e-12, atol=1e-14)
    g_ref = torch.autograd.grad(ref, list(params.values()))
    g_fast = torch.autograd.grad(fast, list(params.values()))
    for a, b in zip(g_fast, g_ref):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-13)


def test_gram_form_with_a_task_subset(float64):
    torch.manual_seed(1)
    h = HyperNetwork(40, 3, [6], "relu", chunk_size=12, chunk_emb_dim=2)
    embs = torch.randn(5, 3)
    targets = h(embs).detach()
    snap = Snapshot.take(h, embs)
    _perturb(h)
    idx = torch.tensor([3, 0])
    fast = gram_penalty(h, h.params(), embs[idx], snap, idx)
    ref = reference_penalty(h, h.params(), embs[idx], targets[idx])
    torch.testing.assert_close(fast, ref, rtol=1e-12, atol=1e-14)


def test_gram_form_at_the_permuted_mnist_100_sizes(float64):
    """The preset's hypernetwork (128+12 -> 200-250-350 -> chunks of 7,500 for the 1024-1000-1000
    multi-head target: 404 chunks, the last one using 4,500 of its 7,500 rows), 3 previous tasks, all and a subset."""
    from hnet.nets import build_target
    from hnet.run.config import resolve

    cfg, _ = resolve("permuted_mnist_100", "cl1", "hnet", {})
    numel = build_target(cfg, (1024,), 1000).num_params
    torch.manual_seed(5)
    h = HyperNetwork(
        numel,
        cfg["emb_dim"],
        cfg["hnet_hidden"],
        cfg["hnet_activation"],
        chunk_size=cfg["chunk_size"],
        chunk_emb_dim=cfg["chunk_emb_dim"],
    )
    assert (h.n_chunks, h.last_chunk_rows) == (404, 4500)
    embs = torch.randn(3, cfg["emb_dim"])
    targets = h(embs).detach()
    snap = Snapshot.take(h, embs)
    _perturb(h, 1e-3)
    params = h.params()
    for index in (None, torch.tensor([2, 0])):
        e, t = (embs, targets) if index is None else (embs[index], targets[index])
        ref = reference_penalty(h, params, e, t)
        fast = gram_penalty(h, params, e, snap, index)
        torch.testing.assert_close(fast, ref, rtol=1e-11, atol=0)
        for a, b in zip(
            torch.autograd.grad(fast, list(params.values())), torch.autograd.grad(ref, list(params.values()))
        ):
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-15 * b.abs().max().item())


def test_gram_form_under_vmap_equals_each_seed_alone(float64):
    """Packed seeds call the penalty through vmap (its hand-written backward has a vmap rule)."""
    from torch.func import grad, vmap

    torch.manual_seed(6)
    h = HyperNetwork(40, 3, [6, 5], "relu", chunk_size=12, chunk_emb_dim=2)
    seeds = []
    for _ in range(2):
        h.reset_parameters()
        embs = torch.randn(4, 3)
        snap = Snapshot.take(h, embs)
        _perturb(h)
        seeds.append(({k: v.detach().clone() for k, v in h.params().items()}, embs, snap))
    stack = {k: torch.stack([s[0][k] for s in seeds]) for k in seeds[0][0]}
    embs = torch.stack([s[1] for s in seeds])
    snaps = [torch.stack(f) for f in zip(*(s[2].as_tuple() for s in seeds))]

    def one(p, e, *snap):
        return gram_penalty(h, p, e, Snapshot(*snap))

    values = vmap(one)(stack, embs, *snaps)
    grads = vmap(grad(one))(stack, embs, *snaps)
    for k, (p, e, snap) in enumerate(seeds):
        ref = reference_penalty(h, p, e, _targets(h, snap, e))
        torch.testing.assert_close(values[k], ref, rtol=1e-12, atol=0)
        by_one = torch.func.grad(lambda q, e=e, snap=snap: reference_penalty(h, q, e, _targets(h, snap, e)))(p)
        for name in p:
            torch.testing.assert_close(grads[name][k], by_one[name], rtol=1e-10, atol=1e-14)


def _targets(h, snap, embs):
    """h(embs; Θ*) from a snapshot's output layer and features."""
    features = torch.cat([snap.features, snap.last_features], 1)  # every chunk's
    return h.output(features, {"out.weight": snap.out_weight, "out.bias": snap.out_bias})


def test_self_gram_backward_is_autograds(float64):
    torch.manual_seed(7)
    x = torch.randn(9, 4, requires_grad=True)
    w = torch.randn(4, 4)
    (g_fast,) = torch.autograd.grad((self_gram(x) * w).sum(), x)
    (g_ref,) = torch.autograd.grad(((x.T @ x) * w).sum(), x)
    torch.testing.assert_close(g_fast, g_ref, rtol=1e-14, atol=1e-14)


def test_reference_penalty_is_the_squared_distance_summed_by_hand(float64):
    torch.manual_seed(2)
    h = HyperNetwork(6, 2, [3], "tanh")
    embs = torch.randn(3, 2)
    targets = torch.randn(3, 6)
    by_hand = sum(((h(embs[t : t + 1])[0] - targets[t]) ** 2).sum() for t in range(3))
    torch.testing.assert_close(reference_penalty(h, h.params(), embs, targets), by_hand)


def test_gram_form_is_accurate_in_float32_when_outputs_barely_move():
    """The situation the regulariser creates: h' ~ h*. No catastrophic cancellation."""
    torch.manual_seed(3)
    h = HyperNetwork(20000, 8, [25, 25], "elu", chunk_size=3000, chunk_emb_dim=8)
    embs = torch.randn(9, 8)
    snap = Snapshot.take(h, embs)
    before64 = copy.deepcopy(h).double()
    targets = h(embs).detach()
    _perturb(h, 1e-4)
    fast = gram_penalty(h, h.params(), embs, snap).item()
    h64 = copy.deepcopy(h).double()
    ref = reference_penalty(h64, h64.params(), embs.double(), before64(embs.double()).detach()).item()
    assert abs(fast - ref) / ref < 1e-4
    # Expanding ||x||^2 - 2 x.y + ||y||^2 instead loses most digits in float32.
    out = h(embs)
    naive = (out.pow(2).sum() - 2 * (out * targets).sum() + targets.pow(2).sum()).item()
    assert abs(naive - ref) / ref > 100 * abs(fast - ref) / ref


def _adam_case(steps):
    torch.manual_seed(4)
    p = [
        torch.nn.Parameter(torch.randn(5, 3, dtype=torch.float64)),
        torch.nn.Parameter(torch.randn(3, dtype=torch.float64)),
    ]
    opt = torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99))
    for _ in range(steps):
        for q in p:
            q.grad = torch.randn_like(q)
        opt.step()
    for q in p:
        q.grad = torch.randn_like(q)
    return p, opt


@pytest.mark.parametrize("steps", [0, 1, 7])
def test_the_corrected_lookahead_equals_the_adam_step(steps):
    p, opt = _adam_case(steps)
    state_before = copy.deepcopy(opt.state_dict())
    delta = adam_step_delta(opt, "corrected")
    state_after = opt.state_dict()  # simulating the step must not change the optimizer
    assert state_after["state"].keys() == state_before["state"].keys()
    for k, st in state_before["state"].items():
        for name, v in st.items():
            torch.testing.assert_close(state_after["state"][k][name], v, rtol=0, atol=0)
    before = [q.detach().clone() for q in p]
    opt.step()
    for q, b in zip(p, before):
        torch.testing.assert_close(delta[q], q.detach() - b, rtol=1e-10, atol=1e-14)


def test_hnet_method_regulariser_matches_the_formula_by_hand(float64):
    """beta/(T-1) sum_t ||h(e_t; Θ + ΔΘ) - h(e_t; Θ*)||^2 with ΔΘ the Adam step of the task loss."""
    from tests.helpers import tiny_hnet_method

    method, batch = tiny_hnet_method(n_tasks=3, beta=0.3)
    for task in range(2):  # train two tasks
        method.begin_task(task)
        for _ in range(3):
            method.train_step(*batch(task), seen=task + 1)
        method.end_task(task, None)
    method.begin_task(2)
    theta_star = copy.deepcopy(method.ph.hnet)
    for _ in range(2):
        method.train_step(*batch(2), seen=3)
    # By hand: task-loss gradient, a copy of Adam stepped with it, then the formula.
    hnet, emb = method.ph.hnet, method.ph.emb
    x, y, tids = batch(2)
    method.ph.opt_h.zero_grad()
    loss = method.scenario.loss(method.target(x, hnet(emb[None])[0]), tids, y, 3)
    loss.backward()
    hnet_copy = copy.deepcopy(hnet)
    opt_copy = torch.optim.Adam(hnet_copy.parameters())
    opt_copy.load_state_dict(copy.deepcopy(method.ph.opt_h.state_dict()))
    for q, p in zip(hnet_copy.parameters(), hnet.parameters()):
        q.grad = p.grad.clone()
    opt_copy.step()
    by_hand = (
        0.3
        / 2
        * sum(((hnet_copy(method.ph.embs[t][None]) - theta_star(method.ph.embs[t][None])) ** 2).sum() for t in range(2))
    )
    named = dict(hnet.named_parameters())
    delta = adam_step_delta(method.ph.opt_h, "corrected")  # torch's step, as opt_copy took it
    lookahead = {k: p + delta[p] for k, p in named.items()}
    got = method.cfg["beta"] / 2 * method.ph.penalty(lookahead, None)
    torch.testing.assert_close(got, by_hand.detach(), rtol=1e-9, atol=1e-12)


def test_the_suites_adam_is_bitwise_the_per_parameter_loop():
    """``hnet.core.optim.adam`` (multi-tensor) changes no result on CPU."""
    from hnet.core.optim import adam

    torch.manual_seed(8)
    shapes = [(6, 5), (5,), (3, 2)]
    init = [torch.randn(s) for s in shapes]
    fast = [torch.nn.Parameter(t.clone()) for t in init]
    loop = [torch.nn.Parameter(t.clone()) for t in init]
    opt_fast, opt_loop = adam(fast, 0.01, (0.9, 0.999)), torch.optim.Adam(loop, lr=0.01, foreach=False)
    for _ in range(5):
        for a, b in zip(fast, loop):
            a.grad = torch.randn_like(a)
            b.grad = a.grad.clone()
        opt_fast.step()
        opt_loop.step()
    for a, b in zip(fast, loop):
        assert torch.equal(a, b)
