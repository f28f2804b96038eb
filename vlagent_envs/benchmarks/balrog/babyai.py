"""``VLAgent/BALROG-BabyAI-v0`` and one id per task: BALROG's BabyAI-Text on PyPI minigrid.

BALROG evaluates BabyAI as ``BabyAI-MixedTrainLocal-v0`` of the BabyAI-Text fork (Carta et
al., 2023, "Grounding LLMs with online RL"), split into its five task families, with
``num_dists=0`` (``config.yaml``: ``babyai_kwargs: {num_dists: 0}``). That level and its text
describer live in forks of minigrid; here both are written anew on PyPI ``minigrid``'s BabyAI
machinery (``RoomGridLevel``, the verifier's instructions, ``BabyAIBot``):

* :func:`_mixed_train_local_level_class` -- the five families of ``Level_MixedTrainLocal``
  (``babyai-text/babyai_text/levels/mixed_levels.py``): one 8x8 room, or two side by side with a
  locked door between them for ``open``; the excluded "yellow box / red key / red door / green
  ball / grey door" missions; minigrid's own step limit and reward.
* :func:`describe_view` -- the fork's ``gen_graph`` sentences (``babyai-text/gym-minigrid/
  gym_minigrid/minigrid.py``) from the 7x7 egocentric encoding minigrid already computes.
* :func:`render_view` -- minigrid's ``get_pov_render`` pixel for pixel, from that same
  encoding and a tile atlas, so an image costs a numpy gather instead of a second
  ``gen_obs_grid`` and 49 tile copies.

minigrid is imported lazily (``vlagent_envs.core.deps.require``); the level class is built on
first use and reachable as a module attribute, so levels pickle and cross process boundaries.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, ClassVar

import numpy as np

from vlagent_envs.core import ChoiceGrammar, InvalidActionPolicy, StepResult, VLAgentEnv
from vlagent_envs.core.deps import require

__all__ = ["ACTIONS", "TASKS", "BabyAIEnv", "balrog_text", "describe_view", "render_view"]

logger = logging.getLogger(__name__)

#: BALROG's task names (``BabyAI-MixedTrainLocal-v0/<task>``), in ``Level_MixedTrainLocal`` order.
TASKS: tuple[str, ...] = ("goto", "pickup", "open", "putnext", "pick_up_seq_go_to")

#: BALROG's action names (``BABYAI_ACTION_SPACE``) and the descriptions of its instruction prompt
#: (``balrog/environments/babyai_text/__init__.py``); the index is minigrid's action id.
ACTIONS: dict[str, str] = {
    "turn left": "turn to the left",
    "turn right": "turn to the right",
    "go forward": "take one step forward",
    "pick up": "pick up the object below you",
    "drop": "drop the object that you are holding",
    "toggle": "manipulate the object in front of you",
}
_ACTION_IDS = {name: i for i, name in enumerate(ACTIONS)}
_DONE = 6  # minigrid's `done`, which BALROG does not offer

_GRAMMAR = ChoiceGrammar(
    tuple(ACTIONS),
    synonyms={
        "left": "turn left",
        "turn_left": "turn left",
        "rotate left": "turn left",
        "right": "turn right",
        "turn_right": "turn right",
        "rotate right": "turn right",
        "forward": "go forward",
        "go_forward": "go forward",
        "move forward": "go forward",
        "step forward": "go forward",
        "go straight": "go forward",
        "pickup": "pick up",
        "pick_up": "pick up",
        "pick": "pick up",
        "grab": "pick up",
        "take": "pick up",
        "put down": "drop",
        "toggle door": "toggle",
        "open": "toggle",
        "open door": "toggle",
        "unlock": "toggle",
        "interact": "toggle",
        "use": "toggle",
    },
)

# Level_MixedTrainLocal keeps these out of its training missions (its test split has them).
_EXCLUDED_MISSIONS = ("yellow box", "red key", "red door", "green ball", "grey door")
# ... and so locks the door of `open` in one of these colours (red and grey are for testing).
_OPEN_DOOR_COLORS = ("yellow", "green", "blue", "purple")
_MAX_MISSION_TRIES = 10_000

# The 7x7 egocentric view: the agent stands at (3, 6), facing "up" (towards y = 0).
_VIEW = 7
_AGENT_X, _AGENT_Y = _VIEW // 2, _VIEW - 1
_DOOR_STATES = ("open", "closed", "locked")


def _steps(n: int) -> str:
    return f"{n} step{'s' if n > 1 else ''}"


@functools.cache
def _names() -> tuple[dict[int, str], dict[int, str]]:
    constants = require("minigrid.core.constants", "balrog")
    return constants.IDX_TO_OBJECT, constants.IDX_TO_COLOR


def describe_view(view: np.ndarray, carrying: Any = None) -> list[str]:
    """The BabyAI-Text sentences for an egocentric view, in the fork's words and order.

    ``You carry a <color> <type>`` first; then the first wall straight ahead, to the left and to
    the right (only when nothing but empty or unseen cells lie in between: ``You see a wall 2
    steps forward``); then every object, column by column from the left, far to near (``You see
    a red ball 1 step left and 2 steps forward``). Doors read ``You see a <state> <color> door``
    in every state -- the fork's test for "open" compares a word with 0 and never holds, so an
    open door is "a open door"; kept, since BALROG's agents saw exactly that.

    Args:
        view: minigrid's ``(7, 7, 3)`` encoding of the partial view (``obs["image"]``: type,
            color, state per cell, indexed ``[x, y]``, unseen cells 0).
        carrying: The carried ``WorldObj`` or ``None``.
    """
    idx_to_object, idx_to_color = _names()
    lines: list[str] = []
    if carrying is not None:
        lines.append(f"You carry a {carrying.color} {carrying.type}")
    types = view[:, :, 0]
    rays = (
        ("forward", types[_AGENT_X, _AGENT_Y - 1 :: -1]),
        ("left", types[_AGENT_X - 1 :: -1, _AGENT_Y]),
        ("right", types[_AGENT_X + 1 :, _AGENT_Y]),
    )
    for direction, ray in rays:
        for distance, kind in enumerate(ray.tolist(), start=1):
            if kind > 1:  # neither unseen (0) nor empty (1): the ray stops here
                if kind == 2:
                    lines.append(f"You see a wall {_steps(distance)} {direction}")
                break
    xs, ys = np.nonzero(types > 2)  # row-major over [x, y]: columns left to right, far to near
    for x, y in zip(xs.tolist(), ys.tolist()):
        if x == _AGENT_X and y == _AGENT_Y:
            continue  # the agent's own cell holds what it carries
        kind, color, state = view[x, y].tolist()
        side, forward = x - _AGENT_X, _AGENT_Y - y
        lateral = f"{_steps(abs(side))} {'right' if side > 0 else 'left'}"
        if side == 0:
            where = f"{_steps(forward)} forward"
        elif forward == 0:
            where = lateral
        else:
            where = f"{lateral} and {_steps(forward)} forward"
        name = f"{idx_to_color[color]} {idx_to_object[kind]}"
        if idx_to_object[kind] == "door":
            name = f"{_DOOR_STATES[state]} {name}"
        lines.append(f"You see a {name} {where}")
    return lines


def balrog_text(descriptions: list[str]) -> str:
    """BALROG's observation text: one description a line, ``"You see "`` dropped."""
    return "\n".join(d.replace("You see ", "") for d in descriptions)


# ----------------------------------------------------------------------------- the level
def _mixed_train_local_level_class() -> type:
    """Build (once) the ``RoomGridLevel`` subclass with MixedTrainLocal's five families."""
    cached = globals().get("_MixedTrainLocalLevel")
    if cached is not None:
        return cached
    require("minigrid", "balrog")
    from minigrid.core.roomgrid import RoomGrid
    from minigrid.envs.babyai.core.roomgrid_level import RejectSampling, RoomGridLevel
    from minigrid.envs.babyai.core.verifier import (
        AfterInstr,
        BeforeInstr,
        GoToInstr,
        ObjDesc,
        OpenInstr,
        PickupInstr,
        PutNextInstr,
    )

    class _MixedTrainLocalLevel(RoomGridLevel):
        """One family of BabyAI-Text's ``Level_MixedTrainLocal``, written on minigrid 3.

        ``task`` is fixed per instance (the grid of ``open`` is two rooms wide). The step limit
        is minigrid's: ``room_size**2 * rooms`` per navigation the mission needs (64 for
        goto/pickup, 128 for putnext, pick-up-then-go-to and open).
        """

        def __init__(self, task: str, num_dists: int = 0, room_size: int = 8, **kwargs: Any):
            if task not in TASKS:
                raise ValueError(f"unknown BabyAI task {task!r}; one of {TASKS}")
            self.task = task
            self.num_dists = int(num_dists)
            super().__init__(
                room_size=room_size,
                num_rows=1,
                num_cols=2 if task == "open" else 1,
                **kwargs,
            )

        def gen_mission(self) -> None:
            # Rejection sampling as the fork's loops do, without minigrid's stdout prints.
            for _ in range(_MAX_MISSION_TRIES):
                instrs = getattr(self, f"_mission_{self.task}")()
                if instrs is not None:
                    try:
                        if not any(s in instrs.surface(self) for s in _EXCLUDED_MISSIONS):
                            self.validate_instrs(instrs)
                            self.instrs = instrs
                            return
                    except RejectSampling:
                        pass
                RoomGrid._gen_grid(self, self.width, self.height)  # a fresh, empty layout
            raise RuntimeError(f"no {self.task!r} mission after {_MAX_MISSION_TRIES} layouts")

        def _objects(self, extra: int) -> list | None:
            self.place_agent()
            objs = self.add_distractors(num_distractors=self.num_dists + extra, all_unique=False)
            return objs if self.check_objs_reachable(raise_exc=False) else None

        def _other(self, first: Any, objs: list) -> Any:
            """A second object; a different one when ``first`` is the only one of its kind."""
            second = self._rand_elem(objs)
            if (first.type, first.color) == (second.type, second.color):
                matches, _ = ObjDesc(first.type, first.color).find_matching_objs(self)
                while len(matches) < 2 and (first.type, first.color) == (
                    second.type,
                    second.color,
                ):
                    second = self._rand_elem(objs)
            return second

        def _mission_goto(self) -> Any:
            objs = self._objects(1)
            if objs is None:
                return None
            obj = self._rand_elem(objs)
            return GoToInstr(ObjDesc(obj.type, obj.color))

        def _mission_pickup(self) -> Any:
            objs = self._objects(1)
            if objs is None:
                return None
            obj = self._rand_elem(objs)  # distractors are keys, balls and boxes: never a door
            return PickupInstr(ObjDesc(obj.type, obj.color))

        def _mission_putnext(self) -> Any:
            objs = self._objects(2)
            if objs is None:
                return None
            first = self._rand_elem(objs)
            second = self._other(first, objs)
            return PutNextInstr(
                ObjDesc(first.type, first.color), ObjDesc(second.type, second.color)
            )

        def _mission_pick_up_seq_go_to(self) -> Any:
            objs = self._objects(2)
            if objs is None:
                return None
            first = self._rand_elem(objs)
            pickup = PickupInstr(ObjDesc(first.type, first.color))
            second = self._other(first, objs)
            goto = GoToInstr(ObjDesc(second.type, second.color))
            if self._rand_elem(["Before", "After"]) == "Before":
                return BeforeInstr(pickup, goto)  # "pick up A, then go to B"
            return AfterInstr(goto, pickup)  # "go to B after you pick up A"

        def _mission_open(self) -> Any:
            color = self._rand_elem(list(_OPEN_DOOR_COLORS))
            while True:  # a locked door between the two rooms, its key in the other room
                i, j = self._rand_int(0, self.num_cols), self._rand_int(0, self.num_rows)
                door_idx = self._rand_int(0, 4)
                locked_room = self.get_room(i, j)
                if locked_room.neighbors[door_idx] is not None:
                    self.add_door(i, j, door_idx, color=color, locked=True)
                    break
            while True:
                i, j = self._rand_int(0, self.num_cols), self._rand_int(0, self.num_rows)
                if self.get_room(i, j) is not locked_room:
                    self.add_object(i, j, "key", color)
                    break
            self.connect_all()
            for j in range(self.num_rows):
                for i in range(self.num_cols):
                    if self.get_room(i, j) is not locked_room:
                        self.add_distractors(i, j, num_distractors=self.num_dists, all_unique=False)
            while True:  # the agent starts outside the locked room
                self.place_agent()
                if self.room_from_pos(*self.agent_pos) is not locked_room:
                    break
            if not self.check_objs_reachable(raise_exc=False):
                return None
            return OpenInstr(ObjDesc("door", self._rand_elem([None, color])))

    _MixedTrainLocalLevel.__module__ = __name__
    _MixedTrainLocalLevel.__qualname__ = "_MixedTrainLocalLevel"
    globals()["_MixedTrainLocalLevel"] = _MixedTrainLocalLevel
    return _MixedTrainLocalLevel


def __getattr__(name: str) -> Any:
    # Pickle finds levels by `module._MixedTrainLocalLevel`; build it on that first look-up
    # (a fresh process unpickling an env) without importing minigrid at module import.
    if name == "_MixedTrainLocalLevel":
        return _mixed_train_local_level_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ----------------------------------------------------------------------------- the image
class _TileAtlas:
    """minigrid's tiles for one size, indexed by a small integer code of the cell."""

    def __init__(self, tile_size: int):
        self.tile_size = tile_size
        self.lookup = np.full(11 * 6 * 3 * 4, -1, dtype=np.int64)
        self.tiles = np.zeros((0, tile_size, tile_size, 3), dtype=np.uint8)

    @staticmethod
    def codes(cells: np.ndarray, highlight: np.ndarray, agent: np.ndarray) -> np.ndarray:
        kind, color, state = cells[..., 0], cells[..., 1], cells[..., 2]
        return ((kind * 6 + color) * 3 + state) * 4 + highlight * 2 + agent

    def indices(self, codes: np.ndarray) -> np.ndarray:
        found = self.lookup[codes]
        if (found < 0).any():
            self._add(np.unique(codes[found < 0]))
            found = self.lookup[codes]
        return found

    def _add(self, codes: np.ndarray) -> None:
        from minigrid.core.grid import Grid
        from minigrid.core.world_object import WorldObj

        new = []
        for code in codes.tolist():
            rest, agent = divmod(code, 2)
            rest, highlight = divmod(rest, 2)
            rest, state = divmod(rest, 3)
            kind, color = divmod(rest, 6)
            obj = WorldObj.decode(kind, color, state)
            tile = Grid.render_tile(
                obj,
                agent_dir=3 if agent else None,
                highlight=bool(highlight),
                tile_size=self.tile_size,
            )
            self.lookup[code] = len(self.tiles) + len(new)
            new.append(tile)
        # Grid.render stores the float tiles into a uint8 image: truncate the same way.
        self.tiles = np.concatenate([self.tiles, np.stack(new).astype(np.uint8)])


@functools.cache
def _atlas(tile_size: int) -> _TileAtlas:
    return _TileAtlas(tile_size)


def render_view(view: np.ndarray, tile_size: int) -> np.ndarray:
    """``MiniGridEnv.get_pov_render(tile_size)``, pixel for pixel, from the view's encoding.

    minigrid renders the grid that ``gen_obs_grid`` leaves after ``process_vis`` has emptied
    every cell the agent cannot see, the seen ones highlighted and the agent drawn facing up at
    the bottom centre over what it carries -- all of which the step's ``obs["image"]`` encodes.
    So the image is a gather from a tile atlas instead of a second ``gen_obs_grid`` and 49 tile
    copies.

    Args:
        view: minigrid's ``(7, 7, 3)`` partial-view encoding (``obs["image"]``).
        tile_size: Pixels per cell.
    """
    cells = view.astype(np.int64)
    unseen = cells[:, :, 0] == 0
    cells[unseen] = (1, 0, 0)  # an emptied cell renders as empty floor
    highlight = (~unseen).astype(np.int64)
    agent = np.zeros((_VIEW, _VIEW), dtype=np.int64)
    agent[_AGENT_X, _AGENT_Y] = 1
    atlas = _atlas(tile_size)
    indices = atlas.indices(atlas.codes(cells, highlight, agent))  # may grow the atlas
    tiles = atlas.tiles[indices.T]  # [vy, vx, tile y, tile x, rgb]
    size = _VIEW * tile_size
    return np.ascontiguousarray(tiles.transpose(0, 2, 1, 3, 4)).reshape(size, size, 3)


# ----------------------------------------------------------------------------- the env
class BabyAIEnv(VLAgentEnv):
    """BALROG's BabyAI: grounded missions in a grid room, seen as a 7x7 egocentric view.

    Description:
        BALROG's ``BabyAI-MixedTrainLocal-v0`` tasks (Paglieri et al., 2024), after BabyAI-Text
        (Carta et al., 2023): the agent must ``go to the red ball``, ``pick up a blue key``,
        ``open the door`` (locked: fetch its key from the other room first), ``put the green
        key next to the purple box``, or ``pick up a grey ball, then go to the blue box`` / ``go
        to the blue box after you pick up a grey ball``. One 8x8 room (two for ``open``),
        ``num_dists`` extra objects (BALROG: 0, so only the mission's objects), the agent placed
        at random. Built on PyPI minigrid's BabyAI code (the fork BALROG installs is not on
        PyPI); the level follows the fork's ``Level_MixedTrainLocal`` family by family.

    Action Space:
        Text, BALROG's six actions: ``turn left``, ``turn right``, ``go forward``, ``pick up``,
        ``drop``, ``toggle`` (also ``left``, ``forward``, ``pickup``, ``open``, ...). The
        RL4VLM JSON ``{"thoughts": ..., "action": ...}`` and ``Action: ...`` lines are read.
        Anything else plays ``go forward`` (BALROG's default action), counted as invalid.

    Observation Space:
        ``text``: BALROG's text observation -- BabyAI-Text's descriptions of the view, one a
        line, ``"You see "`` dropped (``You carry a green key``, ``a wall 2 steps forward``,
        ``a red ball 1 step left and 2 steps forward``; see :func:`describe_view`).
        ``instruction``: the mission. ``image``: minigrid's ``get_pov_render`` of the 7x7 view,
        ``7 * tile_size`` square (112x112 at BALROG's tile size 16), the seen cells
        highlighted.

    Rewards:
        minigrid's: ``1 - 0.9 * step_count / max_steps`` on the step the mission is done,
        0 otherwise (also 0 when a sequence is done in the wrong order, which ends the episode).

    Starting State:
        ``reset(seed=s)``: the task (for ``task_name=None``, uniform over the five families, as
        MixedTrainLocal draws one per level) and the minigrid seed of the layout are drawn from
        the env's generator.

    Episode End:
        Terminated when the mission is done (``success``, ``progress`` 1 -- BALROG's progression
        is 1 on any positive reward) or failed; truncated at minigrid's own limit,
        ``room_size**2 * rooms`` per navigation the mission needs: 64 (goto, pickup), 128
        (putnext, pick up then go to, open). The registered 128-step limit is a backstop.

    Arguments:
        task_name: One of ``goto``, ``pickup``, ``open``, ``putnext``, ``pick_up_seq_go_to``;
            ``None`` draws one per episode.
        num_dists: Extra distractor objects (BALROG: 0).
        tile_size: Pixels per cell of the image (BALROG: 16).
        render_mode, invalid_action_policy: see :class:`VLAgentEnv`.

    Version History:
        v0: initial version (minigrid 3.2.0).
    """

    default_invalid_action_policy: ClassVar[InvalidActionPolicy] = InvalidActionPolicy(
        "default", default_action="go forward"
    )
    grammar = _GRAMMAR

    def __init__(
        self,
        task_name: str | None = None,
        num_dists: int = 0,
        tile_size: int = 16,
        render_mode: str | None = None,
        invalid_action_policy: dict[str, Any] | str | None = None,
        **kwargs: Any,
    ):
        if task_name is not None and task_name not in TASKS:
            raise ValueError(f"task_name must be one of {TASKS} or None, got {task_name!r}")
        if int(num_dists) < 0:
            raise ValueError(f"num_dists must be >= 0, got {num_dists}")
        if int(tile_size) < 1:
            raise ValueError(f"tile_size must be >= 1, got {tile_size}")
        self._level_class = _mixed_train_local_level_class()  # raises DependencyNotInstalled
        self.task_name = task_name
        self.num_dists = int(num_dists)
        self.tile_size = int(tile_size)
        self.image_shape = (_VIEW * self.tile_size, _VIEW * self.tile_size, 3)
        super().__init__(
            render_mode=render_mode, invalid_action_policy=invalid_action_policy, **kwargs
        )
        self._levels: dict[str, Any] = {}
        self._task = task_name or TASKS[0]
        self._level: Any = None
        self._view = np.zeros((_VIEW, _VIEW, 3), dtype=np.uint8)
        self._ended = False
        self._bot: Any = None
        self._bot_action: int | None = None
        self._bot_pending: list[int] = []

    # ------------------------------------------------------------------ episode
    def _reset(self, options: dict[str, Any] | None) -> str:
        if self.task_name is None:
            self._task = TASKS[int(self.np_random.integers(len(TASKS)))]
        level = self._levels.get(self._task)
        if level is None:
            level = self._level_class(task=self._task, num_dists=self.num_dists)
            self._levels[self._task] = level
        obs, _ = level.reset(seed=int(self.np_random.integers(2**31)))
        self._level = level
        self._view = obs["image"]
        self._ended = False
        self._bot, self._bot_action, self._bot_pending = None, None, []
        return self._describe()

    def _step(self, action: str) -> StepResult:
        level = self._level
        action_id = _ACTION_IDS[action]
        obs, reward, terminated, truncated, _ = level.step(action_id)
        self._view = obs["image"]
        self._ended = bool(terminated or truncated)
        if self._bot is not None:
            self._bot_pending.append(action_id)
        won = reward > 0
        return StepResult(
            reward=float(reward),
            terminated=bool(terminated),
            truncated=bool(truncated),
            text=self._describe(),
            success=won,
            progress=1.0 if won else None,
            info={"task": self._task, "step_count": int(level.step_count)},
        )

    def _describe(self) -> str:
        return balrog_text(describe_view(self._view, self._level.carrying))

    def descriptions(self) -> list[str]:
        """BabyAI-Text's descriptions of the current view (``info["descriptions"]`` there)."""
        return describe_view(self._view, self._level.carrying)

    def _render_image(self) -> np.ndarray:
        if self._level is None:
            return np.zeros(self.image_shape, dtype=np.uint8)
        return render_view(self._view, self.tile_size)

    @property
    def level(self) -> Any:
        """The minigrid level of the current episode (a ``RoomGridLevel``)."""
        return self._level

    @property
    def task(self) -> str:
        """The task family of the current episode."""
        return self._task

    @property
    def instruction(self) -> str:
        return self._level.mission if self._level is not None else ""

    @property
    def task_prompt(self) -> str:
        mission = self.instruction or "carry out the mission given with each observation"
        actions = ",\n".join(f"{name}: {description}" for name, description in ACTIONS.items())
        return (
            "You are an agent playing a simple navigation game. Your goal is to "
            f"{mission}. The following are the possible actions you can take in the game, "
            f"followed by a short description of each action:\n\n{actions}.\n\n"
            "In a moment I will present you an observation.\n\n"
            "Tips:\n"
            "- Once the desired object you want to interact or pickup in front of you, you can "
            "use the 'toggle' action to interact with it.\n"
            "- It doesn't make sense to repeat the same action over and over if the "
            "observation doesn't change.\n\n"
            "PLAY!\n\n"
            "Answer with exactly one of the actions above and nothing else (for example: go "
            "forward), or as the last line 'Action: <action>'. Any other answer plays 'go "
            "forward'."
        )

    # ------------------------------------------------------------------ scripted solver
    def expert_action(self) -> str | None:
        """minigrid's ``BabyAIBot``: the next action towards the mission, ``None`` if it has none.

        One bot per episode, made at the first call and told every action played since (the
        bot's ``replan(action_taken)`` protocol, so it adapts when another action was played).
        When more than one step passed between calls the bot missed states it plans from, and a
        fresh bot is made from the current state.
        """
        if self._level is None or self._ended:
            return None
        if self._bot is None or len(self._bot_pending) > 1:
            from minigrid.utils.baby_ai_bot import BabyAIBot

            self._bot, self._bot_pending = BabyAIBot(self._level), []
            self._bot_action = self._replan(None)
        elif self._bot_pending:
            self._bot_action = self._replan(self._bot_pending.pop())
        action = self._bot_action
        if action is None or int(action) == _DONE:
            return None
        return tuple(ACTIONS)[int(action)]

    def _replan(self, action_taken: int | None) -> int | None:
        try:
            return self._bot.replan(action_taken)
        except (AssertionError, IndexError, KeyError, TypeError, ValueError) as error:
            # The bot asserts its plan's preconditions; a state it cannot plan from gets none.
            logger.debug("BabyAIBot could not replan: %r", error)
            self._bot = None
            return None
