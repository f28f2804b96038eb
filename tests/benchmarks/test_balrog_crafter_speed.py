"""``VLAgent/BALROG-Crafter-v0`` against the raw ``crafter.Env`` in the same run.

Run with ``.venv/bin/pytest tests/benchmarks/test_balrog_crafter_speed.py -m benchmark
--benchmark-only -s``. Both play the same random actions in the same seeded world with BALROG's
arguments (64x64 area, 9x9 view, 256x256 image); ours adds the action parsing, BALROG's text and
the observation dict. Reported: steps per second of each (between resets), the reset time of
each (world generation dominates: opensimplex noise, numba-compiled when numba is installed),
and the describer's cost against the raw step.
"""

from __future__ import annotations

import time

import gymnasium as gym
import pytest

import vlagent_envs  # noqa: F401

pytestmark = pytest.mark.benchmark
crafter = pytest.importorskip("crafter")

STEPS = 300


def test_steps_against_raw_crafter(benchmark) -> None:
    from vlagent_envs.benchmarks.balrog.crafter import ACTIONS

    env = gym.make("VLAgent/BALROG-Crafter-v0", max_episode_steps=10_000)
    start = time.perf_counter()
    env.reset(seed=0)
    reset_s = time.perf_counter() - start
    base = env.unwrapped
    # The actions: the scripted policy's (it survives these steps; random play walks into lava).
    actions = []
    for _ in range(STEPS):
        actions.append(base.expert_action())
        _, _, terminated, _, _ = env.step(actions[-1])
        if terminated:  # the policy died; time the steps it lived (crafter steps on when dead)
            break
    steps = len(actions)
    indices = [ACTIONS.index(a) for a in actions]

    raw = crafter.Env(area=(64, 64), view=(9, 9), size=(256, 256), length=None, seed=0)
    raw._seed, raw._episode = base._world_seed, 0  # the same world as ours
    start = time.perf_counter()
    raw.reset()
    raw_reset_s = time.perf_counter() - start
    raw.step(0)  # BALROG's reset Noop, as ours plays it
    start = time.perf_counter()
    for a in indices:
        raw.step(a)
    raw_step_s = (time.perf_counter() - start) / steps

    def play() -> None:
        env.reset(seed=0)
        start = time.perf_counter()
        for a in actions:
            env.step(a)
        times.append(time.perf_counter() - start)

    times: list[float] = []

    benchmark.pedantic(play, rounds=1, iterations=1, warmup_rounds=0)
    step_s = times[-1] / steps

    start = time.perf_counter()
    for _ in range(steps):
        base._describe()
    describe_s = (time.perf_counter() - start) / steps
    env.close()
    benchmark.extra_info.update(
        steps_per_second=round(1 / step_s, 1),
        raw_steps_per_second=round(1 / raw_step_s, 1),
        reset_s=round(reset_s, 3),
        raw_reset_s=round(raw_reset_s, 3),
        describe_ms=round(describe_s * 1e3, 3),
        raw_step_ms=round(raw_step_s * 1e3, 3),
    )
    print(
        f"\nBALROG-Crafter: {1 / step_s:.1f} steps/s vs raw crafter {1 / raw_step_s:.1f} steps/s "
        f"(ratio {raw_step_s / step_s:.2f}); reset {reset_s:.2f} s vs raw {raw_reset_s:.2f} s; "
        f"describer {describe_s * 1e3:.3f} ms = {describe_s / raw_step_s:.2f} of a raw step"
    )
    assert describe_s < raw_step_s
