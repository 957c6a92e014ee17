"""The output regulariser and the lookahead, against hand computations."""

import copy

import pytest
import torch

from hnet.methods.lookahead import adam_step_delta
from hnet.nets import HyperNetwork
from hnet.methods.regulariser import Snapshot, gram_penalty, reference_penalty



def _perturb(h, scale=0.05):
    with torch.no_grad():
        for p in h.parameters():
            p.add_(scale * torch.randn_like(p))


@pytest.mark.parametrize("chunk_size,chunk_emb,hidden", [(7, 3, [5, 6]), (None, 0, [5]), (10, 2, [4]), (53, 2, []),
                                                         (9, 2, [])])
def test_gram_form_equals_reference_value_and_gradients(float64, chunk_size, chunk_emb, hidden):
    torch.manual_seed(0)
    h = HyperNetwork(53, 4, hidden, "elu", chunk_size=chunk_size, chunk_emb_dim=chunk_emb)
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
    p = [torch.nn.Parameter(torch.randn(5, 3, dtype=torch.float64)), torch.nn.Parameter(torch.randn(3, dtype=torch.float64))]
    opt = torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99))
    for _ in range(steps):
        for q in p:
            q.grad = torch.randn_like(q)
        opt.step()
    for q in p:
        q.grad = torch.randn_like(q)
    return p, opt


@pytest.mark.parametrize("steps", [0, 1, 7])
def test_lookahead_equals_the_adam_step(steps):
    p, opt = _adam_case(steps)
    state_before = copy.deepcopy(opt.state_dict())
    delta = adam_step_delta(opt)
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
    by_hand = 0.3 / 2 * sum(((hnet_copy(method.ph.embs[t][None]) - theta_star(method.ph.embs[t][None])) ** 2).sum()
                            for t in range(2))
    named = dict(hnet.named_parameters())
    delta = adam_step_delta(method.ph.opt_h)
    lookahead = {k: p + delta[p] for k, p in named.items()}
    got = method.cfg["beta"] / 2 * method.ph.penalty(lookahead, None)
    torch.testing.assert_close(got, by_hand.detach(), rtol=1e-9, atol=1e-12)
