import torch

from hnet.benchmarks import Scenario, build_benchmark
from hnet.benchmarks.mnist import permutations


def test_permutations_are_deterministic_from_the_data_seed_and_task_1_is_identity():
    a = permutations(5, 1024, data_seed=42)
    b = permutations(5, 1024, data_seed=42)
    c = permutations(5, 1024, data_seed=7)
    assert a[0] is None
    for p, q in zip(a[1:], b[1:]):
        assert torch.equal(p, q)
        assert torch.equal(p.sort().values, torch.arange(1024))
    assert not torch.equal(a[1], c[1])
    assert not torch.equal(a[1], a[2])


def test_permuted_mnist_pads_to_32x32_before_permuting(synthetic_mnist):
    bench = build_benchmark("permuted_mnist", {"n_tasks": 3}, synthetic_mnist, download=False)
    assert bench.input_shape == (1024,) and bench.n_tasks == 3
    t0, t1 = bench.tasks[0], bench.tasks[1]
    x0 = t0.train_batch(torch.arange(4))[0]
    img = x0.reshape(4, 32, 32)
    assert torch.all(img[:, :2] == 0) and torch.all(img[:, -2:] == 0) and torch.all(img[:, :, :2] == 0)
    x1 = t1.train_batch(torch.arange(4))[0]
    assert torch.equal(x1, x0[:, t1.input_perm])
    assert x0.max() <= 1 and x0.min() >= 0


def test_permutations_do_not_depend_on_the_training_seed(synthetic_mnist):
    torch.manual_seed(1)
    a = build_benchmark("permuted_mnist", {"n_tasks": 2}, synthetic_mnist, download=False)
    torch.manual_seed(2)
    b = build_benchmark("permuted_mnist", {"n_tasks": 2}, synthetic_mnist, download=False)
    assert torch.equal(a.tasks[1].input_perm, b.tasks[1].input_perm)


def test_split_mnist_tasks_hold_their_digit_pairs(synthetic_mnist):
    bench = build_benchmark("split_mnist", {}, synthetic_mnist, download=False)
    assert [t.classes for t in bench.tasks] == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
    for t in bench.tasks:
        assert set(t.y_train.tolist()) == {0, 1}
        assert t.x_train.shape[1] == 784


def test_regression_tasks():
    bench = build_benchmark("regression", {})
    assert bench.n_tasks == 3 and bench.regression
    x, y = bench.tasks[1].x_train, bench.tasks[1].y_train
    assert x.shape == (100, 1) and x.min() >= -1 and x.max() <= 1
    assert (y - (2 * x**2 - 1)).std() < 0.08  # noise std 0.05
    xt = bench.tasks[2].x_test
    assert xt.shape == (50, 1) and torch.allclose(bench.tasks[2].y_test, (xt - 3) ** 3)
    assert torch.equal(build_benchmark("regression", {}).tasks[0].x_train, bench.tasks[0].x_train)


def test_validation_split_comes_from_training_data(synthetic_mnist):
    full = build_benchmark("split_mnist", {}, synthetic_mnist, download=False)
    val = build_benchmark("split_mnist", {"val_fraction": 0.2}, synthetic_mnist, download=False)
    t_full, t_val = full.tasks[0], val.tasks[0]
    assert len(t_val.y_train) + len(t_val.y_test) == len(t_full.y_train)
    train_rows = {tuple(r.tolist()) for r in t_full.x_train}
    assert all(tuple(r.tolist()) in train_rows for r in t_val.x_test)


# -- scenarios ----------------------------------------------------------------------------------


def test_cl1_heads():
    s = Scenario("cl1", n_tasks=5, per_task=2)
    assert s.n_outputs == 10
    mask, target = s.mask_and_target(torch.tensor([0, 3]), torch.tensor([1, 0]), seen=4)
    assert mask[0].nonzero().flatten().tolist() == [0, 1]
    assert mask[1].nonzero().flatten().tolist() == [6, 7]
    assert target.tolist() == [1, 6]


def test_cl2_shared_head():
    s = Scenario("cl2", n_tasks=5, per_task=2)
    assert s.n_outputs == 2
    mask, target = s.mask_and_target(torch.tensor([0, 3]), torch.tensor([1, 0]), seen=4)
    assert mask.all() and target.tolist() == [1, 0]


def test_cl3_growing_head_excludes_unseen_classes():
    s = Scenario("cl3", n_tasks=5, per_task=2)
    assert s.n_outputs == 10
    mask, target = s.mask_and_target(torch.tensor([0, 1]), torch.tensor([1, 1]), seen=2)
    assert mask[0].nonzero().flatten().tolist() == [0, 1, 2, 3]
    assert target.tolist() == [1, 3]
    # Unseen classes get no probability, however large their logits.
    logits = torch.zeros(2, 10)
    logits[:, 9] = 100.0
    loss = s.loss(logits, torch.tensor([0, 1]), torch.tensor([1, 1]), seen=2)
    assert abs(loss.item() - torch.log(torch.tensor(4.0)).item()) < 1e-6


def test_scores_use_the_active_units_only():
    s = Scenario("cl3", n_tasks=5, per_task=2)
    logits = torch.zeros(3, 10)
    logits[:, 2] = 1.0  # class 2 (task 1, label 0)
    logits[:, 8] = 5.0  # class 8, not yet seen after 2 tasks
    correct, n = s.score(logits, task=1, labels=torch.tensor([0, 0, 1]), seen=2)
    assert (correct, n) == (2.0, 3)
    c1 = Scenario("cl1", n_tasks=5, per_task=2)
    correct, _ = c1.score(logits, task=1, labels=torch.tensor([0, 0, 1]), seen=2)
    assert correct == 2.0
