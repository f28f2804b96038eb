"""The MiniWorld tasks: which simulator, which actions, how long, which goal (plain data).

This module imports nothing from ``miniworld``; ``registration.py`` mirrors its names and step
limits (a test keeps the two, and the installed ``miniworld``'s registry, in step).

The action names are MiniWorld's ``Actions`` enum in words, numbered as the simulator numbers
them (``turn left`` = 0, ``turn right`` = 1, ``move forward`` = 2, ``move back`` = 3,
``pick up`` = 4, ``drop`` = 5), so the VL-DAC prompt's ``0``..``3`` are the simulator's indices.
A task offers the actions its simulator accepts, minus ``toggle`` and ``done``, which no task of
miniworld 2.1.0 reacts to; Sign's fourth action ends the episode (its ``3``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

__all__ = ["ACTION_SYNONYMS", "TASKS", "VLDAC_TASKS", "MiniWorldTask", "get_task"]

MOVES = ("turn left", "turn right", "move forward")
MOVES_AND_BACK = (*MOVES, "move back")
PICK_UP = (*MOVES_AND_BACK, "pick up")
CARRY = (*PICK_UP, "drop")
SIGN = (*MOVES, "end episode")

# Extra spellings an agent may use; the numbered forms come from ChoiceGrammar(numbered=0).
ACTION_SYNONYMS: dict[str, str] = {
    "left": "turn left",
    "turn_left": "turn left",
    "rotate left": "turn left",
    "right": "turn right",
    "turn_right": "turn right",
    "rotate right": "turn right",
    "forward": "move forward",
    "move_forward": "move forward",
    "go forward": "move forward",
    "move forwards": "move forward",
    "back": "move back",
    "backward": "move back",
    "backwards": "move back",
    "move_back": "move back",
    "move backward": "move back",
    "move backwards": "move back",
    "go back": "move back",
    "pickup": "pick up",
    "pick_up": "pick up",
    "pick": "pick up",
    "grab": "pick up",
    "put down": "drop",
    "end": "end episode",
    "end_episode": "end episode",
    "done": "end episode",
    "stop": "end episode",
}


@dataclass(frozen=True)
class MiniWorldTask:
    """One MiniWorld task as wrapped here.

    Attributes:
        name: The task's name in the ids (``VLAgent/MiniWorld-<name>-v0``).
        entry_point: The simulator class, ``"module:Class"``.
        actions: The action names, in the simulator's numbering.
        max_episode_steps: Step limit (the simulator's own, or VL-DAC's 128).
        goal: The goal rule (a key of :data:`vlagent_envs.envs.miniworld.goals.GOALS`).
        world: One sentence about the world, for the prompt.
        vldac: One of VL-DAC's four training tasks (the paper's protocol applies).
        turn_degrees: How far a turn turns.
        step_meters: How far a move moves.
    """

    name: str
    entry_point: str
    actions: tuple[str, ...]
    max_episode_steps: int
    goal: str
    world: str
    vldac: bool = False
    turn_degrees: int = 15
    step_meters: float = 0.15


def _task(name: str, module: str, cls: str | None = None, **fields: object) -> MiniWorldTask:
    return MiniWorldTask(name, f"miniworld.envs.{module}:{cls or name}", **fields)  # type: ignore[arg-type]


_ROOM = "one large room"
_FAST = {"turn_degrees": 45, "step_meters": 0.7}

TASKS: dict[str, MiniWorldTask] = {
    task.name: task
    for task in (
        _task("OneRoom", "oneroom", actions=MOVES_AND_BACK, max_episode_steps=128,
              goal="reach_box", world=f"{_ROOM} (10 x 10 m)", vldac=True),
        _task("OneRoomS6", "oneroom", actions=MOVES, max_episode_steps=100,
              goal="reach_box", world=f"{_ROOM} (6 x 6 m)"),
        _task("OneRoomS6Fast", "oneroom", actions=MOVES, max_episode_steps=50,
              goal="reach_box", world=f"{_ROOM} (6 x 6 m)", **_FAST),
        _task("Hallway", "hallway", actions=MOVES_AND_BACK, max_episode_steps=128,
              goal="reach_box", world="a long hallway", vldac=True),
        _task("FourRooms", "fourrooms", actions=MOVES_AND_BACK, max_episode_steps=128,
              goal="reach_box", world="four rooms joined by openings", vldac=True),
        _task("WallGap", "wallgap", actions=MOVES_AND_BACK, max_episode_steps=128,
              goal="reach_box", world="two yards divided by a wall with a gap in it",
              vldac=True),
        _task("Maze", "maze", actions=MOVES, max_episode_steps=1536,
              goal="reach_box", world="an 8 x 8 maze of small rooms"),
        _task("MazeS2", "maze", actions=MOVES, max_episode_steps=96,
              goal="reach_box", world="a 2 x 2 maze of small rooms"),
        _task("MazeS3", "maze", actions=MOVES, max_episode_steps=216,
              goal="reach_box", world="a 3 x 3 maze of small rooms"),
        _task("MazeS3Fast", "maze", actions=MOVES, max_episode_steps=300,
              goal="reach_box", world="a 3 x 3 maze of small rooms", **_FAST),
        _task("TMaze", "tmaze", actions=MOVES, max_episode_steps=280,
              goal="reach_box", world="two hallways meeting in a T"),
        _task("TMazeLeft", "tmaze", actions=MOVES, max_episode_steps=280,
              goal="reach_box", world="two hallways meeting in a T"),
        _task("TMazeRight", "tmaze", actions=MOVES, max_episode_steps=280,
              goal="reach_box", world="two hallways meeting in a T"),
        _task("YMaze", "ymaze", actions=MOVES, max_episode_steps=280,
              goal="reach_box", world="three hallways meeting in a Y"),
        _task("YMazeLeft", "ymaze", actions=MOVES, max_episode_steps=280,
              goal="reach_box", world="three hallways meeting in a Y"),
        _task("YMazeRight", "ymaze", actions=MOVES, max_episode_steps=280,
              goal="reach_box", world="three hallways meeting in a Y"),
        _task("Sidewalk", "sidewalk", actions=MOVES, max_episode_steps=150,
              goal="sidewalk", world="a sidewalk beside a street"),
        _task("RoomObjects", "roomobjects", actions=MOVES_AND_BACK, max_episode_steps=180,
              goal="reach_named", world="a yard with a box, a ball and a key"),
        _task("ThreeRooms", "threerooms", actions=MOVES, max_episode_steps=400,
              goal="reach_named", world="a large room joined to two small ones, with objects"),
        _task("PickupObjects", "pickupobjects", actions=PICK_UP, max_episode_steps=400,
              goal="pickup_all", world="a yard with objects lying around"),
        _task("PutNext", "putnext", actions=CARRY, max_episode_steps=250,
              goal="put_next", world="a room with six coloured boxes"),
        _task("CollectHealth", "collecthealth", actions=PICK_UP, max_episode_steps=1000,
              goal="collect_health", world="a room with medkits on the floor"),
        _task("Sign", "sign", actions=SIGN, max_episode_steps=20,
              goal="sign", world="a U-shaped maze with boxes, keys and a sign on a wall",
              **_FAST),
    )
}  # fmt: skip

VLDAC_TASKS: tuple[str, ...] = tuple(name for name, task in TASKS.items() if task.vldac)


def get_task(name: str) -> MiniWorldTask:
    """The task called ``name``; a ``ValueError`` suggesting close names otherwise."""
    try:
        return TASKS[name]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name), TASKS, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(
            f"unknown MiniWorld task {name!r}.{hint} Tasks: {', '.join(TASKS)}"
        ) from None
