"""Shared WebShop fixtures: one generated shop per test session, built in a temporary cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def browser_problem() -> str | None:
    """Why headless Chromium cannot run here, or ``None``."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    for name, env_var in (
        ("chromium", "VLAGENT_CHROMIUM"),
        ("chromedriver", "VLAGENT_CHROMEDRIVER"),
    ):
        path = os.environ.get(env_var) or shutil.which(name)
        if not path or not os.access(path, os.X_OK):
            return f"{name} not found (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture
def require_browser() -> None:
    """Skip without Chromium, except under ``CI=true`` (CI installs it), where it fails."""
    problem = browser_problem()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser test cannot run under CI: {problem}")
        pytest.skip(problem)


@pytest.fixture(scope="session")
def webshop_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder for the generated catalog and its search index."""
    return tmp_path_factory.mktemp("webshop-cache")


@pytest.fixture(autouse=True)
def _webshop_cache_env(webshop_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Envs built by gym.make find the shop through $XDG_CACHE_HOME; never touch the home cache.
    monkeypatch.setenv("XDG_CACHE_HOME", str(webshop_cache / "xdg"))


@pytest.fixture(scope="session")
def shop(webshop_cache: Path):
    pytest.importorskip("bm25s")
    pytest.importorskip("rapidfuzz")
    from vlagent_envs.envs.webshop.shop import get_shop

    return get_shop(cache_dir=webshop_cache / "xdg" / "vlagent-envs" / "webshop")
