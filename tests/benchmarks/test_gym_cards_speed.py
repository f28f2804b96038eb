"""Steps per second of each Gym-Cards env with random actions and image observations.

Run with ``make bench`` (``pytest tests/benchmarks -m benchmark --benchmark-only``). The
reference is the original RL4VLM gym_cards measured on a 2-core CPU machine like CI's (300x300
observations, random actions, median of 3), as recorded in the Gym-Cards issue; the ratio to it
is stored in each benchmark's ``extra_info`` and printed by ``make bench``.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import vlagent_envs  # noqa: F401

pytestmark = pytest.mark.benchmark

REFERENCE_STEPS_PER_SECOND = {
    "VLAgent/GymCards-NumberLine-v0": 1290.0,
    "VLAgent/GymCards-EZPoints-v0": 86.0,
    "VLAgent/GymCards-Points24-v0": 106.0,
    "VLAgent/GymCards-Blackjack-v0": 15.5,
}
STEPS = 500


@pytest.mark.parametrize("env_id", sorted(REFERENCE_STEPS_PER_SECOND))
def test_random_action_steps_per_second(benchmark, env_id: str) -> None:
    env = gym.make(env_id)
    actions = env.unwrapped.admissible_actions()
    rng = np.random.default_rng(0)
    env.reset(seed=0)

    def run() -> None:
        for _ in range(STEPS):
            action = actions[int(rng.integers(len(actions)))]
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                env.reset()

    benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=1)
    steps_per_second = STEPS / benchmark.stats.stats.median
    reference = REFERENCE_STEPS_PER_SECOND[env_id]
    benchmark.extra_info.update(
        steps_per_second=round(steps_per_second, 1),
        reference_steps_per_second=reference,
        speedup=round(steps_per_second / reference, 1),
    )
    print(
        f"\n{env_id}: {steps_per_second:,.0f} steps/s = "
        f"{steps_per_second / reference:.1f}x the original gym_cards ({reference} steps/s)"
    )
