"""The report: reproduced numbers beside the published ones and the authors' code on the same data."""

import pandas as pd

from hnet.analysis.report import assemble_report, build_report

TOL = {"accuracy_points": 1.0, "mse_factor": 2.0, "alpha": 0.05}
PUBLISHED = pd.DataFrame(
    [
        {
            "benchmark": "split_mnist",
            "scenario": "cl1",
            "method": "hnet",
            "quantity": "final_mean",
            "value": 99.8,
            "sem": None,
            "source": "paper",
        },
        {
            "benchmark": "split_mnist",
            "scenario": "cl3",
            "method": "hnet_ent",
            "quantity": "final_mean",
            "value": 69.48,
            "sem": 0.8,
            "source": "paper",
        },
    ]
)


def runs(method, scenario, values, sha="abc"):
    return pd.DataFrame(
        [
            {
                "benchmark": "split_mnist",
                "scenario": scenario,
                "method": method,
                "seed": s + 1,
                "metric": "accuracy",
                "task": 1,
                "final": v,
                "during": v,
                "final_mean": v,
                "during_mean": v,
                "bwt": 0.0,
                "forgetting": 0.0,
                "wall_time_s": 1.0,
                "data_sha256": sha,
            }
            for s, v in enumerate(values)
        ]
    )


def authors(sha="abc"):
    return pd.DataFrame(
        [
            {
                "benchmark": "split_mnist",
                "scenario": "cl1",
                "method": "hnet",
                "seed": s,
                "final_mean": v,
                "data_sha256": sha,
                "code": "github.com/chrhenning/hypercl@e325678 (mnist/)",
            }
            for s, v in ((1, 99.2), (2, 99.0), (3, 98.9))
        ]
    )


def row(text, method):
    return next(line for line in text.splitlines() if f"| {method} | final_mean |" in line).split(" | ")


def test_verdict_uses_the_authors_code_on_the_same_data():
    r = pd.concat([runs("hnet", "cl1", [99.0, 99.1, 99.05]), runs("hnet_ent", "cl3", [50.0, 52.0])])
    text = build_report(r, PUBLISHED, TOL, "paper", {"split_mnist": 3}, authors())
    hnet = row(text, "hnet")
    assert hnet[4] == "99.80" and hnet[5].startswith("99.03 ± 0.09 (n=3)")
    # 0.77 points below the paper; 0.02 from the same-data reference, 90 % interval [-0.25, +0.29]
    assert hnet[9].startswith("equivalent [") and hnet[10] == "chrhenning/hypercl@e325678"
    ent = row(text, "hnet_ent")  # 18.5 points below the paper's 69.48 ± 0.8
    assert ent[5] == "—" and ent[9].startswith("**different** [") and ent[10] == "published"
    assert "two one-sided Welch t-tests (TOST) at level 0.05" in text and "±1 accuracy points" in text


def test_the_authors_code_on_other_data_is_not_shown():
    text = build_report(
        runs("hnet", "cl1", [99.0, 99.1]), PUBLISHED, TOL, "paper", {"split_mnist": 3}, authors(sha="other")
    )
    assert row(text, "hnet")[5] == "—" and row(text, "hnet")[10] == "published"


def test_no_verdicts_for_smoke_test_configurations():
    text = build_report(
        runs("hnet", "cl1", [90.0]), PUBLISHED, TOL, "quick", {"split_mnist": 2}, authors(), verdicts=False
    )
    assert "No verdicts" in text and row(text, "hnet")[9] == "not comparable"


def test_generated_data_on_both_sides_counts_as_the_same_data():
    mse = runs("hnet", "cl1", [0.002, 0.003], sha=None).assign(benchmark="regression", metric="mse")
    theirs = authors(sha=None).assign(benchmark="regression", final_mean=[0.004, 0.002, 0.003])
    text = build_report(mse, PUBLISHED.iloc[:0], TOL, "paper", {"regression": 2}, theirs)
    r = row(text, "hnet")
    # a factor 0.83 (log -0.18) with wide intervals on two and three seeds: straddles the factor-2 margin
    assert r[5].startswith("0.003") and "generated data" in r[5] and r[10] == "chrhenning/hypercl@e325678"
    assert r[9].startswith("**not enough runs** [x")
    # one side with files, the other generated: not the same data
    assert "generated" not in build_report(
        runs("hnet", "cl1", [99.0]), PUBLISHED, TOL, "paper", {"split_mnist": 1}, authors(sha=None)
    )


def test_the_report_is_assembled_in_order_from_its_sections():
    r = runs("hnet", "cl1", [99.0, 99.1]).assign(commit="c0ffee", dirty=False, dataset="mnist")
    excluded = pd.DataFrame(columns=["run", "recorded", "expected", "reason"])
    text = assemble_report(
        r,
        excluded,
        PUBLISHED,
        authors(),
        TOL,
        "paper",
        {"split_mnist": 2},
        True,
        ent_section="\n## HNET+ENT study\n\nent text\n",
        sweeps=["### sweep a\n", "### sweep b\n"],
        embedding_grid=["grid text\n"],
        split_cifar=["cifar text\n"],
    )
    heads = [line for line in text.splitlines() if line.startswith("## ")]
    assert heads == [
        "## Provenance",
        "## Reproduced beside published",
        "## Published numbers without a reproduced counterpart in this configuration",
        "## Reproduced cells with no published counterpart",
        "## HNET+ENT study",
        "## Sweeps",
        "## The task-embedding space (the paper's Fig. 4)",
        "## Split CIFAR-10/100 (the paper's Fig. 5)",
    ]
    assert "- code `c0ffee` (clean): 2 run(s)" in text
    assert text.index("### sweep a") < text.index("### sweep b") < text.index("grid text") < text.index("cifar text")
    assert "## Sweeps" not in assemble_report(r, excluded, PUBLISHED, authors(), TOL, "paper", {"split_mnist": 2}, True)


def test_a_reference_of_one_seed_gives_no_verdict_however_close():
    one = authors().iloc[:1]
    text = build_report(runs("hnet", "cl1", [99.2, 99.2, 99.2]), PUBLISHED, TOL, "paper", {"split_mnist": 3}, one)
    assert row(text, "hnet")[9] == "**not enough runs** (n = 3 reproduced, 1 reference)"


def test_tables_group_rows_by_origin_when_there_are_several():
    from hnet.analysis.aggregate import table

    r = pd.concat([runs(m, "cl1", [90.0, 91.0]) for m in ("avalanche_ewc", "ewc", "ncm", "finetune")])
    groups = {"ewc": "this suite", "finetune": "this suite", "ncm": "external", "avalanche_ewc": "Avalanche"}
    t = table(r, "final_mean", ["finetune", "ewc", "ncm", "avalanche_ewc"], groups=groups)
    assert list(t.index) == ["finetune", "ewc", "ncm", "avalanche_ewc"]
    assert list(t["group"]) == ["this suite", "this suite", "external", "Avalanche"]
    assert t.loc["ewc", "split_mnist CL1"] == "90.50 ± 0.50 (n=2)"
    # rows of one group only: no group column
    assert "group" not in table(
        r[r.method != "ncm"], "final_mean", ["ewc"], groups={"ewc": "a", "finetune": "a", "avalanche_ewc": "a"}
    )
