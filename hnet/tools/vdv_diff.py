"""``python -m hnet.tools.vdv_diff --code DIR``: a baseline against van de Ven & Tolias' own code.

Their training loop (``train.train_cl``) trains their ``encoder.Classifier`` (their code at ``DIR``,
github.com/GMvandeVen/continual-learning at f0b1461, the version behind their 2019 tables; imported
from there, never copied here) on this suite's SplitMNIST or PermutedMNIST tasks (``--benchmark``),
and every sample index their data loaders draw is recorded. This suite's method (``finetune``,
``ewc``, ``online_ewc`` or ``si``, with its resolved preset: λ, γ, c, learning rate, batch size,
hidden layers, one Adam for the run) is then trained from the same initial weights on the same
batches, all in float64. Printed: per task, the largest relative difference of every parameter
tensor after the task and, for EWC, of the task's Fisher; at the end, SI's importance Ω or online
EWC's running Fisher, and both networks' test accuracies. Nothing random is left to differ, so
anything beyond rounding is a difference of the algorithms.

For PermutedMNIST it first checks the data: their own pipeline (``data.get_dataset``: ``Pad(2)``,
``ToTensor``, their pixel permutation) given this suite's permutations must produce this suite's
task inputs exactly, image for image. (Which permutations are drawn differs by construction: theirs
come from the run's seed, this suite's from ``data_seed``.)

Their ``estimate_fisher`` divides the sum over a task's N samples by N - 1 (its loop's last index);
``--same-divisor`` rescales each task's part of their Fisher to this suite's 1/N as it is computed,
which isolates that one difference (``docs/fidelity.md`` has the measured effect of both).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch

from baselines.fisher import task_fisher
from hnet.benchmarks import Scenario, build_benchmark
from hnet.core import Context
from hnet.core.data import PhaseData
from hnet.registry import method_class
from hnet.run.config import resolve

THEIR_SCENARIO = {"cl1": "task", "cl2": "domain", "cl3": "class"}


class Recorded(torch.utils.data.Dataset):
    """One task's training data for their loaders, in this suite's tensors; keeps every index drawn."""

    def __init__(self, x, labels, side: int):
        self.x, self.labels, self.drawn = x.view(-1, 1, side, side), labels, []

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        self.drawn.append(int(i))
        return self.x[i], self.labels[i]


def their_model(outputs: int, side: int, cfg: dict, method: str):
    import utils  # noqa: F401  (theirs; before encoder: the two import each other)
    from encoder import Classifier

    hidden = cfg["target_hidden"]
    if len(set(hidden)) != 1:
        raise SystemExit(f"their Classifier has equal hidden layers; this preset has {hidden}")
    model = Classifier(
        image_size=side,
        image_channels=1,
        classes=outputs,
        fc_layers=len(hidden) + 1,
        fc_units=hidden[0],
        fc_drop=0,
        fc_nl="relu",
        fc_bn=False,
        excit_buffer=False,
    ).double()
    model.ewc_lambda = cfg["ewc_lambda"] if method in ("ewc", "online_ewc") else 0
    model.online, model.gamma = method == "online_ewc", cfg.get("gamma", 1.0)
    model.fisher_n, model.emp_FI = None, False
    model.si_c, model.epsilon = (cfg["si_c"], cfg["si_epsilon"]) if method == "si" else (0, 0.1)
    model.optim_type = "adam"
    model.optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"], betas=(0.9, 0.999))
    return model


def fisher_on_suite_divisor(model, names: list[str]) -> None:
    """Wrap their ``estimate_fisher`` so that each task's part of the stored Fisher is sum / N."""
    original = model.estimate_fisher

    def estimate_fisher(dataset, allowed_classes=None, collate_fn=None):
        tag = "" if model.online else model.EWC_task_count + 1
        buffers = [f"{n.replace('.', '__')}_EWC_estimated_fisher{tag}" for n in names]
        old = [getattr(model, b) * model.gamma for b in buffers] if model.online and model.EWC_task_count else None
        original(dataset, allowed_classes, collate_fn)
        n = len(dataset)
        for k, b in enumerate(buffers):
            prev = old[k] if old else 0.0
            setattr(model, b, (getattr(model, b) - prev) * (n - 1) / n + prev)

    model.estimate_fisher = estimate_fisher


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.detach(), b.detach()
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-300))


def fmt(values) -> str:
    return " ".join(f"{v:.1e}" for v in values)


def accuracies(forward, bench, scenario: Scenario, n_tasks: int) -> list[float]:
    """Test accuracy per task on the scenario's active units (``Scenario.mask_and_target``)."""
    out = []
    with torch.no_grad():
        for k, task in enumerate(bench.tasks[:n_tasks]):
            mask, target = scenario.mask_and_target(torch.full_like(task.y_test, k), task.y_test, n_tasks)
            pred = forward(task.inputs(task.x_test)).masked_fill(~mask, float("-inf")).argmax(1)
            out.append(100 * float((pred == target).double().mean()))
    return out


def check_permuted_data(bench, data_dir: str, n_tasks: int) -> None:
    """Their ``get_dataset`` with this suite's permutations against this suite's task inputs."""
    from data import get_dataset  # theirs

    # Both pipelines as they run for training: float32 (torchvision's ToTensor follows the default).
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    try:
        _compare_pipelines(get_dataset, bench, data_dir, n_tasks)
    finally:
        torch.set_default_dtype(default)


def _compare_pipelines(get_dataset, bench, data_dir: str, n_tasks: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "mnist").symlink_to(Path(data_dir).resolve())  # their layout: DIR/mnist/MNIST/raw
        for task in bench.tasks[:n_tasks]:
            perm = None if task.input_perm is None else task.input_perm.numpy()
            for train, x in ((True, task.x_train), (False, task.x_test)):
                kind = "train" if train else "test"
                theirs = get_dataset("mnist", type=kind, permutation=perm, dir=tmp, download=False)
                their_x = torch.stack([theirs[k][0].view(-1) for k in range(len(theirs))]).double()
                their_y = torch.tensor([theirs[k][1] for k in range(len(theirs))])
                ours_y = task.y_train if train else task.y_test
                equal = torch.equal(their_x, task.inputs(x)) and torch.equal(their_y, ours_y.long())
                print(f"data, task {task.index + 1} {kind}: {len(theirs)} images, {'equal' if equal else 'DIFFERENT'}")
                if not equal:
                    raise SystemExit("their pipeline and this suite's tasks differ")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--code", type=Path, required=True, help="their checkout (f0b1461)")
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--benchmark", choices=["split_mnist", "permuted_mnist"], default="split_mnist")
    ap.add_argument("--scenario", choices=sorted(THEIR_SCENARIO), default="cl1")
    ap.add_argument("--method", choices=["finetune", "ewc", "online_ewc", "si"], default="ewc")
    ap.add_argument("--tasks", type=int, default=None, help="tasks to train (default: all)")
    ap.add_argument("--steps", type=int, default=2000, help="steps per task")
    ap.add_argument("--seed", type=int, default=0, help="initial weights and their loaders' shuffling")
    ap.add_argument("--same-divisor", action="store_true", help="their Fisher on 1/N instead of 1/(N-1)")
    args = ap.parse_args(argv)

    torch.set_default_dtype(torch.float64)
    cfg, _ = resolve(args.benchmark, args.scenario, args.method, {})
    shown = ("ewc_lambda", "gamma", "si_c", "lr", "batch_size", "fisher_labels", "target_hidden")
    print(f"suite preset: { {k: cfg[k] for k in shown if k in cfg} }")
    torch.manual_seed(args.seed)
    bench = build_benchmark(args.benchmark, cfg, args.data_dir, False, {})
    for task in bench.tasks:
        task.x_train, task.x_test = task.x_train.double(), task.x_test.double()
    n_tasks = args.tasks or bench.n_tasks
    side = int(bench.tasks[0].x_train.shape[1] ** 0.5)
    scenario = Scenario(args.scenario, bench.n_tasks, bench.outputs_per_task, bench.regression)
    suite = method_class(args.method)(Context(bench, scenario, cfg, torch.device("cpu")))

    sys.path.insert(0, str(args.code))
    if args.benchmark == "permuted_mnist":
        check_permuted_data(bench, args.data_dir, n_tasks)
    theirs = their_model(scenario.n_outputs, side, cfg, args.method)
    params = dict(theirs.named_parameters())
    names = list(params)  # their MLP then their head: weight, bias per layer, as this suite's MLP
    if [params[n].shape for n in names] != [p.shape for p in suite.params]:
        raise SystemExit("their Classifier's parameters do not line up with this suite's MLP")
    with torch.no_grad():
        for name, p in zip(names, suite.params):
            params[name].copy_(p)
    if args.same_divisor:
        fisher_on_suite_divisor(theirs, names)
    from train import train_cl  # theirs

    # Their labels: the scenario's output unit (global in Task-/Class-IL, within the task in Domain-IL).
    trained = bench.tasks[:n_tasks]
    data = [Recorded(t.inputs(t.x_train), t.y_train + scenario.target_offset(t.index), side) for t in trained]
    after_task = {}

    def snapshot(model, batch_index, task):
        if batch_index == args.steps:
            after_task[task - 1] = [params[n].detach().clone() for n in names]

    train_cl(
        theirs,
        data,
        replay_mode="none",
        scenario=THEIR_SCENARIO[args.scenario],
        classes_per_task=bench.outputs_per_task,
        iters=args.steps,
        batch_size=cfg["batch_size"],
        eval_cbs=[snapshot],
        use_exemplars=False,  # main.py's defaults: no exemplars
        add_exemplars=False,
    )

    batch = cfg["batch_size"]
    for t in range(n_tasks):
        task, seen = bench.tasks[t], t + 1
        drawn = torch.tensor(data[t].drawn[: args.steps * batch]).view(args.steps, batch)
        suite.begin_task(t)
        for idx in drawn:
            suite.train_step(*task.train_batch(idx), torch.full((batch,), t), seen)
        line = f"task {seen}: parameters, max rel. diff. per tensor: {fmt(map(rel, after_task[t], suite.params))}"
        phase = PhaseData([task], batch, torch.Generator().manual_seed(args.seed), torch.device("cpu"))
        if args.method == "ewc":
            theirs_f = [getattr(theirs, f"{n.replace('.', '__')}_EWC_estimated_fisher{seen}") for n in names]
            line += f"; Fisher: {fmt(map(rel, theirs_f, task_fisher(suite, phase, seen, None)))}"
        print(line)
        suite.end_task(t, phase)
    if args.method == "online_ewc":
        theirs_f = [getattr(theirs, f"{n.replace('.', '__')}_EWC_estimated_fisher") for n in names]
        print(f"running Fisher after the last task: {fmt(map(rel, theirs_f, suite.fisher))}")
    if args.method == "si":
        omega = [getattr(theirs, f"{n.replace('.', '__')}_SI_omega") for n in names]
        print(f"importance Omega after the last task: {fmt(map(rel, omega, suite.omega))}")

    theirs.eval()
    for who, forward in (("suite", suite.forward), ("theirs", lambda x: theirs(x.view(-1, 1, side, side)))):
        acc = accuracies(forward, bench, scenario, n_tasks)
        print(f"test accuracy per task, {who:6s}: {' '.join(f'{a:.2f}' for a in acc)}; mean {sum(acc) / len(acc):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
