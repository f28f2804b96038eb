"""The session's VSI-Bench root in the official layout (``vsibench_fixtures``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from vsibench_fixtures import write_root


@pytest.fixture(scope="session")
def vsibench_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A VSI-Bench root in the official layout (one corrupt video, scene ``broken``)."""
    return write_root(tmp_path_factory.mktemp("vsibench"))
