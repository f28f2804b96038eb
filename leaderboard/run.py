"""Run the shipped baselines on a suite, submit their results and rebuild the leaderboard.

``python -m leaderboard.run --suite quick [--vlm MODEL_FOLDER ...] [--num-envs N]
[--output-dir results] [--leaderboard-dir DIR] [--replay]``

The baselines are the random agent, the scripted solver (privileged: it reads the simulator)
and, for each ``--vlm`` folder, the zero-shot VLM agent on that local Hugging Face checkpoint.
Each evaluation writes a results JSON under ``--output-dir`` (and resumes from its journal
there if interrupted), goes through :func:`leaderboard.submit.submit` like any third-party
file, and the leaderboard is rebuilt once at the end. This is the README's main job: on the
quick suite it takes seconds without a VLM.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from leaderboard.display import format_estimate
from leaderboard.markdown import board_markdown
from leaderboard.render import rebuild
from leaderboard.store import DEFAULT_LEADERBOARD_DIR
from leaderboard.submit import submit
from vlagent_envs.eval import (
    Agent,
    RandomAgent,
    ResultsError,
    ScriptedAgent,
    SuiteError,
    available_suites,
    evaluate,
    load_suite,
)

__all__ = ["baseline_agents", "main"]


def _zero_shot_vlm(folder: Path) -> Agent:
    # Imported here: it needs torch and transformers, which the other baselines do not.
    from vlagent_envs.eval.vlm_agent import ZeroShotVLMAgent

    return ZeroShotVLMAgent(model_path=str(folder))


def baseline_agents(vlm_folders: Sequence[Path] = ()) -> Iterator[Agent]:
    """The agents to run, built one at a time (a VLM is loaded only when its turn comes).

    Args:
        vlm_folders: Local checkpoint folders, one zero-shot VLM agent each.
    """
    yield RandomAgent()
    yield ScriptedAgent()
    for folder in vlm_folders:
        yield _zero_shot_vlm(folder)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m leaderboard.run",
        description="Evaluate the shipped baselines on a suite, submit the results and rebuild "
        "the leaderboard.",
    )
    parser.add_argument(
        "--suite",
        default="quick",
        help=f"suite to run, one of {available_suites()} (default: %(default)s)",
    )
    parser.add_argument(
        "--vlm",
        type=Path,
        nargs="+",
        default=[],
        metavar="MODEL_FOLDER",
        help="also run the zero-shot VLM agent on each local checkpoint folder",
    )
    parser.add_argument(
        "--num-envs",
        type=int,
        default=1,
        help="envs stepped together for agents that batch (the VLM)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("results"),
        help="where the results JSON files go (default: %(default)s)",
    )
    parser.add_argument(
        "--leaderboard-dir",
        type=Path,
        default=DEFAULT_LEADERBOARD_DIR,
        help="leaderboard folder (default: %(default)s)",
    )
    parser.add_argument(
        "--replay", action="store_true", help="also replay every episode when submitting"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status (1 if a submission was rejected)."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    if args.num_envs < 1:
        parser.error("--num-envs must be at least 1")
    missing = [str(f) for f in args.vlm if not f.is_dir()]
    if missing:
        parser.error(f"--vlm: not a folder: {', '.join(missing)}")
    try:
        suite = load_suite(args.suite)
    except SuiteError as error:
        parser.error(str(error))

    status = 0
    for agent in baseline_agents(args.vlm):
        print(f"==> {agent.name} on {suite.name} v{suite.version}", flush=True)
        started = time.perf_counter()
        results, path = evaluate(agent, suite, output_dir=args.output_dir, num_envs=args.num_envs)
        score = results["aggregates"]["suite"]
        print(
            f"    score {format_estimate(score['score'], score['stderr'])} in "
            f"{time.perf_counter() - started:.1f}s -> {path}"
        )
        try:
            stored = submit(path, args.leaderboard_dir, replay=args.replay, rebuild_outputs=False)
        except ResultsError as error:
            print(f"rejected: {error}", file=sys.stderr)
            status = 1
        else:
            print(f"    accepted as {stored}")
        del agent  # a VLM's memory is freed before the next one loads

    built = rebuild(args.leaderboard_dir)
    board = next((b for b in built.standings.boards if b.suite == suite.name), None)
    print()
    print(board_markdown(board, heading_level=3) if board else "(no accepted results)")
    print()
    for output in built.paths:
        print(f"wrote {output}")
    return status


if __name__ == "__main__":
    sys.exit(main())
