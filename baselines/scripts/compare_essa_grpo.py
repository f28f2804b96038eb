"""ESSA against GRPO: same model, same task, same warm start, same CPU, several seeds.

For each seed both trainers start from the same supervised warm start (same seed, same
demonstrations, same steps) and run for the same training wall-time budget (held-out
evaluations are not counted). Reported: wall time to reach a target held-out success, success
after the budget, peak memory, and ESSA's generation time with 1, 2 and 4 local worker
processes. Then a plot and a Markdown table::

    python -m baselines.scripts.compare_essa_grpo --out runs/compare
    python -m baselines.scripts.compare_essa_grpo --out runs/compare --report-only \\
        --plot baselines/essa_grpo.png

The defaults are the NumberLine setting of ``baselines/README.md`` (the tiny model; a base
from scratch, so the warm start is what gives it a start); ``--task mathqa`` is SmolLM2-135M on
one-operation MathQA problems (much slower on a CPU).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

TINY = json.dumps(
    {"hidden_size": 128, "intermediate_size": 384, "num_hidden_layers": 2, "initializer_range": 0.1}
)

TASKS: dict[str, dict[str, Any]] = {
    "numberline": {
        "model": "tiny",
        "tiny_options": TINY,
        "env_id": "VLAgent/GymCards-NumberLine-v0",
        "env_kwargs": '{"text_observation": true}',
        "eval_env_kwargs": '{"text_observation": true}',
        "answer_format": "action",
        "constrained": True,
        "max_new_tokens": 8,
        "sft_demos": 100,
        "sft_steps": 60,
        "eval_seed": 10_000,
        "eval_episodes": 50,
        "lora_r": 4,
        "lora_alpha": 8,
    },
    "mathqa": {
        "model": "smollm2",
        "env_id": "VLAgent/MathQA-v0",
        "env_kwargs": '{"split": "train", "max_operations": 1}',
        "eval_env_kwargs": '{"split": "test", "max_operations": 1}',
        "answer_format": "free",
        "max_new_tokens": 40,
        "sft_demos": 200,
        "sft_steps": 20,
        "sft_learning_rate": 1e-4,
        "eval_seed": 0,
        "eval_episodes": 50,
        "lora_r": 4,
        "lora_alpha": 8,
    },
}
ESSA = {
    "population": 12,
    "batch_size": 16,
    "sigma": 0.5,
    "sampled_fitness": True,
    "generations": 10_000,
    "eval_every": 3,
}
GRPO = {"prompts": 4, "group_size": 8, "learning_rate": 1e-4, "steps": 10_000, "eval_every": 3}


def _run(kind: str, options: dict[str, Any]) -> str:
    import torch

    torch.set_num_threads(1)
    if kind == "essa":
        from baselines.essa import Args, main
    else:
        from baselines.grpo import Args, main  # type: ignore[assignment]
    return str(main(Args(**options)))


def train(out: Path, task: str, seeds: list[int], budget: float, parallel: int) -> None:
    """Every (method, seed) run, ``parallel`` at a time (one torch thread each)."""
    jobs = []
    for seed in seeds:
        for kind, extra in (("essa", ESSA), ("grpo", GRPO)):
            name = f"{kind}-seed{seed}"
            if (out / name / "model").exists():
                continue
            options = {
                **TASKS[task],
                **extra,
                "seed": seed,
                "time_budget_s": budget,
                "output_dir": str(out),
                "run_name": name,
            }
            jobs.append((kind, options))
    with mp.get_context("spawn").Pool(parallel, maxtasksperchild=1) as pool:
        for path in pool.starmap(_run, jobs):
            print(path)


def scaling(out: Path, task: str, workers: list[int], generations: int) -> None:
    """ESSA's seconds per generation with 1, 2, 4 worker processes (one thread each)."""
    from baselines.essa import Args, main

    for count in workers:
        options = {
            **TASKS[task],
            **ESSA,
            "generations": generations,
            "eval_every": 0,
            "eval_episodes": 1,
            "backend": "process" if count > 1 else "inprocess",
            "workers": count,
            "output_dir": str(out),
            "run_name": f"scaling-{count}",
        }
        main(replace(Args(), **options))


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def report(out: Path, target: float, plot: Path | None) -> str:
    """The Markdown table (and the plot) from the run folders."""
    rows = []
    curves: dict[str, list[tuple[list[float], list[float]]]] = {"essa": [], "grpo": []}
    for kind in ("essa", "grpo"):
        reached, final, memory, start = [], [], [], []
        for run in sorted(out.glob(f"{kind}-seed*")):
            evals = _records(run / "eval.jsonl")
            if not evals:
                continue
            times = [e["wall_time_s"] for e in evals]
            success = [e["success_rate"] for e in evals]
            curves[kind].append((times, success))
            hit = next((t for t, s in zip(times, success, strict=True) if s >= target), None)
            reached.append(hit)
            final.append(success[-1])
            start.append(success[0])
            memory.append(max(e["peak_memory_mb"] for e in evals))
        if not final:
            continue
        hits = [r for r in reached if r is not None]
        rows.append(
            f"| {kind.upper()} | {len(final)} | {np.mean(start):.2f} | "
            f"{len(hits)}/{len(final)}"
            + (f" (mean {np.mean(hits):.0f} s)" if hits else "")
            + f" | {np.mean(final):.2f} ± {np.std(final):.2f} | {np.max(memory):.0f} |"
        )
    table = [
        f"| Method | Seeds | Success after warm start | Reached {target:.2f} (time) | "
        "Success after the budget | Peak memory (MB) |",
        "|---|---|---|---|---|---|",
        *rows,
    ]
    scale = []
    for run in sorted(out.glob("scaling-*"), key=lambda p: int(p.name.split("-")[1])):
        gens = _records(run / "generations.jsonl")
        if gens:
            seconds = [g["seconds"] for g in gens[1:]] or [gens[0]["seconds"]]
            scale.append((int(run.name.split("-")[1]), float(np.mean(seconds))))
    if scale:
        base = scale[0][1]
        table += [
            "",
            "| ESSA workers | Seconds per generation | Speed-up |",
            "|---|---|---|",
            *[f"| {w} | {s:.1f} | {base / s:.2f}x |" for w, s in scale],
        ]
    if plot is not None and any(curves.values()):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.4, 4))
        for kind, colour in (("essa", "tab:blue"), ("grpo", "tab:orange")):
            for i, (times, success) in enumerate(curves[kind]):
                ax.plot(
                    times, success, color=colour, alpha=0.8, label=kind.upper() if i == 0 else None
                )
        ax.axhline(target, color="grey", linestyle=":", linewidth=1)
        ax.set_xlabel("training wall time (s, one CPU thread per run)")
        ax.set_ylabel("held-out greedy success")
        ax.set_ylim(0, 1.02)
        ax.legend()
        fig.tight_layout()
        fig.savefig(plot, dpi=110)
    return "\n".join(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/compare"))
    parser.add_argument("--task", choices=sorted(TASKS), default="numberline")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--budget-s", type=float, default=300.0)
    parser.add_argument("--target", type=float, default=0.8)
    parser.add_argument("--parallel", type=int, default=2, help="runs at a time")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--scaling-generations", type=int, default=4)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--plot", type=Path, default=None)
    options = parser.parse_args(argv)
    options.out.mkdir(parents=True, exist_ok=True)
    if not options.report_only:
        train(options.out, options.task, options.seeds, options.budget_s, options.parallel)
        if options.workers:
            scaling(options.out, options.task, options.workers, options.scaling_generations)
    print(report(options.out, options.target, options.plot))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
