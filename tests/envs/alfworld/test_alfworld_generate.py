"""Tests of the embedded ALFWorld game generator and the shipped game set."""

from __future__ import annotations

import importlib.util
import json
import random
import tarfile
from collections import Counter
from pathlib import Path

import pytest

from vlagent_envs.envs.alfworld import generate

# find_spec, not importorskip: importing alfworld creates its cache folder (alfworld.info).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        any(
            importlib.util.find_spec(m) is None for m in ("textworld", "fast_downward", "alfworld")
        ),
        reason="needs the alfworld extra",
    ),
]

PARAM_KEYS = {"object_target", "parent_target", "toggle_target", "mrecep_target", "object_sliced"}


@pytest.fixture(autouse=True)
def _no_home_writes(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    """Keep alfworld's cache folder (created on import) out of the home directory."""
    cache = tmp_path_factory.getbasetemp() / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("ALFWORLD_DATA", str(cache / "alfworld"))


@pytest.fixture(scope="module")
def games(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[generate.GeneratedGame, Path]]:
    """One verified game per task type, written under a temporary root.

    The rooms are capped at 12 receptacles so the six games load and plan in seconds.
    """
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(cache))
        patch.setenv("ALFWORLD_DATA", str(cache / "alfworld"))
        patch.setattr(generate, "MAX_RECEPTACLES", 12)
        root = tmp_path_factory.mktemp("games")
        out = {}
        for task_type in generate.TASK_TYPES:
            game = generate.generate_game(task_type, "valid_unseen", 0, seed=0)
            out[task_type] = (game, generate.write_game(game, root))
    return out


@pytest.mark.parametrize("task_type", generate.TASK_TYPES)
def test_game_has_official_layout(games, task_type: str) -> None:
    game, trial_dir = games[task_type]
    assert trial_dir.parts[-4:-2] == ("json_2.1.1", "valid_unseen")
    folder = trial_dir.parent.name
    assert folder == game.folder and trial_dir.name == game.trial
    assert trial_dir.name.startswith("trial_T2019")
    kind, obj, mrecep, fourth, scene = folder.split("-")
    assert kind == task_type and mrecep == "None"

    traj = json.loads((trial_dir / "traj_data.json").read_text())
    assert traj["task_type"] == task_type
    params = traj["pddl_params"]
    assert set(params) == PARAM_KEYS
    assert params["object_target"] == obj and params["object_sliced"] is False
    assert params["mrecep_target"] == ""
    if task_type == "look_at_obj_in_light":
        assert params["toggle_target"] == fourth and fourth in {"DeskLamp", "FloorLamp"}
        assert params["parent_target"] == ""
    else:
        assert params["parent_target"] == fourth and params["toggle_target"] == ""
    assert traj["scene"] == {"floor_plan": f"FloorPlan{scene}", "scene_num": int(scene)}
    assert traj["vlagent_generator"]["split"] == "valid_unseen"
    task_desc = traj["turk_annotations"]["anns"][0]["task_desc"]

    data = json.loads((trial_dir / "game.tw-pddl").read_text())
    assert set(data) == {"pddl_domain", "grammar", "pddl_problem", "solvable", "walkthrough"}
    assert data["solvable"] is True
    assert f"Your task is to: {task_desc}." in data["grammar"]
    assert "UNKNOWN GOAL" not in data["grammar"]
    assert obj.lower() in task_desc
    assert data["pddl_problem"].startswith(f"(define (problem plan_{game.trial})")
    assert "(:goal" in data["pddl_problem"] and "#" not in data["pddl_problem"]
    assert data["walkthrough"] == game.walkthrough and game.walkthrough


@pytest.mark.parametrize("task_type", ["look_at_obj_in_light", "pick_heat_then_place_in_recep"])
def test_planner_plan_wins(games, task_type: str) -> None:
    game, trial_dir = games[task_type]
    assert generate.verify_game(trial_dir / "game.tw-pddl") == game.walkthrough


def test_same_arguments_give_identical_bytes(
    games, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generate, "MAX_RECEPTACLES", 12)
    first, first_dir = games["look_at_obj_in_light"]
    again = generate.generate_game("look_at_obj_in_light", "valid_unseen", 0, seed=0)
    again_dir = generate.write_game(again, tmp_path)
    for name in ("game.tw-pddl", "traj_data.json"):
        assert (again_dir / name).read_bytes() == (first_dir / name).read_bytes()


def test_different_index_or_seed_gives_a_different_problem() -> None:
    def problem(**changes: object) -> str:
        args = {"task_type": "pick_and_place_simple", "split": "train", "index": 0, "seed": 0}
        args.update(changes)
        draft = generate._draft(**args, attempt=0)  # type: ignore[arg-type]
        assert draft is not None
        return draft.problem

    base = problem()
    assert problem() == base
    assert problem(index=1) != base
    assert problem(seed=1) != base
    assert problem(split="valid_seen") != base


def test_splits_use_their_rooms() -> None:
    constants = generate._constants()
    for split, rooms in [
        ("train", set(constants.TRAIN_SCENE_NUMBERS)),
        ("valid_seen", set(constants.TRAIN_SCENE_NUMBERS)),
        ("valid_unseen", set(constants.TEST_SCENE_NUMBERS)),
    ]:
        for task_type in generate.TASK_TYPES:
            for index in range(4):
                draft = generate._draft(task_type, split, index, 0, attempt=0)
                if draft is not None:
                    assert draft.traj_data["scene"]["scene_num"] in rooms


def test_unknown_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="task type"):
        generate.generate_game("pick_and_place_with_movable_recep", "train", 0)
    with pytest.raises(ValueError, match="split"):
        generate.generate_game("pick_and_place_simple", "test", 0)


def test_verify_game_names_an_unsolvable_file(games, tmp_path: Path) -> None:
    game, trial_dir = games["pick_and_place_simple"]
    data = json.loads((trial_dir / "game.tw-pddl").read_text())
    # A goal that no state reaches: the engine cannot load it.
    target = f"(objectType ?o {game.traj_data['pddl_params']['object_target']}Type)"
    assert target in data["pddl_problem"]
    data["pddl_problem"] = data["pddl_problem"].replace(target, f"{target} (isHot ?o)")
    bad = tmp_path / "game.tw-pddl"
    bad.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=str(bad)):
        generate.verify_game(bad)


def _shipped_members() -> dict[str, bytes]:
    with tarfile.open(generate.SHIPPED_ARCHIVE, "r:xz") as archive:
        return {
            m.name: archive.extractfile(m).read()  # type: ignore[union-attr]
            for m in archive.getmembers()
            if m.isfile()
        }


def test_shipped_archive_lists_the_games() -> None:
    assert generate.SHIPPED_ARCHIVE.exists()
    with tarfile.open(generate.SHIPPED_ARCHIVE, "r:xz") as archive:
        for member in archive.getmembers():
            assert member.mtime == 0 and member.uid == 0 and member.gid == 0
            assert member.uname == "" and member.gname == ""
    members = _shipped_members()
    counts: Counter[tuple[str, str]] = Counter()
    for name, data in members.items():
        if name.endswith("traj_data.json"):
            root, split, folder, trial, _ = name.split("/")
            assert root == "json_2.1.1" and trial.startswith("trial_")
            traj = json.loads(data)
            assert traj["task_type"] in generate.TASK_TYPES
            assert folder.startswith(traj["task_type"] + "-")
            assert traj["vlagent_generator"]["split"] == split
            assert name.replace("traj_data.json", "game.tw-pddl") in members
            counts[split, traj["task_type"]] += 1
    assert sum(counts.values()) == 96
    for split, per_task in generate.SHIPPED_PER_TASK.items():
        for task_type in generate.TASK_TYPES:
            assert counts[split, task_type] == per_task


def test_one_shipped_game_per_split_wins(tmp_path: Path) -> None:
    members = _shipped_members()
    rng = random.Random()
    for split in generate.SPLITS:
        games = sorted(
            (len(data), name)
            for name, data in members.items()
            if name.startswith(f"json_2.1.1/{split}/") and name.endswith("game.tw-pddl")
        )
        # A random one of the smaller half keeps the test fast (big kitchens take ~10 s).
        _, name = rng.choice(games[: len(games) // 2])
        path = tmp_path / name
        path.parent.mkdir(parents=True)
        path.write_bytes(members[name])
        assert generate.verify_game(path) == json.loads(members[name])["walkthrough"]
