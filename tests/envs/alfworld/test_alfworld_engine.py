"""The cached engine says exactly what textworld's PDDL env and alfworld's AlfredTWEnv say."""

from __future__ import annotations

import json
import logging
import random
import re
from pathlib import Path

import pytest

from vlagent_envs.envs.alfworld import engine as engine_module
from vlagent_envs.envs.alfworld.data import TASK_TYPES, GameRecord
from vlagent_envs.envs.alfworld.engine import AlfredEngine, GameFileError


def _reference(game: GameRecord):
    """textworld's own PddlEnv behind alfworld's AlfredDemangler: what AlfredTWEnv plays."""
    modules = engine_module._modules()
    textworld = modules.textworld
    env = modules.AlfredDemangler(
        modules.pddl_env.PddlEnv(textworld.EnvInfos(won=True, admissible_commands=True))
    )
    env.load(str(game.game_file))
    return env


@pytest.mark.slow
@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_same_texts_commands_wins_and_plans_as_textworld(task_type, one_game_per_task) -> None:
    game = one_game_per_task[task_type]
    reference, engine = _reference(game), AlfredEngine()
    expected, state = reference.reset(), engine.load(game.game_file)
    assert state.feedback == expected.feedback
    assert list(state.admissible_commands) == expected["admissible_commands"]
    core = reference.unwrapped
    assert engine.plan() == core._pddl_state.replan(core._entity_infos)
    rng = random.Random(task_type)
    plan = engine.plan()
    for t in range(24):
        # Mostly the winning plan (so heating, cleaning, lamps, wins are reached), some random
        # admissible commands and some text the engine does not know.
        roll = rng.random()
        if roll < 0.15:
            command = rng.choice(["jump", "take the moon", "", "  LOOK  ", "go to nowhere 9"])
        elif roll < 0.4 or not plan:
            command = rng.choice(state.admissible_commands)
        else:
            command = plan.pop(0)
        expected, _, _ = reference.step(command)
        state = engine.step(command)
        assert state.feedback == expected.feedback, (t, command)
        assert list(state.admissible_commands) == expected["admissible_commands"], (t, command)
        assert state.won == expected["won"]
        if state.won:
            break
    assert engine.plan() == core._pddl_state.replan(core._entity_infos)
    engine.close()


@pytest.mark.slow
def test_same_observations_as_alfred_tw_env(one_game_per_task, official_env) -> None:
    game = one_game_per_task["pick_heat_then_place_in_recep"]
    official, engine = official_env(game), AlfredEngine()
    obs, infos = official.reset()
    state = engine.load(game.game_file)
    assert obs[0] == state.feedback
    assert list(infos["admissible_commands"][0]) == list(state.admissible_commands)
    for command in ["inventory", "dance", *engine.plan()]:
        obs, _, dones, infos = official.step([command])
        state = engine.step(command)
        assert obs[0] == state.feedback, command
        assert list(infos["admissible_commands"][0]) == list(state.admissible_commands)
        assert infos["won"][0] == state.won
    assert state.won and dones[0]


def test_the_planner_runs_once_per_state(one_game_per_task, monkeypatch) -> None:
    engine = AlfredEngine()
    engine.load(one_game_per_task["pick_and_place_simple"].game_file)
    engine_module._plans.clear()
    calls = []
    state_class = type(engine._core._pddl_state)
    replan = state_class.replan
    monkeypatch.setattr(
        state_class, "replan", lambda self, infos: calls.append(1) or replan(self, infos)
    )
    plan = engine.plan()  # the game's walkthrough: the planner's plan, stored by the generator
    assert plan == engine.game_data["walkthrough"] and not calls
    for command in plan[:-1]:
        engine.step(command)
        assert engine.plan()[0] == plan[plan.index(command) + 1]
    assert not calls
    engine.step("look")  # off the plan: the planner is asked
    engine.plan()
    assert len(calls) == 1
    engine.reset()
    for command in [*plan[:-1], "look"]:  # a state seen before: its plan is remembered
        engine.step(command)
    engine.plan()
    assert len(calls) == 1
    engine.close()


def test_translations_are_cached_on_disk(one_game_per_task, monkeypatch, caplog) -> None:
    game = one_game_per_task["pick_two_obj_and_place"]
    engine = AlfredEngine()
    first = engine.load(game.game_file)
    engine.close()
    engine_module._translations.clear()

    def no_translation(*args, **kwargs):
        raise AssertionError("translated again instead of reading the cache")

    monkeypatch.setattr(engine_module._modules().fast_downward, "pddl2sas", no_translation)
    engine = AlfredEngine()
    assert engine.load(game.game_file) == first
    engine.close()

    # A corrupt cache file is rebuilt with a warning.
    monkeypatch.undo()
    for path in engine_module._cache_dir().glob("*.pkl.z"):
        path.write_bytes(b"not a pickle")
    engine_module._translations.clear()
    engine = AlfredEngine()
    with caplog.at_level(logging.WARNING):
        assert engine.load(game.game_file) == first
    assert "unreadable translation cache" in caplog.text
    engine.close()


def test_bad_game_files_name_the_file(tmp_path: Path, one_game_per_task) -> None:
    engine = AlfredEngine()
    with pytest.raises(GameFileError, match="not found"):
        engine.load(tmp_path / "missing" / "game.tw-pddl")
    broken = tmp_path / "broken.tw-pddl"
    broken.write_text("{ not json")
    with pytest.raises(GameFileError, match=r"broken\.tw-pddl is not valid JSON"):
        engine.load(broken)
    partial = tmp_path / "partial.tw-pddl"
    partial.write_text(json.dumps({"pddl_domain": "(define)"}))
    with pytest.raises(GameFileError, match="lacks grammar, pddl_problem"):
        engine.load(partial)
    # A goal no plan can reach: fast-downward gives up at load time.
    game = json.loads(one_game_per_task["pick_and_place_simple"].game_file.read_text())
    problem = game["pddl_problem"]
    receptacles = re.findall(r"\(receptacleType (\S+) ", problem)
    fixed = next(r for r in receptacles if f"(openable {r})" not in problem)
    goal_start = problem.index("(:goal")
    game["pddl_problem"] = problem[:goal_start] + f"(:goal (opened {fixed})))"
    unreachable = tmp_path / "unreachable.tw-pddl"
    unreachable.write_text(json.dumps(game))
    with pytest.raises(GameFileError, match="unreachable"):
        engine.load(unreachable)
    engine.close()
