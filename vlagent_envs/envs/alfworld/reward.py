"""ALFWorld's goal conditions and the VL-DAC / RL4VLM reward.

``goal_condition_success_rate`` is ALFRED's measure of partial success (``env/tasks.py``,
``goal_conditions_met`` of each task class): the fraction of a task's conditions that hold now.
ALFWorld reports it only from the THOR simulator; here it is computed from the text engine's PDDL
facts with the same conditions:

=================================  =====  ================================================
task                               total  conditions
=================================  =====  ================================================
pick_and_place_simple              1      an object of the type is in a parent receptacle
pick_two_obj_and_place             2      one per object of the type in the same parent (max 2)
look_at_obj_in_light               2      the agent holds one; a lamp of the type is on, here
pick_clean/heat/cool_then_place    3      one in a parent; one is clean/hot/cool; one is both
=================================  =====  ================================================

A sliced target (ALFWorld's text games skip them) adds one condition: an object is sliced.

The reward of a step (RL4VLM's ``compute_reward``, which VL-DAC's ALFWorld code keeps) is
``won_reward * won + goal_condition_success_rate``, minus 1 when the action was not admissible.
VL-DAC weighs ``won`` by 1; RL4VLM by 50.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from vlagent_envs.envs.alfworld.data import GoalTargets

__all__ = ["FactIndex", "goal_condition_success_rate", "goal_conditions"]


@dataclass
class FactIndex:
    """The PDDL facts of a state, indexed by what the conditions and the schematic ask.

    Names are fast-downward's lower-case PDDL ids and types (``appletype``).
    """

    object_type: dict[str, str] = field(default_factory=dict)
    receptacle_type: dict[str, str] = field(default_factory=dict)
    receptacle_location: dict[str, str] = field(default_factory=dict)
    object_location: dict[str, str] = field(default_factory=dict)
    contents: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    container: dict[str, str] = field(default_factory=dict)
    held: list[str] = field(default_factory=list)
    agent_location: str | None = None
    openable: set[str] = field(default_factory=set)
    opened: set[str] = field(default_factory=set)
    flags: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def from_facts(cls, facts: Iterable[Any]) -> FactIndex:
        index = cls()
        for fact in facts:
            name, args = fact.name, [v.name for v in fact.arguments]
            if name == "objecttype":
                index.object_type[args[0]] = args[1]
            elif name == "receptacletype":
                index.receptacle_type[args[0]] = args[1]
            elif name == "receptacleatlocation":
                index.receptacle_location[args[0]] = args[1]
            elif name == "objectatlocation":
                index.object_location[args[0]] = args[1]
            elif name == "inreceptacle":
                index.contents[args[1]].append(args[0])
                index.container[args[0]] = args[1]
            elif name == "holds":
                index.held.append(args[1])
            elif name == "atlocation":
                index.agent_location = args[1]
            elif name == "openable":
                index.openable.add(args[0])
            elif name == "opened":
                index.opened.add(args[0])
            elif name in ("ishot", "iscool", "isclean", "ison", "istoggled", "issliced"):
                index.flags[name].add(args[0])
        for contents in index.contents.values():
            contents.sort()
        return index

    def objects_of(self, type_name: str) -> list[str]:
        return sorted(o for o, t in self.object_type.items() if t == type_name)

    def receptacles_of(self, type_name: str) -> list[str]:
        return sorted(r for r, t in self.receptacle_type.items() if t == type_name)

    def here(self, obj: str) -> bool:
        """Whether ``obj`` is where the agent stands (in a receptacle there, or on the spot)."""
        location = self.agent_location
        if location is None:
            return False
        container = self.container.get(obj)
        if container is not None and self.receptacle_location.get(container) == location:
            return True
        return self.object_location.get(obj) == location


def goal_conditions(index: FactIndex, targets: GoalTargets) -> tuple[int, int]:
    """``(satisfied, total)`` goal conditions of the task in this state (ALFRED's counts)."""
    objects = index.objects_of(targets.object_type)
    satisfied, total = 0, 0
    if targets.sliced:
        total += 2 if targets.task_type == "pick_two_obj_and_place" else 1
        sliced = [o for o in objects if o in index.flags["issliced"]]
        satisfied += min(len(sliced), total)
    parents = set(index.receptacles_of(targets.parent_type)) if targets.parent_type else set()
    in_place = [o for o in objects if index.container.get(o) in parents]
    task = targets.task_type
    if task == "pick_and_place_simple":
        total += 1
        satisfied += bool(in_place)
    elif task == "pick_two_obj_and_place":
        total += 2
        per_parent = [sum(index.container.get(o) == r for o in objects) for r in parents]
        satisfied += min(max(per_parent, default=0), 2)
    elif task == "look_at_obj_in_light":
        total += 2
        satisfied += any(o in objects for o in index.held[:1])
        lamps = index.objects_of(targets.toggle_type)
        satisfied += any(lamp in index.flags["istoggled"] and index.here(lamp) for lamp in lamps)
    else:
        flag = {
            "pick_clean_then_place_in_recep": "isclean",
            "pick_heat_then_place_in_recep": "ishot",
            "pick_cool_then_place_in_recep": "iscool",
        }.get(task)
        if flag is None:
            raise ValueError(f"unknown ALFWorld task type {task!r}")
        total += 3
        changed = [o for o in objects if o in index.flags[flag]]
        satisfied += bool(in_place) + bool(changed) + any(o in changed for o in in_place)
    return satisfied, total


def goal_condition_success_rate(index: FactIndex, targets: GoalTargets, won: bool = False) -> float:
    """The fraction of goal conditions met; 1 when the engine says the game is won."""
    if won:
        return 1.0
    satisfied, total = goal_conditions(index, targets)
    return satisfied / total if total else 0.0
