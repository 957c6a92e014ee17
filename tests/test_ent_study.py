"""The HNET+ENT gap study: calibration statistics, selection rules, validation-only selection."""

import json
import math

import pytest
import torch

from hnet.tools import ent_study
from hnet.tools.ent_study import Heads, fit_temperature, own_task_calibration, score_rule, selection_rules
from tests.helpers import run_argv
from tests.test_run_command import SMALL_HNET, run_cli


def test_fitted_temperature_recovers_the_one_that_generated_the_labels():
    g = torch.Generator().manual_seed(0)
    logits = 3 * torch.randn(20000, 3, generator=g)
    labels = torch.multinomial(torch.softmax(logits / 2.0, 1), 1, generator=g)[:, 0]
    assert fit_temperature(logits, labels) == pytest.approx(2.0, rel=0.06)


def _overconfident_case():
    """Task 0's network is sure of everything; task 1's is sure only of its own inputs.

    Inputs 0-1 belong to task 0, inputs 2-3 to task 1. Logit margins (two-class heads):
    net 0: 6 on its own inputs, 5 on task 1's; net 1: 1 on task 0's, 8 on its own.
    """
    logits = torch.zeros(2, 4, 2)
    logits[0, :, 0] = torch.tensor([6.0, 6.0, 5.0, 5.0])
    logits[1, :, 1] = torch.tensor([1.0, 1.0, 8.0, 8.0])
    return Heads(logits, torch.tensor([0, 0, 1, 1]), torch.tensor([0, 0, 1, 1]))


def test_paper_rule_and_own_task_normalisation_on_a_hand_made_case():
    heads = _overconfident_case()
    calib = own_task_calibration(heads)
    h = lambda m: float(ent_study.entropy(torch.tensor([m, 0.0])))  # noqa: E731
    assert calib["mean_entropy"] == pytest.approx([h(6), h(8)], rel=1e-5)
    rules = selection_rules(2, calib)
    paper = score_rule(rules["entropy (paper)"][1](heads.logits), heads, shared_head=False)
    # Paper rule: input 2 has entropy h(5) under net 0 and h(8) under net 1 -> net 1 wins (right);
    # input 0: h(6) under net 0 vs h(1) under net 1 -> net 0 (right). Everything right here...
    assert paper["accuracy"] == 100.0
    # ...but shrink net 1's own margin to 4: now net 0 (margin 5) claims task 1's inputs.
    heads.logits[1, 2:, 1] = 4.0
    calib = own_task_calibration(heads)
    rules = selection_rules(2, calib)
    paper = score_rule(rules["entropy (paper)"][1](heads.logits), heads, shared_head=False)
    assert paper["accuracy"] == 50.0 and paper["chosen_share"] == [100.0, 0.0]
    # Divided by each network's own-task mean entropy: net 0 scores h(5)/h(6) > 1, net 1 scores
    # h(4)/h(4) = 1 on task 1's inputs -> net 1 wins them back; task 0's inputs stay with net 0.
    norm = score_rule(rules["entropy / own-task mean"][1](heads.logits), heads, shared_head=False)
    assert norm["accuracy"] == 100.0 and norm["task_inference"] == 100.0
    # Diagnostic: net 0 is as sure of input 2 (margin 7) as of its own median input (margin 6).
    assert own_task_calibration(heads)["confident_on_others"] == [0.0, 0.0]
    heads.logits[0, 2, 0] = 7.0
    assert own_task_calibration(heads)["confident_on_others"] == [50.0, 0.0]


PAPER, AUTHORS = ent_study.PAPER_RULE, ent_study.AUTHORS_ARITHMETIC


def test_the_authors_float32_entropy_lets_the_first_overconfident_task_win():
    # Input 0: net 0 has margin 120 (the other probability underflows: NaN in float32), net 1 margin
    # 130, net 2 margin 3. Input 1: margins 10, 20, 3 (no underflow).
    logits = torch.zeros(3, 2, 2)
    logits[:, 0, 0] = torch.tensor([120.0, 130.0, 3.0])
    logits[:, 1, 0] = torch.tensor([10.0, 20.0, 3.0])
    paper = ent_study.entropy(logits).argmin(0)
    authors = ent_study.authors_entropy(logits)
    assert torch.isnan(authors[0, 0]) and torch.isnan(authors[1, 0]) and not torch.isnan(authors[:, 1]).any()
    assert paper.tolist() == [1, 1]  # float64: the largest margin, the lowest entropy
    assert authors.argmin(0).tolist() == [0, 1]  # the first NaN; without underflow the same as float64
    heads = Heads(logits, torch.tensor([0, 1]), torch.tensor([0, 0]))
    rules = selection_rules(3, own_task_calibration(heads))
    scored = {k: score_rule(rules[k][1](logits), heads, shared_head=False) for k in (PAPER, AUTHORS)}
    assert scored[PAPER]["task_inference"] == 50.0 and scored[AUTHORS]["task_inference"] == 100.0


def test_a_global_temperature_cannot_change_the_winner_between_two_class_heads():
    g = torch.Generator().manual_seed(1)
    heads = Heads(
        4 * torch.randn(3, 500, 2, generator=g),
        torch.randint(0, 3, (500,), generator=g),
        torch.randint(0, 2, (500,), generator=g),
    )
    rules = selection_rules(3, own_task_calibration(heads))
    paper = rules["entropy (paper)"][1](heads.logits).argmin(0)
    for name in ("global temperature 0.5", "global temperature 2"):
        assert torch.equal(rules[name][1](heads.logits).argmin(0), paper)
    # With three-class heads it can: the entropy then depends on more than one margin.
    heads3 = torch.tensor([[[2.0, 2.0, -9.0]], [[3.2, 0.0, 0.0]]])  # (K=2, N=1, c=3)
    winners = {float(t): int(ent_study.entropy(heads3 / t).argmin(0)) for t in (0.25, 4.0)}
    assert winners[0.25] != winners[4.0]


def test_cl2_counts_the_class_whichever_task_is_chosen():
    heads = _overconfident_case()
    heads.logits[1, 2:, 1] = 4.0  # net 0 claims everything (see above)
    heads.label = torch.tensor([0, 0, 0, 1])
    res = score_rule(ent_study.entropy(heads.logits), heads, shared_head=True)
    # Net 0 predicts class 0 for all four inputs: right for inputs 0, 1, 2.
    assert res["accuracy"] == 75.0 and res["task_inference"] == 50.0


def test_study_selects_on_validation_and_reports_test(synthetic_mnist, tmp_path):
    out = tmp_path / "run"
    sets = ["iterations=30", "val_fraction=0.2", *SMALL_HNET]
    assert run_cli(synthetic_mnist, out, "split_mnist", "cl3", "hnet_ent", sets=sets) == 0
    # The run needs its checkpoint: without --keep-checkpoint the study refuses with a clear message.
    with pytest.raises(SystemExit, match="keep-checkpoint"):
        ent_study.main([str(out), "--data-dir", str(synthetic_mnist), "--out", str(tmp_path / "s.json")])
    from hnet.run.cli import main

    assert main(run_argv("split_mnist", "cl3", "hnet_ent", 1, out, synthetic_mnist, sets, "--keep-checkpoint")) == 0
    assert ent_study.main([str(out), "--data-dir", str(synthetic_mnist), "--out", str(tmp_path / "s.json")]) == 0
    res = json.loads((tmp_path / "s.json").read_text())
    best_val = max(r["val_accuracy"] for r in res["rules"])
    selected = next(r for r in res["rules"] if r["rule"] == res["selected"])
    assert selected["val_accuracy"] == best_val
    assert {r["rule"] for r in res["rules"]} >= {"entropy (paper)", "own-task temperature"}
    paper = next(r for r in res["rules"] if r["rule"] == "entropy (paper)")
    # The paper rule evaluated on the test set here equals what the run itself would report for
    # its model: check it against an independent evaluation through the method's own inference.
    m, val, test, method = ent_study.load_run(out, str(synthetic_mnist))
    correct = total = 0
    for task in test.tasks:
        for x, y in task.test_batches(1000):
            chosen, local = method.infer(x, test.n_tasks)
            correct += int(((chosen == task.index) & (local == y)).sum())
            total += len(y)
    assert paper["test_accuracy"] == pytest.approx(100 * correct / total)
    assert all(math.isclose(sum(r["val_chosen_share"]), 100, abs_tol=1e-3) for r in res["rules"])
    assert (tmp_path / "s.md").read_text().count("selected on validation") == 1


def _fake_study(variant, seed, val_by_rule, k=2):
    rules = [
        {
            "rule": name,
            "kind": "x",
            "val_accuracy": v,
            "test_accuracy": v - 1,
            "val_task_inference": v,
            "val_per_task": [v] * k,
            "val_chosen_share": [100 / k] * k,
        }
        for name, v in val_by_rule.items()
    ]
    return {
        "benchmark": "split_mnist",
        "scenario": "cl3",
        "seed": seed,
        "variant": variant,
        "val_fraction": 0.1,
        "rules": rules,
        "paper_rule": "entropy (paper)",
        "oracle": {"val": 99.0, "test": 98.0},
        "calibration": {"mean_entropy": [0.01] * k, "temperature": [1.0] * k, "confident_on_others": [5.0] * k},
    }


def test_report_selects_the_pair_with_the_best_mean_validation_accuracy_and_weighs_the_noise():
    import pandas as pd

    from hnet.analysis.ent_report import ent_study_section

    published = pd.DataFrame(
        [
            {
                "benchmark": "split_mnist",
                "scenario": "cl3",
                "method": "hnet_ent",
                "quantity": "final_mean",
                "value": 69.48,
                "sem": 0.8,
                "source": "paper",
            }
        ]
    )
    studies = [
        _fake_study("paper", 1, {"entropy (paper)": 50, "other": 60}),
        _fake_study("paper", 2, {"entropy (paper)": 54, "other": 50}),  # other: mean 55
        _fake_study("long", 1, {"entropy (paper)": 57, "other": 40}),
        _fake_study("long", 2, {"entropy (paper)": 57.2, "other": 40}),
    ]  # best mean: 57.1
    text = ent_study_section(studies, published)
    assert text.count("**selected**") == 1
    assert (
        "| long | entropy (paper) | 57.10 ± 0.10 | 56.10 ± 0.10 |" in text
        and "**selected** |" in text.split("| long | entropy (paper) |")[1].split("\n")[0]
    )
    # 57.1 - 52 = 5.1 points against a combined SEM of sqrt(0.1^2 + 2^2) = 2.0: beyond twice the noise.
    assert "+5.10 points, combined SEM 2.00: beyond twice" in text
    assert "Published: 69.48 ± 0.80 (paper)" in text
