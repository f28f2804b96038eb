"""How leaderboard values read, the same in the Markdown table, the page and the plot.

Nothing here escapes for a particular format: :func:`clean_text` only makes submitted text one
printable line of bounded length; each renderer then escapes it for its own syntax.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leaderboard.standings import Entry

__all__ = [
    "BOUNDED_METRICS",
    "MAX_LABEL_CHARS",
    "NONE",
    "PALETTE",
    "agent_labels",
    "clean_text",
    "color_of",
    "date_label",
    "env_parts",
    "env_short",
    "format_estimate",
    "format_number",
    "metric_words",
    "model_label",
    "skipped_note",
]

#: Longest agent name or model path shown, in characters (the full text is in tooltips).
MAX_LABEL_CHARS = 60
#: Bar colours by rank (Tableau 10: distinct, readable on white, kind to colour-blind readers).
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
#: Shown where a value is absent (no model, for instance).
NONE = "—"
#: Headline metrics whose values lie in [0, 1] (charts use a fixed 0-1 axis for them).
BOUNDED_METRICS = frozenset({"success", "progress"})


def clean_text(text: Any, max_chars: int | None = MAX_LABEL_CHARS, keep: str = "start") -> str:
    """One printable line: whitespace runs (newlines included) become one space, control and
    format characters are dropped, and text longer than ``max_chars`` is cut with ``…``.

    Args:
        text: Anything; it is converted with ``str``.
        max_chars: Length limit, or ``None`` for none.
        keep: ``"start"`` keeps the beginning of long text, ``"end"`` its end (for paths).
    """
    text = " ".join(str(text).split())
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    if max_chars is not None and len(text) > max_chars:
        if keep == "end":
            text = "…" + text[len(text) - max_chars + 1 :].lstrip()
        else:
            text = text[: max_chars - 1].rstrip() + "…"
    return text


def metric_words(metric: str) -> str:
    """How a headline metric reads: ``success`` -> ``success rate``."""
    return "success rate" if metric == "success" else metric


def format_number(value: float, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals, never ``-0.00``."""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def format_estimate(mean: float, stderr: float, digits: int = 2) -> str:
    """``"0.60 ± 0.11"``: a mean and its standard error."""
    return f"{format_number(mean, digits)} ± {format_number(stderr, digits)}"


def env_short(env_id: str) -> str:
    """The id without its namespace: ``VLAgent/GymCards-NumberLine-v0`` -> ``GymCards-...-v0``."""
    return env_id.split("/", 1)[-1]


def env_parts(env_id: str) -> tuple[str, str, str]:
    """``(family, task, version)``: ``("GymCards", "NumberLine", "v0")``.

    A family default id (``VLAgent/MiniWorld-v0``) has the family as its task too.
    """
    base, _, version = env_short(env_id).rpartition("-v")
    family, _, task = base.partition("-")
    return family, task or family, f"v{version}"


def model_label(model: Mapping[str, Any] | None, max_chars: int = MAX_LABEL_CHARS) -> str:
    """``path@revision`` of a results' ``agent.model`` (the end of long paths), or ``—``."""
    if not model or not model.get("path"):
        return NONE
    revision = model.get("revision")
    label = str(model["path"]) + (f"@{revision}" if revision else "")
    return clean_text(label, max_chars, keep="end")


def date_label(created: str) -> str:
    """The date part of an ISO 8601 time: ``2026-11-25``."""
    return clean_text(created, None)[:10]


def color_of(rank: int) -> str:
    """The colour of the agent ranked ``rank`` (0-based) on a board."""
    return PALETTE[rank % len(PALETTE)]


def skipped_note(count: int) -> str:
    """The sentence saying how many stored submissions no longer validate."""
    if count == 1:
        return (
            "1 stored submission no longer validates (made for an older suite or env "
            "version) and is not shown."
        )
    return (
        f"{count} stored submissions no longer validate (made for an older suite or env "
        "version) and are not shown."
    )


def agent_labels(entries: Sequence[Entry], max_chars: int) -> list[str]:
    """Short agent names for chart labels, with ``(config hash[:6])`` added where two entries
    of a board share a name (so they can be told apart)."""
    names = [clean_text(e.agent, None) for e in entries]
    labels = []
    for name, entry in zip(names, entries):
        if names.count(name) > 1:
            suffix = f" ({entry.config_hash[:6]})"
            labels.append(clean_text(name, max(max_chars - len(suffix), 4)) + suffix)
        else:
            labels.append(clean_text(name, max_chars))
    return labels
