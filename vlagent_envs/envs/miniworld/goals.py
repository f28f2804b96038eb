"""What each MiniWorld task asks for: its instruction, its end and success, the expert's aim.

A :class:`Goal` reads the simulator after every step and returns a :class:`Verdict` (reward,
end, success, progress, what happened). Rewards are the simulator's own, except on RoomObjects
and ThreeRooms: MiniWorld gives those worlds no goal at all, so each episode here names one of
their objects to go to, with MiniWorld's usual reward for reaching a box
(``1 - 0.2 * steps / max_steps``).

Goals keep no simulator objects (only numbers), so an env pickles without its simulator.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from vlagent_envs.envs.miniworld.expert import Objective
from vlagent_envs.envs.miniworld.tasks import MiniWorldTask

__all__ = ["GOALS", "Goal", "Verdict", "entity_name", "make_goal"]

_MESH_NAMES = {"duckie": "rubber duck", "cone": "traffic cone", "medkit": "medkit"}


def _mesh_name(ent: Any) -> str:
    from miniworld.objmesh import ObjMesh

    for path, mesh in ObjMesh.cache.items():
        if mesh is ent.mesh:
            return os.path.splitext(os.path.basename(path))[0]
    return "object"


def entity_name(ent: Any) -> str:
    """What an entity is called in text: ``"red box"``, ``"green ball"``, ``"medkit"``, ..."""
    kind = type(ent).__name__
    if kind == "Box":
        return f"{ent.color} box"
    if kind == "TextFrame":
        return "sign"
    if kind == "ImageFrame":
        return "picture"
    if hasattr(ent, "mesh"):
        name = _mesh_name(ent)
        for shape in ("key", "ball"):
            if name.startswith(shape + "_"):
                return f"{name[len(shape) + 1 :]} {shape}"
        return _MESH_NAMES.get(name, name.replace("_", " "))
    return kind.lower()


def _flat_distance(a: Any, b: Any) -> float:
    return float(np.hypot(a.pos[0] - b.pos[0], a.pos[2] - b.pos[2]))


@dataclass
class Verdict:
    """The outcome of one step, as the env reports it."""

    reward: float
    terminated: bool
    truncated: bool
    success: bool = False
    progress: float | None = None
    text: str = ""


class Goal:
    """The goal of a task's episodes. Subclasses say what ends an episode and what succeeds.

    Args:
        task: The task.
    """

    kind: ClassVar[str] = ""

    def __init__(self, task: MiniWorldTask):
        self.task = task

    def start(self, sim: Any, rng: np.random.Generator) -> None:
        """A new episode has been generated in ``sim``; draw anything the goal chooses."""

    def instruction(self, sim: Any | None) -> str:
        """The goal in words (``sim`` is ``None`` before the first episode)."""
        raise NotImplementedError

    def judge(self, sim: Any, reward: float, terminated: bool, truncated: bool) -> Verdict:
        """Read the simulator after a step that returned ``reward``, ``terminated``, ..."""
        raise NotImplementedError

    def objective(self, sim: Any) -> Objective:
        """What the scripted expert should do now."""
        raise NotImplementedError


class ReachBox(Goal):
    """Go to the red box (OneRoom, Hallway, FourRooms, WallGap, the mazes, ...)."""

    kind = "reach_box"

    def instruction(self, sim: Any | None) -> str:
        return "Go to the red box."

    def judge(self, sim: Any, reward: float, terminated: bool, truncated: bool) -> Verdict:
        success = terminated and reward > 0
        text = "You reached the red box." if success else ""
        return Verdict(reward, terminated, truncated, success, 1.0 if success else None, text)

    def objective(self, sim: Any) -> Objective:
        return Objective("reach", (sim.box,))


class Sidewalk(ReachBox):
    """Go to the red box at the end of the sidewalk; stepping into the street ends it."""

    kind = "sidewalk"

    def instruction(self, sim: Any | None) -> str:
        return "Walk along the sidewalk to the red box. Do not step into the street."

    def judge(self, sim: Any, reward: float, terminated: bool, truncated: bool) -> Verdict:
        verdict = super().judge(sim, reward, terminated, truncated)
        if terminated and not verdict.success:
            verdict.text = "You walked into the street: the episode is over."
        return verdict

    def objective(self, sim: Any) -> Objective:
        return Objective("reach", (sim.box,), forbidden_rooms=(sim.street,))


class ReachNamed(Goal):
    """Go to the object this episode names (RoomObjects and ThreeRooms; a vlagent addition)."""

    kind = "reach_named"

    def __init__(self, task: MiniWorldTask):
        super().__init__(task)
        self.target_index = -1

    def _candidates(self, sim: Any) -> list[int]:
        return [
            i
            for i, ent in enumerate(sim.entities)
            if ent is not sim.agent
            and type(ent).__name__ in ("Box", "Ball", "Key", "MeshEnt")
            and ent.radius > 0
        ]

    def start(self, sim: Any, rng: np.random.Generator) -> None:
        # Not an object the agent already stands next to: its instruction would be done.
        candidates = [i for i in self._candidates(sim) if not sim.near(sim.entities[i])]
        candidates = candidates or self._candidates(sim)
        self.target_index = candidates[int(rng.integers(len(candidates)))]

    def target(self, sim: Any) -> Any:
        return sim.entities[self.target_index]

    def instruction(self, sim: Any | None) -> str:
        if sim is None or self.target_index < 0:
            return "Go to the object named in the instruction."
        return f"Go to the {entity_name(self.target(sim))}."

    def judge(self, sim: Any, reward: float, terminated: bool, truncated: bool) -> Verdict:
        target = self.target(sim)
        if sim.near(target):
            text = f"You reached the {entity_name(target)}."
            return Verdict(float(sim._reward()), True, False, True, 1.0, text)
        return Verdict(reward, terminated, truncated)

    def objective(self, sim: Any) -> Objective:
        return Objective("reach", (self.target(sim),))


class PickupAll(Goal):
    """Pick up every object (PickupObjects): +1 each, the episode ends with the last."""

    kind = "pickup_all"

    def __init__(self, task: MiniWorldTask):
        super().__init__(task)
        self.names: list[str] = []

    def start(self, sim: Any, rng: np.random.Generator) -> None:
        self.names = [entity_name(e) for e in self._objects(sim)]

    def instruction(self, sim: Any | None) -> str:
        if sim is None or not self.names:
            return "Pick up every object in the yard."
        listed = ", ".join(f"the {name}" for name in self.names)
        return f"Pick up every object in the yard: {listed}."

    @staticmethod
    def _objects(sim: Any) -> list[Any]:
        return [e for e in sim.entities if e is not sim.agent and not e.is_static]

    def judge(self, sim: Any, reward: float, terminated: bool, truncated: bool) -> Verdict:
        picked, total = sim.num_picked_up, sim.num_objs
        text = f"You have picked up {picked} of {total} objects." if reward > 0 else ""
        success = terminated and picked == total
        return Verdict(reward, terminated, truncated, success, picked / total, text)

    def objective(self, sim: Any) -> Objective:
        return Objective("pick_up", tuple(self._objects(sim)))


class PutNext(Goal):
    """Put the red box next to the yellow box (PutNext)."""

    kind = "put_next"

    def instruction(self, sim: Any | None) -> str:
        return "Put the red box next to the yellow box."

    def judge(self, sim: Any, reward: float, terminated: bool, truncated: bool) -> Verdict:
        success = terminated and reward > 0
        if success:
            return Verdict(reward, True, truncated, True, 1.0, "The red box is next to the yellow.")
        # Half way once the red box has been lifted (kept by the env until the episode ends).
        carrying = sim.agent.carrying is sim.red_box
        return Verdict(reward, terminated, truncated, False, 0.5 if carrying else None)

    def objective(self, sim: Any) -> Objective:
        if sim.agent.carrying is sim.red_box:
            return Objective("put_next", (sim.yellow_box,))
        return Objective("pick_up", (sim.red_box,))


class CollectHealth(Goal):
    """Stay alive by picking up medkits (CollectHealth): +2 a step, -100 on dying."""

    kind = "collect_health"

    def instruction(self, sim: Any | None) -> str:
        return (
            "Stay alive: your health drops by 2 every step; pick up medkits to restore it. "
            f"Survive {self.task.max_episode_steps} steps."
        )

    def judge(self, sim: Any, reward: float, terminated: bool, truncated: bool) -> Verdict:
        alive = sim.health > 0
        text = f"Health: {sim.health}." if alive else "You ran out of health."
        if truncated and alive:
            text += " You survived."
        progress = min(1.0, sim.step_count / self.task.max_episode_steps)
        return Verdict(reward, terminated, truncated, truncated and alive, progress, text)

    def objective(self, sim: Any) -> Objective:
        kits = tuple(e for e in sim.entities if e is not sim.agent and not e.is_static)
        return Objective("pick_up", kits)


class Sign(Goal):
    """Read the sign's colour, touch the box (or key) of that colour (Sign)."""

    kind = "sign"
    _COLOURS = ("blue", "red", "green")  # Sign's colour index order
    _SHAPES = ("box", "key")

    def instruction(self, sim: Any | None) -> str:
        shape = self._SHAPES[sim._goal] if sim is not None else "box"
        return (
            f"Find the sign on the wall and read the colour written on it, then touch the "
            f"{shape} of that colour. Touching any other object ends the episode."
        )

    def _touched(self, sim: Any) -> Any | None:
        for pair in sim._objects:
            for obj in pair:
                if sim.near(obj):
                    return obj
        return None

    def judge(self, sim: Any, reward: float, terminated: bool, truncated: bool) -> Verdict:
        success = terminated and reward > 0
        text = ""
        touched = self._touched(sim) if terminated else None
        if touched is not None:
            if success:
                text = f"You touched the {entity_name(touched)}: the right object."
            else:
                text = f"You touched the {entity_name(touched)}: the wrong object."
        return Verdict(reward, terminated, truncated, success, 1.0 if success else None, text)

    def objective(self, sim: Any) -> Objective:
        target = sim._objects[sim._goal][sim._color_index]
        others = tuple(o for pair in sim._objects for o in pair if o is not target)
        return Objective("reach", (target,), avoid=others)


GOALS: dict[str, type[Goal]] = {
    goal.kind: goal
    for goal in (ReachBox, Sidewalk, ReachNamed, PickupAll, PutNext, CollectHealth, Sign)
}


def make_goal(task: MiniWorldTask) -> Goal:
    """A fresh goal object for ``task``."""
    return GOALS[task.goal](task)
