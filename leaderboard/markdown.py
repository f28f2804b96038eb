"""``LEADERBOARD.md``: one section per suite, one row per agent, ranked by suite score.

Every string that comes from a submission goes through :func:`escape_markdown`, so an agent
name can neither break the table (``|``, newlines) nor inject markup or HTML (backticks,
brackets, ``<script>``).
"""

from __future__ import annotations

import re

from leaderboard.display import (
    clean_text,
    date_label,
    env_short,
    format_estimate,
    metric_words,
    model_label,
    skipped_note,
)
from leaderboard.standings import Board, Estimate, Standings

__all__ = ["board_markdown", "escape_markdown", "render_markdown"]

TITLE = "vlagent-envs leaderboard"
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Characters with inline meaning in a GFM table cell: code, emphasis, links and images (``!``
# needs ``[``), strikethrough, math (GitHub renders ``$...$``), cell borders. Block syntax
# (``#``, ``-``, ``>``) only acts at the start of a line, and :func:`escape_markdown` output
# never starts one except in a paragraph, where a leading marker is escaped too.
_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")
_LINE_START = re.compile(r"^([#+=-]|\d+[.)])")


def escape_markdown(text: object, max_chars: int | None = None, keep: str = "start") -> str:
    """``text`` as literal Markdown on one line, safe inside a table cell.

    Newlines and other control characters become spaces (see
    :func:`~leaderboard.display.clean_text`); ``&``, ``<`` and ``>`` become entities;
    ``\\ ` * _ [ ] | ~ $`` are backslash-escaped, and so is a heading or list marker that
    starts the text.
    """
    text = clean_text(text, max_chars, keep=keep)
    text = "".join(_ENTITIES.get(ch, ch) for ch in text)
    text = _SPECIAL.sub(r"\\\1", text)
    return _escape_line_start(text)


def _escape_line_start(text: str) -> str:
    match = _LINE_START.match(text)
    if match is None:
        return text
    marker = match[0]  # "#", "-", ... or an ordered-list number "12." whose dot is escaped
    escaped = marker[:-1] + "\\" + marker[-1] if marker[0].isdigit() else "\\" + marker
    return escaped + text[len(marker) :]


def _cell(estimate: Estimate, best: float | None) -> str:
    text = format_estimate(estimate.mean, estimate.stderr)
    return f"**{text}**" if best is not None and estimate.mean == best else text


def board_markdown(board: Board, heading_level: int = 2) -> str:
    """One suite's section: heading, description, table and the metric of each env column."""
    lines = [f"{'#' * heading_level} {escape_markdown(board.suite)} v{board.version}", ""]
    if board.description:
        lines += [escape_markdown(board.description, None), ""]
    balrog = ["BALROG"] if board.balrog else []
    header = [
        "#",
        "Agent",
        "Score",
        *balrog,
        *(escape_markdown(env_short(c.env_id)) for c in board.envs),
        "Model",
        "Date",
    ]
    align = ["--:", ":--", "--:", *("--:" for _ in balrog), *("--:" for _ in board.envs)]
    align += [":--", ":--"]
    lines += ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    best_score = board.best()
    best_balrog = board.best_balrog()
    best = {c.env_id: board.best(c.env_id) for c in board.envs}
    for rank, entry in enumerate(board.entries, start=1):
        row = [
            str(rank),
            f"{escape_markdown(entry.agent)} `{entry.config_hash[:8]}`",
            _cell(entry.score, best_score),
            *([_cell(entry.balrog, best_balrog)] if balrog and entry.balrog else []),
            *(_cell(entry.per_env[c.env_id], best[c.env_id]) for c in board.envs),
            escape_markdown(model_label(entry.model)),
            escape_markdown(date_label(entry.created)),
        ]
        lines.append("| " + " | ".join(row) + " |")
    groups: dict[tuple[str, int], list[str]] = {}
    for column in board.envs:
        groups.setdefault((column.metric, column.episodes), []).append(
            escape_markdown(env_short(column.env_id))
        )
    metrics = "; ".join(
        f"{metric_words(metric)} over {episodes} episodes ({', '.join(names)})"
        for (metric, episodes), names in groups.items()
    )
    lines += ["", f"Env columns: {metrics}."]
    if balrog:
        lines[-1] += (
            " BALROG: BALROG's score, the mean over its environments of the progression of their "
            "tasks' episodes (`python -m vlagent_envs.eval.balrog` exports a run in BALROG's "
            "results layout)."
        )
    return "\n".join(lines)


def render_markdown(standings: Standings) -> str:
    """The whole ``LEADERBOARD.md``."""
    parts = [
        f"# {TITLE}",
        "",
        "Vision-language agents on the vlagent-envs evaluation suites. Each cell is the mean ± "
        "standard error of the env's headline metric over the suite's fixed seeds; **Score** is "
        "the mean of the env cells, and agents are ranked by it (the best value of each column "
        "is in bold). The code after an agent's name is the start of its config hash; each agent "
        "and config shows its latest accepted submission.",
        "",
        "Add a result with `python -m leaderboard.submit RESULTS.json` (the file written by "
        "`vlagent_envs.eval.evaluate`); this page, `site/index.html` and `site/leaderboard.png` "
        "are rebuilt from `submissions/` by `python -m leaderboard.render`.",
    ]
    if not standings.boards:
        parts += ["", "_No accepted submissions yet._"]
    for board in standings.boards:
        parts += ["", board_markdown(board)]
    if standings.skipped:
        parts += ["", f"_{skipped_note(len(standings.skipped))}_"]
    return "\n".join(parts) + "\n"
