"""A seeded generator of ALFWorld games in the official ALFWorld data layout.

ALFWorld's text games are PDDL problems over ALFRED's AI2-THOR rooms. The official set is a
download (``alfworld-download``); this module builds equivalent games offline so the ALFWorld
env works with no download, and ships a small verified set in ``data/games.tar.xz``.

Layout written (the official one)::

    <root>/json_2.1.1/<split>/<task_type>-<Object>-<Mrecep>-<Parent>-<scene>/trial_T<...>/
        game.tw-pddl     # JSON: pddl_domain, grammar, pddl_problem, solvable, walkthrough
        traj_data.json   # task_type, pddl_params, turk_annotations, task_id, scene, ...

How a game is made:

* The room is a real ALFRED floor plan shipped in the alfworld wheel
  (``alfworld/gen/layouts/FloorPlan<N>-openable.json``: receptacle id -> agent pose that reaches
  it; ``FloorPlan<N>-objects.json``: the classes present; ``FloorPlan<N>-layout.npy``: the
  reachable grid points). Receptacle classes present in the room but absent from
  ``openable.json`` (StoveBurner, Toaster, CoffeeMachine, GarbageCan, ...) get synthesized
  instances at reachable grid points.
* Objects: 1-3 instances of each pickupable class of the room
  (``constants.MAX_NUM_OF_OBJ_INSTANCES``), 1-``PICKUP_REPEAT_MAX`` of the target (at least 2
  for ``pick_two_obj_and_place``), each placed in a receptacle allowed by
  ``constants.VAL_RECEPTACLE_OBJECTS``. Lamps are toggleable, not pickupable, and stand on a
  non-openable receptacle so ``ToggleObject`` (which needs ``inReceptacle``) applies.
* The goal is ``goal_library.gdict[task_type]["pddl"]`` and the task description one of its
  templates, both filled as ALFWorld does (``alfworld/agents/utils/misc.py``).
* Every game is verified before it is returned: it is loaded with textworld's ``PddlEnv`` and
  ALFWorld's ``AlfredDemangler``, the planner's plan (``policy_commands``) is played and must
  win. The plan is stored as the game's ``walkthrough``.

Differences from the official games: there are no human annotations, so
``turk_annotations.anns[*].task_desc`` holds the templated description; object ids have
plausible but invented coordinates; ``traj_data.json`` lacks ALFRED's ``plan``, ``images`` and
other fields that ALFWorld's text engine does not read, and records the generator version,
seed, split and index under ``vlagent_generator``. Receptacles sharing an agent pose in ALFRED
get distinct locations (the camera horizon is nudged), so every ``go to`` moves the agent.

Generation is deterministic: ``(task_type, split, index, seed)`` gives byte-identical files.
Splits ``train`` and ``valid_seen`` use ALFRED's training rooms (``constants.TRAIN_SCENE_NUMBERS``,
with different draws), ``valid_unseen`` the unseen rooms (``constants.TEST_SCENE_NUMBERS``).

The alfworld modules used for generation (``gen/constants.py``, ``gen/goal_library.py``) are
loaded from their files, because importing the ``alfworld`` package runs ``alfworld.info``, which
creates ``$ALFWORLD_DATA`` (default ``~/.cache/alfworld``). Verification imports ALFWorld's
demangler and therefore has that side effect; set ``ALFWORLD_DATA`` to control where.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import logging
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from vlagent_envs.envs.alfworld.data import SPLITS, TASK_TYPES

logger = logging.getLogger(__name__)

__all__ = [
    "GENERATOR_VERSION",
    "SPLITS",
    "TASK_TYPES",
    "GeneratedGame",
    "build_shipped_set",
    "generate_game",
    "generate_split",
    "verify_game",
    "write_game",
]

GENERATOR_VERSION = 1
"""Bumped whenever the same arguments would give different games."""

DATA_VERSION_DIR = "json_2.1.1"
SHIPPED_ARCHIVE = Path(__file__).parent / "data" / "games.tar.xz"
SHIPPED_PER_TASK = {"train": 10, "valid_seen": 3, "valid_unseen": 3}
"""Games per task type in each split of the shipped set."""

MAX_RECEPTACLES = 32
"""Receptacles per game at most (official games average 20-30; bigger ones plan too slowly)."""

PLAN_TIMEOUT_S = 60.0
"""Seconds allowed to verify a draft (load, plan, play); a slower draft is rejected, since
ALFWorld's planner expert replans after every step."""

MAX_ATTEMPTS = 50
"""Draws tried for one game before giving up (a draw fails when the room cannot host the task
or the planner finds no winning plan)."""

_GRID = 0.25  # ALFRED's agent step: poses in metres become grid units (``game_util.get_pose``)
_LAMPS = ("DeskLamp", "FloorLamp")
_LAMP_SURFACES = (
    "SideTable",
    "Desk",
    "Dresser",
    "CoffeeTable",
    "TVStand",
    "Shelf",
    "Cart",
    "Ottoman",
    "DiningTable",
    "CounterTop",
)
_APPLIANCE = {
    "pick_heat_then_place_in_recep": ("Heatable", "Microwave"),
    "pick_cool_then_place_in_recep": ("Coolable", "Fridge"),
    "pick_clean_then_place_in_recep": ("Cleanable", "SinkBasin"),
}
_BASINS = {"Sink": "SinkBasin", "Bathtub": "BathtubBasin"}
# Types the domain names as constants (CleanObject, HeatObject, CoolObject, SliceObject): FD needs
# them declared in every problem.
_DOMAIN_RTYPES = ("FridgeType", "MicrowaveType", "SinkBasinType")
_DOMAIN_OTYPES = ("ButterKnifeType", "KnifeType")
_TRAIT_PREDICATES = {
    "Heatable": "heatable",
    "Coolable": "coolable",
    "Cleanable": "cleanable",
    "Toggleable": "toggleable",
    "Sliceable": "sliceable",
}


# ---------------------------------------------------------------------------------------------
# alfworld files


def _alfworld_dir() -> Path:
    """The installed ``alfworld`` package folder, found without importing the package."""
    spec = importlib.util.find_spec("alfworld")
    if spec is None or not spec.submodule_search_locations:
        from vlagent_envs.envs.alfworld.engine import require

        require("alfworld")  # raises DependencyNotInstalled with the install line
        raise ImportError("alfworld is not importable")  # pragma: no cover
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def _alfworld_module(relative: str) -> ModuleType:
    """Load ``alfworld/<relative>`` standalone, skipping ``alfworld/__init__``'s side effect."""
    path = _alfworld_dir() / relative
    name = "_vlagent_alfworld_" + relative.replace("/", "_").removesuffix(".py")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _constants() -> ModuleType:
    return _alfworld_module("gen/constants.py")


def _goal_library() -> ModuleType:
    return _alfworld_module("gen/goal_library.py")


@cache
def _logic_files() -> tuple[str, str]:
    """The text of ``alfworld/data/alfred.pddl`` and ``alfred.twl2``."""
    data = _alfworld_dir() / "data"
    return (data / "alfred.pddl").read_text(), (data / "alfred.twl2").read_text()


@dataclass(frozen=True)
class _Room:
    """What one ALFRED floor plan provides."""

    number: int
    poses: dict[str, tuple[float, float, int, int]]
    classes: tuple[str, ...]
    reachable: tuple[tuple[float, float], ...]


@cache
def _room(number: int) -> _Room:
    import numpy as np

    layouts = _alfworld_dir() / "gen" / "layouts"
    poses = json.loads((layouts / f"FloorPlan{number}-openable.json").read_text())
    classes = json.loads((layouts / f"FloorPlan{number}-objects.json").read_text())
    points = np.load(layouts / f"FloorPlan{number}-layout.npy")
    reachable = tuple(sorted({(float(x), float(z)) for x, z in points.tolist()}))
    return _Room(
        number=number,
        poses={key: (float(p[0]), float(p[1]), int(p[2]), int(p[3])) for key, p in poses.items()},
        classes=tuple(sorted(set(classes))),
        reachable=reachable,
    )


def _room_type(number: int) -> str:
    for name, numbers in _constants().SCENE_TYPE.items():
        if number in numbers:
            return name
    raise ValueError(f"unknown ALFRED floor plan {number}")


def _split_rooms(split: str, task_type: str) -> list[int]:
    constants = _constants()
    numbers = (
        constants.TEST_SCENE_NUMBERS if split == "valid_unseen" else constants.TRAIN_SCENE_NUMBERS
    )
    allowed = constants.GOALS_VALID[task_type]
    return sorted(n for n in numbers if _room_type(n) in allowed)


# ---------------------------------------------------------------------------------------------
# The sampled world


@dataclass(frozen=True)
class _Thing:
    """A receptacle (``parent`` is None) or an object (``parent`` is a receptacle id)."""

    id: str
    cls: str
    loc: str
    parent: str | None = None


@dataclass(frozen=True)
class _Task:
    task_type: str
    room: int
    obj: str
    parent: str
    toggle: str


@dataclass(frozen=True)
class GeneratedGame:
    """One generated, verified game.

    Attributes:
        task_type: One of ``TASK_TYPES``.
        split: One of ``SPLITS``.
        index: The game's index within (split, task type).
        seed: The generator seed.
        folder: The task folder, e.g. ``pick_and_place_simple-Apple-None-DiningTable-12``.
        trial: The trial folder, e.g. ``trial_T20190907_212755_456877``.
        problem: The PDDL problem text.
        traj_data: The ``traj_data.json`` content.
        game: The ``game.tw-pddl`` content (walkthrough included).
        walkthrough: The winning plan found by the planner.
    """

    task_type: str
    split: str
    index: int
    seed: int
    folder: str
    trial: str
    problem: str
    traj_data: dict[str, Any]
    game: dict[str, Any]
    walkthrough: list[str]

    @property
    def relative_dir(self) -> Path:
        """``json_2.1.1/<split>/<folder>/<trial>``."""
        return Path(DATA_VERSION_DIR, self.split, self.folder, self.trial)


def _mangle(text: str) -> str:
    """ALFRED id -> PDDL name (``PlannedGameState.fix_pddl_str_chars``)."""
    table = {"-": "_minus_", "|": "_bar_", "+": "_plus_", ".": "_dot_", ",": "_comma_"}
    return "".join(table.get(char, char) for char in text)


def _loc_name(x: int, z: int, rotation: int, horizon: int) -> str:
    return _mangle(f"loc|{x}|{z}|{rotation}|{horizon}")


def _alfred_id(cls: str, x: float, y: float, z: float) -> str:
    return f"{cls}|{x:+06.2f}|{y:+06.2f}|{z:+06.2f}"


def _receptacle_class(key: str) -> str:
    parts = key.split("|")
    return parts[-1] if parts[-1] in _BASINS.values() else parts[0]


def _pickupable_classes() -> set[str]:
    constants = _constants()
    placeable = set().union(*constants.VAL_RECEPTACLE_OBJECTS.values())
    return {c for c in placeable if c in constants.OBJECTS and "Sliced" not in c} - set(_LAMPS)


class _World:
    """Receptacles, objects and locations of one game, built from a seeded generator."""

    def __init__(self, rng: random.Random, room: _Room) -> None:
        self.rng = rng
        self.room = room
        self.receptacles: list[_Thing] = []
        self.objects: list[_Thing] = []
        self.locations: dict[str, tuple[int, int]] = {}  # name -> grid (x, z)
        self.used_ids: set[str] = set()
        self._build_receptacles()
        self.start = self._free_location(self._random_point())

    # locations ---------------------------------------------------------------------------

    def _free_location(self, pose: tuple[float, float, int, int]) -> str:
        """A location name for ``pose`` not used yet (horizon nudged on a clash)."""
        x, z = round(pose[0] / _GRID), round(pose[1] / _GRID)
        rotation = (pose[2] // 90) % 4
        for step in range(40):
            horizon = pose[3] + 15 * ((step + 1) // 2) * (1 if step % 2 else -1)
            name = _loc_name(x, z, rotation, horizon)
            if name not in self.locations:
                self.locations[name] = (x, z)
                return name
        raise RuntimeError("no free location")  # pragma: no cover - 40 horizons per pose

    def _random_point(self) -> tuple[float, float, int, int]:
        x, z = self.rng.choice(self.room.reachable)
        return (x, z, 90 * self.rng.randrange(4), 30)

    def _unique_id(self, cls: str, x: float, y: float, z: float, suffix: str = "") -> str:
        while True:
            alfred = _alfred_id(cls, x, y, z) + suffix
            if alfred not in self.used_ids:
                self.used_ids.add(alfred)
                return alfred
            x += self.rng.choice((-0.01, 0.01))

    # receptacles -------------------------------------------------------------------------

    def _build_receptacles(self) -> None:
        constants = _constants()
        static = set(constants.RECEPTACLES) - set(constants.MOVABLE_RECEPTACLES)
        listed = [key for key in sorted(self.room.poses) if _receptacle_class(key) in static]
        present = {_receptacle_class(key) for key in listed}
        wanted = {_BASINS.get(c, c) for c in self.room.classes} & static
        synthesized = [
            cls
            for cls in sorted(wanted - present)
            for _ in range(self.rng.randint(2, 4) if cls == "StoveBurner" else 1)
        ]
        # Rooms with 40-50 cabinets and drawers make the planner search for minutes: drop
        # instances of the most repeated class until the room fits MAX_RECEPTACLES.
        while len(listed) + len(synthesized) > MAX_RECEPTACLES:
            counts = Counter(_receptacle_class(key) for key in listed)
            most = max(sorted(counts), key=counts.__getitem__)
            listed.remove(self.rng.choice([k for k in listed if _receptacle_class(k) == most]))
        for key in listed:
            self.used_ids.add(key)
            self.receptacles.append(
                _Thing(
                    _mangle(key), _receptacle_class(key), self._free_location(self.room.poses[key])
                )
            )
        for cls in synthesized:
            pose = self._random_point()
            # The receptacle stands half a metre ahead of the agent's pose.
            dx, dz = {0: (0, 0.5), 90: (0.5, 0), 180: (0, -0.5), 270: (-0.5, 0)}[pose[2]]
            y = round(self.rng.uniform(0.0, 1.0), 2)
            base = next((k for k, v in _BASINS.items() if v == cls), cls)
            suffix = f"|{cls}" if cls in _BASINS.values() else ""
            alfred = self._unique_id(base, pose[0] + dx, y, pose[1] + dz, suffix)
            self.receptacles.append(_Thing(_mangle(alfred), cls, self._free_location(pose)))

    def receptacles_for(self, cls: str, exclude: Iterable[str] = ()) -> list[_Thing]:
        """Receptacles that may hold objects of class ``cls``, minus classes in ``exclude``."""
        allowed = _constants().VAL_RECEPTACLE_OBJECTS
        banned = set(exclude)
        return [
            r for r in self.receptacles if r.cls not in banned and cls in allowed.get(r.cls, ())
        ]

    # objects -----------------------------------------------------------------------------

    def add_object(self, cls: str, parent: _Thing) -> None:
        px, py, pz = self._coords(parent.id)
        x = px + self.rng.uniform(-0.4, 0.4)
        z = pz + self.rng.uniform(-0.4, 0.4)
        y = py + self.rng.uniform(0.0, 0.2)
        alfred = self._unique_id(cls, x, y, z)
        self.objects.append(_Thing(_mangle(alfred), cls, parent.loc, parent.id))

    @staticmethod
    def _coords(mangled: str) -> tuple[float, float, float]:
        text = mangled.replace("_bar_", "|").replace("_minus_", "-").replace("_plus_", "+")
        parts = text.replace("_dot_", ".").split("|")
        return float(parts[1]), float(parts[2]), float(parts[3])


# ---------------------------------------------------------------------------------------------
# Sampling a task


def _sample_task(rng: random.Random, task_type: str, split: str) -> tuple[_Task, _World] | None:
    """Draw a room, the task's targets and the world; None when the room cannot host the task."""
    constants = _constants()
    room = _room(rng.choice(_split_rooms(split, task_type)))
    world = _World(rng, room)
    receptacle_classes = sorted({r.cls for r in world.receptacles})
    pickupable = sorted(c for c in room.classes if c in _pickupable_classes())
    pickupable = [c for c in pickupable if world.receptacles_for(c)]
    toggle = ""
    if task_type == "look_at_obj_in_light":
        lamps = [c for c in _LAMPS if c in room.classes]
        if not lamps or not pickupable:
            return None
        toggle = rng.choice(lamps)
        obj = rng.choice(pickupable)
        task = _Task(task_type, room.number, obj, toggle, toggle)
    else:
        if task_type in _APPLIANCE:
            trait, appliance = _APPLIANCE[task_type]
            if appliance not in receptacle_classes:
                return None
            pickupable = [c for c in pickupable if c in constants.VAL_ACTION_OBJECTS[trait]]
        else:
            appliance = ""
        choices = [
            (obj, parent)
            for obj in pickupable
            for parent in receptacle_classes
            if parent != appliance
            and obj in constants.VAL_RECEPTACLE_OBJECTS.get(parent, ())
            # The target must start somewhere other than the goal receptacle.
            and world.receptacles_for(obj, exclude=(parent,))
        ]
        if not choices:
            return None
        obj, parent = rng.choice(choices)
        task = _Task(task_type, room.number, obj, parent, "")
    _populate(rng, world, task)
    return task, world


def _populate(rng: random.Random, world: _World, task: _Task) -> None:
    constants = _constants()
    for cls in sorted(c for c in world.room.classes if c in _pickupable_classes()):
        if cls == task.obj:
            low = 2 if task.task_type == "pick_two_obj_and_place" else 1
            count = rng.randint(low, constants.PICKUP_REPEAT_MAX)
            homes = world.receptacles_for(cls, exclude=(task.parent,))
        else:
            count = rng.randint(1, constants.MAX_NUM_OF_OBJ_INSTANCES)
            homes = world.receptacles_for(cls)
        if not homes:
            continue
        for _ in range(count):
            world.add_object(cls, rng.choice(homes))
    for lamp in _LAMPS:
        if lamp not in world.room.classes:
            continue
        surfaces = [r for r in world.receptacles if r.cls in _LAMP_SURFACES]
        if not surfaces:
            surfaces = [r for r in world.receptacles if r.cls not in constants.OPENABLE_CLASS_LIST]
        if surfaces:
            world.add_object(lamp, rng.choice(surfaces))


# ---------------------------------------------------------------------------------------------
# PDDL


def _problem_text(name: str, task: _Task, world: _World, *, distances: bool = False) -> str:
    """The PDDL problem.

    ``distances`` adds ``(= (distance l1 l2) N)`` for every ordered pair of locations (grid
    Manhattan distance + 1), as ALFRED's problems do. It is off: alfred.pddl's ``GotoLocation``
    costs a constant 1 (the distance term is commented out), so the facts change no plan, and
    they make the problem text about 2.5 times longer without changing the load time.
    """
    constants = _constants()
    object_types = sorted({o.cls for o in world.objects} | {t[:-4] for t in _DOMAIN_OTYPES})
    receptacle_types = sorted({r.cls for r in world.receptacles} | {t[:-4] for t in _DOMAIN_RTYPES})
    declared = ["agent1 - agent"]
    declared += [f"{t}Type - rtype" for t in receptacle_types]
    declared += [f"{t}Type - otype" for t in object_types]
    declared += [f"{o.id} - object" for o in sorted(world.objects, key=lambda t: t.id)]
    declared += [f"{r.id} - receptacle" for r in sorted(world.receptacles, key=lambda t: t.id)]
    declared += [f"{loc} - location" for loc in sorted(world.locations)]

    traits = {
        cls: [p for key, p in _TRAIT_PREDICATES.items() if cls in constants.VAL_ACTION_OBJECTS[key]]
        for cls in object_types
    }
    facts = [f"(atLocation agent1 {world.start})"]
    for r in sorted(world.receptacles, key=lambda t: t.id):
        facts.append(f"(receptacleType {r.id} {r.cls}Type)")
        facts.append(f"(receptacleAtLocation {r.id} {r.loc})")
        if r.cls in constants.OPENABLE_CLASS_LIST:
            facts.append(f"(openable {r.id})")
    for o in sorted(world.objects, key=lambda t: t.id):
        facts.append(f"(objectType {o.id} {o.cls}Type)")
        facts.append(f"(objectAtLocation {o.id} {o.loc})")
        facts.append(f"(inReceptacle {o.id} {o.parent})")
        if o.cls not in _LAMPS:
            facts.append(f"(pickupable {o.id})")
        if o.cls in constants.MOVABLE_RECEPTACLES:
            facts.append(f"(isReceptacleObject {o.id})")
        facts += [f"({p} {o.id})" for p in traits[o.cls]]
    allowed = constants.VAL_RECEPTACLE_OBJECTS
    for rtype in sorted({r.cls for r in world.receptacles}):
        for otype in sorted({o.cls for o in world.objects}):
            if otype in allowed.get(rtype, ()):
                facts.append(f"(canContain {rtype}Type {otype}Type)")
    if distances:
        for a, (ax, az) in sorted(world.locations.items()):
            for b, (bx, bz) in sorted(world.locations.items()):
                if a != b:
                    facts.append(f"(= (distance {a} {b}) {abs(ax - bx) + abs(az - bz) + 1})")

    goal = (
        _goal_library()
        .gdict[task.task_type]["pddl"]
        .format(obj=task.obj, recep=task.parent, toggle=task.toggle, mrecep="")
    )
    # The library writes ``?r # receptacle`` for ``?r - receptacle`` (ALFRED's
    # ``fix_pddl_str_chars``); its text also closes the ``(define``.
    goal = goal.replace("#", "-").strip()
    indent = "\n        "
    return (
        f"(define (problem plan_{name})\n"
        "    (:domain alfred)\n"
        f"    (:objects{indent}{indent.join(declared)}\n    )\n"
        f"    (:init{indent}{indent.join(facts)}\n    )\n"
        f"    {goal}\n"
    )


# ---------------------------------------------------------------------------------------------
# Public API


def _trial_name(rng: random.Random) -> str:
    month = rng.randint(5, 9)
    day = rng.randint(1, 28)
    return (
        f"trial_T2019{month:02d}{day:02d}_{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}"
        f"{rng.randint(0, 59):02d}_{rng.randint(0, 999999):06d}"
    )


def _task_description(rng: random.Random, task: _Task) -> str:
    template = rng.choice(_goal_library().gdict[task.task_type]["templates"])
    return template.format(
        obj=task.obj.lower(), recep=task.parent.lower(), toggle=task.toggle.lower(), mrecep=""
    )


def _check_args(task_type: str, split: str) -> None:
    if task_type not in TASK_TYPES:
        raise ValueError(f"unknown task type {task_type!r}; expected one of {TASK_TYPES}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")


def _draft(task_type: str, split: str, index: int, seed: int, attempt: int) -> GeneratedGame | None:
    rng = random.Random(f"vlagent-alfworld/{GENERATOR_VERSION}/{seed}/{split}/{task_type}/{index}")
    for _ in range(attempt):  # later attempts continue from a fresh but fixed stream
        rng = random.Random(rng.getrandbits(64))
    sampled = _sample_task(rng, task_type, split)
    if sampled is None:
        return None
    task, world = sampled
    trial = _trial_name(rng)
    description = _task_description(rng, task)
    mrecep = "None"
    fourth = task.toggle if task_type == "look_at_obj_in_light" else task.parent
    folder = f"{task_type}-{task.obj}-{mrecep}-{fourth}-{task.room}"
    problem = _problem_text(trial, task, world)
    domain, grammar = _logic_files()
    traj_data = {
        "pddl_params": {
            "mrecep_target": "",
            "object_sliced": False,
            "object_target": task.obj,
            "parent_target": "" if task_type == "look_at_obj_in_light" else task.parent,
            "toggle_target": task.toggle,
        },
        "scene": {"floor_plan": f"FloorPlan{task.room}", "scene_num": task.room},
        "task_id": trial,
        "task_type": task_type,
        "turk_annotations": {"anns": [{"task_desc": description, "votes": []}]},
        "vlagent_generator": {
            "index": index,
            "seed": seed,
            "split": split,
            "version": GENERATOR_VERSION,
        },
    }
    game = {
        "pddl_domain": domain,
        "grammar": grammar.replace("UNKNOWN GOAL", description),
        "pddl_problem": problem,
        "solvable": True,
        "walkthrough": None,
    }
    return GeneratedGame(task_type, split, index, seed, folder, trial, problem, traj_data, game, [])


def generate_game(task_type: str, split: str, index: int, seed: int = 0) -> GeneratedGame:
    """Generate one verified game.

    Draws are made from a generator seeded by ``(seed, split, task_type, index)``; a draw whose
    room cannot host the task, or whose planner plan does not win, is replaced by the next one,
    so the result is deterministic.

    Args:
        task_type: One of ``TASK_TYPES``.
        split: One of ``SPLITS``; ``valid_unseen`` uses ALFRED's unseen rooms.
        index: Index of the game within (split, task type); different indices give different
            games.
        seed: Generator seed.

    Returns:
        The game, with the planner's winning plan as its walkthrough.

    Raises:
        ValueError: Unknown task type or split.
        RuntimeError: No verified game after ``MAX_ATTEMPTS`` draws.
    """
    _check_args(task_type, split)
    for attempt in range(MAX_ATTEMPTS):
        draft = _draft(task_type, split, index, seed, attempt)
        if draft is None:
            continue
        with tempfile.TemporaryDirectory(prefix="vlagent-alfworld-") as tmp:
            path = write_game(draft, tmp)
            try:
                plan = _verify_in_subprocess(path / "game.tw-pddl", PLAN_TIMEOUT_S)
            except ValueError as error:
                logger.info(
                    "draw %d of %s/%s/%d rejected: %s", attempt, split, task_type, index, error
                )
                continue
        return replace(draft, game=dict(draft.game, walkthrough=plan), walkthrough=plan)
    raise RuntimeError(
        f"no solvable {task_type} game for {split}/{index} after {MAX_ATTEMPTS} draws"
    )


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def write_game(game: GeneratedGame, root: str | Path) -> Path:
    """Write ``game.tw-pddl`` and ``traj_data.json`` into the official layout.

    Args:
        game: A generated game.
        root: The data root; files go to ``<root>/json_2.1.1/<split>/<folder>/<trial>/``.

    Returns:
        The trial folder.
    """
    trial_dir = Path(root) / game.relative_dir
    trial_dir.mkdir(parents=True, exist_ok=True)
    (trial_dir / "game.tw-pddl").write_text(_dumps(game.game))
    (trial_dir / "traj_data.json").write_text(_dumps(game.traj_data))
    return trial_dir


def generate_split(
    root: str | Path,
    split: str,
    per_task: int,
    seed: int = 0,
    task_types: Sequence[str] = TASK_TYPES,
) -> list[Path]:
    """Generate and write ``per_task`` verified games of each task type into one split.

    Args:
        root: The data root (``<root>/json_2.1.1/<split>/...``).
        split: One of ``SPLITS``.
        per_task: Games per task type (indices ``0 .. per_task - 1``).
        seed: Generator seed.
        task_types: The task types to generate.

    Returns:
        The trial folders written, task type by task type.
    """
    paths = []
    for task_type in task_types:
        for index in range(per_task):
            started = time.perf_counter()
            paths.append(write_game(generate_game(task_type, split, index, seed), root))
            logger.info(
                "%s %s #%d in %.1fs", split, task_type, index, time.perf_counter() - started
            )
    return paths


def verify_game(path: str | Path) -> list[str]:
    """Play the planner's plan in ALFWorld's text engine and require a win.

    The game is loaded as ALFWorld loads it (textworld's ``PddlEnv`` wrapped in
    ``AlfredDemangler``); every plan command must be admissible when played.

    Args:
        path: A ``game.tw-pddl`` file.

    Returns:
        The winning plan.

    Raises:
        ValueError: The game does not load, has no plan, or the plan does not win
            (the message names the file).
    """
    from vlagent_envs.envs.alfworld.engine import import_alfworld, require

    textworld = require("textworld")
    require("fast_downward")
    pddl = require("textworld.envs.pddl")
    import_alfworld()
    alfred_tw_env = require("alfworld.agents.environment.alfred_tw_env")

    infos = textworld.EnvInfos(admissible_commands=True, won=True, policy_commands=True)
    env = alfred_tw_env.AlfredDemangler(pddl.PddlEnv(infos))
    try:
        env.load(str(path))
        state = env.reset()
    except Exception as error:  # the engine raises KeyError('val1') for unreachable goals
        raise ValueError(f"{path}: the engine cannot load the game ({error!r})") from error
    plan = list(state["policy_commands"] or [])
    if not plan:
        raise ValueError(f"{path}: the planner found no plan")
    # Replanning after every step is slow and unneeded: the plan is played as found.
    env.request_infos.policy_commands = False
    for command in plan:
        if command not in state["admissible_commands"]:
            raise ValueError(f"{path}: plan command {command!r} is not admissible")
        state, _, _ = env.step(command)
    if not state["won"]:
        raise ValueError(f"{path}: the planner's plan does not win")
    return plan


def _verify_in_subprocess(path: Path, timeout: float) -> list[str]:
    """``verify_game`` in a child interpreter, so a planner search that runs away (it is C code
    that no signal interrupts) can be stopped after ``timeout`` seconds."""
    code = (
        "import json, sys\n"
        "from vlagent_envs.envs.alfworld.generate import verify_game\n"
        "try:\n"
        "    print(json.dumps(verify_game(sys.argv[1])))\n"
        "except ValueError as error:\n"
        "    sys.exit(str(error))\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise ValueError(f"{path}: not verified within {timeout:.0f}s") from error
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise ValueError(lines[-1] if lines else f"{path}: verification failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _tar_add(archive: tarfile.TarFile, name: str, data: bytes | None) -> None:
    info = tarfile.TarInfo(name)
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if data is None:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        archive.addfile(info)
    else:
        info.size = len(data)
        info.mode = 0o644
        archive.addfile(info, io.BytesIO(data))


def build_shipped_set(
    archive_path: str | Path = SHIPPED_ARCHIVE,
    seed: int = 0,
    per_task: dict[str, int] | None = None,
    workers: int = 1,
) -> Path:
    """Build the shipped archive of verified games, byte-identical for the same arguments.

    Args:
        archive_path: The ``.tar.xz`` to write.
        seed: Generator seed.
        per_task: Games per task type for each split (default ``SHIPPED_PER_TASK``:
            10 train, 3 valid_seen, 3 valid_unseen).
        workers: Processes generating games in parallel (the result does not depend on it).

    Returns:
        ``archive_path``.
    """
    counts = SHIPPED_PER_TASK if per_task is None else per_task
    jobs = [
        (task_type, split, index, seed)
        for split, count in counts.items()
        for task_type in TASK_TYPES
        for index in range(count)
    ]
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as pool:
            games = list(pool.map(_generate_job, jobs))
    else:
        games = [_generate_job(job) for job in jobs]
    files: dict[str, bytes] = {}
    for game in games:
        base = game.relative_dir.as_posix()
        files[f"{base}/game.tw-pddl"] = _dumps(game.game).encode()
        files[f"{base}/traj_data.json"] = _dumps(game.traj_data).encode()
    folders = {
        str(Path(*Path(name).parts[:depth]).as_posix())
        for name in files
        for depth in range(1, len(Path(name).parts))
    }
    archive_path = Path(archive_path)
    archive_path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name in sorted(folders | set(files)):
            _tar_add(archive, name, files.get(name))
    import lzma

    archive_path.write_bytes(lzma.compress(buffer.getvalue(), preset=9 | lzma.PRESET_EXTREME))
    return archive_path


def _generate_job(job: tuple[str, str, int, int]) -> GeneratedGame:
    started = time.perf_counter()
    game = generate_game(*job)
    logger.info("%s %s #%d in %.1fs", job[1], job[0], job[2], time.perf_counter() - started)
    return game


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: generate a split into a folder, or rebuild the shipped archive."""
    parser = argparse.ArgumentParser(
        prog="python -m vlagent_envs.envs.alfworld.generate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", type=Path, help="data root to write json_2.1.1/<split>/ into")
    parser.add_argument("--split", choices=SPLITS, default="train")
    parser.add_argument("--per-task", type=int, default=10, help="games per task type")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--task-types", default=",".join(TASK_TYPES), help="comma-separated")
    parser.add_argument("--shipped", type=Path, help="rebuild the shipped .tar.xz at this path")
    parser.add_argument("--workers", type=int, default=1, help="processes (--shipped only)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    started = time.perf_counter()
    if args.shipped:
        path = build_shipped_set(args.shipped, seed=args.seed, workers=args.workers)
        print(f"wrote {path} ({path.stat().st_size} bytes) in {time.perf_counter() - started:.0f}s")
        return 0
    if args.out is None:
        parser.error("--out or --shipped is required")
    task_types = [t for t in args.task_types.split(",") if t]
    for task_type in task_types:
        _check_args(task_type, args.split)
    paths = generate_split(args.out, args.split, args.per_task, args.seed, task_types)
    print(f"wrote {len(paths)} games under {args.out} in {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
