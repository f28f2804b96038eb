"""The harness's overhead: the random agent on the quick suite through ``evaluate`` against the
same episodes stepped in a bare loop. Target: under 10% added.

The harness run includes everything a user pays for: the journal written per episode, the
trajectory hash, the results JSON built, validated against the schema, and written.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest

from vlagent_envs.eval import RandomAgent, evaluate, load_suite

pytestmark = pytest.mark.benchmark
ROUNDS = 5


def bare_loop(suite) -> int:
    agent = RandomAgent(seed=0)
    steps = 0
    for entry in suite.envs:
        env = entry.make()
        for seed in entry.seeds:
            agent.reset(seed)
            obs, info = env.reset(seed=seed)
            while True:
                obs, _, terminated, truncated, info = env.step(agent.act(obs, info))
                steps += 1
                if terminated or truncated:
                    break
        env.close()
    return steps


def test_runner_overhead_against_a_bare_loop(benchmark, tmp_path: Path) -> None:
    suite = load_suite("quick")
    bare_loop(suite)  # warm caches (fonts, card sprites) for both
    bare = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        bare_loop(suite)
        bare.append(time.perf_counter() - start)

    def harness() -> None:
        evaluate(RandomAgent(seed=0), suite, output_dir=tmp_path, resume=False, progress=False)

    benchmark.pedantic(harness, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    overhead = benchmark.stats.stats.median / statistics.median(bare) - 1
    benchmark.extra_info.update(
        bare_loop_s=round(statistics.median(bare), 4),
        harness_s=round(benchmark.stats.stats.median, 4),
        overhead=round(overhead, 4),
    )
    print(
        f"\nharness {benchmark.stats.stats.median:.3f}s vs bare loop "
        f"{statistics.median(bare):.3f}s: {overhead:+.1%} overhead"
    )
