"""``site/index.html``: the leaderboard as one static, self-contained page.

Inline CSS, a few lines of inline JavaScript (sortable tables) and inline SVG charts: the page
loads nothing from anywhere, so it can be opened from disk or served as it is. Every string
from a submission is escaped with :func:`html.escape`, and none of them is placed inside the
script; sort keys live in ``data-sort`` attributes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from html import escape

from leaderboard.display import (
    BOUNDED_METRICS,
    MAX_LABEL_CHARS,
    agent_labels,
    clean_text,
    color_of,
    date_label,
    env_parts,
    format_estimate,
    format_number,
    metric_words,
    model_label,
    skipped_note,
)
from leaderboard.markdown import TITLE
from leaderboard.standings import Board, Entry, Estimate, Standings
from leaderboard.svg import LABEL_CHARS, Bar, bar_chart, nice_domain

__all__ = ["render_html"]

_CSS = """
:root {
  --bg: #f5f6f8; --card: #ffffff; --ink: #1c2230; --muted: #5f6877; --line: #e4e7ec;
  --head: #f1f3f6; --accent: #3461c1; --best: #12704a; --hover: #f4f7fd;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #13161b; --card: #1b1f26; --ink: #e5e8ee; --muted: #9aa3b1; --line: #2b313b;
    --head: #222831; --accent: #86a8ff; --best: #62d19c; --hover: #202632;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    sans-serif;
}
.wrap { max-width: 1240px; margin: 0 auto; padding: 36px 24px 48px; }
h1 { font-size: 30px; line-height: 1.2; margin: 0 0 8px; letter-spacing: -0.015em; }
.lede { color: var(--muted); max-width: 100ch; margin: 0; }
.meta { color: var(--muted); font-size: 13px; margin: 10px 0 0; }
code {
  font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  background: var(--head); border-radius: 4px; padding: 1px 5px;
}
section.suite {
  background: var(--card); border: 1px solid var(--line); border-radius: 14px;
  padding: 22px 24px 26px; margin-top: 26px; box-shadow: 0 1px 3px rgba(16, 24, 40, .05);
}
h2 { margin: 0; font-size: 21px; display: flex; align-items: center; gap: 10px; }
.version {
  font-size: 12px; font-weight: 600; color: var(--accent); border: 1px solid currentColor;
  border-radius: 999px; padding: 0 9px;
}
.desc { color: var(--muted); margin: 6px 0 0; }
.table-wrap { overflow-x: auto; margin-top: 16px; border: 1px solid var(--line);
  border-radius: 10px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 9px 11px; text-align: left; white-space: nowrap; vertical-align: middle; }
tbody td { border-top: 1px solid var(--line); }
thead th { background: var(--head); font-size: 13px; font-weight: 600; vertical-align: bottom; }
th.num, td.num { text-align: right; }
th button {
  all: unset; cursor: pointer; display: inline-flex; align-items: flex-end; gap: 4px;
  border-radius: 4px;
}
th.num button { flex-direction: row-reverse; }
th button:focus-visible { outline: 2px solid var(--accent); outline-offset: 3px; }
.label { display: inline-flex; flex-direction: column; line-height: 1.25; }
th.num .label { align-items: flex-end; }
.label small { color: var(--muted); font-weight: 400; font-size: 11.5px; }
.arrow { color: var(--muted); opacity: .35; font-size: 11px; width: 9px; }
.arrow::before { content: "\\2195"; }
th[aria-sort] .arrow { opacity: 1; color: var(--accent); }
th[aria-sort="ascending"] .arrow::before { content: "\\25B2"; }
th[aria-sort="descending"] .arrow::before { content: "\\25BC"; }
tbody tr:hover { background: var(--hover); }
td.rank { color: var(--muted); width: 1%; }
.agent .name {
  display: inline-block; max-width: 300px; overflow: hidden; text-overflow: ellipsis;
  vertical-align: bottom;
}
.swatch {
  display: inline-block; width: 10px; height: 10px; border-radius: 3px; margin-right: 8px;
  vertical-align: baseline;
}
.agent .name { font-weight: 600; }
.agent code { color: var(--muted); font-size: 11.5px; padding: 0 4px; }
.se { color: var(--muted); font-size: 12.5px; }
td.best .mean { color: var(--best); font-weight: 700; }
td.score .mean { font-weight: 700; }
.agent .what {
  margin: 1px 0 0 18px; max-width: 300px; overflow: hidden; text-overflow: ellipsis;
  color: var(--muted); font-size: 12px; line-height: 1.4;
}
.agent .model::before { content: "·"; margin: 0 6px; }
td.date { color: var(--muted); }
h3 { font-size: 14px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted);
  margin: 26px 0 0; font-weight: 600; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(350px, 1fr));
  gap: 14px; margin-top: 12px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px 8px; }
figcaption { font-weight: 600; font-size: 14px; margin-bottom: 6px; }
figcaption small { display: block; color: var(--muted); font-weight: 400; font-size: 12px; }
svg.bars { display: block; font-size: 12px; overflow: visible; }
svg.bars text { fill: var(--ink); }
svg.bars .tick { fill: var(--muted); font-size: 10.5px; }
svg.bars .value { fill: var(--muted); font-size: 11.5px; font-variant-numeric: tabular-nums; }
svg.bars .grid { stroke: var(--line); }
svg.bars .zero { stroke: var(--muted); stroke-opacity: .6; }
svg.bars .whisker { stroke: var(--ink); stroke-opacity: .75; stroke-width: 1.3; }
.empty { color: var(--muted); font-style: italic; }
footer { margin-top: 28px; color: var(--muted); font-size: 13px; }
footer p { margin: 4px 0; }
"""

# Sorting: click a header to sort by its column (its default direction first: best first for
# metrics, A-Z for text), click again to reverse. Keys come from data-sort attributes.
_JS = """
(function () {
  "use strict";
  var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});
  function key(cell, type) {
    var raw = cell.getAttribute("data-sort");
    if (raw === null) { raw = cell.textContent.trim(); }
    if (type !== "number") { return raw; }
    var value = parseFloat(raw);
    return isNaN(value) ? -Infinity : value;
  }
  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    headers.forEach(function (th, column) {
      var button = th.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var type = th.getAttribute("data-type") || "text";
        var current = th.getAttribute("aria-sort");
        var order = current === "ascending" ? "descending"
          : current === "descending" ? "ascending"
          : (th.getAttribute("data-first") || "ascending");
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", order);
        var sign = order === "ascending" ? 1 : -1;
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[column], type), y = key(b.cells[column], type);
          var c = type === "number" ? (x < y ? -1 : x > y ? 1 : 0) : collator.compare(x, y);
          return sign * c;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
"""


def _header(
    label: str,
    subs: Sequence[str] = (),
    *,
    kind: str,
    first: str,
    sort: str | None = None,
    title: str | None = None,
) -> str:
    numeric = kind == "number"
    attrs = [f'data-type="{kind}"', f'data-first="{first}"', 'scope="col"']
    if numeric:
        attrs.append('class="num"')
    if sort:
        attrs.append(f'aria-sort="{sort}"')
    if title:
        attrs.append(f'title="{escape(title)}"')
    small = "".join(f"<small>{escape(sub)}</small>" for sub in subs)
    return (
        f'<th {" ".join(attrs)}><button type="button"><span class="label">'
        f'<span>{escape(label)}</span>{small}</span><span class="arrow" '
        f'aria-hidden="true"></span></button></th>'
    )


def _value_cell(estimate: Estimate, best: float | None, extra: str = "") -> str:
    classes = ["num", *extra.split()]
    if best is not None and estimate.mean == best:
        classes.append("best")
    return (
        f'<td class="{" ".join(classes)}" data-sort="{estimate.mean!r}">'
        f'<span class="mean">{format_number(estimate.mean)}</span> '
        f'<span class="se">± {format_number(estimate.stderr)}</span></td>'
    )


def _agent_cell(entry: Entry, color: str) -> str:
    # Two lines: the name, then the config hash and the model (long values end in "…"; the
    # tooltips hold them whole).
    name = clean_text(entry.agent, None)
    config = clean_text(json.dumps(dict(entry.config), sort_keys=True, default=str), 600)
    model = ""
    if entry.model:
        full = model_label(entry.model, None)
        model = (
            f'<span class="model" title="model {escape(full)}">'
            f"{escape(model_label(entry.model, MAX_LABEL_CHARS))}</span>"
        )
    return (
        f'<td class="agent" data-sort="{escape(name)}">'
        f'<div class="who" title="{escape(name)}"><span class="swatch" '
        f'style="background:{color}" aria-hidden="true"></span>'
        f'<span class="name">{escape(clean_text(name, MAX_LABEL_CHARS))}</span></div>'
        f'<div class="what"><code title="config {escape(config)}">'
        f"{escape(entry.config_hash[:8])}</code>{model}</div></td>"
    )


def _table(board: Board) -> str:
    head = [
        _header("#", kind="number", first="ascending"),
        _header("Agent", kind="text", first="ascending"),
        _header("Score", ("mean of envs",), kind="number", first="descending", sort="descending"),
    ]
    if board.balrog:
        head.append(
            _header(
                "BALROG",
                ("progression", "mean of envs"),
                kind="number",
                first="descending",
                title="BALROG's score: the mean over its environments of the progression of "
                "their tasks' episodes",
            )
        )
    for column in board.envs:
        family, task, version = env_parts(column.env_id)
        head.append(
            _header(
                task,
                (f"{family} {version}", metric_words(column.metric)),
                kind="number",
                first="descending" if column.higher_is_better else "ascending",
                title=f"{column.env_id}: {metric_words(column.metric)} over {column.episodes} "
                "episodes",
            )
        )
    head.append(_header("Date", kind="text", first="descending"))
    best_score = board.best()
    best_balrog = board.best_balrog()
    best = {c.env_id: board.best(c.env_id) for c in board.envs}
    rows = []
    for rank, entry in enumerate(board.entries):
        cells = [
            f'<td class="rank num" data-sort="{rank + 1}">{rank + 1}</td>',
            _agent_cell(entry, color_of(rank)),
            _value_cell(entry.score, best_score, "score"),
            *([_value_cell(entry.balrog, best_balrog)] if board.balrog and entry.balrog else []),
            *(_value_cell(entry.per_env[c.env_id], best[c.env_id]) for c in board.envs),
            f'<td class="date">{escape(date_label(entry.created))}</td>',
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="table-wrap"><table data-sortable>'
        f"<caption hidden>{escape(board.suite)} v{board.version}</caption>"
        f"<thead><tr>{''.join(head)}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _chart(title: str, sub: str, bars: Sequence[Bar], bounded: bool) -> str:
    if bounded:
        low, high, ticks = 0.0, 1.0, [0.0, 0.25, 0.5, 0.75, 1.0]
    else:
        low, high, ticks = nice_domain(
            min(b.mean - b.stderr for b in bars), max(b.mean + b.stderr for b in bars)
        )
    svg = bar_chart(bars, (low, high), ticks, f"{title}: {sub}")
    return (
        f"<figure><figcaption>{escape(title)}<small>{escape(sub)}</small></figcaption>"
        f"{svg}</figure>"
    )


def _charts(board: Board) -> str:
    labels = agent_labels(board.entries, LABEL_CHARS)

    def bars(pick: Callable[[Entry], Estimate]) -> list[Bar]:
        out = []
        for rank, (entry, label) in enumerate(zip(board.entries, labels)):
            estimate = pick(entry)
            tooltip = (
                f"{entry.agent} ({entry.config_hash[:8]}): "
                f"{format_estimate(estimate.mean, estimate.stderr)}"
            )
            out.append(Bar(label, estimate.mean, estimate.stderr, color_of(rank), tooltip))
        return out

    bounded_all = all(c.metric in BOUNDED_METRICS for c in board.envs)
    figures = [
        _chart(
            "Score",
            f"mean of the {len(board.envs)} env scores",
            bars(lambda e: e.score),
            bounded_all,
        )
    ]
    if board.balrog:
        figures.append(
            _chart(
                "BALROG",
                "BALROG's score · progression, mean of its envs",
                bars(lambda e: e.balrog or Estimate(0.0, 0.0)),
                True,
            )
        )
    for column in board.envs:
        family, task, version = env_parts(column.env_id)
        figures.append(
            _chart(
                task,
                f"{family} {version} · {metric_words(column.metric)} · {column.episodes} episodes",
                bars(lambda e, env_id=column.env_id: e.per_env[env_id]),
                column.metric in BOUNDED_METRICS,
            )
        )
    return f'<div class="charts">{"".join(figures)}</div>'


def _section(board: Board) -> str:
    count = len(board.entries)
    desc = (
        f'<p class="desc">{escape(clean_text(board.description, None))}</p>'
        if board.description
        else ""
    )
    return (
        f'<section class="suite" id="suite-{escape(board.suite)}">'
        f'<h2>{escape(board.suite)} <span class="version">v{board.version}</span></h2>'
        f"{desc}{_table(board)}"
        f"<h3>Per env · mean ± standard error · {count} agent{'s' if count != 1 else ''}</h3>"
        f"{_charts(board)}</section>"
    )


def render_html(standings: Standings) -> str:
    """The whole ``index.html``."""
    boards = standings.boards
    if boards:
        latest = max(date_label(e.created) for b in boards for e in b.entries)
        meta = (
            f"{standings.shown} result{'s' if standings.shown != 1 else ''} on "
            f"{len(boards)} suite{'s' if len(boards) != 1 else ''} · latest result "
            f"{escape(latest)}"
        )
        body = "".join(_section(b) for b in boards)
    else:
        meta = "No accepted submissions yet."
        body = (
            '<section class="suite"><p class="empty">No accepted submissions yet. Add one '
            "with <code>python -m leaderboard.submit RESULTS.json</code>.</p></section>"
        )
    skipped = ""
    if standings.skipped:
        skipped = f"<p>{escape(skipped_note(len(standings.skipped)))}</p>"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(TITLE)}</title>
<style>{_CSS}</style>
</head>
<body>
<div class="wrap">
<header>
<h1>{escape(TITLE)}</h1>
<p class="lede">Vision-language agents on the vlagent-envs evaluation suites. Each cell is the
mean ± standard error of the env's headline metric over the suite's fixed seeds; <b>Score</b>
is the mean of the env cells. The best value of each column is highlighted. Click a column
header to sort, click again to reverse.</p>
<p class="meta">{meta}</p>
</header>
<main>
{body}
</main>
<footer>
<p>Each agent and config (the code under its name; hover it for the config) shows its latest
accepted submission. Add yours with <code>python -m leaderboard.submit RESULTS.json</code>;
this page is rebuilt by <code>python -m leaderboard.render</code>.</p>
{skipped}
</footer>
</div>
<script>{_JS}</script>
</body>
</html>
"""
