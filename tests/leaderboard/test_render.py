"""Rebuilding: what the Markdown, the page and the plot show, and that they escape submissions."""

from __future__ import annotations

import io
import logging
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from results_factory import XSS, NamedAgent, read_json, run

from leaderboard.display import format_estimate, format_number
from leaderboard.markdown import escape_markdown
from leaderboard.render import rebuild
from leaderboard.standings import load_standings
from leaderboard.store import store_submission
from leaderboard.submit import submit
from vlagent_envs.eval import load_suite

QUICK_VERSION = load_suite("quick").version


def _rows(markdown: str) -> list[list[str]]:
    """The cells of every table row (header and alignment rows included), split on bare |."""
    rows = []
    for line in markdown.splitlines():
        if line.startswith("|"):
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def _png(path: Path) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(path.read_bytes())).convert("RGB"))


@pytest.fixture(scope="module")
def two_agents(
    tmp_path_factory: pytest.TempPathFactory, random_results: Path, scripted_results: Path
) -> Path:
    folder = tmp_path_factory.mktemp("two") / "board"
    submit(random_results, folder, rebuild_outputs=False)
    submit(scripted_results, folder)
    return folder


def _score(results: Path, env_id: str | None = None) -> str:
    aggregates = read_json(results)["aggregates"]
    cell = aggregates["per_env"][env_id]["score"] if env_id else aggregates["suite"]
    return format_estimate(cell["mean"] if env_id else cell["score"], cell["stderr"])


def test_markdown_ranks_the_agents(
    two_agents: Path, random_results: Path, scripted_results: Path
) -> None:
    text = (two_agents / "LEADERBOARD.md").read_text(encoding="utf-8")
    assert f"## quick v{QUICK_VERSION}" in text
    header, _, first, second = _rows(text)
    assert header[:3] == ["#", "Agent", "Score"] and header[-2:] == ["Model", "Date"]
    assert "GymCards-Blackjack-v0" in header
    assert first[:2] == ["1", "scripted `44136fa3`"] and second[:2] == ["2", "random `bd048884`"]
    assert first[2] == f"**{_score(scripted_results)}**"  # the best of the column is bold
    numberline = "VLAgent/GymCards-NumberLine-v0"
    assert second[header.index("GymCards-NumberLine-v0")] == _score(random_results, numberline)
    assert first[-2] == "—" and re.fullmatch(r"\d{4}-\d\d-\d\d", first[-1])


def test_page_and_plot_show_every_agent(
    two_agents: Path, tmp_path: Path, random_results: Path, scripted_results: Path
) -> None:
    page = (two_agents / "site" / "index.html").read_text(encoding="utf-8")
    assert page.count('<td class="agent"') == 2
    score = format_number(read_json(scripted_results)["aggregates"]["suite"]["score"], 2)
    assert '<span class="name">scripted</span>' in page and f"{score}</span>" in page
    plot = _png(two_agents / "site" / "leaderboard.png")
    assert plot.shape[0] > 400 and plot.shape[1] > 1000 and plot.std() > 10

    alone = tmp_path / "alone"
    submit(random_results, alone)
    plot_alone = _png(alone / "site" / "leaderboard.png")
    # Bars take the colour of their rank: the second agent's (#f28e2b) only with two agents.
    second = np.array([0xF2, 0x8E, 0x2B])
    assert (np.abs(plot.astype(int) - second).sum(axis=2) < 6).sum() > 5000
    assert (np.abs(plot_alone.astype(int) - second).sum(axis=2) < 6).sum() < 50


def test_page_is_self_contained_and_well_formed(two_agents: Path) -> None:
    page = (two_agents / "site" / "index.html").read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"\s(src|href)=", page)

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.open: list[str] = []

        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag != "meta":  # the page's only void element
                self.open.append(tag)

        def handle_startendtag(self, tag: str, attrs: list) -> None:
            pass  # <line/>, <rect/> in SVG

        def handle_endtag(self, tag: str) -> None:
            assert self.open.pop() == tag

    tags = Tags()
    tags.feed(page)
    assert tags.open == []


def test_rebuild_is_deterministic(two_agents: Path) -> None:
    outputs = [p.read_bytes() for p in rebuild(two_agents).paths]
    assert [p.read_bytes() for p in rebuild(two_agents).paths] == outputs


def test_latest_submission_per_agent_and_config(tmp_path: Path, random_results: Path) -> None:
    earlier = read_json(random_results)
    earlier["episodes"][0]["trajectory_hash"] = "0" * 64  # a different run of the same config
    older = store_submission(tmp_path, "quick", earlier)
    newer = submit(random_results, tmp_path, rebuild_outputs=False)
    other = submit(
        run(NamedAgent("random", seed=5), tmp_path / "r"), tmp_path, rebuild_outputs=False
    )
    (board,) = load_standings(tmp_path).boards
    sources = {(e.agent, e.config_hash[:6]): e.source for e in board.entries}
    assert sources == {("random", "bd0488"): newer, ("random", other.name[-17:-11]): other}
    assert older not in sources.values()


def test_stale_submissions_are_skipped_with_a_warning(
    tmp_path: Path, random_results: Path, scripted_results: Path, caplog: pytest.LogCaptureFixture
) -> None:
    submit(scripted_results, tmp_path, rebuild_outputs=False)
    stale = read_json(random_results)
    stale["suite"]["version"] = 0  # not even valid under today's schema
    store_submission(tmp_path, "quick", stale)
    with caplog.at_level(logging.WARNING, logger="leaderboard"):
        built = rebuild(tmp_path)
    assert len(built.standings.skipped) == 1 and "suite/version" in caplog.text
    text = built.markdown.read_text(encoding="utf-8")
    assert "| random" not in text and "| scripted" in text
    assert "_1 stored submission no longer validates" in text
    assert "1 stored submission no longer validates" in built.page.read_text(encoding="utf-8")


def test_empty_leaderboard(tmp_path: Path) -> None:
    built = rebuild(tmp_path)
    assert "No accepted submissions yet" in built.markdown.read_text(encoding="utf-8")
    assert "No accepted submissions yet" in built.page.read_text(encoding="utf-8")
    assert _png(built.plot).std() > 1


def test_escape_markdown() -> None:
    assert escape_markdown("a|b`c`\n<b>x</b> *y* [z](u)") == (
        r"a\|b\`c\` &lt;b&gt;x&lt;/b&gt; \*y\* \[z\](u)"
    )
    assert escape_markdown("# title") == r"\# title" and escape_markdown("1. x") == r"1\. x"
    assert escape_markdown("$x$ ~y~ a\\b") == r"\$x\$ \~y\~ a\\b"
    assert escape_markdown("x" * 100, max_chars=10) == "x" * 9 + "…"


def test_submitted_strings_are_escaped(
    tmp_path: Path, random_results: Path, xss_results: Path
) -> None:
    submit(random_results, tmp_path, rebuild_outputs=False)
    built = submit(xss_results, tmp_path) and rebuild(tmp_path)
    markdown = built.markdown.read_text(encoding="utf-8")
    assert "<script" not in markdown and "<img" not in markdown and "</" not in markdown
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\| \\`code\\` \\*em\\* second line" in markdown
    rows = _rows(markdown)
    assert {len(r) for r in rows} == {len(rows[0])}  # no pipe split a row
    evil = next(r for r in rows if "alert(1)" in r[1])
    assert evil[-2] == "&lt;img src=x onerror=alert(2)&gt;\\|models/evil@\\`main\\`"

    page = built.page.read_text(encoding="utf-8")
    assert page.count("<script") == 1 and page.count("</script>") == 1  # only the page's own
    assert "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | `code` *em* second line" in page
    assert "&lt;/script&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in page  # config tooltip
    assert any(e.agent.startswith(XSS) for e in built.standings.boards[0].entries)


def test_balrog_column_is_balrogs_score(
    tmp_path: Path, random_results: Path, scripted_results: Path
) -> None:
    from vlagent_envs.eval.balrog import balrog_summary

    for path in (random_results, scripted_results):
        submit(path, tmp_path, rebuild_outputs=False)
    rebuilt = rebuild(tmp_path)
    (board,) = load_standings(tmp_path).boards
    assert board.balrog
    markdown = rebuilt.paths[0].read_text(encoding="utf-8")
    assert "| # | Agent | Score | BALROG |" in markdown
    for entry in board.entries:
        summary = balrog_summary(read_json(entry.source))
        assert entry.balrog is not None
        assert entry.balrog.mean == pytest.approx(summary["Final score"] / 100)
        assert entry.balrog.stderr == pytest.approx(summary["standard_error"] / 100)
        cell = format_estimate(entry.balrog.mean, entry.balrog.stderr)
        row = rf"`{entry.config_hash[:8]}` \| [^|]+ \| (\*\*)?{re.escape(cell)}"
        assert re.search(row, markdown)
    scripted = next(e for e in board.entries if e.agent == "scripted")
    # Scripted solvers win BabyAI, TextWorld and Baba Is AI, most of Crafter and MiniHack; in
    # NetHack progression stays near 0 (about 0.74 on quick v6).
    assert scripted.balrog.mean > 0.6 and board.best_balrog() == scripted.balrog.mean
