"""The conformance suite over every registered id (Gymnasium's tests/envs/test_envs.py style)."""

from __future__ import annotations

from collections.abc import Iterator

import gymnasium as gym
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vlagent_envs
from vlagent_envs.registration import family_of
from vlagent_envs.testing import CHECKS, check_action

ENV_IDS = vlagent_envs.registered_ids()

# The checks that play episodes (seconds per id) run on every id of a family up to
# _SAMPLE_ABOVE ids; a larger family (Baba Is AI's 41, MiniWorld's 24: one class, a task name
# each) runs them on its default id and every third task id, to keep CI within its budget. The
# cheap checks run on every id, and each family's own tests reset and solve every task.
_EPISODE_CHECKS = ("determinism", "pickle", "vector", "hostile-actions", "scripted")
_SAMPLE_ABOVE = 12


def _episode_check_ids() -> list[str]:
    by_family: dict[str | None, list[str]] = {}
    for env_id in ENV_IDS:
        by_family.setdefault(family_of(env_id), []).append(env_id)
    chosen: list[str] = []
    for ids in by_family.values():
        if len(ids) <= _SAMPLE_ABOVE:
            chosen += ids
            continue
        default = [i for i in ids if family_of(i) and i.endswith(f"/{family_of(i)}-v0")]
        tasks = [i for i in ids if i not in default]
        chosen += default + tasks[::3]
    return sorted(chosen)


EPISODE_CHECK_IDS = _episode_check_ids()


def test_every_family_registers_ids() -> None:
    assert {
        "VLAgent/GymCards-NumberLine-v0",
        "VLAgent/GymCards-EZPoints-v0",
        "VLAgent/GymCards-Points24-v0",
        "VLAgent/GymCards-Blackjack-v0",
    } <= set(ENV_IDS)


@pytest.mark.parametrize("check", [c for c in CHECKS if c not in _EPISODE_CHECKS])
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_conformance(env_id: str, check: str) -> None:
    CHECKS[check](env_id)


@pytest.mark.parametrize("check", _EPISODE_CHECKS)
@pytest.mark.parametrize("env_id", EPISODE_CHECK_IDS)
def test_conformance_episodes(env_id: str, check: str) -> None:
    CHECKS[check](env_id)


def test_episode_checks_sample_only_large_families() -> None:
    assert set(_EPISODE_CHECKS) <= set(CHECKS)
    assert "VLAgent/BALROG-BabaIsAI-v0" in EPISODE_CHECK_IDS
    assert "VLAgent/BALROG-MiniHack-Quest-Easy-v0" in EPISODE_CHECK_IDS  # 9 ids: all run
    assert len([i for i in EPISODE_CHECK_IDS if "BabaIsAI" in i]) == 1 + 14


@pytest.fixture(scope="module")
def fuzz_envs() -> Iterator[dict[str, gym.Env]]:
    envs: dict[str, gym.Env] = {}
    yield envs
    for env in envs.values():
        env.close()


_json_fragments = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["action", "thoughts", "Action", "x"]), children, max_size=3
        )
    ),
    max_leaves=12,
).map(lambda value: __import__("json").dumps(value))

_hostile = st.one_of(
    st.text(),
    st.text(min_size=4000, max_size=5000),
    _json_fragments,
    st.integers(0, 60).map(lambda n: "{" * n + '"action": ' + "}" * (n // 2)),
    st.builds(lambda a, b: f"{a}Action: {b}", st.text(max_size=30), st.text(max_size=30)),
    st.binary(max_size=64).map(lambda b: b.decode("latin-1")),
)


@pytest.mark.parametrize("env_id", EPISODE_CHECK_IDS)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(_hostile, min_size=1, max_size=6))
def test_fuzzed_actions_never_break_the_contract(
    env_id: str, actions: list[str], fuzz_envs: dict[str, gym.Env]
) -> None:
    # One env per id for all examples (a reset per example): building an env can cost seconds
    # (a browser for WebShop's screenshots, a GL context for MiniWorld).
    if env_id not in fuzz_envs:
        fuzz_envs[env_id] = gym.make(env_id)
    env = fuzz_envs[env_id]
    env.reset(seed=len(actions))
    for action in actions:
        _, _, terminated, truncated, _ = check_action(env, action)
        if terminated or truncated:
            env.reset(seed=0)


def test_unknown_id_suggests_close_matches() -> None:
    with pytest.raises(gym.error.NameNotFound, match="NumberLine"):
        gym.make("VLAgent/GymCards-NumberLin-v0")
