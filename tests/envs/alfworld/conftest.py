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
    from vlagent_envs.envs.alfworld.engine import import_alfworld

    import_alfworld()
    from alfworld.agents.environment.alfred_tw_env import AlfredTWEnv

    made: list[Any] = []

    def make(game: GameRecord) -> Any:
        folder = str(game.game_file.parent.parent)  # the task folder: AlfredTWEnv walks it
        config = {
            "dataset": {
                "data_path": folder,
                "eval_id_data_path": folder,
                "eval_ood_data_path": folder,
                "num_train_games": -1,
                "num_eval_games": -1,
            },
            "env": {
                "type": "AlfredTWEnv",
                "domain_randomization": False,
                "task_types": [1, 2, 3, 4, 5, 6],
                "expert_type": "handcoded",
                "goal_desc_human_anns_prob": 0.0,
            },
            "general": {"training_method": "dqn"},
            "rl": {"training": {"max_nb_steps_per_episode": 1000}},
        }
        env = AlfredTWEnv(config, train_eval="eval_out_of_distribution").init_env(batch_size=1)
        made.append(env)
        return env

    yield make
    for env in made:
        env.close()
