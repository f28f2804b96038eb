"""``VLAgent/BALROG-Crafter-v0``: BALROG's describer, grammar, progression and the scripted policy.

A crafter reset generates a world (about a second), so one env is shared by the module and the
checks read one seeded world; the expected descriptions are computed here from crafter's own
material and object maps, not from the describer under test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import vlagent_envs  # noqa: F401

pytest.importorskip("crafter")

from vlagent_envs.benchmarks.balrog.crafter import ACHIEVEMENTS, ACTIONS

ENV_ID = "VLAgent/BALROG-Crafter-v0"
_LINE = re.compile(r"^- (\w+) (.+)$")
_PART = re.compile(r"(\d+) steps? (north|south|west|east)")


@pytest.fixture(scope="module")
def env():
    env = gym.make(ENV_ID)
    yield env
    env.close()


@pytest.fixture(scope="module")
def played(env):
    """Seed 1, then 40 scripted steps: trees, water, a table and tools in view."""
    obs, info = env.reset(seed=1)
    first = obs
    for _ in range(40):
        obs, reward, terminated, truncated, info = env.step(env.unwrapped.expert_action())
        assert not (terminated or truncated)
    return first, obs, info


def _semantic_names(base) -> dict[tuple[int, int], str]:
    """Every cell of the world as BALROG names it, from crafter's maps (objects over materials)."""
    world = base._env._world
    names = {v: k for k, v in world._mat_ids.items()}
    cells = {}
    for x in range(world.area[0]):
        for y in range(world.area[1]):
            cells[(x, y)] = names[int(world._mat_map[x, y])]
    for obj in world.objects:
        cells[(int(obj.pos[0]), int(obj.pos[1]))] = type(obj).__name__.lower()
    return cells


def _offset(location: str) -> tuple[int, int]:
    dx = dy = 0
    for n, direction in _PART.findall(location):
        n = int(n)
        if direction == "north":
            dy = -n
        elif direction == "south":
            dy = n
        elif direction == "west":
            dx = -n
        else:
            dx = n
    return dx, dy


def test_text_lists_the_nearest_object_of_each_kind(env, played) -> None:
    _, obs, _ = played
    base = env.unwrapped
    cells = _semantic_names(base)
    px, py = (int(v) for v in base._env._player.pos)
    view = {
        (dx, dy): cells.get((px + dx, py + dy), None)
        for dx in range(-4, 5)
        for dy in range(-3, 4)
        if (dx, dy) != (0, 0)
    }

    def shown(offset, name) -> bool:
        if name in (None, "grass", "sand", "path", "player"):
            return False
        if name != "water":
            return True
        dx, dy = offset
        around = [(dx + 1, dy), (dx - 1, dy), (dx, dy + 1), (dx, dy - 1)]
        return any(o in view and view[o] != "water" for o in around) or (0, 0) in around

    expected_kinds = {name for offset, name in view.items() if shown(offset, name)}
    text = obs["text"]
    seen = text.split("You see:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    listed = {}
    for line in seen:
        match = _LINE.match(line)
        assert match, line
        listed[match.group(1)] = _offset(match.group(2))
    assert set(listed) == expected_kinds and len(expected_kinds) >= 2
    for name, (dx, dy) in listed.items():
        assert view[(dx, dy)] == name, (name, dx, dy)
        # BALROG keeps the first cell (x, then y) with the smallest leading distance.
        key = abs(dy) if dy else abs(dx)
        rivals = [o for o, n in view.items() if n == name and shown(o, n)]
        assert all((abs(o[1]) if o[1] else abs(o[0])) >= key for o in rivals)


def test_text_says_what_is_faced_and_the_status(env, played) -> None:
    _, obs, _ = played
    base = env.unwrapped
    player = base._env._player
    front = _semantic_names(base)[tuple(int(v) for v in player.pos + np.array(player.facing))]
    front = "nothing" if front in ("grass", "sand", "path") else front
    assert obs["text"].endswith(f"You face {front} at your front.")
    inv = player.inventory
    status = "\n".join(f"- {v}: {inv[v]}/9" for v in ("health", "food", "drink", "energy"))
    assert obs["text"].startswith(f"Your status:\n{status}\n\nYour inventory:\n")
    held = [
        f"- {k}: {v}"
        for k, v in inv.items()
        if v and k not in ("health", "food", "drink", "energy")
    ]
    assert held and "\n".join(held) in obs["text"]


def test_first_observation_of_a_fresh_world(played) -> None:
    first, _, _ = played
    assert "You have nothing in your inventory.\n" in first["text"]
    assert first["image"].shape == (256, 256, 3) and first["image"].dtype == np.uint8
    assert first["instruction"].startswith("Your goal is to get as far as possible")


def test_progress_counts_achievements_out_of_22(env, played) -> None:
    _, _, info = played
    unlocked = sum(1 for v in info["achievements"].values() if v > 0)
    assert unlocked >= 3
    assert info["progress"] == pytest.approx(unlocked / 22)
    assert len(ACHIEVEMENTS) == 22 and set(ACHIEVEMENTS) == set(info["achievements"])
    assert info["success"] is False


def test_grammar_and_invalid_actions_play_noop(env, played) -> None:
    grammar = env.unwrapped.grammar
    assert grammar.actions == ACTIONS and len(ACTIONS) == 17
    assert grammar.parse("move west") == "Move West"
    assert grammar.parse("place_table") == "Place Table"
    assert grammar.parse("MAKE IRON SWORD") == "Make Iron Sword"
    assert grammar.parse("Move North-East") is None
    _, reward, _, _, info = env.step("Move North-East")
    assert not info["action_valid"] and info["parsed_action"] is None
    assert "played 'Noop' instead" in env.unwrapped._text
    _, _, _, _, info = env.step('{"thoughts": "wood", "action": "Do"}')
    assert info["action_valid"] and info["parsed_action"] == "Do"


def test_same_seed_same_world_other_seed_other_world() -> None:
    a, b = gym.make(ENV_ID), gym.make(ENV_ID)
    obs_a, _ = a.reset(seed=7)
    obs_b, _ = b.reset(seed=7)
    for action in ("Move West", "Do", "Move North", "Noop", "Move East"):
        obs_a, ra, *_ = a.step(action)
        obs_b, rb, *_ = b.step(action)
        assert obs_a["text"] == obs_b["text"] and ra == rb
        assert np.array_equal(obs_a["image"], obs_b["image"])
    assert np.array_equal(a.unwrapped._env._world._mat_map, b.unwrapped._env._world._mat_map)
    b.reset(seed=8)
    assert not np.array_equal(a.unwrapped._env._world._mat_map, b.unwrapped._env._world._mat_map)


def test_scripted_policy_unlocks_achievements(env) -> None:
    env.reset(seed=2)
    base = env.unwrapped
    for _ in range(150):
        _, _, terminated, _, info = env.step(base.expert_action())
        if terminated:
            break
    unlocked = {k for k, v in info["achievements"].items() if v}
    assert {"collect_wood", "place_table", "make_wood_pickaxe", "collect_stone"} <= unlocked
    assert len(unlocked) >= 8


_WORLDS = """
import hashlib, crafter
for seed in (0, 1):
    env = crafter.Env(seed=seed)
    env.reset()
    objects = sorted((type(o).__name__, tuple(map(int, o.pos))) for o in env._world.objects)
    print(hashlib.sha256(env._world._mat_map.tobytes() + repr(objects).encode()).hexdigest())
"""


def test_numba_world_generation_gives_crafters_own_worlds() -> None:
    # The balrog extra installs numba, with which opensimplex compiles the noise of crafter's
    # world generation (10x faster resets); with NUMBA_DISABLE_JIT the same functions run as the
    # plain Python crafter was written against. The worlds must be the same.
    pytest.importorskip("numba")

    def worlds(**env: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", _WORLDS],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        return done.stdout.split()

    compiled, python = worlds(), worlds(NUMBA_DISABLE_JIT="1")
    assert len(compiled) == 2 and compiled == python
