"""A headless Chromium that screenshots pages of the local WebShop site, for image observations.

``ChromiumBrowser`` drives Debian's ``chromium`` through ``chromedriver`` with selenium. It
starts at first use, returns each page as an RGB ``uint8`` array of exactly ``(height, width,
3)``, starts again by itself when the browser dies (crash, kill, chromedriver gone), and on
``close()`` leaves no process and no profile folder behind.

Facts this module relies on (checked with Chromium 156 on Debian 12):

* Viewport size. Under ``--headless=new``, ``--window-size=W,H`` sizes the *window*, and the
  viewport is smaller (640x480 gave a 640x337 page). The size is therefore set with the CDP
  command ``Emulation.setDeviceMetricsOverride``, which holds for every later navigation in the
  tab; a screenshot then is exactly ``width x height`` whatever the page's length.
* Offline. ``--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1``
  makes every other host fail to resolve, IP literals included (``http://8.8.8.8/`` and
  ``http://[::1]:port/`` fail with ``net::ERR_NAME_NOT_RESOLVED`` at once), so only
  ``localhost`` and ``127.0.0.1`` can be reached. Pages of the site still render when they
  reference outside images; those images are simply missing.
* Processes. chromedriver is started in a session of its own, so it and Chromium's processes
  share one process group, which is how ``pids`` finds them (from ``/proc``) and ``close()``
  kills them even after chromedriver has died and Chromium's processes were re-parented. The
  two crash handlers (``chrome_crashpad_handler``) daemonize into sessions of their own; with
  ``BREAKPAD_DUMP_LOCATION`` pointing inside the profile, their command line names the
  profile, which is how they are found (they also exit by themselves when Chromium ends).
  ``--disable-crash-reporter`` and ``--disable-breakpad`` do not stop them.
* Running as root. Chromium refuses to start as root without ``--no-sandbox``, which is passed.

Navigation errors (``net::ERR_...``: a host that is not loopback, a refused connection) are not
deaths: Chromium shows its error page, and ``screenshot`` returns that image (after a warning in
the log), as a person would see it. HTTP 404 and 500 pages render like any page.

Thread-safe: calls are serialised by a lock, so the envs of one process can share a browser
(:func:`shared_browser`), which saves a 1.5-second start per env.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from gymnasium.error import DependencyNotInstalled

from vlagent_envs.envs.webshop.sharing import ProcessShared

__all__ = [
    "BrowserError",
    "ChromiumBrowser",
    "browser_problem",
    "release_shared_browser",
    "shared_browser",
]

logger = logging.getLogger(__name__)

INSTALL_HINT = "install them with `apt-get install chromium chromium-driver`"

#: Flags for every start; the window size and the profile folder are added per browser.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # Chromium refuses to run as root (containers) with its sandbox
    "--disable-gpu",
    "--disable-dev-shm-usage",  # /dev/shm is 64 MB in Docker; Chromium crashes when it fills
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-quic",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
)

_GONE_WAIT_S = 5.0  # how long close() waits for killed processes to be gone


class BrowserError(RuntimeError):
    """Chromium or chromedriver is missing, cannot start, or died twice in one call."""


class ChromiumBrowser:
    """A headless Chromium whose page screenshots are image observations.

    Args:
        width: Viewport width in pixels; screenshots are this wide.
        height: Viewport height in pixels; screenshots are this high.
        chromium: Path of the Chromium binary; default ``$VLAGENT_CHROMIUM``, else
            ``chromium`` on ``PATH``.
        chromedriver: Path of chromedriver; default ``$VLAGENT_CHROMEDRIVER``, else
            ``chromedriver`` on ``PATH``.
        page_load_timeout_s: Longest wait for a page to load; a load that takes longer counts
            as a death (restart, then one retry).

    Attributes:
        restarts: How many times the browser was started again after it died. An explicit
            ``restart()`` does not count.

    Example:
        >>> with ChromiumBrowser(640, 480) as browser:  # doctest: +SKIP
        ...     image, restarted = browser.screenshot("http://127.0.0.1:3000/")
        >>> image.shape  # doctest: +SKIP
        (480, 640, 3)
    """

    def __init__(
        self,
        width: int = 800,
        height: int = 600,
        *,
        chromium: str | None = None,
        chromedriver: str | None = None,
        page_load_timeout_s: float = 20.0,
    ) -> None:
        if width <= 0 or height <= 0:
            raise ValueError(f"width and height must be positive, got {width}x{height}")
        if page_load_timeout_s <= 0:
            raise ValueError(f"page_load_timeout_s must be positive, got {page_load_timeout_s}")
        self.width = int(width)
        self.height = int(height)
        self.page_load_timeout_s = float(page_load_timeout_s)
        self.restarts = 0
        self._chromium = chromium
        self._chromedriver = chromedriver
        self._session = _Session()
        self._warned_resize = False
        self._lock = threading.RLock()
        # Runs at garbage collection or, failing that, at interpreter exit (finalize registers
        # with atexit); it holds no reference to self, so it does not keep the browser alive.
        self._finalizer = weakref.finalize(self, self._session.stop)

    # -- public API -------------------------------------------------------------------------

    def screenshot(self, url: str) -> tuple[np.ndarray, bool]:
        """Navigate to ``url`` and return what the viewport shows.

        Args:
            url: The page to load; only ``localhost`` and ``127.0.0.1`` can be reached.

        Returns:
            ``(image, restarted)``: an RGB ``uint8`` array of shape ``(height, width, 3)``, and
            whether the browser had died and was started again for this call.

        Raises:
            BrowserError: The browser cannot start, or died (or timed out) again after a
                restart.
            gymnasium.error.DependencyNotInstalled: selenium is not installed.
        """
        with self._lock:
            image, restarted, _ = self._screenshot(url)
            return image, restarted

    def screenshot_with_script(self, url: str, script: str, *args: Any) -> tuple[np.ndarray, Any]:
        """Navigate to ``url``, run ``script`` in the page, then return what the viewport shows.

        The script runs before the capture, on the page as loaded (scrolled to the top), so
        rectangles it measures with ``getBoundingClientRect`` are pixel positions in the
        screenshot. Restarts and errors are as for :meth:`screenshot`; after a restart the page
        is loaded again and the script runs again.

        Args:
            url: The page to load; only ``localhost`` and ``127.0.0.1`` can be reached.
            script: A function body for selenium's ``execute_script``: it reads its arguments
                from ``arguments`` and ``return``s a JSON-like value.
            *args: The script's arguments.

        Returns:
            ``(image, result)``: the RGB ``uint8`` screenshot of shape ``(height, width, 3)``,
            and what the script returned (lists, dicts, strings, numbers, ``None``).
        """
        with self._lock:
            image, _, result = self._screenshot(url, (script, args))
            return image, result

    def _screenshot(
        self, url: str, script: tuple[str, tuple[Any, ...]] | None = None
    ) -> tuple[np.ndarray, bool, Any]:
        restarted = False
        result = None
        if self._session.inherited():
            self._session.forget()  # a forked copy starts a browser of its own
        for attempt in range(2):
            if self._session.driver is None:
                self._start()
            errors = _death_errors()
            try:
                png, result = self._load_and_capture(url, script)
                break
            except errors as err:
                if attempt:
                    raise BrowserError(
                        f"Chromium failed again after a restart while loading {url}: "
                        f"{_first_line(err)}"
                    ) from err
                logger.warning(
                    "Chromium died or hung loading %s (%s); restarting it",
                    url,
                    _first_line(err),
                )
                self._session.stop(graceful=False)
                self.restarts += 1
                restarted = True
        return self._decode(png), restarted, result

    def restart(self) -> None:
        """Stop the browser (if running) and start a fresh one with a new profile."""
        with self._lock:
            self._session.stop()
            self._start()

    def close(self) -> None:
        """Quit the browser, kill any process left over and remove the profile folder.

        Idempotent. A later ``screenshot`` starts a new browser.
        """
        with self._lock:
            self._session.stop()

    @property
    def pids(self) -> list[int]:
        """Live pids of chromedriver (first), the Chromium processes under it and Chromium's
        crash handlers; empty while the browser is not running."""
        return self._session.pids()

    @property
    def profile_dir(self) -> Path | None:
        """The temporary Chromium profile folder, while the browser runs."""
        return self._session.profile_dir

    def __enter__(self) -> ChromiumBrowser:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self._session.driver is not None else "stopped"
        return f"ChromiumBrowser({self.width}x{self.height}, {state}, restarts={self.restarts})"

    # -- internals --------------------------------------------------------------------------

    def _start(self) -> None:
        chromium = _find_binary(self._chromium, *_BINARIES[0])
        chromedriver = _find_binary(self._chromedriver, *_BINARIES[1])
        webdriver, service_class = _import_selenium()
        # Both paths are given, so selenium-manager is skipped; SE_OFFLINE guards the rest.
        os.environ.setdefault("SE_OFFLINE", "true")

        profile_dir = Path(tempfile.mkdtemp(prefix="vlagent-chromium-"))
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--window-size={self.width},{self.height}")
        options.add_argument(f"--user-data-dir={profile_dir}")
        service = service_class(
            executable_path=chromedriver,
            log_output=subprocess.DEVNULL,
            # Chromium's crash handler keeps its reports in ~/.config/chromium unless told
            # otherwise; inside the profile they go when the profile goes.
            env={
                **os.environ,
                "SE_OFFLINE": "true",
                "BREAKPAD_DUMP_LOCATION": str(profile_dir / "crash-reports"),
            },
            popen_kw={"start_new_session": True},  # one process group for driver + browser
        )
        self._session.profile_dir = profile_dir
        try:
            driver = webdriver.Chrome(service=service, options=options)
        except Exception as err:
            self._session.process = getattr(service, "process", None)
            self._session.stop(graceful=False)
            raise BrowserError(
                f"could not start Chromium ({chromium}) with chromedriver ({chromedriver}): "
                f"{_first_line(err)}; if either is missing, {INSTALL_HINT}"
            ) from err
        self._session.driver = driver
        self._session.process = service.process
        self._session.owner_pid = os.getpid()
        try:
            driver.set_page_load_timeout(self.page_load_timeout_s)
            # The window is larger than the viewport under --headless=new; set the viewport.
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {
                    "width": self.width,
                    "height": self.height,
                    "deviceScaleFactor": 1,
                    "mobile": False,
                },
            )
        except Exception as err:
            self._session.stop(graceful=False)
            raise BrowserError(f"Chromium started but could not be set up: {err}") from err
        logger.debug("Chromium started: pids %s, profile %s", self.pids, profile_dir)

    def _load_and_capture(
        self, url: str, script: tuple[str, tuple[Any, ...]] | None = None
    ) -> tuple[bytes, Any]:
        from selenium.common.exceptions import (
            JavascriptException,
            TimeoutException,
            WebDriverException,
        )

        driver = self._session.driver
        try:
            driver.get(url)
        except TimeoutException:
            raise
        except WebDriverException as err:
            # A page that cannot be reached is not a dead browser: Chromium shows its error
            # page, which is what we return.
            if "net::ERR_" not in (err.msg or ""):
                raise
            logger.warning("Chromium could not load %s: %s", url, _first_line(err))
        result = None
        if script is not None:
            try:
                result = driver.execute_script(script[0], *script[1])
            except JavascriptException as err:  # the script's fault, not a dead browser
                raise BrowserError(f"the script failed on {url}: {_first_line(err)}") from err
        return driver.get_screenshot_as_png(), result

    def _decode(self, png: bytes) -> np.ndarray:
        from PIL import Image

        with Image.open(io.BytesIO(png)) as image:
            rgb = image.convert("RGB")
        if rgb.size != (self.width, self.height):
            # Only if the viewport override did not hold (another browser build, a HiDPI
            # scale): observations must keep the declared shape, so scale to it.
            if not self._warned_resize:
                logger.warning(
                    "Chromium screenshot is %dx%d, not %dx%d; resizing",
                    *rgb.size,
                    self.width,
                    self.height,
                )
                self._warned_resize = True
            rgb = rgb.resize((self.width, self.height), Image.Resampling.BILINEAR)
        return np.array(rgb, dtype=np.uint8)


class _Session:
    """The processes and profile folder of one running browser; knows how to end them."""

    def __init__(self) -> None:
        self.driver: Any = None
        self.process: subprocess.Popen[bytes] | None = None
        self.profile_dir: Path | None = None
        self.owner_pid: int | None = None  # the process that started the browser

    def inherited(self) -> bool:
        """This is a forked copy (a vector env's worker): the browser belongs to the parent."""
        return self.owner_pid is not None and self.owner_pid != os.getpid()

    def forget(self) -> None:
        """Drop the references to a browser this process does not own, touching nothing."""
        self.driver = self.process = self.profile_dir = self.owner_pid = None

    def pids(self) -> list[int]:
        if self.process is None:
            return []
        leader = self.process.pid
        members = _browser_processes(leader, self.profile_dir)
        return sorted(members, key=lambda pid: (pid != leader, pid))

    def stop(self, graceful: bool = True) -> None:
        """End the browser; ``graceful`` first asks chromedriver to quit Chromium.

        A graceful quit lets Chromium reap its own child processes. Killing the group leaves
        the children of a killed Chromium to PID 1, which in some containers never reaps them
        (zombies: no memory, only a process-table entry; run such containers with ``--init``).
        """
        if self.inherited():
            self.forget()  # never quit or kill the parent's browser from a forked child
            return
        driver, self.driver = self.driver, None
        process, self.process = self.process, None
        profile_dir, self.profile_dir = self.profile_dir, None
        if driver is not None and graceful:
            with contextlib.suppress(Exception):
                driver.quit()
        if process is not None:
            _kill_all(process.pid, profile_dir)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=_GONE_WAIT_S)  # reaps chromedriver: no zombie of ours
        if driver is not None and not graceful:
            with contextlib.suppress(Exception):
                driver.quit()  # chromedriver is gone: this only closes selenium's client
        if profile_dir is not None:
            shutil.rmtree(profile_dir, ignore_errors=True)


def browser_problem() -> str | None:
    """Why a default :class:`ChromiumBrowser` cannot start here (selenium, Chromium or
    chromedriver missing), or ``None``: for callers that skip browser work instead of failing."""
    try:
        _import_selenium()
        for binary in _BINARIES:
            _find_binary(None, *binary)
    except (DependencyNotInstalled, BrowserError) as error:
        return str(error)
    return None


# (environment variable, name on PATH, label) of the two programs a browser needs.
_BINARIES = (
    ("VLAGENT_CHROMIUM", "chromium", "Chromium"),
    ("VLAGENT_CHROMEDRIVER", "chromedriver", "chromedriver"),
)


def _find_binary(explicit: str | None, env_var: str, name: str, label: str) -> str:
    """The first of ``explicit``, ``$env_var`` and ``name`` on ``PATH``; must be executable."""
    if explicit:
        candidate, source = explicit, "the path given"
    elif os.environ.get(env_var):
        candidate, source = os.environ[env_var], f"${env_var}"
    else:
        candidate, source = shutil.which(name), f"`{name}` on PATH"
    if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate
    where = f" ({candidate})" if candidate else ""
    raise BrowserError(
        f"{label} not found at {source}{where}: {INSTALL_HINT}, set ${env_var}, "
        f"or pass {name}=... to ChromiumBrowser"
    )


def _import_selenium() -> tuple[Any, Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as err:
        raise DependencyNotInstalled(
            f"selenium is needed for WebShop screenshots ({err}); "
            'pip install "vlagent-envs[webshop]"'
        ) from err
    return webdriver, Service


def _death_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean the browser (or chromedriver) died or hung.

    ``WebDriverException`` covers a dead session, a crashed tab and a page-load timeout;
    urllib3's errors and ``OSError`` a chromedriver that no longer answers.
    """
    _import_selenium()
    import urllib3
    from selenium.common.exceptions import WebDriverException

    return (WebDriverException, urllib3.exceptions.HTTPError, OSError)


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return f"{type(err).__name__}: {text.splitlines()[0] if text else ''}"


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """``(state, process group)`` of ``pid`` from ``/proc``, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name may contain spaces and ')'
    return fields[0], int(fields[2])


def _browser_processes(pgid: int, profile_dir: Path | None) -> list[int]:
    """Live (not zombie) processes of one browser.

    That is the process group ``pgid`` (chromedriver and Chromium), and the processes whose
    command line names ``profile_dir``: Chromium's crash handlers (``chrome_crashpad_handler``)
    start a session of their own, and are found by their ``--database`` inside the profile.
    """
    marker = os.fsencode(str(profile_dir)) if profile_dir is not None else None
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        stat = _proc_stat(pid)
        if stat is None or stat[0] in "ZX":
            continue
        if stat[1] == pgid or (marker is not None and marker in _proc_cmdline(pid)):
            members.append(pid)
    return members


def _proc_cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return b""


def _kill_all(pgid: int, profile_dir: Path | None) -> None:
    """SIGKILL what is left of one browser and wait until it is gone."""
    deadline = time.monotonic() + _GONE_WAIT_S
    while members := _browser_processes(pgid, profile_dir):
        for pid in members:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            logger.warning("Chromium processes %s survived SIGKILL", members)
            return
        time.sleep(0.02)


_SHARED: ProcessShared[tuple[int, int, str | None, str | None], ChromiumBrowser] = ProcessShared()


def shared_browser(
    width: int, height: int, *, chromium: str | None = None, chromedriver: str | None = None
) -> ChromiumBrowser:
    """The process's browser of this size and binaries, made on first use (it starts at its
    first screenshot); pair each call with :func:`release_shared_browser`, the last of which
    closes it."""
    return _SHARED.acquire(
        (int(width), int(height), chromium, chromedriver),
        lambda: ChromiumBrowser(width, height, chromium=chromium, chromedriver=chromedriver),
    )


def release_shared_browser(browser: ChromiumBrowser) -> None:
    """Give back a browser from :func:`shared_browser`; the last user's release closes it."""
    _SHARED.release(browser, ChromiumBrowser.close)
