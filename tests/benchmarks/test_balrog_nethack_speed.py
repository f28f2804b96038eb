"""``VLAgent/BALROG-NetHack-v0`` and ``-MiniHack-*`` against raw nle / minihack in the same run.

Run with ``pytest tests/benchmarks/test_balrog_nethack_speed.py -m benchmark --benchmark-only
-s``. Raw is the nle env itself stepped with random action indices (``NetHackChallenge-v0``
with BALROG's observation keys; ``MiniHack-MazeWalk-9x9-v0`` with BALROG's kwargs); ours parses
a text action, steps the same game (``--More--`` pressed), writes BALROG's language observation
and draws the 336x1264 tile image. The language observation's own cost per step (the five
describer calls and the text) is measured on recorded observations. Ratios are printed and
stored in ``extra_info``.
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import pytest

import vlagent_envs  # noqa: F401
from vlagent_envs.benchmarks.balrog.nethack import OBSERVATION_KEYS

pytestmark = pytest.mark.benchmark
pytest.importorskip("minihack")

STEPS = 500


def _raw(env_id: str, **kwargs) -> float:
    from nle import nethack

    env = gym.make(
        env_id, observation_keys=OBSERVATION_KEYS, fix_moon_phase=True, **kwargs
    ).unwrapped
    nethack.Nethack.set_initial_seeds(env.nethack, 1, 2, False, None)
    env.reset()
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(STEPS):
        _, _, terminated, truncated, _ = env.step(int(rng.integers(len(env.actions))))
        if terminated or truncated:
            env.reset()
    seconds = time.perf_counter() - start
    env.close()
    return STEPS / seconds


def _ours(benchmark, env_id: str) -> float:
    env = gym.make(env_id)
    names = [a for a in env.unwrapped.admissible_actions() if len(a) > 1][:16]
    rng = np.random.default_rng(0)
    env.reset(seed=0)

    def run() -> None:
        for _ in range(STEPS):
            _, _, terminated, truncated, _ = env.step(names[int(rng.integers(len(names)))])
            if terminated or truncated:
                env.reset()

    benchmark.pedantic(run, rounds=3, iterations=1)
    env.close()
    return STEPS / benchmark.stats.stats.median


@pytest.mark.parametrize(
    ("ours_id", "raw_id", "raw_kwargs"),
    [
        ("VLAgent/BALROG-NetHack-v0", "NetHackChallenge-v0", {}),
        (
            "VLAgent/BALROG-MiniHack-MazeWalk-9x9-v0",
            "MiniHack-MazeWalk-9x9-v0",
            {"character": "@", "penalty_step": -0.01, "autopickup": False},
        ),
    ],
)
def test_steps_per_second_against_raw(benchmark, ours_id, raw_id, raw_kwargs) -> None:
    import minihack  # noqa: F401  (registers MiniHack's ids)

    raw = _raw(raw_id, **raw_kwargs)
    ours = _ours(benchmark, ours_id)
    benchmark.extra_info.update(
        ours_steps_per_second=ours, raw_steps_per_second=raw, ratio_to_raw=ours / raw
    )
    print(f"\n{ours_id}: {ours:,.0f} steps/s; raw {raw_id}: {raw:,.0f} steps/s; {ours / raw:.3f}")


def test_language_observation_cost(benchmark) -> None:
    env = gym.make("VLAgent/BALROG-NetHack-v0")
    base = env.unwrapped
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    names = [a for a in base.admissible_actions() if len(a) > 1][:16]
    recorded = []
    for _ in range(200):
        _, _, terminated, truncated, _ = env.step(names[int(rng.integers(len(names)))])
        recorded.append(({k: np.array(v) for k, v in base.nle_observation.items()}, base._message))
        if terminated or truncated:
            env.reset()

    def describe_all() -> None:
        for obs, message in recorded:
            base._obs, base._message = obs, message
            base._describe()

    benchmark.pedantic(describe_all, rounds=3, iterations=1)
    per_step_ms = benchmark.stats.stats.median / len(recorded) * 1e3
    start = time.perf_counter()
    for obs, _ in recorded:
        base._obs = obs
        base._render_image()
    image_ms = (time.perf_counter() - start) / len(recorded) * 1e3
    benchmark.extra_info.update(language_ms_per_step=per_step_ms, image_ms_per_step=image_ms)
    print(f"\nlanguage observation {per_step_ms:.3f} ms/step; tile image {image_ms:.3f} ms/step")
    env.close()
