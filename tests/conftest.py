"""Session-wide test settings: caches in a temporary folder, no user data directories, the
official-layout benchmark ids pointed at the generated sets that ship."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import vlagent_envs

_PACKAGE = Path(vlagent_envs.__file__).parent
# The official VSI-Bench and VisualWebBench test sets are downloads; the official ids read the
# generated sets that ship instead, which are written in the official layouts.
_OFFICIAL_ROOTS = {
    "VSIBENCH_ROOT": _PACKAGE / "benchmarks/vsibench/data/miniworld",
    "VISUALWEBBENCH_ROOT": _PACKAGE / "benchmarks/visualwebbench/data/webshop",
}


@pytest.fixture(scope="session", autouse=True)
def _temporary_caches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # Generated data (WebShop's catalog, ALFWorld's unpacked games and translations) goes to a
    # folder of this session, never the home cache; a user's ALFWorld download is not used.
    names = ("XDG_CACHE_HOME", "ALFWORLD_DATA", *_OFFICIAL_ROOTS)
    saved = {name: os.environ.get(name) for name in names}
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    os.environ.pop("ALFWORLD_DATA", None)
    os.environ.update({name: str(path) for name, path in _OFFICIAL_ROOTS.items()})
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
