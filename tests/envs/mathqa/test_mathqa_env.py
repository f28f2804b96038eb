"""The MathQA env: one free-text answer per episode, scored on its final number."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import vlagent_envs  # noqa: F401
from vlagent_envs.envs.mathqa import MathQAEnv

ENV_ID = "VLAgent/MathQA-v0"


def _answer(env: gym.Env, action: str, seed: int = 0) -> tuple:
    env.reset(seed=seed)
    return env.step(action)


def test_registered_with_one_step() -> None:
    env = gym.make(ENV_ID)
    assert env.spec is not None and env.spec.max_episode_steps == 1
    assert isinstance(env.unwrapped, MathQAEnv)
    assert len(env.unwrapped.problems) == 2000
    assert len(gym.make(ENV_ID, split="test").unwrapped.problems) == 500


def test_expert_solves_every_test_problem() -> None:
    env = gym.make(ENV_ID, split="test")
    base = env.unwrapped
    for seed in range(len(base.problems)):
        env.reset(seed=seed)
        _, reward, terminated, _, info = env.step(base.expert_action())
        assert (reward, terminated, info["success"], info["progress"]) == (1.0, True, True, 1.0)
        assert info["prediction"] == info["gold"] == base.problem.gold


def test_observation_info_and_prompt() -> None:
    env = gym.make(ENV_ID, render_mode="ansi")
    obs, info = env.reset(seed=5)
    problem = env.unwrapped.problems[5]
    assert obs["text"] == problem.question
    assert obs["instruction"] == "Solve the math word problem. End with '#### <number>'."
    assert obs["image"].shape == (448, 448, 3) and obs["image"].std() > 0
    assert "####" in info["task_prompt"] and info["admissible_actions"] is None
    assert problem.question[:20] in env.render()
    _, _, _, _, info = env.step(f"#### {problem.gold}")
    assert {"gold", "prediction", "raw_action", "parsed_action", "action_valid"} <= set(info)


def test_rewards_read_the_final_number() -> None:
    env = gym.make(ENV_ID)
    gold = env.unwrapped.problems[0].gold
    right = [
        f"Let me think.\n#### {gold}",
        f"The answer is {gold}.",
        f"#### {gold}.00",
        json.dumps({"thoughts": "easy", "action": f"#### {gold}"}),
        f"I first guessed 1, then 2.\nAction: {gold}",
    ]
    for action in right:
        _, reward, terminated, _, info = _answer(env, action)
        assert (reward, terminated, info["success"], info["action_valid"]) == (
            1.0,
            True,
            True,
            True,
        )
        assert info["parsed_action"] == info["prediction"]
    wrong = int(gold) + 1
    for action in (f"#### {wrong}", f"#### {wrong}\nor maybe {gold}", f"{gold} is wrong; {wrong}"):
        _, reward, terminated, _, info = _answer(env, action)
        assert (reward, terminated, info["success"], info["progress"]) == (0.0, True, False, 0.0)
        assert info["prediction"] == str(wrong) and info["gold"] == gold


def test_an_answer_without_a_number_is_invalid_and_ends_the_episode() -> None:
    env = gym.make(ENV_ID)
    obs, _ = env.reset(seed=2)
    obs2, reward, terminated, _, info = env.step("I am not sure.")
    assert (reward, terminated, info["action_valid"], info["parsed_action"]) == (
        0.0,
        True,
        False,
        None,
    )
    assert info["prediction"] is None and info["invalid_actions"] == 1 and not info["success"]
    assert np.array_equal(obs["image"], obs2["image"])
    with pytest.raises(gym.error.ResetNeeded):
        env.unwrapped.step("#### 1")  # the one attempt is spent
    penalised = gym.make(ENV_ID, invalid_action_policy={"penalty": -0.5})
    assert _answer(penalised, "no idea")[1:3] == (-0.5, True)


def test_invalid_action_policies() -> None:
    env = gym.make(ENV_ID, invalid_action_policy={"kind": "default", "default_action": "0"})
    _, reward, terminated, _, info = _answer(env, "no idea")
    assert (reward, terminated, info["prediction"], info["action_valid"]) == (0.0, True, "0", False)
    with pytest.raises(ValueError, match="no action set"):
        gym.make(ENV_ID, invalid_action_policy="random")
    with pytest.raises(ValueError, match="plain number"):
        gym.make(ENV_ID, invalid_action_policy={"kind": "default", "default_action": "zero"})


def test_seed_picks_the_problem() -> None:
    env = gym.make(ENV_ID, split="test")
    base = env.unwrapped
    for seed, index in ((0, 0), (7, 7), (499, 499), (500, 0), (1234, 234)):
        obs, _ = env.reset(seed=seed)
        assert base.index == index and obs["text"] == base.problems[index].question
    env.reset(seed=3, options={"index": 42})
    assert base.index == 42
    with pytest.raises(ValueError, match="index"):
        env.reset(options={"index": 500})
    # Unseeded resets draw from np_random: the same after the same seed.
    env.reset(seed=11)
    first = [env.reset()[0]["text"] for _ in range(5)]
    env.reset(seed=11)
    assert [env.reset()[0]["text"] for _ in range(5)] == first


def test_max_operations_filters() -> None:
    base = gym.make(ENV_ID, split="test").unwrapped
    for limit in (1, 2, 3):
        kept = gym.make(ENV_ID, split="test", max_operations=limit).unwrapped.problems
        assert all(p.operations <= limit for p in kept)
        assert len(kept) == sum(p.operations <= limit for p in base.problems)
    with pytest.raises(ValueError, match="at most 0 operations"):
        gym.make(ENV_ID, max_operations=0)


def test_data_path_reads_gsm8k_files(tmp_path: Path) -> None:
    records = [
        {
            "question": "A cake costs $2.50. What do 3 cost?",
            "answer": "3*2.5=<<3*2.5=7.5>>7.5\n#### 7.5",
        },
        {"question": "What is 1000 + 234?", "answer": "1000+234=<<1000+234=1234>>1234\n#### 1,234"},
        {"question": "What is 2 - 5?", "answer": "#### -3"},
    ]
    data = tmp_path / "grade_school_math" / "data"
    data.mkdir(parents=True)
    (data / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (data / "test.jsonl").write_text(json.dumps(records[2]) + "\n")
    env = gym.make(ENV_ID, data_path=str(data))
    assert [p.operations for p in env.unwrapped.problems] == [1, 1, 0]
    assert _answer(env, "It costs $7.50.", seed=0)[1] == 1.0
    assert _answer(env, "#### 1234", seed=1)[1] == 1.0
    assert _answer(env, "The answer is -3.", seed=2)[1] == 1.0
    assert _answer(env, "The answer is 3.", seed=2)[1] == 0.0
    assert len(gym.make(ENV_ID, data_path=str(data), max_operations=0).unwrapped.problems) == 1
    test = gym.make(ENV_ID, data_path=str(data), split="test")
    assert [p.gold for p in test.unwrapped.problems] == ["-3"]
    single = gym.make(ENV_ID, data_path=str(data / "train.jsonl"), split="test")
    assert len(single.unwrapped.problems) == 3  # a file is read whatever the split
    with pytest.raises(ValueError, match="split"):
        gym.make(ENV_ID, split="validation")
