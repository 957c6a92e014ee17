"""One Avalanche strategy trained on this suite's task stream: the adapter behind the rule family in
``workflow/rules/external/avalanche.smk`` (Avalanche: avalanche-lib, https://avalanche.continualai.org).

The tasks are this suite's (``hnet.benchmarks.build_benchmark``: the same SplitMNIST splits,
PermutedMNIST permutations from the same data seed, the same training images and test sets), handed
to Avalanche as tensors (``tensors_benchmark``), never Avalanche's own downloads. The scenarios are
this suite's (``hnet.benchmarks.scenarios``):

- CL1: task identity given; one head of ``c`` units per task (an Avalanche ``MultiTaskModule``
  whose head for task t is units [t*c, (t+1)*c) of one output layer), task-local targets;
- CL2: one shared head of ``c`` units, task-local targets, every experience task label 0;
- CL3: one head over every class, targets t*c + local label, the units of classes not yet seen
  masked out in training and testing (van de Ven & Tolias' "active classes").

The plain settings come from this suite's fine-tuning preset for the same cell, with the workflow's
overrides (network widths, iterations, batch size, learning rate, Adam's betas), so an Avalanche
strategy and this suite's methods differ only in the strategy. Avalanche trains in epochs: each
experience gets the number of epochs whose batches come closest to the cell's ``iterations``
(recorded); its default loader calls the dataset once per sample, so a strategy that keeps it
gets the same shuffled batches from tensors (``EpochBatches``). The accuracy matrix A[t, i] (test
accuracy on task i after training task t, i <= t) is
computed here after every experience with the same rule as this suite's evaluation.

    python workflow/scripts/avalanche_baseline.py --benchmark split_mnist --scenario cl3 \\
        --method avalanche_ewc --strategy EWC --args '{"ewc_lambda": 5000}' --seed 1 \\
        --data-dir ../shared/data --out metrics.json
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from hnet.benchmarks import build_benchmark
from hnet.run import provenance
from hnet.run.io import atomic_write_json
from hnet.run.request import RunRequest

try:
    import avalanche
    from avalanche import training
    from avalanche.benchmarks import tensors_benchmark
    from avalanche.core import SupervisedPlugin
    from avalanche.models import MultiTaskModule
    from avalanche.training.determinism.rng_manager import RNGManager
    from avalanche.training.plugins import EvaluationPlugin
except ImportError as err:  # the rule checks first; a direct call gets the same one line
    raise SystemExit(f"ERROR avalanche-lib is not installed ({err}): pip install -e '.[avalanche]'") from None


def body(n_in: int, hidden: list[int], n_out: int) -> nn.Sequential:
    layers, width = [], n_in
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, n_out))


class TaskHeads(MultiTaskModule):
    """CL1: the head of task t is the slice [t*c, (t+1)*c) of one output layer."""

    def __init__(self, net: nn.Module, per_task: int):
        super().__init__()
        self.net, self.per_task = net, per_task

    def forward_single_task(self, x, task_label):
        return self.net(x)[:, task_label * self.per_task : (task_label + 1) * self.per_task]


class SeenClasses(nn.Module):
    """CL3: units of classes not yet seen are -inf (``seen`` tasks trained or in training)."""

    def __init__(self, net: nn.Module, per_task: int):
        super().__init__()
        self.net, self.per_task, self.seen = net, per_task, 1

    def forward(self, x):
        out = self.net(x)
        return out.masked_fill(torch.arange(out.shape[1], device=out.device) >= self.seen * self.per_task, -math.inf)


class CountSeen(SupervisedPlugin):
    def before_training_exp(self, strategy, **kwargs):
        if isinstance(strategy.model, SeenClasses):
            strategy.model.seen = strategy.experience.current_experience + 1


class EpochBatches:
    """The shuffled mini-batches of one epoch over tensors: what Avalanche's default loader yields
    ([x, y, task label] per batch, the last batch short), without a Python call per sample."""

    def __init__(self, tensors, batch: int, generator: torch.Generator):
        self.tensors, self.batch, self.generator = tensors, batch, generator

    def __len__(self):
        return math.ceil(len(self.tensors[0]) / self.batch)

    def __iter__(self):
        order = torch.randperm(len(self.tensors[0]), generator=self.generator)
        for s in range(0, len(order), self.batch):
            yield [t[order[s : s + self.batch]] for t in self.tensors]


def fast_train_loader(strategy, seed: int) -> None:
    """Give a strategy that keeps the default ``make_train_dataloader`` a loader over its adapted
    dataset read once per experience (plugins that replace the loader, e.g. replay, still do)."""
    owner = next(c for c in type(strategy).__mro__ if "make_train_dataloader" in vars(c))
    if owner.__name__ != "BaseSGDTemplate":
        return
    generator = torch.Generator().manual_seed(seed)

    def make_train_dataloader(shuffle=True, **kwargs):
        data = strategy.adapted_dataset
        whole = next(iter(DataLoader(data, batch_size=len(data), collate_fn=getattr(data, "collate_fn", None))))
        strategy.dataloader = EpochBatches(whole, strategy.train_mb_size, generator)

    strategy.make_train_dataloader = make_train_dataloader


def copy_si_weights() -> None:
    """The fix ``si_copy_weights``: avalanche-lib 0.6.0's ``SynapticIntelligencePlugin.extract_weights``
    stores ``param.detach().cpu().flatten()``, a view of the live parameter when the model is on the CPU
    (on a GPU ``.cpu()`` copies), so the weights it saves before a step move with the step, the path
    integral is zero and SI's importance stays 0: SI trains as Naive. This stores a copy, as on a GPU."""
    from avalanche.training.plugins import SynapticIntelligencePlugin as SI

    def extract_weights(model, target, excluded_parameters):
        for name, param in SI.allowed_parameters(model, excluded_parameters):
            target[name].data = param.detach().cpu().flatten().clone()

    SI.extract_weights = staticmethod(torch.no_grad()(extract_weights))


FIXES = {"si_copy_weights": copy_si_weights}


def stream(bench, scenario: str):
    """Avalanche's benchmark of this suite's tasks: inputs as the networks see them, targets and
    task labels as the scenario defines them."""
    c = bench.outputs_per_task
    train, test = [], []
    for t in bench.tasks:
        offset = t.index * c if scenario == "cl3" else 0
        train.append((t.inputs(t.x_train).float(), t.y_train.long() + offset))
        test.append((t.inputs(t.x_test).float(), t.y_test.long() + offset))
    labels = [t.index if scenario == "cl1" else 0 for t in bench.tasks]
    avl = tensors_benchmark(train_tensors=train, test_tensors=test, task_labels=labels, complete_test_set_only=False)
    return avl, test, labels


@torch.no_grad()
def accuracy(model, x, y, task_label: int, scenario: str, device, batch: int) -> float:
    model.eval()
    correct = 0
    for s in range(0, len(y), batch):
        xb = x[s : s + batch].to(device)
        out = model(xb, torch.full((len(xb),), task_label, device=device)) if scenario == "cl1" else model(xb)
        correct += int((out.argmax(1).cpu() == y[s : s + batch]).sum())
    return 100.0 * correct / len(y)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--benchmark", required=True)
    ap.add_argument("--label", help="the run's label (default: the benchmark)")
    ap.add_argument("--scenario", choices=["cl1", "cl2", "cl3"], required=True)
    ap.add_argument("--method", required=True, help="the name the tables show, e.g. avalanche_ewc")
    ap.add_argument("--strategy", required=True, help="a class of avalanche.training, e.g. EWC")
    ap.add_argument("--args", default="{}", help="the strategy's own arguments (JSON)")
    ap.add_argument("--overrides", default="{}", help="this suite's settings for the cell (JSON)")
    ap.add_argument("--fix", action="append", default=[], choices=sorted(FIXES), help="a correction to apply first")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    strategy_args = json.loads(args.args)
    cfg = RunRequest(args.benchmark, args.scenario, "finetune", args.seed, json.loads(args.overrides)).config
    device = torch.device(
        "cuda" if args.device == "auto" and torch.cuda.is_available() else args.device.replace("auto", "cpu")
    )
    for fix in args.fix:
        FIXES[fix]()
    RNGManager.set_random_seeds(args.seed)
    bench = build_benchmark(args.benchmark, cfg, args.data_dir, download=False)
    c, n_tasks = bench.outputs_per_task, bench.n_tasks
    net = body(math.prod(bench.input_shape), list(cfg["target_hidden"]), c if args.scenario == "cl2" else n_tasks * c)
    model = {"cl1": TaskHeads, "cl3": SeenClasses}.get(args.scenario, lambda n, _: n)(net, c)
    # foreach: the multi-tensor form of the same update (as this suite's own Adam)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=cfg["lr"], betas=(cfg["adam_beta1"], cfg["adam_beta2"]), foreach=True
    )
    strategy = getattr(training, args.strategy)(
        model=model,
        optimizer=optimizer,
        criterion=nn.CrossEntropyLoss(),
        train_mb_size=cfg["batch_size"],
        train_epochs=1,
        eval_mb_size=cfg["eval_batch_size"],
        device=device,
        plugins=[CountSeen()],
        evaluator=EvaluationPlugin(loggers=[]),
        **strategy_args,
    )
    fast_train_loader(strategy, args.seed)
    scenario_stream, tests, task_labels = stream(bench, args.scenario)
    matrix, epochs, started = [], [], time.time()
    for t, exp in enumerate(scenario_stream.train_stream):
        batches_per_epoch = math.ceil(len(exp.dataset) / cfg["batch_size"])
        strategy.train_epochs = max(1, round(cfg["iterations"] / batches_per_epoch))
        epochs.append(strategy.train_epochs)
        strategy.train(exp)
        matrix.append(
            [
                accuracy(model, *tests[i], task_labels[i], args.scenario, device, cfg["eval_batch_size"])
                if i <= t
                else None
                for i in range(n_tasks)
            ]
        )
        print(
            f"task {t + 1}/{n_tasks}: {epochs[-1]} epochs, accuracies {[round(a, 2) for a in matrix[-1][: t + 1]]}",
            flush=True,
        )
    result = {
        "benchmark": args.benchmark,
        "label": args.label or args.benchmark,
        "scenario": args.scenario,
        "method": args.method,
        "seed": args.seed,
        "metric": "accuracy",
        "matrix": matrix,
        "wall_time_s": time.time() - started,
        "device": str(device),
        "config": {
            **{
                k: cfg[k]
                for k in (
                    "n_tasks",
                    "dataset",
                    "data_seed",
                    "iterations",
                    "batch_size",
                    "lr",
                    "adam_beta1",
                    "adam_beta2",
                    "target_hidden",
                    "target_activation",
                )
                if k in cfg
            },
            "epochs_per_task": epochs,
            "iterations_per_task": [
                e * math.ceil(len(x.dataset) / cfg["batch_size"]) for e, x in zip(epochs, scenario_stream.train_stream)
            ],
            "strategy": args.strategy,
            "strategy_args": strategy_args,
        },
        "method_info": {
            "framework": "avalanche",
            "avalanche": avalanche.__version__,
            "strategy": f"avalanche.training.{args.strategy}",
            "fixes": args.fix,
        },
        "provenance": {
            "code": {**provenance.code_provenance(), "avalanche": avalanche.__version__},
            "data": provenance.data_provenance(args.benchmark, cfg, args.data_dir),
            "runtime": provenance.runtime(device),
        },
    }
    result["dataset"] = result["provenance"]["data"]["dataset"]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(Path(args.out), result)


if __name__ == "__main__":
    main()
