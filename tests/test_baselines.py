"""Baselines against hand computations (EWC, online EWC, SI, Fisher) and their matrix shapes."""

import math

import pytest
import torch

from baselines.ewc import EWC
from baselines.fisher import diagonal_fisher
from baselines.from_scratch import FromScratch
from baselines.joint import Joint
from baselines.online_ewc import OnlineEWC
from baselines.si import SI
from hnet.benchmarks import Scenario
from hnet.core import run_loop
from hnet.nets import MLP
from tests.helpers import context, run_argv


def value(x) -> float:
    return float(torch.as_tensor(x).detach())


def _two_params(method, values):
    method.params = [torch.tensor(values, requires_grad=True)]


def test_ewc_penalty_zero_at_anchor_and_by_hand(monkeypatch):
    m = EWC(context(ewc_lambda=4.0))
    _two_params(m, [0.0, 0.0])
    fishers = iter([[torch.tensor([1.0, 2.0])], [torch.tensor([3.0, 0.5])]])
    monkeypatch.setattr(m, "task_fisher", lambda task, data: next(fishers))
    m.end_task(0, None)
    assert value(m.penalty()) == pytest.approx(0.0, abs=1e-6)  # at the anchor
    with torch.no_grad():
        m.params[0].copy_(torch.tensor([1.0, -1.0]))
    m.end_task(1, None)  # second anchor (1, -1)
    with torch.no_grad():
        m.params[0].copy_(torch.tensor([0.5, 2.0]))
    # lambda/2 * [1*(0.5-0)^2 + 2*(2-0)^2 + 3*(0.5-1)^2 + 0.5*(2+1)^2] = 2 * 13.5
    assert value(m.penalty()) == pytest.approx(27.0, rel=1e-5)
    # and its gradient: lambda * sum_t F_t (θ - θ_t)
    m.penalty().backward()
    expected = 4.0 * torch.tensor([1 * 0.5 + 3 * (0.5 - 1), 2 * 2 + 0.5 * (2 + 1)])
    torch.testing.assert_close(m.params[0].grad, expected)


def tiny_softmax():
    """A linear softmax model over 3 classes (one task, CL2) and one batch of 5 inputs."""
    torch.manual_seed(0)
    net = MLP(2, [], 3, "linear")
    params = [torch.randn(3, 2), torch.randn(3)]
    x = torch.randn(5, 2)
    batches = [(x, torch.zeros(5, dtype=torch.long), torch.zeros(5, dtype=torch.long))]
    return net, params, x, Scenario("cl2", n_tasks=1, per_task=3), batches


@pytest.mark.parametrize("labels", ["expected", "predicted"])
@pytest.mark.parametrize("fast", [False, True])
def test_fisher_of_a_tiny_softmax_model_matches_its_closed_form(fast, labels):
    """Linear softmax model z = Wx + b. Expected over c ~ p: (d log p_c/dW_ki)^2 averages to
    p_k (1 - p_k) x_i^2; at the most likely class c* (van de Ven & Tolias' f0b1461 Fisher):
    (1[k = c*] - p_k)^2 x_i^2."""
    net, params, x, scenario, batches = tiny_softmax()
    fisher = diagonal_fisher(net, params, scenario, batches, seen=1, mlp=net if fast else None, labels=labels)
    p = torch.softmax(x @ params[0].T + params[1], 1)
    v = p * (1 - p) if labels == "expected" else (torch.nn.functional.one_hot(p.argmax(1), 3) - p) ** 2
    torch.testing.assert_close(fisher[0], (v[:, :, None] * x[:, None, :] ** 2).mean(0), rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(fisher[1], v.mean(0), rtol=1e-5, atol=1e-7)


def test_the_two_fisher_forms_differ():
    net, params, _, scenario, batches = tiny_softmax()
    predicted, expected = (
        diagonal_fisher(net, params, scenario, batches, seen=1, labels=k) for k in ("predicted", "expected")
    )
    assert not torch.allclose(expected[1], predicted[1])


@pytest.mark.parametrize("labels", ["expected", "predicted"])
@pytest.mark.parametrize(
    "scenario",
    [Scenario("cl1", 3, 2), Scenario("cl3", 3, 2), Scenario("cl1", 3, 1, True)],
    ids=["cl1", "cl3", "regression"],
)
@pytest.mark.parametrize("act", ["relu", "tanh"])
def test_fast_mlp_fisher_equals_per_sample_gradients_in_float64(scenario, act, labels):
    torch.manual_seed(3)
    net = MLP(6, [7, 5], scenario.n_outputs, act)
    params = [p.double() for p in net.init_params()]
    x = torch.randn(40, 6, dtype=torch.float64)
    y = torch.randn(40, dtype=torch.float64) if scenario.regression else torch.randint(0, 2, (40,))
    batches = [(x[:25], y[:25], torch.ones(25, dtype=torch.long)), (x[25:], y[25:], torch.ones(15, dtype=torch.long))]
    torch.manual_seed(9)  # the regression's sampled outputs: the same draws on both paths
    generic = diagonal_fisher(net, params, scenario, batches, seen=2, labels=labels)
    torch.manual_seed(9)
    fast = diagonal_fisher(net, params, scenario, batches, seen=2, mlp=net, labels=labels)
    for g, f in zip(generic, fast):
        torch.testing.assert_close(f, g, rtol=1e-10, atol=1e-12)
    assert any(float(g.abs().sum()) > 0 for g in generic)


def test_fisher_uses_only_active_classes():
    torch.manual_seed(1)
    net = MLP(2, [], 4, "linear")
    params = [torch.randn(4, 2), torch.randn(4)]
    x = torch.randn(3, 2)
    cl3 = Scenario("cl3", n_tasks=2, per_task=2)
    batches = [(x, torch.zeros(3, dtype=torch.long), torch.zeros(3, dtype=torch.long))]
    fisher = diagonal_fisher(net, params, cl3, batches, seen=1)
    assert torch.all(fisher[1][2:] == 0)  # classes of the unseen task carry no information
    p = torch.softmax(x @ params[0][:2].T + params[1][:2], 1)
    torch.testing.assert_close(fisher[1][:2], (p * (1 - p)).mean(0), rtol=1e-5, atol=1e-7)


def test_online_ewc_running_fisher_follows_the_gamma_recursion(monkeypatch):
    m = OnlineEWC(context(gamma=0.5, ewc_lambda=2.0))
    _two_params(m, [0.0, 0.0])
    values = [torch.tensor([1.0, 2.0]), torch.tensor([4.0, 0.0]), torch.tensor([0.0, 8.0])]
    it = iter(values)
    monkeypatch.setattr("baselines.online_ewc.task_fisher", lambda *a, **k: [next(it)])
    for t in range(3):
        m.end_task(t, type("D", (), {"iterate": lambda self, *a: []})())
    expected = 0.25 * values[0] + 0.5 * values[1] + values[2]
    torch.testing.assert_close(m.fisher[0], expected)
    with torch.no_grad():
        m.params[0].copy_(torch.tensor([1.0, 1.0]))
    # lambda/2 * gamma * sum F (θ - θ*)^2 with the latest anchor (0, 0)
    assert value(m.penalty()) == pytest.approx(2.0 / 2 * 0.5 * float(expected.sum()), rel=1e-6)


def test_si_omega_on_a_quadratic_loss_matches_the_analytic_path_integral():
    """L = 1/2 sum h_i θ_i^2 by gradient flow from θ0 to θT: W_i = 1/2 h_i (θ0_i^2 - θT_i^2)."""
    m = SI(context(si_epsilon=0.1))
    _two_params(m, [2.0, -1.0])
    m.omega = [torch.zeros(2)]
    m.begin_task(0)
    h, lr = torch.tensor([1.0, 3.0]), 1e-4
    theta0 = m.params[0].detach().clone()
    for _ in range(5000):
        with torch.no_grad():
            m.params[0].grad = h * m.params[0]
            m.params[0] -= lr * m.params[0].grad
        m.after_step()
    theta_t = m.params[0].detach()
    m.end_task(0, None)
    w = 0.5 * h * (theta0**2 - theta_t**2)
    expected = w / ((theta_t - theta0) ** 2 + 0.1)
    torch.testing.assert_close(m.omega[0], expected, rtol=2e-3, atol=0)
    torch.testing.assert_close(m.anchor[0], theta_t)


def _loop(method_cls, scenario="cl1"):
    torch.manual_seed(0)
    ctx = context(scenario, n_tasks=3, iterations=5)
    m = method_cls(ctx)
    return run_loop(ctx.benchmark, ctx.scenario, m, ctx.cfg, torch.Generator().manual_seed(0)).matrix


def test_joint_reports_a_single_row():
    matrix = _loop(Joint, "cl3")
    assert len(matrix) == 1 and len(matrix[0]) == 3
    assert all(not math.isnan(v) for v in matrix[0])


def test_from_scratch_reports_a_full_matrix_and_keeps_each_tasks_network():
    matrix = _loop(FromScratch)
    assert len(matrix) == 3 and all(len(r) == 3 for r in matrix)
    for i in range(3):
        for t in range(i, 3):
            assert matrix[t][i] == matrix[i][i]  # stored per-task networks do not forget
        for t in range(i):
            assert math.isnan(matrix[t][i])


def test_dgr_distill_replay_reduces_forgetting(synthetic_mnist, tmp_path):
    """Class-incremental SplitMNIST in two tasks on synthetic digits: fine-tuning forgets the first task,
    generative replay with distillation keeps much of it."""
    import json

    from hnet.run.cli import main

    def final(method):
        out = tmp_path / method
        sets = [
            s
            for s in (
                "n_tasks=2",
                "iterations=150",
                "target_hidden=[64]",
                "vae_enc_hidden=[64]",
                "vae_dec_hidden=[64]",
                "vae_latent=8",
                "batch_size=32",
            )
            if method == "dgr_distill" or not s.startswith("vae")
        ]
        assert main(run_argv("split_mnist", "cl3", method, 1, out, synthetic_mnist, sets)) == 0
        return json.loads((out / "metrics.json").read_text())["matrix"]

    fine, dgr = final("finetune"), final("dgr_distill")
    assert fine[0][0] > 90 and dgr[0][0] > 90  # both learn task 1
    assert fine[1][0] < 10, "fine-tuning should forget task 1 in CL3"
    assert dgr[1][0] > fine[1][0] + 30, "replay should keep much of task 1"
    assert dgr[1][1] > 80
