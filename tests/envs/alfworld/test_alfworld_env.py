"""VLAgent/ALFWorld-v0 and the per-task ids as a user plays them."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import vlagent_envs  # noqa: F401
from vlagent_envs.envs.alfworld.data import TASK_TYPES, find_games
from vlagent_envs.envs.alfworld.engine import GameFileError


def _copy_games(root: Path, games, split: str = "train") -> Path:
    """Copy games into ``root`` in the official layout; returns ``root``."""
    for game in games:
        trial = game.game_file.parent
        target = root / "json_2.1.1" / split / trial.parent.name / trial.name
        shutil.copytree(trial, target)
    return root


def _play_expert(env: gym.Env, seed: int | None = None, options=None) -> tuple[bool, list[float]]:
    env.reset(seed=seed, options=options)
    rewards = []
    for _ in range(50):
        action = env.unwrapped.expert_action()
        _, reward, terminated, truncated, info = env.step(action)
        rewards.append(reward)
        assert info["action_valid"], action
        if terminated or truncated:
            return info["success"], rewards
    return False, rewards


def test_plays_out_of_the_box_with_the_shipped_games() -> None:
    env = gym.make("VLAgent/ALFWorld-v0")
    obs, info = env.reset(seed=0)
    assert env.unwrapped.data_source == "embedded"
    assert obs["text"].startswith("-= Welcome to TextWorld, ALFRED! =-")
    assert "You are in the middle of a room." in obs["text"]
    assert obs["instruction"].startswith("Your task is to: ") and obs["instruction"] in obs["text"]
    assert obs["image"].shape == (512, 512, 3) and obs["image"].dtype == np.uint8
    assert "look" in info["admissible_actions"] and "inventory" in info["admissible_actions"]
    assert "admissible commands" in info["task_prompt"]
    assert env.spec.max_episode_steps == 50
    env.close()


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_each_task_id_plays_only_its_task(task_type: str) -> None:
    env = gym.make(f"VLAgent/ALFWorld-{task_type}-v0")
    assert {g.task_type for g in env.unwrapped.games} == {task_type}
    env.reset(seed=1)
    _, _, _, _, info = env.step("look")
    assert info["task_type"] == task_type and info["action_valid"]
    assert 0.0 <= info["goal_condition_success_rate"] < 1.0
    env.close()


def test_splits_hold_different_games() -> None:
    files = {
        split: {
            str(g.game_file) for g in gym.make("VLAgent/ALFWorld-v0", split=split).unwrapped.games
        }
        for split in ("train", "valid_seen", "valid_unseen")
    }
    assert (
        len(files["train"]) == 60 and len(files["valid_seen"]) == len(files["valid_unseen"]) == 18
    )
    assert not files["train"] & files["valid_seen"] and not files["train"] & files["valid_unseen"]
    with pytest.raises(ValueError, match="valid_seen"):
        gym.make("VLAgent/ALFWorld-v0", split="test")
    with pytest.raises(ValueError, match="pick_and_place_simple"):
        gym.make("VLAgent/ALFWorld-v0", task_type="make_coffee")


def test_seeds_and_options_choose_the_game() -> None:
    env = gym.make("VLAgent/ALFWorld-v0")
    games = env.unwrapped.games
    env.reset(seed=61)
    assert env.unwrapped._game == games[1]
    env.reset(options={"game_index": 5})
    assert env.unwrapped._game == games[5]
    env.reset(options={"game_file": games[7].game_file})
    assert env.unwrapped._game == games[7]
    with pytest.raises(ValueError, match="not one of this env's"):
        env.reset(options={"game_file": "/nowhere/game.tw-pddl"})
    env.close()


@pytest.mark.slow
@pytest.mark.parametrize("split", ["valid_seen", "valid_unseen"])
def test_the_scripted_agent_wins_every_held_out_game(split: str) -> None:
    env = gym.make("VLAgent/ALFWorld-v0", split=split)
    wins = [
        _play_expert(env, options={"game_index": i})[0] for i in range(len(env.unwrapped.games))
    ]
    assert all(wins), [str(g.game_file) for g, w in zip(env.unwrapped.games, wins) if not w]
    env.close()


def test_rewards_follow_vl_dac_with_goal_conditions_and_penalty() -> None:
    env = gym.make("VLAgent/ALFWorld-pick_heat_then_place_in_recep-v0")
    env.reset(seed=0)
    plan = env.unwrapped._engine.plan()
    rates, rewards = [], []
    for command in plan:
        _, reward, terminated, _, info = env.step(command)
        rates.append(info["goal_condition_success_rate"])
        rewards.append(reward)
    heat = next(i for i, c in enumerate(plan) if c.startswith("heat "))
    assert rates[heat - 1] == 0.0 and rates[heat] == pytest.approx(1 / 3)
    assert rewards[:-1] == pytest.approx(rates[:-1])  # not won yet: the rate alone
    assert terminated and rewards[-1] == 2.0 and info["success"] and info["won"]

    env.reset(seed=0)
    for command in plan[: heat + 1]:
        env.step(command)
    obs, reward, terminated, _, info = env.step("fly to the moon")
    assert obs["text"] == "Nothing happens." and not info["action_valid"]
    assert reward == pytest.approx(1 / 3 - 1) and not terminated
    assert info["invalid_actions"] == 1
    env.close()

    env = gym.make("VLAgent/ALFWorld-pick_heat_then_place_in_recep-v0", won_reward=50)
    assert _play_expert(env, seed=0)[1][-1] == 51.0  # RL4VLM's 50 * won + rate
    env.close()


def test_both_put_forms_are_played(tmp_path: Path, shipped_root: Path) -> None:
    game = find_games(shipped_root, "train", ["pick_and_place_simple"])[0]
    env = gym.make("VLAgent/ALFWorld-v0", data_dir=_copy_games(tmp_path / "new", [game]))
    env.reset(seed=0)
    plan = env.unwrapped._engine.plan()
    *approach, put = plan
    assert put.startswith("move ")
    for command in approach:
        env.step(command)
    obj, recep = put.removeprefix("move ").split(" to ")
    _, reward, terminated, _, info = env.step(f"Put {obj} in {recep}.")
    assert info["action_valid"] and terminated and info["parsed_action"] == f"put {obj} in {recep}"
    env.close()

    # The template of alfworld < 0.3: "put {o} in/on {r}".
    old_root = _copy_games(tmp_path / "old", [game])
    old_file = next(old_root.glob("json_2.1.1/*/*/*/game.tw-pddl"))
    data = json.loads(old_file.read_text())
    assert data["grammar"].count('"move {o} to {r}"') >= 1
    data["grammar"] = data["grammar"].replace('"move {o} to {r}"', '"put {o} in/on {r}"')
    data["walkthrough"] = None  # the planner writes its plan with the game's own templates
    old_file.write_text(json.dumps(data))
    env = gym.make("VLAgent/ALFWorld-v0", data_dir=old_root)
    env.reset(seed=0)
    *approach, put = env.unwrapped._engine.plan()
    assert put == f"put {obj} in/on {recep}"
    for command in approach:
        env.step(command)
    assert put in env.unwrapped.admissible_actions()
    _, _, terminated, _, info = env.step(f"move {obj} to {recep}")
    assert info["action_valid"] and terminated
    env.close()


def test_an_official_layout_folder_loads(tmp_path: Path, shipped_root: Path, caplog) -> None:
    games = find_games(shipped_root, "valid_seen")[:4]
    root = _copy_games(tmp_path, games, split="valid_seen")
    # What AlfredTWEnv skips: movable and sliced tasks, games marked unsolvable.
    split_dir = root / "json_2.1.1" / "valid_seen"
    shutil.copytree(
        games[0].game_file.parent.parent,
        split_dir / "pick_and_place_with_movable_recep-Apple-Pan-DiningTable-1",
    )
    shutil.copytree(
        games[0].game_file.parent.parent,
        split_dir / "pick_and_place_simple-AppleSliced-None-DiningTable-1",
    )
    unsolvable = next((split_dir / games[1].folder).glob("trial_*/game.tw-pddl"))
    data = json.loads(unsolvable.read_text())
    unsolvable.write_text(json.dumps({**data, "solvable": False}))

    env = gym.make("VLAgent/ALFWorld-v0", split="valid_seen", data_dir=root)
    assert env.unwrapped.data_source == "argument"
    assert [g.folder for g in env.unwrapped.games] == sorted(g.folder for g in games)
    with caplog.at_level(logging.WARNING):
        env.reset(options={"game_index": 1})
    assert "not solvable" in caplog.text and env.unwrapped._game.folder == games[2].folder
    env.close()


def test_missing_or_wrong_data_names_the_path_and_layout(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(FileNotFoundError, match=rf"{tmp_path}.*json_2\.1\.1/<split>"):
        gym.make("VLAgent/ALFWorld-v0", data_dir=tmp_path)
    monkeypatch.setenv("ALFWORLD_DATA", str(tmp_path / "nothing"))
    with pytest.raises(FileNotFoundError, match=r"nothing \(from \$ALFWORLD_DATA\)"):
        gym.make("VLAgent/ALFWorld-v0")
    (tmp_path / "json_2.1.1" / "train").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no valid_seen split"):
        gym.make("VLAgent/ALFWorld-v0", data_dir=tmp_path, split="valid_seen")
    with pytest.raises(FileNotFoundError, match=r"no .* games in"):
        gym.make("VLAgent/ALFWorld-v0", data_dir=tmp_path)


def test_alfworld_data_is_used_when_set(tmp_path: Path, shipped_root: Path, monkeypatch) -> None:
    games = find_games(shipped_root, "train")[:2]
    monkeypatch.setenv("ALFWORLD_DATA", str(_copy_games(tmp_path, games)))
    env = gym.make("VLAgent/ALFWorld-v0")
    assert env.unwrapped.data_source == "ALFWORLD_DATA" and len(env.unwrapped.games) == 2
    env.close()


def test_corrupt_files_name_the_file(tmp_path: Path, shipped_root: Path) -> None:
    games = find_games(shipped_root, "train")[:2]
    root = _copy_games(tmp_path, games)
    env = gym.make("VLAgent/ALFWorld-v0", data_dir=root)
    broken_game = env.unwrapped.games[0].game_file
    broken_game.write_text('{"pddl_domain": ')
    with pytest.raises(GameFileError, match=str(broken_game)):
        env.reset(options={"game_index": 0})
    broken_traj = env.unwrapped.games[1].traj_file
    broken_traj.write_text("[]")
    with pytest.raises(ValueError, match=str(broken_traj)):
        env.reset(options={"game_index": 1})
    env.close()


def test_the_image_shows_the_situation() -> None:
    env = gym.make("VLAgent/ALFWorld-v0", image_size=384)
    obs, _ = env.reset(seed=3)
    assert obs["image"].shape == (384, 384, 3)
    again, _ = env.reset(seed=3)
    np.testing.assert_array_equal(obs["image"], again["image"])
    go = next(a for a in env.unwrapped.admissible_actions() if a.startswith("go to "))
    moved, *_ = env.step(go)
    assert not np.array_equal(obs["image"], moved["image"])
    situation = env.unwrapped._situation()
    assert situation.location == go.removeprefix("go to ")
    assert situation.location in situation.receptacles
    env.close()
