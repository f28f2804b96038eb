"""ALFRED's goal-condition counts on PDDL facts (env/tasks.py's goal_conditions_met)."""

from __future__ import annotations

import pytest

from vlagent_envs.envs.alfworld.data import GoalTargets
from vlagent_envs.envs.alfworld.reward import (
    FactIndex,
    goal_condition_success_rate,
    goal_conditions,
)

logic = pytest.importorskip("textworld.logic")


def _facts(*lines: str) -> FactIndex:
    """Facts written as ``"inreceptacle apple_1 table_1"`` (types do not matter here)."""
    facts = []
    for line in lines:
        name, *args = line.split()
        facts.append(logic.Proposition(name, [logic.Variable(a, "t") for a in args]))
    return FactIndex.from_facts(facts)


ROOM = (
    "atlocation agent1 loc_start",
    "objecttype apple_1 appletype",
    "objecttype apple_2 appletype",
    "objecttype mug_1 mugtype",
    "receptacletype table_1 diningtabletype",
    "receptacletype table_2 diningtabletype",
    "receptacletype counter_1 countertoptype",
    "receptacleatlocation table_1 loc_t1",
    "receptacleatlocation table_2 loc_t2",
    "receptacleatlocation counter_1 loc_c1",
)


def test_pick_and_place_counts_one_condition() -> None:
    targets = GoalTargets("pick_and_place_simple", "appletype", "diningtabletype")
    assert goal_conditions(_facts(*ROOM, "inreceptacle apple_1 counter_1"), targets) == (0, 1)
    assert goal_conditions(_facts(*ROOM, "inreceptacle apple_2 table_2"), targets) == (1, 1)
    assert goal_conditions(_facts(*ROOM, "inreceptacle mug_1 table_2"), targets) == (0, 1)


def test_pick_two_counts_objects_in_the_same_receptacle() -> None:
    targets = GoalTargets("pick_two_obj_and_place", "appletype", "diningtabletype")
    one_each = _facts(*ROOM, "inreceptacle apple_1 table_1", "inreceptacle apple_2 table_2")
    both = _facts(*ROOM, "inreceptacle apple_1 table_1", "inreceptacle apple_2 table_1")
    assert goal_conditions(_facts(*ROOM), targets) == (0, 2)
    assert goal_conditions(one_each, targets) == (1, 2)
    assert goal_conditions(both, targets) == (2, 2)


@pytest.mark.parametrize(
    ("task", "flag"),
    [
        ("pick_heat_then_place_in_recep", "ishot"),
        ("pick_cool_then_place_in_recep", "iscool"),
        ("pick_clean_then_place_in_recep", "isclean"),
    ],
)
def test_transform_then_place_counts_three(task: str, flag: str) -> None:
    targets = GoalTargets(task, "appletype", "diningtabletype")
    assert goal_conditions(_facts(*ROOM, f"{flag} apple_1"), targets) == (1, 3)
    placed_other = _facts(*ROOM, f"{flag} apple_1", "inreceptacle apple_2 table_1")
    assert goal_conditions(placed_other, targets) == (2, 3)  # placed and changed, not the same
    done = _facts(*ROOM, f"{flag} apple_1", "inreceptacle apple_1 table_1")
    assert goal_conditions(done, targets) == (3, 3)


def test_look_at_object_in_light_needs_the_object_in_hand_and_a_lit_lamp_here() -> None:
    targets = GoalTargets("look_at_obj_in_light", "mugtype", toggle_type="desklamptype")
    lamp = ("objecttype lamp_1 desklamptype", "inreceptacle lamp_1 counter_1")
    assert goal_conditions(_facts(*ROOM, *lamp, "holds agent1 mug_1"), targets) == (1, 2)
    lit_elsewhere = _facts(*ROOM, *lamp, "holds agent1 mug_1", "istoggled lamp_1")
    assert goal_conditions(lit_elsewhere, targets) == (1, 2)
    here = [f for f in ROOM if not f.startswith("atlocation")] + ["atlocation agent1 loc_c1"]
    lit_here = _facts(*here, *lamp, "holds agent1 mug_1", "istoggled lamp_1")
    assert goal_conditions(lit_here, targets) == (2, 2)
    assert goal_conditions(_facts(*here, *lamp, "istoggled lamp_1"), targets) == (1, 2)


def test_sliced_targets_add_a_condition_and_a_win_is_always_one() -> None:
    targets = GoalTargets("pick_and_place_simple", "appletype", "diningtabletype", sliced=True)
    assert goal_conditions(_facts(*ROOM, "issliced apple_1"), targets) == (1, 2)
    assert goal_condition_success_rate(_facts(*ROOM), targets) == 0.0
    assert goal_condition_success_rate(_facts(*ROOM), targets, won=True) == 1.0
    with pytest.raises(ValueError, match="unknown ALFWorld task type"):
        goal_conditions(_facts(*ROOM), GoalTargets("make_coffee", "mugtype"))
