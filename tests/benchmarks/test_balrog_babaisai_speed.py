"""``VLAgent/BALROG-BabaIsAI-*`` against the bare rule world's step in the same run.

Run with ``pytest tests/benchmarks/test_balrog_babaisai_speed.py -m benchmark --benchmark-only
-s``. The bare figure is :meth:`BabaWorld.step` alone (moves, pushes, rules read again; no
text, no image) on a two-room level; ours parses a text action, steps the same world, writes
BALROG's text and renders the 416x288 image through gymnasium's wrappers. The ratio is printed
and stored in ``extra_info``.
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import pytest

import vlagent_envs  # noqa: F401
from vlagent_envs.benchmarks.balrog.babaisai import ACTIONS, build_level

pytestmark = pytest.mark.benchmark

STEPS = 2000
TASK = "two_room-break_stop-make_win"
NAMES = tuple(ACTIONS)


def _bare_steps_per_second(steps: int = STEPS) -> float:
    rng = np.random.default_rng(0)
    world, _ = build_level(TASK, np.random.default_rng(0))
    start = time.perf_counter()
    for _ in range(steps):
        won, lost = world.step(NAMES[int(rng.integers(5))])
        if won or lost or world.step_count >= world.max_steps or world.you_position() is None:
            world, _ = build_level(TASK, rng)
    return steps / (time.perf_counter() - start)


def test_steps_per_second_against_the_bare_world(benchmark) -> None:
    env = gym.make(f"VLAgent/BALROG-BabaIsAI-{TASK}-v0")
    rng = np.random.default_rng(0)
    env.reset(seed=0)

    def run() -> None:
        for _ in range(STEPS):
            _, _, terminated, truncated, _ = env.step(NAMES[int(rng.integers(5))])
            if terminated or truncated:
                env.reset()

    bare = _bare_steps_per_second()
    benchmark.pedantic(run, rounds=3, iterations=1)
    ours = STEPS / benchmark.stats.stats.median
    benchmark.extra_info.update(
        ours_steps_per_second=ours, bare_steps_per_second=bare, ratio_to_bare=ours / bare
    )
    print(
        f"\nBALROG-BabaIsAI-{TASK} (416x288 image + text): {ours:,.0f} steps/s; bare "
        f"BabaWorld.step: {bare:,.0f} steps/s; ratio {ours / bare:.2f}"
    )
    assert ours > 500, "a wrapped step should stay well under 2 ms"
