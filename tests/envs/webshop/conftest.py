"""Shared WebShop fixtures: one generated shop per test session, built in a temporary cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vlagent_envs.envs.webshop.browser import browser_problem


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
