"""Learning curves and a table from VL-DAC run folders (their ``eval.jsonl``).

    python -m baselines.scripts.plot_learning runs/numberline --out baselines/numberline.png

Each run folder's ``args.json`` gives its mode (VL-DAC or RL4VLM) and seed; the curve is the
greedy success rate on the held-out seeds against env steps, mean and range over seeds.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np


def load_runs(root: Path) -> dict[str, list[dict]]:
    """``{mode: [{"seed", "steps", "success", "wall"}, ...]}`` for every run under ``root``."""
    runs: dict[str, list[dict]] = defaultdict(list)
    for args_path in sorted(root.glob("*/args.json")):
        evals_path = args_path.parent / "eval.jsonl"
        if not evals_path.exists():
            continue
        args = json.loads(args_path.read_text())
        evals = [json.loads(line) for line in evals_path.read_text().splitlines() if line]
        mode = "VL-DAC" if args["logprob_mode"] == "vldac" else "RL4VLM"
        runs[mode].append(
            {
                "seed": args["seed"],
                "steps": [e["global_step"] for e in evals],
                "success": [e["success_rate"] for e in evals],
                "wall": [e["wall_time_s"] for e in evals],
            }
        )
    return runs


def table(runs: dict[str, list[dict]], threshold: float = 0.8) -> str:
    """A Markdown table: per mode and seed, final success, best, and when it first reached
    ``threshold`` (env steps and wall time)."""
    lines = [
        f"| mode | seed | final success | best | first >= {threshold:.1f} (env steps) "
        "| wall time then |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for mode, items in sorted(runs.items()):
        for run in sorted(items, key=lambda r: r["seed"]):
            hit = next((i for i, s in enumerate(run["success"]) if s >= threshold), None)
            steps = str(run["steps"][hit]) if hit is not None else "-"
            wall = f"{run['wall'][hit] / 60:.1f} min" if hit is not None else "-"
            lines.append(
                f"| {mode} | {run['seed']} | {run['success'][-1]:.2f} | "
                f"{max(run['success']):.2f} | {steps} | {wall} |"
            )
    return "\n".join(lines)


def plot(runs: dict[str, list[dict]], out: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    for (mode, items), colour in zip(sorted(runs.items()), ("#1f77b4", "#d62728")):
        length = min(len(r["steps"]) for r in items)
        steps = np.array(items[0]["steps"][:length])
        values = np.array([r["success"][:length] for r in items])
        ax.plot(steps, values.mean(0), color=colour, label=f"{mode} (mean of {len(items)} seeds)")
        ax.fill_between(steps, values.min(0), values.max(0), color=colour, alpha=0.15)
    ax.axhline(0.8, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("env steps")
    ax.set_ylabel("greedy success rate, 50 held-out seeds")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--title", default="NumberLine, tiny Qwen2-VL from scratch, 2-core CPU")
    options = parser.parse_args()
    runs = load_runs(options.root)
    plot(runs, options.out, options.title)
    print(table(runs))


if __name__ == "__main__":
    main()
