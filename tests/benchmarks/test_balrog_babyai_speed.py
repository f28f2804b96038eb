"""``VLAgent/BALROG-BabyAI-goto-v0`` against raw minigrid BabyAI in the same run.

Run with ``pytest tests/benchmarks/test_balrog_babyai_speed.py -m benchmark --benchmark-only
-s``. The raw figure is minigrid's ``BabyAI-GoToLocal-v0`` under ``RGBImgPartialObsWrapper``
(tile 8: a 56x56 egocentric RGB view, integer actions) -- the cheapest "image + mission" minigrid
loop; ours parses a text action, steps the same simulator, renders the 112x112 view (BALROG's
tile 16) and writes BabyAI-Text's descriptions. The describer's cost is also set against the
bare ``level.step``. Ratios are printed and stored in ``extra_info``.
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import pytest

import vlagent_envs  # noqa: F401

pytestmark = pytest.mark.benchmark
minigrid = pytest.importorskip("minigrid")

STEPS = 1000
ACTION_NAMES = ("turn left", "turn right", "go forward", "pick up", "drop", "toggle")


def _raw_steps_per_second(steps: int = STEPS) -> float:
    from minigrid.wrappers import RGBImgPartialObsWrapper

    env = RGBImgPartialObsWrapper(gym.make("BabyAI-GoToLocal-v0"), tile_size=8)
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    start = time.perf_counter()
    for _ in range(steps):
        obs, _, terminated, truncated, _ = env.step(int(rng.integers(6)))
        if terminated or truncated:
            env.reset()
    assert obs["image"].shape == (56, 56, 3)
    return steps / (time.perf_counter() - start)


def test_steps_per_second_against_raw_minigrid(benchmark) -> None:
    env = gym.make("VLAgent/BALROG-BabyAI-goto-v0")
    rng = np.random.default_rng(0)
    env.reset(seed=0)

    def run() -> None:
        for _ in range(STEPS):
            _, _, terminated, truncated, _ = env.step(ACTION_NAMES[int(rng.integers(6))])
            if terminated or truncated:
                env.reset()

    raw = _raw_steps_per_second()
    benchmark.pedantic(run, rounds=3, iterations=1)
    ours = STEPS / benchmark.stats.stats.median
    benchmark.extra_info.update(
        ours_steps_per_second=ours, raw_steps_per_second=raw, ratio_to_raw=ours / raw
    )
    print(
        f"\nBALROG-BabyAI-goto (112x112 image + text): {ours:,.0f} steps/s; raw minigrid "
        f"GoToLocal + RGBImgPartialObsWrapper(tile 8, 56x56): {raw:,.0f} steps/s; "
        f"ratio {ours / raw:.2f}"
    )


def test_describer_cost_against_raw_step(benchmark) -> None:
    from vlagent_envs.benchmarks.balrog.babyai import balrog_text, describe_view, render_view

    env = gym.make("VLAgent/BALROG-BabyAI-putnext-v0")
    base = env.unwrapped
    env.reset(seed=0)
    level = base.level
    rng = np.random.default_rng(0)
    views, carried = [], []
    start = time.perf_counter()
    for _ in range(STEPS):
        obs, _, terminated, truncated, _ = level.step(int(rng.integers(6)))
        views.append(obs["image"])
        carried.append(level.carrying)
        if terminated or truncated:
            level.reset(seed=int(rng.integers(2**31)))
    step_s = (time.perf_counter() - start) / STEPS

    def describe_all() -> None:
        for view, carrying in zip(views, carried):
            balrog_text(describe_view(view, carrying))

    benchmark.pedantic(describe_all, rounds=3, iterations=1)
    describe_s = benchmark.stats.stats.median / STEPS
    for view in views[:100]:
        render_view(view, 16)  # fill the tile atlas first (minigrid's tile cache is warm too)
    start = time.perf_counter()
    for view in views:
        render_view(view, 16)
    render_s = (time.perf_counter() - start) / STEPS
    start = time.perf_counter()
    for _ in range(200):
        level.get_pov_render(16)
    pov_s = (time.perf_counter() - start) / 200
    benchmark.extra_info.update(
        raw_step_us=step_s * 1e6,
        describe_us=describe_s * 1e6,
        describe_to_step=describe_s / step_s,
        render_us=render_s * 1e6,
        minigrid_pov_render_us=pov_s * 1e6,
    )
    print(
        f"\nraw level.step {step_s * 1e6:.0f} us; describer {describe_s * 1e6:.0f} us "
        f"({describe_s / step_s:.2f}x the step); image 112x112 {render_s * 1e6:.0f} us "
        f"(minigrid get_pov_render(16): {pov_s * 1e6:.0f} us)"
    )
    assert describe_s < step_s, "the describer must cost less than the simulator step"
