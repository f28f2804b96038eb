"""``VLAgent/BALROG-MiniHack-*``: BALROG's action subset per task, ``north`` on junk, the
progression rule, Boxoban levels (format, solver, generator, a user's set) and the scripted
agents."""

from __future__ import annotations

import pickle
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import vlagent_envs  # noqa: F401

pytest.importorskip("minihack")

from vlagent_envs.benchmarks.balrog import boxoban
from vlagent_envs.benchmarks.balrog.minihack import TASKS, MiniHackEnv
from vlagent_envs.benchmarks.balrog.nethack import MINIHACK_ACTIONS

DIRECTIONS = ["north", "east", "south", "west", "northeast", "southeast", "southwest", "northwest"]


def test_balrogs_33_actions_and_each_tasks_subset() -> None:
    assert len(MINIHACK_ACTIONS) == 33
    maze = MiniHackEnv(task_name="MazeWalk-9x9")
    assert maze.admissible_actions()[:8] == DIRECTIONS
    box = MiniHackEnv(task_name="Boxoban-Medium")
    assert [a for a in box.admissible_actions() if len(a) > 1] == DIRECTIONS[:4]
    quest = MiniHackEnv(task_name="Quest-Easy")
    names = [a for a in quest.admissible_actions() if a in MINIHACK_ACTIONS]
    assert {"zap", "apply", "pickup", "far east", "down"} <= set(names)
    assert names == [a for a in MINIHACK_ACTIONS if a in names]  # BALROG's order
    for env in (maze, box, quest):
        env.close()


def test_junk_plays_north_and_counts_invalid() -> None:
    env = gym.make("VLAgent/BALROG-MiniHack-MazeWalk-9x9-v0")
    env.reset(seed=0)
    _, reward, _, _, info = env.step("open the door please")
    assert not info["action_valid"] and info["invalid_actions"] == 1
    assert env.unwrapped._keys[-1] == env.unwrapped._index["north"]
    _, _, _, _, info = env.step("zap")  # a BALROG name this task does not allow: invalid
    assert not info["action_valid"]
    env.close()


def test_instruction_and_prompt_are_balrogs() -> None:
    env = MiniHackEnv(task_name="Boxoban-Hard")
    env.reset(seed=0)
    assert env.instruction.startswith("You are playing Boxoban")
    assert "north: move north,\neast: move east" in env.task_prompt
    assert env.task_prompt.startswith("You are an agent playing MiniHack.")
    env.close()
    env = MiniHackEnv(task_name="MazeWalk-15x15")
    assert env.instruction == "Your goal is to get as far as possible in the game."
    env.close()


# ----------------------------------------------------------------------------- scripted
# Measured on seeds 0-19: MazeWalk-9x9 20/20, MazeWalk-15x15 19/20, Corridor-R3 11/20,
# CorridorBattle-Dark 1/20 (seed 17: the explorer fights what is next to it but does not hold
# the corridor), Boxoban 20/20.
@pytest.mark.parametrize(
    ("task", "seeds", "least"),
    [
        ("MazeWalk-9x9", range(5), 5),
        ("MazeWalk-15x15", range(5), 5),
        ("Corridor-R3", range(5), 2),
        ("CorridorBattle-Dark", range(15, 20), 1),
        ("Boxoban-Medium", range(5), 5),
        ("Boxoban-Hard", range(5), 5),
    ],
)
def test_scripted_agent_solves(task: str, seeds: range, least: int) -> None:
    env = gym.make(f"VLAgent/BALROG-MiniHack-{task}-v0")
    base = env.unwrapped
    wins = 0
    for seed in seeds:
        env.reset(seed=seed)
        for _ in range(100):
            _, reward, terminated, truncated, info = env.step(base.expert_action() or "")
            if terminated or truncated:
                break
        wins += info["success"]
        assert info["progress"] == (1.0 if reward >= 1.0 else 0.0)  # BALROG's rule
        if info["success"]:
            assert info["end_status"] == "TASK_SUCCESSFUL" and info["progress"] == 1.0
    env.close()
    assert wins >= least


def test_quests_declare_no_solver() -> None:
    env = MiniHackEnv(task_name="Quest-Medium")
    env.reset(seed=0)
    assert env.scripted_solver == "none" and env.expert_action() is None
    env.close()


# ----------------------------------------------------------------------------- episodes
def test_same_seed_same_level_and_mixed_ids_draw_tasks() -> None:
    def first(env_id: str, seed: int) -> str:
        env = gym.make(env_id)
        obs, _ = env.reset(seed=seed)
        env.close()
        return obs["text"]

    assert first("VLAgent/BALROG-MiniHack-Boxoban-Medium-v0", 3) == first(
        "VLAgent/BALROG-MiniHack-Boxoban-Medium-v0", 3
    )
    assert first("VLAgent/BALROG-MiniHack-MazeWalk-15x15-v0", 3) != first(
        "VLAgent/BALROG-MiniHack-MazeWalk-15x15-v0", 4
    )
    env = gym.make("VLAgent/BALROG-MiniHack-v0")
    seen = set()
    for seed in range(12):
        env.reset(seed=seed)
        seen.add(env.unwrapped.task)
        if env.unwrapped.task.startswith("Boxoban"):
            assert len(env.unwrapped.admissible_actions()) >= 4
    env.close()
    assert len(seen) >= 5


def test_pickled_mid_episode_continues() -> None:
    env = gym.make("VLAgent/BALROG-MiniHack-Corridor-R3-v0")
    env.reset(seed=2)
    env.step("east")
    clone = pickle.loads(pickle.dumps(env))
    for action in ("south", "far east", "north"):
        a, b = env.step(action), clone.step(action)
        assert a[0]["text"] == b[0]["text"] and a[1:4] == b[1:4]
    env.close()
    clone.close()


# ----------------------------------------------------------------------------- Boxoban
LEVEL = [
    "##########",
    "##########",
    "####   ###",
    "####.$@###",
    "####   ###",
    "##########",
    "##########",
    "##########",
    "##########",
    "##########",
]


def test_boxoban_format_round_trip_and_solver(tmp_path: Path) -> None:
    level = boxoban.parse_level(LEVEL)
    assert level.boxes == {(5, 3)} and level.targets == {(4, 3)} and level.player == (6, 3)
    assert boxoban.solve(level) == [(-1, 0)]
    boxoban.write_levels([level, level], tmp_path / "000.txt")
    text = (tmp_path / "000.txt").read_text()
    assert text.startswith("; 0\n##########\n") and "\n; 1\n" in text
    assert boxoban.load_levels(tmp_path) == [LEVEL, LEVEL]


def test_generated_levels_are_solvable_in_the_asked_pushes() -> None:
    rng = np.random.default_rng(7)
    level = boxoban.generate_level(rng, pushes=(6, 11))
    assert len(level.boxes) == 4 and not level.boxes & level.targets
    moves = boxoban.solve(level)
    assert moves is not None and 6 <= boxoban._count_pushes(level, moves) <= 11
    rows = level.rows()
    assert len(rows) == 10 and all(len(row) == 10 for row in rows)
    assert rows[0] == "#" * 10 and rows[-1] == "#" * 10


def test_shipped_level_sets() -> None:
    for level_set in ("medium", "hard"):
        levels = boxoban.load_levels(boxoban.level_dir(level_set, None))
        assert len(levels) == 100
        for rows in levels[:5]:
            assert boxoban.solve(boxoban.parse_level(rows)) is not None


def test_a_users_boxoban_folder_is_played(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "boxoban-levels" / "medium" / "train"
    folder.mkdir(parents=True)
    boxoban.write_levels([boxoban.parse_level(LEVEL)], folder / "000.txt")
    monkeypatch.setenv("BOXOBAN_LEVELS", str(tmp_path / "boxoban-levels"))
    env = gym.make("VLAgent/BALROG-MiniHack-Boxoban-Medium-v0")
    obs, info = env.reset(seed=0)
    map_rows = obs["text"].split("map:\n", 1)[1].split("\n")
    assert any("{`@" in row.replace(".", "") or "{`@" in row for row in map_rows)
    _, reward, terminated, _, info = env.step("west")  # the one push of the level
    assert terminated and info["success"] and reward == 1.0 and info["progress"] == 1.0
    env.close()


def test_missing_or_malformed_boxoban_levels(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BOXOBAN_LEVELS", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="boxoban-levels"):
        MiniHackEnv(task_name="Boxoban-Hard")
    folder = tmp_path / "levels" / "hard"
    folder.mkdir(parents=True)
    (folder / "000.txt").write_text("; 0\n" + "\n".join(LEVEL).replace("@", " ") + "\n\n")
    with pytest.raises(ValueError, match=r"000\.txt, level 0"):
        MiniHackEnv(task_name="Boxoban-Hard", levels_dir=str(tmp_path / "levels"))
    with pytest.raises(ValueError, match="task_name"):
        MiniHackEnv(task_name="Boxoban-Impossible")


def test_every_task_resets() -> None:
    for task in TASKS:
        env = MiniHackEnv(task_name=task)
        obs, info = env.reset(seed=0)
        assert obs["image"].shape == (336, 1264, 3)
        assert "language observation:" in obs["text"] and info["task_prompt"]
        env.close()
