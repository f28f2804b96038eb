"""Small inline SVG bar charts for the leaderboard page (no JavaScript, no network).

One chart shows one column of a board: a horizontal bar per agent with its standard error as a
whisker and the value written beside it. Colours and text are set by the caller; text is
escaped here, so labels may come straight from submissions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from leaderboard.display import clean_text, format_estimate

__all__ = ["LABEL_CHARS", "Bar", "bar_chart", "nice_domain"]

_WIDTH = 340
_LABEL_W = 112  # agent names, right-aligned against the plot
_VALUE_W = 76  # "0.60 ± 0.11" after the plot
_ROW_H = 24
_BAR_H = 14
_TOP = 6
_AXIS_H = 22
#: Longest bar label that fits beside the plot, in characters.
LABEL_CHARS = 17


@dataclass(frozen=True)
class Bar:
    """One bar: plain-text label and tooltip (escaped when drawn), value, colour."""

    label: str
    mean: float
    stderr: float
    color: str
    tooltip: str


def _nice_step(span: float, count: int) -> float:
    raw = span / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def nice_domain(low: float, high: float, count: int = 4) -> tuple[float, float, list[float]]:
    """Round ``[low, high]`` out to tick multiples of 1, 2, 2.5 or 5 x 10^k.

    Returns:
        ``(low, high, ticks)``; the domain always contains 0.
    """
    low, high = min(low, 0.0), max(high, 0.0)
    if math.isclose(low, high):
        high = low + 1.0
    step = _nice_step(high - low, count)
    start, stop = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    ticks = [round(i * step, 10) for i in range(start, stop + 1)]
    return ticks[0], ticks[-1], ticks


def _fmt_tick(value: float) -> str:
    return f"{value:g}"


def bar_chart(
    bars: Sequence[Bar], domain: tuple[float, float], ticks: Sequence[float], label: str
) -> str:
    """An inline ``<svg>``: one horizontal bar per entry of ``bars``, top to bottom.

    Args:
        bars: The bars, in display order.
        domain: ``(low, high)`` of the value axis; whiskers are clipped to it.
        ticks: Values marked with a grid line and a label.
        label: Accessible name of the chart (plain text).
    """
    low, high = domain
    x0, x1 = _LABEL_W + 8, _WIDTH - _VALUE_W

    def x(value: float) -> float:
        value = min(max(value, low), high)
        return round(x0 + (value - low) / (high - low) * (x1 - x0), 2)

    plot_h = len(bars) * _ROW_H
    height = _TOP + plot_h + _AXIS_H
    parts = [
        f'<svg class="bars" viewBox="0 0 {_WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="xMinYMin meet">'
    ]
    for tick in ticks:
        tx = x(tick)
        css = "zero" if tick == 0 else "grid"
        parts.append(
            f'<line class="{css}" x1="{tx}" x2="{tx}" y1="{_TOP - 2}" y2="{_TOP + plot_h}"/>'
        )
        parts.append(
            f'<text class="tick" x="{tx}" y="{_TOP + plot_h + 15}" '
            f'text-anchor="middle">{_fmt_tick(tick)}</text>'
        )
    for i, bar in enumerate(bars):
        cy = _TOP + i * _ROW_H + _ROW_H / 2
        left, right = x(min(0.0, bar.mean)), x(max(0.0, bar.mean))
        lo, hi = x(bar.mean - bar.stderr), x(bar.mean + bar.stderr)
        name = clean_text(bar.label, LABEL_CHARS)
        parts += [
            "<g>",
            f"<title>{escape(clean_text(bar.tooltip, 300))}</title>",
            f'<text class="name" x="{_LABEL_W}" y="{cy}" text-anchor="end" '
            f'dominant-baseline="central">{escape(name)}</text>',
            f'<rect x="{left}" y="{cy - _BAR_H / 2}" width="{max(right - left, 1.5)}" '
            f'height="{_BAR_H}" rx="2.5" fill="{escape(bar.color)}"/>',
        ]
        if hi - lo > 0.5:
            parts += [
                f'<line class="whisker" x1="{lo}" x2="{hi}" y1="{cy}" y2="{cy}"/>',
                f'<line class="whisker" x1="{lo}" x2="{lo}" y1="{cy - 4}" y2="{cy + 4}"/>',
                f'<line class="whisker" x1="{hi}" x2="{hi}" y1="{cy - 4}" y2="{cy + 4}"/>',
            ]
        parts += [
            f'<text class="value" x="{x1 + 8}" y="{cy}" dominant-baseline="central">'
            f"{escape(format_estimate(bar.mean, bar.stderr))}</text>",
            "</g>",
        ]
    parts.append("</svg>")
    return "".join(parts)
