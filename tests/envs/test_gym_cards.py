"""Gym-Cards rules, rewards and scripted solvers, faithful to RL4VLM's gym_cards."""

from __future__ import annotations

import itertools
from fractions import Fraction

import gymnasium as gym
import numpy as np
import pytest

import vlagent_envs  # noqa: F401
from vlagent_envs.envs.gym_cards.blackjack import hand_value
from vlagent_envs.envs.gym_cards.cards import Card
from vlagent_envs.envs.gym_cards.formula import FormulaError, evaluate, solve


def _play_expert(env: gym.Env, seed: int) -> dict:
    env.reset(seed=seed)
    while True:
        _, _, terminated, truncated, info = env.step(env.unwrapped.expert_action())
        if terminated or truncated:
            return info


# --- NumberLine ----------------------------------------------------------------------------


def test_numberline_rewards_and_end() -> None:
    env = gym.make("VLAgent/GymCards-NumberLine-v0")
    env.reset(seed=0)
    base = env.unwrapped
    base.target, base.current = 3, 1
    assert env.step("+")[1] == 0.0  # closer
    assert env.step("-")[1] == -1.0  # farther
    _, reward, terminated, _, info = env.step("plus")  # back to 2: closer again
    assert (reward, terminated) == (0.0, False) and base.current == 2
    _, reward, terminated, _, info = env.step('{"action": "+"}')
    assert (reward, terminated, info["success"], info["progress"]) == (1.0, True, True, 1.0)


def test_numberline_wall_and_truncation() -> None:
    env = gym.make("VLAgent/GymCards-NumberLine-v0")
    env.reset(seed=0)
    base = env.unwrapped
    base.target, base.current = 5, 0
    rewards = []
    for t in range(10):
        _, reward, terminated, truncated, _ = env.step("-")  # pushes against the wall
        rewards.append(reward)
        assert not terminated
        assert truncated == (t == 9)
    assert rewards == [-1.0] * 10 and base.current == 0


def test_numberline_starts_cover_all_distinct_pairs() -> None:
    env = gym.make("VLAgent/GymCards-NumberLine-v0")
    starts = set()
    for seed in range(400):
        env.reset(seed=seed)
        starts.add((env.unwrapped.target, env.unwrapped.current))
    assert len(starts) == 30 and all(t != c for t, c in starts)


def test_numberline_invalid_text_is_a_penalised_noop_that_spends_a_step() -> None:
    env = gym.make("VLAgent/GymCards-NumberLine-v0")
    obs, _ = env.reset(seed=0)
    new, reward, _, _, info = env.step("I am not sure")
    assert reward == -1.0 and not info["action_valid"] and info["parsed_action"] is None
    assert np.array_equal(new["image"], obs["image"]) and "Invalid action" in new["text"]
    assert env.unwrapped.steps_made == 1


def test_numberline_text_observation_and_image_size() -> None:
    env = gym.make("VLAgent/GymCards-NumberLine-v0", text_observation=True, image_size=64)
    obs, _ = env.reset(seed=0)
    assert obs["image"].shape == (64, 64, 3)
    assert f"Target: {env.unwrapped.target}" in obs["text"]


# --- EZPoints and Points24 -----------------------------------------------------------------


def test_ezpoints_deals_are_solvable() -> None:
    env = gym.make("VLAgent/GymCards-EZPoints-v0")
    seen = set()
    for seed in range(300):
        env.reset(seed=seed)
        a, b = env.unwrapped.card_values
        assert a + b == 12 or a * b == 12
        seen.add((a, b))
    assert (2, 6) in seen or (6, 2) in seen  # the multiplication branch happens
    assert (10, 2) in seen and (2, 10) in seen  # both orders


def test_ezpoints_rules() -> None:
    env = gym.make("VLAgent/GymCards-EZPoints-v0")
    env.reset(seed=0)
    base = env.unwrapped
    a, b = base.card_values
    missing = next(str(n) for n in range(1, 11) if n not in (a, b))
    obs, reward, terminated, _, info = env.step(missing)
    assert (reward, terminated, info["action_valid"]) == (-1.0, False, True)
    assert base.formula == [" "]
    assert env.step(str(a))[1] == 0.0
    env.step("+" if a + b == 12 else "*")
    env.step(str(b))
    _, reward, terminated, _, info = env.step("=")
    assert (reward, terminated, info["success"]) == (10.0, True, True)


def test_ezpoints_equals_needs_both_cards_and_twelve() -> None:
    env = gym.make("VLAgent/GymCards-EZPoints-v0")
    env.reset(seed=1)
    a, _ = env.unwrapped.card_values
    env.step(str(a))
    _, reward, terminated, _, info = env.step("=")
    assert (reward, terminated, info["success"]) == (-1.0, True, False)


def test_ezpoints_formula_limit_truncates() -> None:
    env = gym.make("VLAgent/GymCards-EZPoints-v0")
    env.reset(seed=0)
    for _ in range(6):
        _, reward, terminated, truncated, _ = env.step("+")
        assert not (terminated or truncated)
    _, reward, terminated, truncated, _ = env.step("=")
    assert (reward, terminated, truncated) == (-1.0, False, True)


def test_card_names_map_to_numbers() -> None:
    env = gym.make("VLAgent/GymCards-Points24-v0")
    env.reset(seed=0)
    assert env.step("K")[4]["parsed_action"] == "10"
    assert env.step("ace")[4]["parsed_action"] == "1"
    assert env.step("times")[4]["parsed_action"] == "*"
    full = gym.make("VLAgent/GymCards-Points24-v0", treat_face_cards_as_10=False)
    full.reset(seed=0)
    assert full.step("K")[4]["parsed_action"] == "13"


def test_points24_exact_arithmetic_and_no_concatenation() -> None:
    env = gym.make("VLAgent/GymCards-Points24-v0")
    env.reset(seed=0)
    base = env.unwrapped
    base.cards = [Card(8, "H"), Card(3, "S"), Card(8, "C"), Card(3, "D")]
    for token in ["8", "/", "(", "3", "-", "8", "/", "3", ")"]:
        assert env.step(token)[1] == 0.0
    _, reward, terminated, _, info = env.step("=")
    assert (reward, info["success"]) == (10.0, True)

    env.reset(seed=0)
    base.cards = [Card(2, "H"), Card(4, "S"), Card(1, "C"), Card(1, "D")]
    for token in ["2", "4", "*", "1", "*", "1"]:  # "24*1*1" was accepted by the original
        env.step(token)
    obs, reward, _, _, info = env.step("=")
    assert reward == -1.0 and not info["success"] and "not valid" in obs["text"]


def test_points24_division_by_zero_is_a_failed_formula() -> None:
    env = gym.make("VLAgent/GymCards-Points24-v0")
    env.reset(seed=0)
    base = env.unwrapped
    base.cards = [Card(5, "H"), Card(5, "S"), Card(5, "C"), Card(2, "D")]
    for token in ["2", "/", "(", "5", "-", "5", ")", "+", "5"]:
        env.step(token)
    obs, reward, terminated, _, _ = env.step("=")
    assert (reward, terminated) == (-1.0, True) and "division by zero" in obs["text"]


def test_formula_evaluator() -> None:
    assert evaluate(["1", "+", "2", "*", "3"]) == 7
    assert evaluate(["(", "1", "+", "2", ")", "*", "3"]) == 9
    assert evaluate(["8", "/", "3"]) == Fraction(8, 3)
    assert evaluate(["10", "-", "4", "-", "3"]) == 3
    for bad in ([], ["+"], ["1", "2"], ["(", "1"], ["1", ")"], ["-", "1"], ["1", "*", "*", "2"]):
        with pytest.raises(FormulaError):
            evaluate(bad)


def test_solver_finds_exactly_the_solvable_deals() -> None:
    solvable = 0
    for combo in itertools.combinations_with_replacement(range(1, 11), 4):
        tokens = solve(combo, 24)
        if tokens is not None:
            solvable += 1
            assert evaluate(list(tokens)) == 24
            assert sorted(int(t) for t in tokens if t.isdigit()) == sorted(combo)
    assert solvable == 566  # the known count for four cards of 1..10


# --- Blackjack -----------------------------------------------------------------------------


def test_blackjack_hand_values() -> None:
    assert hand_value([Card(1, "H"), Card(13, "S")]) == 21
    assert hand_value([Card(1, "H"), Card(1, "S"), Card(9, "C")]) == 21
    assert hand_value([Card(10, "H"), Card(9, "S"), Card(5, "C")]) == 24


def test_blackjack_bust_and_stand() -> None:
    env = gym.make("VLAgent/GymCards-Blackjack-v0")
    env.reset(seed=0)
    base = env.unwrapped
    base.player = [Card(10, "H"), Card(12, "S")]
    base._draw = lambda: Card(5, "C")  # type: ignore[method-assign]
    _, reward, terminated, _, info = env.step("hit")
    assert (reward, terminated, info["success"]) == (-1.0, True, False)
    env.reset(seed=0)
    base.player = [Card(10, "H"), Card(12, "S")]
    base.dealer = [Card(10, "C"), Card(7, "D")]
    obs, reward, terminated, _, info = env.step("stick")
    assert (reward, terminated, info["success"]) == (1.0, True, True)
    assert "You win" in obs["text"]


def test_blackjack_natural_option() -> None:
    env = gym.make("VLAgent/GymCards-Blackjack-v0", natural=True)
    env.reset(seed=0)
    base = env.unwrapped
    base.player = [Card(1, "H"), Card(12, "S")]
    base.dealer = [Card(10, "C"), Card(8, "D")]
    assert env.step("stand")[1] == 1.5


def test_blackjack_final_image_reveals_the_dealer() -> None:
    env = gym.make("VLAgent/GymCards-Blackjack-v0")
    obs, _ = env.reset(seed=0)
    final, *_ = env.step("stand")
    assert not np.array_equal(obs["image"][25:123, 78:148], final["image"][25:123, 78:148])


# --- scripted solvers ----------------------------------------------------------------------


def test_scripted_numberline_always_succeeds() -> None:
    env = gym.make("VLAgent/GymCards-NumberLine-v0")
    assert all(_play_expert(env, seed)["success"] for seed in range(200))


def test_scripted_ezpoints_always_succeeds() -> None:
    env = gym.make("VLAgent/GymCards-EZPoints-v0")
    assert all(_play_expert(env, seed)["success"] for seed in range(200))


def test_scripted_points24_solves_every_solvable_deal() -> None:
    env = gym.make("VLAgent/GymCards-Points24-v0")
    solvable = solved = 0
    for seed in range(200):
        info = _play_expert(env, seed)
        if env.unwrapped.solvable:
            solvable += 1
            solved += info["success"]
        else:
            assert not info["success"]
    assert solved == solvable and 0.6 < solvable / 200 < 0.9


def test_scripted_blackjack_basic_strategy_wins_about_42_percent() -> None:
    env = gym.make("VLAgent/GymCards-Blackjack-v0")
    wins = sum(_play_expert(env, seed)["success"] for seed in range(3000))
    assert 0.40 <= wins / 3000 <= 0.445
