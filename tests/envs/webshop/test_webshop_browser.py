"""The WebShop screenshot browser: headless Chromium on small pages served from 127.0.0.1.

Needs Debian's ``chromium`` and ``chromium-driver`` packages and ``pip install selenium``.
Without them the browser tests are skipped, except under ``CI=true``, where they fail (CI
installs them). The tests of missing binaries and of a missing selenium run everywhere.
"""

from __future__ import annotations

import http.server
import io
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from gymnasium.error import DependencyNotInstalled

from vlagent_envs.envs.webshop.browser import BrowserError, ChromiumBrowser

WIDTH, HEIGHT = 640, 480  # not the default 800x600
PAGE_TIMEOUT_S = 2.0

# path -> (HTTP status, background colour); the page is one block of that colour.
PAGES = {
    "/red": (200, (255, 0, 0)),
    "/blue": (200, (0, 0, 255)),
    "/missing": (404, (0, 128, 0)),
    "/long": (200, (255, 255, 0)),  # taller than the viewport
}
SLOW_PATH = "/slow"  # answers after 2.5 x PAGE_TIMEOUT_S


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == SLOW_PATH:
            time.sleep(2.5 * PAGE_TIMEOUT_S)
            status, colour = 200, (0, 0, 0)
        else:
            status, colour = PAGES.get(self.path, (404, (0, 0, 0)))
        height = "3000px" if self.path == "/long" else "100vh"
        body = (
            f"<!doctype html><html><head><title>{self.path}</title></head>"
            f"<body style='margin:0;background:rgb{colour};height:{height}'></body></html>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """Base URL of a local site serving ``PAGES``."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def browser(require_browser: None) -> Iterator[ChromiumBrowser]:
    browser = ChromiumBrowser(WIDTH, HEIGHT, page_load_timeout_s=PAGE_TIMEOUT_S)
    try:
        yield browser
    finally:
        browser.close()


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie (dead, waiting for its parent to reap it) does not."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in "ZX"


def _centre(image: np.ndarray) -> tuple[int, ...]:
    return tuple(int(v) for v in image[HEIGHT // 2, WIDTH // 2])


@pytest.mark.browser
def test_screenshot_has_the_viewport_size_and_the_page_colour(
    browser: ChromiumBrowser, site: str
) -> None:
    assert browser.pids == []  # nothing starts before the first screenshot
    red, restarted = browser.screenshot(f"{site}/red")
    assert not restarted and browser.restarts == 0
    assert red.shape == (HEIGHT, WIDTH, 3) and red.dtype == np.uint8
    assert _centre(red) == PAGES["/red"][1]
    assert (red == PAGES["/red"][1]).all()  # no scrollbar, no margin

    blue, _ = browser.screenshot(f"{site}/blue")
    assert _centre(blue) == PAGES["/blue"][1] and not np.array_equal(red, blue)

    long, _ = browser.screenshot(f"{site}/long")  # the viewport, not the whole page
    assert long.shape == (HEIGHT, WIDTH, 3) and _centre(long) == PAGES["/long"][1]

    # An HTTP error page renders like any page: not a death.
    missing, restarted = browser.screenshot(f"{site}/missing")
    assert not restarted and browser.restarts == 0
    assert _centre(missing) == PAGES["/missing"][1]


@pytest.mark.browser
def test_a_killed_browser_is_restarted(browser: ChromiumBrowser, site: str) -> None:
    browser.screenshot(f"{site}/red")
    pids = browser.pids
    assert len(pids) >= 2  # chromedriver and Chromium
    for pid in pids:
        os.kill(pid, signal.SIGKILL)

    image, restarted = browser.screenshot(f"{site}/blue")
    assert restarted and browser.restarts == 1
    assert _centre(image) == PAGES["/blue"][1]
    assert not set(browser.pids) & set(pids)

    _, restarted = browser.screenshot(f"{site}/red")
    assert not restarted and browser.restarts == 1


@pytest.mark.browser
def test_close_ends_every_process_and_removes_the_profile(
    browser: ChromiumBrowser, site: str
) -> None:
    with browser:
        browser.screenshot(f"{site}/red")
        pids, profile = browser.pids, browser.profile_dir
        assert pids and all(_alive(pid) for pid in pids)
        assert profile is not None and profile.is_dir()
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in pids if _alive(pid)]
    assert not profile.exists()
    assert browser.pids == [] and browser.profile_dir is None
    browser.close()  # twice is fine

    image, restarted = browser.screenshot(f"{site}/blue")  # and it starts again on use
    assert not restarted and _centre(image) == PAGES["/blue"][1]


@pytest.mark.browser
@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/",
        "http://10.255.255.1/",  # not routable: a real connection attempt would hang
    ],
)
def test_other_hosts_give_an_error_page_without_network(
    browser: ChromiumBrowser, site: str, url: str
) -> None:
    """Non-loopback hosts do not resolve: Chromium's error page comes back, fast, no restart."""
    browser.screenshot(f"{site}/red")
    start = time.monotonic()
    image, restarted = browser.screenshot(url)
    assert time.monotonic() - start < PAGE_TIMEOUT_S
    assert not restarted and browser.restarts == 0
    assert image.shape == (HEIGHT, WIDTH, 3) and not (image == PAGES["/red"][1]).all()


@pytest.mark.browser
def test_a_page_that_never_loads_restarts_once_then_raises(
    browser: ChromiumBrowser, site: str
) -> None:
    start = time.monotonic()
    with pytest.raises(BrowserError, match="again after a restart"):
        browser.screenshot(f"{site}{SLOW_PATH}")
    assert browser.restarts == 1
    assert time.monotonic() - start < 4 * PAGE_TIMEOUT_S + 10  # two timeouts and a start
    image, _ = browser.screenshot(f"{site}/red")  # still usable
    assert _centre(image) == PAGES["/red"][1]


@pytest.mark.parametrize("which", ["chromium", "chromedriver"])
def test_a_missing_binary_says_how_to_install_it(tmp_path: Path, which: str) -> None:
    browser = ChromiumBrowser(**{which: str(tmp_path / "no-such-binary")})
    with pytest.raises(BrowserError, match="apt-get install chromium chromium-driver"):
        browser.screenshot("http://127.0.0.1:9/")
    assert browser.pids == []


def test_binaries_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VLAGENT_CHROMEDRIVER", str(tmp_path / "driver-from-env"))
    with pytest.raises(BrowserError, match=r"VLAGENT_CHROMEDRIVER.*driver-from-env"):
        ChromiumBrowser(chromium=sys.executable).screenshot("http://127.0.0.1:9/")


def test_a_screenshot_of_another_size_is_scaled_to_the_viewport() -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (WIDTH // 2, HEIGHT // 2), (10, 20, 30, 255)).save(buffer, format="PNG")
    image = ChromiumBrowser(WIDTH, HEIGHT)._decode(buffer.getvalue())
    assert image.shape == (HEIGHT, WIDTH, 3) and image.dtype == np.uint8
    assert (image == (10, 20, 30)).all()


def test_missing_selenium_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "selenium", None)  # makes `import selenium` fail
    monkeypatch.setenv("VLAGENT_CHROMIUM", sys.executable)  # any executable passes the lookup
    monkeypatch.setenv("VLAGENT_CHROMEDRIVER", sys.executable)
    with pytest.raises(DependencyNotInstalled, match=r'pip install "vlagent-envs\[webshop\]"'):
        ChromiumBrowser().screenshot("http://127.0.0.1:9/")
