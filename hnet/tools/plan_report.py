"""The cost model's Markdown report (hnet.tools.plan): totals, the classes, prediction vs measured."""

from __future__ import annotations

import statistics

import torch


def hms(seconds: float) -> str:
    return (
        f"{seconds / 3600:.1f} h"
        if seconds >= 5400
        else f"{seconds / 60:.1f} min"
        if seconds >= 90
        else f"{seconds:.0f} s"
    )


def report(rows, device, total, span, capacity, iterations, max_tasks, startup) -> str:
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)"
    lines = [
        f"# Cost model: predicted wall time on {name}",
        "",
        f"{sum(len(r['seeds']) for r in rows)} training runs in {len(rows)} job classes; probes of "
        f"{iterations} steps on the first {max_tasks} tasks of each class (up to 12 for many-task benchmarks: "
        f"one in 8); process start-up {startup:.1f} s.",
        "",
        f"- Sum of run times: **{hms(total)}**",
        f"- Makespan on {', '.join(f'{k}={v}' for k, v in capacity.items())} (greedy longest first; runs "
        f"sharing a GPU assumed not to slow each other): **{hms(span)}**",
        "",
        "| rule | cell | point/variant | runs | predicted per run | total |",
        "|---|---|---|---:|---:|---:|",
    ]
    missing = [r for r in rows if r["predicted_s"] is None]
    if missing:
        lines[6:6] = [
            f"- **Not probed** ({sum(len(r['seeds']) for r in missing)} runs in {len(missing)} classes, "
            f"not in the sums): {', '.join(sorted({r['label'] for r in missing}))}: "
            f"{missing[0]['not_probed']}"
        ]
    rows = [r for r in rows if r["predicted_s"] is not None]
    for r in sorted(rows, key=lambda r: -r["predicted_s"] * len(r["seeds"])):
        lines.append(
            f"| {r['rule']} | {r['label']}/{r['scenario']}/{r['method']} | {r.get('point', '')} | "
            f"{len(r['seeds'])} | {hms(r['predicted_s'])} | {hms(r['predicted_s'] * len(r['seeds']))} |"
        )
    done = [r for r in rows if r["measured_s"]]
    if done:
        lines += [
            "",
            "## Prediction vs measured (finished jobs' benchmark files)",
            "",
            "| cell | point/variant | measured (median) | predicted | error |",
            "|---|---|---:|---:|---:|",
        ]
        errors = []
        for r in done:
            m = statistics.median(r["measured_s"])
            errors.append((r["predicted_s"] - m) / m)
            lines.append(
                f"| {r['label']}/{r['scenario']}/{r['method']} | {r.get('point', '')} | {m:.1f} s | "
                f"{r['predicted_s']:.1f} s | {100 * errors[-1]:+.0f}% |"
            )
        meas = sum(statistics.median(r["measured_s"]) * len(r["measured_s"]) for r in done)
        pred = sum(r["predicted_s"] * len(r["measured_s"]) for r in done)
        lines += [
            "",
            f"Over {sum(len(r['measured_s']) for r in done)} finished runs: predicted {hms(pred)}, "
            f"measured {hms(meas)} ({100 * (pred - meas) / meas:+.0f}%); median absolute error per "
            f"class {100 * statistics.median(abs(e) for e in errors):.0f}%.",
        ]
    return "\n".join(lines) + "\n"
