"""Split CIFAR-10/100: data on disk, augmentation, ResNet-32 and ZenkeNet through the weight
interface, per-task batch-norm statistics."""

from __future__ import annotations

import pickle

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hnet.benchmarks import Scenario, build_benchmark
from hnet.benchmarks.cifar import crop_and_flip, read_batch
from hnet.core import Context, PhaseData
from hnet.errors import DataError
from hnet.nets import HyperNetwork, ResNet, ZenkeNet
from hnet.registry import method_class
from hnet.run.config import resolve


def bench(data, **cfg):
    return build_benchmark("split_cifar", {"n_tasks": 3, **cfg}, data, download=False)


def test_loading_and_splits(synthetic_cifar):
    b = bench(synthetic_cifar, n_tasks=6)
    assert b.n_tasks == 6 and b.input_shape == (3, 32, 32) and b.outputs_per_task == 10
    assert [t.classes[0] for t in b.tasks] == [0, 10, 20, 30, 40, 50]
    assert len(b.tasks[0].y_train) == 60 and len(b.tasks[1].y_train) == 60  # 6 images of each of 10 classes
    for t in b.tasks:
        assert set(t.y_train.tolist()) == set(range(10)) and t.x_train.dtype == torch.uint8
    x, _ = next(b.tasks[0].test_batches(5))
    assert x.shape == (5, 3, 32, 32) and x.dtype == torch.float32 and x.min() < 0  # ImageNet-normalised
    raw = bench(synthetic_cifar, normalize=False)
    x, _ = next(raw.tasks[0].test_batches(5))
    assert 0 <= x.min() and x.max() <= 1


def test_broken_files_are_reported_by_path(synthetic_cifar, tmp_path):
    path = tmp_path / "data_batch_1"
    path.write_bytes((synthetic_cifar / "cifar-10-batches-py" / "data_batch_1").read_bytes()[:500])
    with pytest.raises(DataError, match="data_batch_1: not a CIFAR batch file"):
        read_batch(path, b"labels", 10)
    with open(path, "wb") as f:
        pickle.dump({b"data": torch.zeros(2, 3072, dtype=torch.uint8).numpy(), b"labels": [3, 12]}, f)
    with pytest.raises(DataError, match=r"data_batch_1: labels outside 0..9"):
        read_batch(path, b"labels", 10)
    with pytest.raises(DataError, match="cifar-10-batches-py: data_batch_1"):
        build_benchmark("split_cifar", {}, tmp_path / "none", download=False)


def test_augmentation_is_a_padded_crop_and_flip_and_seeded():
    x = torch.arange(2 * 3 * 32 * 32, dtype=torch.float32).reshape(2, 3, 32, 32)
    aug = crop_and_flip(normalize=False)
    a = aug(x, torch.Generator().manual_seed(3))
    assert a.shape == x.shape
    assert torch.equal(a, aug(x, torch.Generator().manual_seed(3)))
    assert not torch.equal(a, aug(x, torch.Generator().manual_seed(4)))
    padded = F.pad(x, (4, 4, 4, 4))
    for i in range(2):  # every output is one window of the padded image, maybe mirrored
        windows = [padded[i, :, dy : dy + 32, dx : dx + 32] for dy in range(9) for dx in range(9)]
        assert any(torch.equal(a[i], w) or torch.equal(a[i], w.flip(-1)) for w in windows)
    g = torch.Generator().manual_seed(0)
    flips = [torch.equal(r, x[0].flip(-1)) for r in (aug(x[:1].expand(200, -1, -1, -1), g))]
    assert 0 < sum(flips)  # centre crops that are flipped occur; the draws vary per image


class RefBlock(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(c_in, c_out, 3, stride, 1), nn.BatchNorm2d(c_out)
        self.c2, self.b2 = nn.Conv2d(c_out, c_out, 3, 1, 1), nn.BatchNorm2d(c_out)
        self.pad = c_out - c_in

    def forward(self, x):
        short = x if self.pad == 0 else F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(self.b2(self.c2(F.relu(self.b1(self.c1(x))))) + short)


class RefResNet32(nn.Module):
    """An ordinary nn.Module ResNet-32 (option A shortcuts, conv biases) to check the functional one."""

    def __init__(self, n_out):
        super().__init__()
        self.c0, self.b0 = nn.Conv2d(3, 16, 3, 1, 1), nn.BatchNorm2d(16)
        blocks, c = [], 16
        for width in (16, 32, 64):
            for k in range(5):
                blocks.append(RefBlock(c, width, 2 if width != 16 and k == 0 else 1))
                c = width
        self.blocks, self.fc = nn.Sequential(*blocks), nn.Linear(64, n_out)

    def forward(self, x):
        h = self.blocks(F.relu(self.b0(self.c0(x))))
        return self.fc(F.adaptive_avg_pool2d(h, 1).flatten(1))

    def in_resnet_order(self):
        """(weights in hnet.nets.ResNet's param_shapes order, its running statistics)."""
        bns = [self.b0] + [b for blk in self.blocks for b in (blk.b1, blk.b2)]
        convs = [self.c0] + [c for blk in self.blocks for c in (blk.c1, blk.c2)]
        weights = [t for b in bns for t in (b.weight, b.bias)] + [
            t for c in [*convs, self.fc] for t in (c.weight, c.bias)
        ]
        stats = [t for b in bns for t in (b.running_mean, b.running_var)]
        return weights, stats


def test_functional_resnet32_equals_an_nn_module_resnet32_in_float64():
    torch.manual_seed(0)
    ref = RefResNet32(20).double()
    for m in ref.modules():  # non-trivial batch-norm parameters and statistics
        if isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight, 0.5, 1.5), nn.init.uniform_(m.bias, -0.2, 0.2)
            m.running_mean.uniform_(-0.1, 0.1), m.running_var.uniform_(0.5, 1.5)
    net = ResNet(20)
    weights, stats = ref.in_resnet_order()
    assert [tuple(w.shape) for w in weights] == net.param_shapes
    flat = torch.cat([w.detach().flatten() for w in weights])
    state = [s.clone() for s in stats]
    x = torch.randn(6, 3, 32, 32, dtype=torch.float64)
    ref.eval()
    torch.testing.assert_close(net(x, flat, state, False), ref(x), rtol=1e-10, atol=1e-10)
    ref.train()
    torch.testing.assert_close(net(x, flat, state, True), ref(x), rtol=1e-10, atol=1e-10)
    for ours, theirs in zip(state, ref.in_resnet_order()[1]):  # running statistics updated alike
        torch.testing.assert_close(ours, theirs, rtol=1e-10, atol=1e-12)


def test_weight_counts_and_compression_ratios_match_the_authors_code():
    resnet, zenke = ResNet(60), ZenkeNet(60)
    assert resnet.num_params == 468_540 and zenke.num_params == 1_276_508
    h_res = HyperNetwork(resnet.num_params, 32, [], chunk_size=7000, chunk_emb_dim=32)
    h_zen = HyperNetwork(zenke.num_params, 48, [100, 150, 200], chunk_size=5500, chunk_emb_dim=80)
    assert h_zen.num_params() + 6 * 48 == 1_182_678  # the authors' count, with 6 task embeddings
    assert round((h_zen.num_params() + 6 * 48) / zenke.num_params, 3) == 0.926
    assert h_res.num_params() == 457_144 and round((h_res.num_params() + 6 * 32) / resnet.num_params, 3) == 0.976


def test_zenkenet_dropout_only_while_training():
    torch.manual_seed(0)
    net = ZenkeNet(10, 0.25)
    w = net.init_params()
    x = torch.randn(4, 3, 32, 32)
    assert torch.equal(net(x, w), net(x, w))
    assert not torch.equal(net(x, w, train=True), net(x, w, train=True))
    assert torch.equal(ZenkeNet(10, -1)(x, w, train=True), net(x, w))


def _train(method, b, cfg, task):
    method.begin_task(task)
    data = PhaseData([b.tasks[task]], cfg["batch_size"], torch.Generator().manual_seed(task), torch.device("cpu"))
    for _ in range(cfg["iterations"]):
        x, y, t = data.next_batch()
        method.train_step(x, y, t, task + 1)
    method.end_task(task, data)


def _task_accuracy(method, b, task):
    x, y = next(b.tasks[task].test_batches(1000))
    return (method.predictor(task)(x)[:, 10 * task : 10 * task + 10].argmax(1) == y).float().mean().item()


@pytest.mark.parametrize("per_task", [True, False])
def test_batch_norm_statistics_per_task(synthetic_cifar, per_task):
    """Frozen per-task weights (a hypernetwork per task) isolate the statistics: with a set per task,
    task 2 leaves task 1's set and accuracy exactly as they were; with one shared set it does not."""
    over = {
        "n_tasks": 2,
        "iterations": 6,
        "batch_size": 8,
        "lr_plateau": False,
        "lr_lambda": False,
        "hnet_from_scratch": True,
        "bn_stats_per_task": per_task,
    }
    cfg = resolve("split_cifar", "cl1", "hnet", over)[0]
    b = bench(synthetic_cifar, n_tasks=2)
    torch.manual_seed(0)
    m = method_class("hnet")(Context(b, Scenario("cl1", 2, 10), cfg, torch.device("cpu")))
    _train(m, b, cfg, 0)
    stats1, acc1 = [s.clone() for s in m.net_state(0)], _task_accuracy(m, b, 0)
    _train(m, b, cfg, 1)
    same = all(torch.equal(a, c) for a, c in zip(stats1, m.net_state(0)))
    assert same == per_task
    assert (_task_accuracy(m, b, 0) == acc1) if per_task else not same
    assert len(m.net_states) == (2 if per_task else 1)


def test_finetune_baseline_shares_one_set_and_from_scratch_keeps_one_per_task(synthetic_cifar):
    b = bench(synthetic_cifar, n_tasks=2)
    for name, shared in (("finetune", True), ("from_scratch", False)):
        cfg = resolve(
            "split_cifar",
            "cl1",
            name,
            {"n_tasks": 2, "iterations": 4, "batch_size": 8, "lr_plateau": False, "lr_lambda": False},
        )[0]
        torch.manual_seed(0)
        m = method_class(name)(Context(b, Scenario("cl1", 2, 10), cfg, torch.device("cpu")))
        _train(m, b, cfg, 0)
        first = [s.clone() for s in m.net_state]
        acc = _task_accuracy(m, b, 0)
        _train(m, b, cfg, 1)
        if shared:
            assert not all(torch.equal(a, c) for a, c in zip(first, m.net_state))
        else:
            assert all(torch.equal(a, c) for a, c in zip(first, m.per_task_state[0]))
            assert _task_accuracy(m, b, 0) == acc


def test_workflow_on_synthetic_cifar_writes_tables_and_fig5(synthetic_cifar, tmp_path):
    import pandas as pd
    import yaml

    from tests.helpers import workflow_config
    from tests.test_workflow import snakemake

    small = {"n_tasks": 2, "epochs": 1, "batch_size": 16, "lr_val_fraction": 0.2}
    cfg = tmp_path / "cifar.yaml"
    methods = ["hnet", "finetune", "si"]
    cfg.write_text(
        yaml.safe_dump(
            workflow_config(
                "cifar-test",
                {
                    "split_cifar": {"seeds": 1, "scenarios": ["cl1"], "methods": methods, "overrides": small},
                    "split_cifar_zenke": {
                        "seeds": 1,
                        "scenarios": ["cl1"],
                        "methods": methods,
                        "overrides": {**small, "lr_val_fraction": 0.0},
                    },
                },
                methods=methods,
            )
        )
    )
    snakemake(
        "--configfile",
        str(cfg),
        "--config",
        f"results={tmp_path}/results",
        f"data_dir={synthetic_cifar}",
        "--cores",
        "2",
    )
    results = tmp_path / "results"
    table = pd.read_csv(results / "tables" / "split_cifar_fig5.csv")
    assert set(table["network"]) == {"ResNet-32", "ZenkeNet"} and set(table["method"]) == {"hnet", "finetune", "si"}
    assert len(table) == 2 * 3 * 2 and table["n"].eq(1).all()
    assert (results / "figures" / "split_cifar_fig5.png").stat().st_size > 10_000
    report = (results / "report.md").read_text()
    assert "## Split CIFAR-10/100 (the paper's Fig. 5)" in report and "| hnet | 1 |" in report
    run = results / "runs" / "split_cifar" / "cl1" / "hnet" / "seed1" / "metrics.json"
    assert '"lr_plateau": true' in run.read_text()
