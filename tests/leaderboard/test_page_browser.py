"""The leaderboard page in a real browser: headless Chromium driven by selenium.

Needs Debian's ``chromium`` and ``chromium-driver`` packages and ``pip install selenium``.
Without them the test is skipped, except under ``CI=true``, where it fails (CI installs them).
A full-page screenshot goes to the test's tmp folder and, when ``ARTIFACTS_DIR`` is set, there.
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from results_factory import XSS, NamedAgent, run

from leaderboard.display import clean_text
from leaderboard.standings import load_standings
from leaderboard.submit import submit

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
)  # fmt: skip


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} not found (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture
def driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    problem = _missing()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser test cannot run under CI: {problem}")
        pytest.skip(problem)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # never let selenium-manager look for downloads
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    options.add_argument("--window-size=1280,900")
    browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture
def board(tmp_path: Path, random_results: Path, scripted_results: Path, xss_results: Path) -> Path:
    folder = tmp_path / "board"
    for path in (
        random_results,
        scripted_results,
        xss_results,
        run(NamedAgent("random", seed=1), tmp_path / "r1"),
    ):
        submit(path, folder, rebuild_outputs=False)
    submit(run(NamedAgent("Zeta", seed=7), tmp_path / "r2"), folder)
    return folder


def _rows(driver: Any) -> list[tuple[str, str, float, float]]:
    """(agent name, config hash, Blackjack value, Score) of each table row, top to bottom."""
    from selenium.webdriver.common.by import By

    headers = [th.text.splitlines()[0] for th in driver.find_elements(By.CSS_SELECTOR, "thead th")]
    blackjack = headers.index("Blackjack")
    rows = []
    for row in driver.find_elements(By.CSS_SELECTOR, "table[data-sortable] tbody tr"):
        cells = row.find_elements(By.TAG_NAME, "td")
        rows.append(
            (
                row.find_element(By.CSS_SELECTOR, ".agent .name").text,
                row.find_element(By.CSS_SELECTOR, ".agent code").text,
                float(cells[blackjack].get_attribute("data-sort")),
                float(cells[2].get_attribute("data-sort")),
            )
        )
    return rows


def _click(driver: Any, label: str) -> str:
    """Click the header whose first line is ``label``; its new ``aria-sort``."""
    from selenium.webdriver.common.by import By

    header = next(
        th
        for th in driver.find_elements(By.CSS_SELECTOR, "thead th")
        if th.text.splitlines()[0] == label
    )
    header.find_element(By.TAG_NAME, "button").click()
    return header.get_attribute("aria-sort")


def test_page_sorts_and_shows_every_submission(driver: Any, board: Path, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    (standings,) = load_standings(board).boards
    expected = [(e.agent, e.config_hash[:8]) for e in standings.entries]
    driver.get((board / "site" / "index.html").as_uri())
    assert driver.title == "vlagent-envs leaderboard"
    headers = [th.text.splitlines()[0] for th in driver.find_elements(By.CSS_SELECTOR, "thead th")]
    assert headers[:3] == ["#", "Agent", "Score"] and "Blackjack" in headers
    assert ("BALROG" in headers) == standings.balrog

    # Every submission's row, in rank order; the injected name is text, and nothing ran.
    shown = _rows(driver)
    assert [(n, h) for n, h, _, _ in shown] == [(clean_text(n), h) for n, h in expected]
    assert any(name.startswith(XSS) for name, *_ in shown)
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018

    # Text column: A-Z first, Z-A on the second click; rows move whole.
    assert _click(driver, "Agent") == "ascending"
    names = [row[0] for row in _rows(driver)]
    assert names == sorted(names, key=str.casefold) and names != [row[0] for row in shown]
    assert sorted(_rows(driver)) == sorted(shown)
    assert _click(driver, "Agent") == "descending"
    assert [row[0] for row in _rows(driver)] == sorted(names, key=str.casefold, reverse=True)

    # Metric column: numeric, best first, then reversed.
    assert _click(driver, "Blackjack") == "descending"
    values = [row[2] for row in _rows(driver)]
    assert values == sorted(values, reverse=True) and len(set(values)) > 2
    assert sorted(_rows(driver)) == sorted(shown)
    assert _click(driver, "Blackjack") == "ascending"
    assert [row[2] for row in _rows(driver)] == sorted(values)

    # Back to the ranking: Score sorts best first, then reverses.
    assert _click(driver, "Score") == "descending"
    scores = [row[3] for row in _rows(driver)]
    assert scores == sorted(scores, reverse=True) == [row[3] for row in shown]
    assert _click(driver, "Score") == "ascending"
    assert [row[3] for row in _rows(driver)] == sorted(scores)
    assert _click(driver, "Score") == "descending"  # the ranking again, for the screenshot

    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    screenshot = base64.b64decode(
        driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
        )["data"]
    )  # the whole page, not just the window
    (tmp_path / "leaderboard-page.png").write_bytes(screenshot)
    if os.environ.get("ARTIFACTS_DIR"):
        folder = Path(os.environ["ARTIFACTS_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "leaderboard-page.png").write_bytes(screenshot)
