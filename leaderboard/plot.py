"""``site/leaderboard.png``: grouped bar charts with standard-error bars, one panel per suite.

In each panel a group is an env (the suite score is the last group), and a bar is an agent,
in board order and in the page's colours. Drawn with matplotlib's object API on the Agg canvas,
so no GUI backend or global pyplot state is involved.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from leaderboard.display import BOUNDED_METRICS, agent_labels, color_of, env_parts, metric_words
from leaderboard.standings import Board, Standings
from vlagent_envs.core.deps import require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["render_png"]

_LEGEND_CHARS = 32


def _mathtext_safe(text: str) -> str:
    # matplotlib reads text between two "$" as math; a submitted name must stay literal.
    return text.replace("$", r"\$")


def _panel(ax: Axes, board: Board) -> None:
    groups = [env_parts(c.env_id) for c in board.envs]
    ticks = [f"{task}\n{family} {version}" for family, task, version in groups] + ["Score"]
    n_groups, n_bars = len(ticks), len(board.entries)
    width = 0.8 / max(n_bars, 1)
    for i, (entry, label) in enumerate(
        zip(board.entries, agent_labels(board.entries, _LEGEND_CHARS))
    ):
        estimates = [entry.per_env[c.env_id] for c in board.envs] + [entry.score]
        xs = [g + (i - (n_bars - 1) / 2) * width for g in range(n_groups)]
        ax.bar(
            xs,
            [e.mean for e in estimates],
            width * 0.92,
            yerr=[e.stderr for e in estimates],
            color=color_of(i),
            label=_mathtext_safe(label),
            capsize=min(3.0, 40 * width),
            error_kw={"elinewidth": 1.0, "ecolor": "#2b2f36", "capthick": 1.0},
            zorder=3,
        )
    ax.set_xticks(range(n_groups), ticks, fontsize=9)
    ax.axvline(n_groups - 1.5, color="#b8bec8", linestyle=(0, (4, 3)), linewidth=1, zorder=1)
    metrics = {c.metric for c in board.envs}
    if metrics <= BOUNDED_METRICS:
        ax.set_ylim(0, 1.05)
        ax.set_ylabel(" / ".join(metric_words(m) for m in sorted(metrics)))
    else:
        ax.axhline(0, color="#8a919c", linewidth=0.8, zorder=2)
        ax.set_ylabel("headline metric")
    ax.set_title(
        f"{board.suite} v{board.version}: mean ± standard error",
        loc="left",
        fontsize=12,
        fontweight="bold",
    )
    ax.grid(axis="y", color="#e4e7ec", linewidth=0.8, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color("#9aa1ab")
    ax.spines["bottom"].set_color("#9aa1ab")
    ax.tick_params(colors="#3a404a")
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        fontsize=9,
        title="agent",
        title_fontsize=9,
        alignment="left",
    )


def render_png(standings: Standings) -> bytes:
    """The PNG, as bytes.

    Raises:
        gymnasium.error.DependencyNotInstalled: matplotlib is missing (the ``leaderboard``
            extra).
    """
    require("matplotlib", "leaderboard")
    from matplotlib.figure import Figure

    boards = standings.boards
    if not boards:
        figure = Figure(figsize=(6, 1.6), dpi=150)
        figure.text(
            0.5,
            0.5,
            "No accepted submissions yet",
            ha="center",
            va="center",
            fontsize=12,
            color="#5f6877",
        )
    else:
        widest = max(len(b.envs) + 1 for b in boards)
        most = max(len(b.entries) for b in boards)
        width = min(18.0, max(9.0, 1.1 * widest + 0.18 * widest * most + 2.5))
        figure = Figure(figsize=(width, 4.2 * len(boards)), dpi=150, layout="constrained")
        for ax, board in zip(figure.subplots(len(boards), 1, squeeze=False)[:, 0], boards):
            _panel(ax, board)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white", metadata={"Software": None})
    return buffer.getvalue()
