"""``VLAgent/BALROG-TextWorld-*`` against textworld's own ``textworld.start`` game, same commands.

Run with ``.venv/bin/pytest tests/benchmarks/test_balrog_textworld_speed.py -m benchmark
--benchmark-only -s``. One run plays a fixed command list (the walkthrough's first half, then
moves and looks, no win) on game 0 of each task (``$BALROG_TEXTWORLD_GAMES``'s, or generated
into the session's cache: minutes), in textworld's environment with BALROG's
``EnvInfos`` (objective, description, score, max_score, won) and in our env (the same engine plus
the objective filter, the info dict and the text panel image), and prints steps/s and the ratio.
A second pair requests the admissible commands in both (our ``admissible_commands=True``).
"""

from __future__ import annotations

import time
import warnings

import gymnasium as gym
import pytest

import vlagent_envs  # noqa: F401

pytestmark = pytest.mark.benchmark
pytest.importorskip("textworld")

STEPS = 60
FILLER = ("look", "go north", "go south", "inventory", "go east", "go west")


def _commands(walkthrough: list[str]) -> list[str]:
    half = walkthrough[: len(walkthrough) // 2]
    return [*half, *(FILLER[i % len(FILLER)] for i in range(STEPS - len(half)))]


def _raw_steps_per_second(path: str, commands: list[str], admissible: bool) -> float:
    import textworld

    from vlagent_envs.benchmarks.balrog.textworld.env import BALROG_INFOS

    infos = textworld.EnvInfos(**BALROG_INFOS, admissible_commands=admissible)
    with warnings.catch_warnings():  # jericho: TextWorld's games are "not fully supported"
        warnings.simplefilter("ignore")
        env = textworld.start(path, infos)
    env.reset()
    start = time.perf_counter()
    for command in commands:
        env.step(command)
    elapsed = time.perf_counter() - start
    env.close()
    return len(commands) / elapsed


@pytest.mark.parametrize("admissible", [False, True], ids=["fixed", "admissible"])
@pytest.mark.parametrize("task", ["coin_collector", "treasure_hunter", "the_cooking_game"])
def test_steps_against_textworld(benchmark, task: str, admissible: bool) -> None:
    # Game 0 of the task: $BALROG_TEXTWORLD_GAMES's, or generated into the session's cache.
    # The episode limit is lifted so the long command list is played in one episode.
    env = gym.make(
        f"VLAgent/BALROG-TextWorld-{task}-v0",
        admissible_commands=admissible,
        max_episode_steps=10_000,
    )
    env.reset(seed=0)
    path = env.unwrapped._game_file
    commands = _commands(list(env.unwrapped._walkthrough))

    def play() -> None:
        env.reset(seed=0)
        for command in commands:
            env.step(command)

    raw = _raw_steps_per_second(str(path), commands, admissible)
    start = time.perf_counter()
    env.reset(seed=0)
    reset_s = time.perf_counter() - start
    benchmark.pedantic(play, rounds=3, iterations=1, warmup_rounds=1)
    ours = len(commands) / (benchmark.stats.stats.median - reset_s)
    env.close()
    benchmark.extra_info.update(
        steps_per_second=round(ours, 1),
        textworld_steps_per_second=round(raw, 1),
        ratio=round(ours / raw, 3),
        reset_s=round(reset_s, 4),
    )
    mode = "admissible commands" if admissible else "fixed commands"
    print(
        f"\nBALROG TextWorld {task} ({mode}): {ours:.0f} env steps/s vs textworld.start "
        f"{raw:.0f} steps/s (ratio {ours / raw:.2f}); reset {reset_s * 1000:.1f} ms"
    )
