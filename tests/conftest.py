"""Session-wide test settings: caches in a temporary folder, no user data directories."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _temporary_caches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # Generated data (WebShop's catalog, ALFWorld's unpacked games and translations) goes to a
    # folder of this session, never the home cache; a user's ALFWorld download is not used.
    saved = {name: os.environ.get(name) for name in ("XDG_CACHE_HOME", "ALFWORLD_DATA")}
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    os.environ.pop("ALFWORLD_DATA", None)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
