"""Shared ALFWorld fixtures: the shipped games (unpacked in the session's temporary cache) and
alfworld's own ``AlfredTWEnv`` on a chosen game."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("textworld")
pytest.importorskip("fast_downward")

from vlagent_envs.envs.alfworld.data import GameRecord, embedded_data_dir, find_games


@pytest.fixture(scope="session")
def shipped_root() -> Path:
    return embedded_data_dir()


@pytest.fixture(scope="session")
def one_game_per_task(shipped_root: Path) -> dict[str, GameRecord]:
    """The first valid_unseen game of each task type (unseen rooms: the largest variety)."""
    games: dict[str, GameRecord] = {}
    for game in find_games(shipped_root, "valid_unseen"):
        games.setdefault(game.task_type, game)
    return games


@pytest.fixture
def official_env() -> Iterator[Callable[[GameRecord], Any]]:
    """``make(game)``: alfworld's ``AlfredTWEnv`` (batch of 1) playing only ``game``."""
    from vlagent_envs.envs.alfworld.engine import alfred_tw_env

    made: list[Any] = []

    def make(game: GameRecord) -> Any:
        made.append(alfred_tw_env(game.game_file.parent.parent))  # the task folder: it walks it
        return made[-1]

    yield make
    for env in made:
        env.close()
