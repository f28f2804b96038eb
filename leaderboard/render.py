"""Rebuild the leaderboard outputs from the accepted submissions.

``python -m leaderboard.render [--leaderboard-dir DIR]`` writes, from ``DIR/submissions/``:

* ``DIR/LEADERBOARD.md`` -- :mod:`leaderboard.markdown`;
* ``DIR/site/index.html`` -- :mod:`leaderboard.page`;
* ``DIR/site/leaderboard.png`` -- :mod:`leaderboard.plot`.

Every submission is validated again first (:mod:`leaderboard.standings`); the ones that no
longer validate are left out with a warning. Each output is written atomically, and the same
submissions always give the same files (nothing depends on the clock).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from leaderboard.markdown import render_markdown
from leaderboard.page import render_html
from leaderboard.plot import render_png
from leaderboard.standings import Standings, load_standings
from leaderboard.store import DEFAULT_LEADERBOARD_DIR
from vlagent_envs.eval.atomic import write_bytes_atomic, write_text_atomic

__all__ = ["MARKDOWN", "PAGE", "PLOT", "Rebuilt", "main", "rebuild"]

#: Output paths, relative to the leaderboard folder.
MARKDOWN = Path("LEADERBOARD.md")
PAGE = Path("site") / "index.html"
PLOT = Path("site") / "leaderboard.png"


@dataclass(frozen=True)
class Rebuilt:
    """What :func:`rebuild` read and wrote."""

    standings: Standings
    markdown: Path
    page: Path
    plot: Path

    @property
    def paths(self) -> tuple[Path, Path, Path]:
        """The three outputs."""
        return (self.markdown, self.page, self.plot)


def rebuild(leaderboard_dir: str | Path = DEFAULT_LEADERBOARD_DIR) -> Rebuilt:
    """Re-validate the stored submissions and rewrite the Markdown, the page and the plot.

    Args:
        leaderboard_dir: The leaderboard folder.

    Returns:
        The standings and the paths written.
    """
    folder = Path(leaderboard_dir)
    standings = load_standings(folder)
    # Render everything before writing anything, so a failure leaves the old outputs whole.
    markdown, page, plot = render_markdown(standings), render_html(standings), render_png(standings)
    return Rebuilt(
        standings,
        write_text_atomic(folder / MARKDOWN, markdown),
        write_text_atomic(folder / PAGE, page),
        write_bytes_atomic(folder / PLOT, plot),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m leaderboard.render",
        description="Rebuild LEADERBOARD.md, site/index.html and site/leaderboard.png from the "
        "accepted submissions.",
    )
    parser.add_argument(
        "--leaderboard-dir",
        type=Path,
        default=DEFAULT_LEADERBOARD_DIR,
        help="leaderboard folder (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    built = rebuild(args.leaderboard_dir)
    standings = built.standings
    print(
        f"{standings.shown} rows from {standings.submissions} stored submissions "
        f"({len(standings.skipped)} skipped)"
    )
    for path in built.paths:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
