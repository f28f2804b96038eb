"""Judge one results file and, if it is acceptable, store it and rebuild the leaderboard.

``python -m leaderboard.submit RESULTS.json [--replay] [--leaderboard-dir DIR]``

A submission is checked completely before anything is written: its size (refused before it is
read), that it is JSON, the results schema, the suite and env ids, versions, seeds and episode
counts, and every aggregate recomputed from the episodes (all by
:func:`vlagent_envs.eval.validate_results`). With ``--replay`` the recorded actions of every
episode are also played again on the envs, and any difference in return, length, success or
trajectory hash rejects the file.

A rejected file prints ``rejected: <first problem>`` on stderr, exits with status 1, and
leaves the leaderboard folder exactly as it was. An accepted one is stored under
``DIR/submissions/<suite>/`` (see :mod:`leaderboard.store`) and the outputs are rebuilt.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from leaderboard.display import format_estimate
from leaderboard.render import rebuild
from leaderboard.store import DEFAULT_LEADERBOARD_DIR, store_submission
from vlagent_envs.eval import ResultsError, Suite, load_results, replay_episodes, validate_results

__all__ = ["MAX_BYTES", "check_submission", "main", "submit"]

#: Largest results file accepted, in bytes; a larger one is refused before it is read.
MAX_BYTES = 64 * 1024 * 1024

logger = logging.getLogger(__name__)


def check_submission(
    path: str | Path, replay: bool = False, max_bytes: int = MAX_BYTES
) -> tuple[dict[str, Any], Suite]:
    """Load and validate a results file without storing anything.

    Args:
        path: The results JSON.
        replay: Also replay every episode's recorded actions and compare.
        max_bytes: Files larger than this are refused before they are read.

    Returns:
        The results object and the suite it ran.

    Raises:
        ResultsError: Naming the first problem found.
    """
    data = load_results(path, max_bytes=max_bytes)
    suite = validate_results(data)
    if replay:
        _check_replay(data, suite)
    return data, suite


def _check_replay(data: Mapping[str, Any], suite: Suite) -> None:
    try:
        mismatches = replay_episodes(data, suite)
    except Exception as error:  # a record the envs cannot even play is not verifiable
        raise ResultsError(f"replay failed: {error!r}") from error
    if mismatches:
        more = f" (and {len(mismatches) - 1} more)" if len(mismatches) > 1 else ""
        raise ResultsError(f"replay: {mismatches[0]}{more}")


def submit(
    path: str | Path,
    leaderboard_dir: str | Path = DEFAULT_LEADERBOARD_DIR,
    replay: bool = False,
    *,
    max_bytes: int = MAX_BYTES,
    rebuild_outputs: bool = True,
) -> Path:
    """Validate a results file; if it is acceptable, store it and rebuild the leaderboard.

    Args:
        path: The results JSON to submit.
        leaderboard_dir: The leaderboard folder (``submissions/`` and the outputs live there).
        replay: Also replay the recorded actions (see :func:`check_submission`).
        max_bytes: Size limit of the file.
        rebuild_outputs: Rebuild the Markdown, page and plot afterwards (turn off to submit
            several files and rebuild once).

    Returns:
        The path the submission was stored at.

    Raises:
        ResultsError: The file is not acceptable; nothing under ``leaderboard_dir`` changed.
    """
    data, suite = check_submission(path, replay=replay, max_bytes=max_bytes)
    stored = store_submission(leaderboard_dir, suite.name, data)
    logger.info("accepted %s as %s", path, stored)
    if rebuild_outputs:
        rebuild(leaderboard_dir)
    return stored


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m leaderboard.submit",
        description="Validate a results JSON and add it to the leaderboard.",
    )
    parser.add_argument("results", type=Path, help="the results JSON written by the runner")
    parser.add_argument(
        "--replay",
        action="store_true",
        help="also replay every episode's recorded actions and compare",
    )
    parser.add_argument(
        "--leaderboard-dir",
        type=Path,
        default=DEFAULT_LEADERBOARD_DIR,
        help="leaderboard folder (default: %(default)s)",
    )
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=MAX_BYTES,
        help="refuse files larger than this (default: %(default)s)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status: 0 accepted, 1 rejected, 2 an error
    writing to the leaderboard folder (or bad arguments)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        data, suite = check_submission(args.results, replay=args.replay, max_bytes=args.max_bytes)
    except ResultsError as error:
        print(f"rejected: {error}", file=sys.stderr)
        return 1
    try:
        stored = store_submission(args.leaderboard_dir, suite.name, data)
    except OSError as error:
        print(f"error: cannot store the submission: {error}", file=sys.stderr)
        return 2
    score = data["aggregates"]["suite"]
    print(f"accepted: {stored}")
    print(
        f"  {data['agent']['name']!r} on {suite.name} v{suite.version}: score "
        f"{format_estimate(score['score'], score['stderr'])}"
    )
    try:
        built = rebuild(args.leaderboard_dir)
    except OSError as error:
        print(f"error: stored, but the leaderboard was not rebuilt: {error}", file=sys.stderr)
        return 2
    for output in built.paths:
        print(f"rebuilt: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
