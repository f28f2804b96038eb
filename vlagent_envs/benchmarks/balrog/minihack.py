"""``VLAgent/BALROG-MiniHack-v0`` and one id per task: BALROG's eight MiniHack tasks.

BALROG (``balrog/environments/minihack``) plays PyPI ``minihack``'s tasks with
``character="@"``, 100 steps, ``penalty_step=-0.01``, ``penalty_time=0``, no autopickup and
``--More--`` skipped, behind the same language wrapper as NetHack
(:mod:`vlagent_envs.benchmarks.balrog.nethack`): its 33 MiniHack action names, of which a task
offers those its own action set holds, ``north`` for anything else, and its progression -- 1 when
the last step's reward is at least 1 (the goal reached), else 0.

Boxoban's levels come from :mod:`vlagent_envs.benchmarks.balrog.boxoban` (a downloaded set when
there is one, else the Boxoban-format levels shipped here), and the level of an episode is drawn
from the env's generator -- MiniHack draws it with Python's global ``random``, which no seed
reaches.
"""

from __future__ import annotations

import functools
import os
from typing import Any, ClassVar

import numpy as np

from vlagent_envs.benchmarks.balrog import boxoban
from vlagent_envs.benchmarks.balrog.nethack import (
    MINIHACK_ACTIONS,
    OBSERVATION_KEYS,
    Explorer,
    NLELanguageEnv,
)
from vlagent_envs.core import InvalidActionPolicy
from vlagent_envs.core.deps import require

__all__ = ["TASKS", "MiniHackEnv"]

#: BALROG's MiniHack tasks (``MiniHack-<task>-v0``), in its config's order.
TASKS: tuple[str, ...] = (
    "Boxoban-Hard",
    "Boxoban-Medium",
    "MazeWalk-9x9",
    "MazeWalk-15x15",
    "Corridor-R3",
    "CorridorBattle-Dark",
    "Quest-Easy",
    "Quest-Medium",
)
# BALROG's minihack_kwargs (config.yaml); skip_more is the wrapper's AutoMore.
_KWARGS = {
    "character": "@",
    "max_episode_steps": 100,
    "penalty_step": -0.01,
    "penalty_time": 0.0,
    "penalty_mode": "constant",
    "autopickup": False,
}
_NAVIGATION = ("MazeWalk-9x9", "MazeWalk-15x15", "Corridor-R3", "CorridorBattle-Dark")


def _boxoban_class() -> type:
    """MiniHack's ``BoxoHack`` reading our level list and playing the level it is told."""
    cached = globals().get("_SeededBoxoban")
    if cached is not None:
        return cached
    require("minihack", "balrog")
    from minihack import MiniHackNavigation
    from minihack.envs.boxohack import MOVE_ACTIONS, BoxoHack

    class _SeededBoxoban(BoxoHack):
        """``MiniHackBoxoban{Medium,Hard}`` with its levels given and the level chosen by index.

        ``BoxoHack.__init__`` reads MiniHack's download folder and draws levels with the global
        ``random``; this sets the same attributes from ``levels`` (Boxoban rows) and plays
        ``level_index``. Rewards and the end condition are ``BoxoHack``'s (1 when every
        boulder is on a fountain, 0.1 per boulder put on one, -0.001 a step).
        """

        def __init__(self, levels: list[list[str]], **kwargs: Any):
            kwargs["max_episode_steps"] = kwargs.pop("max_episode_steps", 400)
            kwargs["actions"] = kwargs.pop("actions", MOVE_ACTIONS)
            self._time_penalty = -0.001
            self._flags = tuple(kwargs.pop("flags", []))
            self._levels = ["\n".join(rows) + "\n" for rows in levels]
            self._reward_shaping_coefficient = 0.1
            self.level_index = 0
            MiniHackNavigation.__init__(self, des_file=self.get_lvl_gen().get_des(), **kwargs)

        def reset(self, *args: Any, **kwargs: Any) -> Any:
            # nle 1.3's reset asks for the end status before BoxoHack.reset has recorded the
            # fountains (an AttributeError on a first reset, the last level's on later ones).
            self._goal_pos_set = set()
            return super().reset(*args, **kwargs)

        def get_lvl_gen(self) -> Any:
            level = self._levels[self.level_index].split("\n")
            map_, info = self.get_env_map(level)
            from minihack import LevelGenerator

            generator = LevelGenerator(
                map=map_, lit=True, flags=[*self._flags, "noteleport", "premapped"], solidfill=" "
            )
            for boulder in info["boulders"]:
                generator.add_boulder(boulder)
            for fountain in info["fountains"]:
                generator.add_fountain(fountain)
            generator.set_start_pos(info["player"])
            return generator

    _SeededBoxoban.__module__ = __name__
    _SeededBoxoban.__qualname__ = "_SeededBoxoban"
    globals()["_SeededBoxoban"] = _SeededBoxoban
    return _SeededBoxoban


def __getattr__(name: str) -> Any:
    if name == "_SeededBoxoban":
        return _boxoban_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class MiniHackEnv(NLELanguageEnv):
    """BALROG's MiniHack: eight small NetHack tasks, in words and tiles.

    Description:
        MiniHack (Samvelyan et al., 2021) tasks on NetHack 3.6.6 (PyPI ``minihack`` on ``nle``
        1.3), as BALROG evaluates them: ``Boxoban-Medium`` / ``Boxoban-Hard`` (push the four
        boulders onto the fountains), ``MazeWalk-9x9`` / ``MazeWalk-15x15`` (find the stairs
        down in a maze), ``Corridor-R3`` (rooms joined by corridors), ``CorridorBattle-Dark``
        (fight monsters in a dark corridor), ``Quest-Easy`` / ``Quest-Medium`` (cross lava with
        the right item, fight, reach the stairs). ``task_name=None`` draws a task per episode.

    Action Space:
        Text: BALROG's MiniHack action names the task allows (the eight directions for MazeWalk
        and CorridorBattle, ``north``/``east``/``south``/``west`` for Boxoban, 33 names for the
        Quests; ``"far east"``, ``"open"``, ``"zap"`` ...), case-insensitive, or a single key of
        the task's action set. Anything else plays ``north`` (BALROG's default) and is counted
        as invalid.

    Observation Space:
        As ``VLAgent/BALROG-NetHack-v0``: ``image`` the map in NetHack's tiles (336x1264),
        ``text`` BALROG's language observation (message, what is around, cursor, the ASCII map
        in ``hybrid`` mode or the statistics in ``language`` mode, inventory), ``instruction``
        the task's goal sentence.

    Rewards:
        MiniHack's: 1 for the goal, -0.01 for a step that spends no game time (BALROG's
        ``penalty_step``), death 0; Boxoban's own shaping (0.1 per boulder put on a fountain,
        -0.001 a step).

    Starting State:
        NetHack seeds drawn from the env's generator (``reset(seed=s)`` fixes the level);
        Boxoban's level is drawn from the level set with the same generator.

    Episode End:
        Terminated on the goal or death; truncated after 100 steps (BALROG's
        ``max_episode_steps``). ``progress`` is BALROG's: 1.0 when the last step's reward is at
        least 1, else 0; ``success`` is MiniHack's ``TASK_SUCCESSFUL``.

    Arguments:
        task_name: One of :data:`TASKS`, or ``None`` for a task per episode.
        observation_mode: ``"hybrid"`` or ``"language"`` (see the NetHack env).
        levels_dir: A ``boxoban-levels`` checkout for Boxoban (default ``$BOXOBAN_LEVELS``,
            MiniHack's download folder, else the levels shipped here).

    Version History:
        v0: initial version (minihack 1.0.2, nle 1.3.0).
    """

    default_invalid_action_policy: ClassVar[InvalidActionPolicy] = InvalidActionPolicy(
        "default", default_action="north"
    )
    action_descriptions = MINIHACK_ACTIONS

    def __init__(
        self,
        task_name: str | None = None,
        observation_mode: str = "hybrid",
        levels_dir: str | os.PathLike | None = None,
        **kwargs: Any,
    ):
        if task_name is not None and task_name not in TASKS:
            raise ValueError(f"task_name must be one of {TASKS} or None, got {task_name!r}")
        self.task_name = task_name
        self.levels_dir = None if levels_dir is None else str(levels_dir)
        self._task = task_name or TASKS[0]
        self._nles: dict[str, Any] = {}
        self._levels: dict[str, list[list[str]]] = {}
        self._level_index: int | None = None
        self._explorer: Explorer | None = None
        self._plan: list[tuple[int, int]] = []
        self._expected: tuple | None = None
        self._fountains: frozenset[tuple[int, int]] = frozenset()
        super().__init__(observation_mode=observation_mode, **kwargs)

    # ------------------------------------------------------------------ the nle env
    def _boxoban_levels(self, task: str) -> list[list[str]]:
        if task not in self._levels:
            level_set = task.split("-")[1].lower()
            self._levels[task] = boxoban.load_levels(boxoban.level_dir(level_set, self.levels_dir))
        return self._levels[task]

    def _make_nle(self) -> Any:
        task = self._task
        if task in self._nles:
            return self._nles[task]
        gym = require("gymnasium", "balrog")
        require("minihack", "balrog")
        kwargs = {**_KWARGS, "observation_keys": OBSERVATION_KEYS, "fix_moon_phase": True}
        if task.startswith("Boxoban"):
            kwargs.pop("penalty_time")  # BoxoHack's own time penalty
            env = _boxoban_class()(self._boxoban_levels(task), **kwargs)
        else:
            env = gym.make(f"MiniHack-{task}-v0", **kwargs).unwrapped
        self._nles[task] = env
        return env

    def _start(self, seeds: tuple[int, int]) -> dict[str, Any]:
        if self._task.startswith("Boxoban"):
            self._nle.level_index = self._level_index
        return super()._start(seeds)

    def _reset(self, options: dict[str, Any] | None) -> str:
        if self.task_name is None:
            task = TASKS[int(self.np_random.integers(len(TASKS)))]
            if task != self._task:
                self._task = task
                self._nle = self._make_nle()
                self._setup_actions()
        if self._task.startswith("Boxoban"):
            self._level_index = int(self.np_random.integers(len(self._boxoban_levels(self._task))))
        return super()._reset(options)

    def _on_reset(self) -> None:
        self._explorer = Explorer(frozenset(self._names), press_down=False)
        self._plan, self._expected = [], None
        self._fountains = frozenset()
        if self._task.startswith("Boxoban"):
            self._fountains = self._boxoban_state()[1]

    def _progress_update(self, reward: float, done: bool) -> tuple[float | None, bool]:
        won = done and self._end_status == "TASK_SUCCESSFUL"
        return (1.0 if reward >= 1.0 else 0.0), won

    def _step_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"task": self._task}
        if self._level_index is not None and self._task.startswith("Boxoban"):
            info["level_index"] = self._level_index
        if self._ended:
            info["end_status"] = self._end_status
        return info

    # ------------------------------------------------------------------ pickling
    _TRANSIENT: ClassVar[tuple[str, ...]] = ("_nle", "_nles")

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._nles = {}
        super().__setstate__({})

    def close(self) -> None:
        for env in self._nles.values():
            if env is not self._nle:
                env.close()
        self._nles = {}
        super().close()

    # ------------------------------------------------------------------ prompts
    @property
    def task(self) -> str:
        """The task of the current episode (``"MazeWalk-9x9"``)."""
        return self._task

    @property
    def instruction(self) -> str:
        task = self._task.lower()
        if "corridor" in task:
            return "Your goal is to explore the level and reach the stairs down"
        if "quest" in task:
            return (
                "Your goal is to explore the level, fight monsters, and navigate rooms and mazes "
                "to ultimately reach the stairs down."
            )
        if "boxoban" in task:
            return (
                "You are playing Boxoban, a box-pushing game inspired by Sokoban. Your goal is to "
                "push the boulders onto the fountains on the map. You can push the boulders by "
                "walking into them, as long as there are no obstacles behind them."
            )
        return "Your goal is to get as far as possible in the game."

    @property
    def task_prompt(self) -> str:
        return (
            "You are an agent playing MiniHack. The following are the possible actions you can "
            "take in the game, followed by a short description of each action:\n\n"
            f"{self._actions_prompt()}.\n\n"
            "In a moment I will present a history of actions and observations from the game.\n\n"
            "Tip: there is no point in outputting the same action over and over if nothing "
            f"changes.\n\n{self.instruction}\n\nPLAY!\n\n"
            "Answer with exactly one action and nothing else (for example: north), or as the "
            "last line 'Action: <action>'. Any other answer plays 'north'."
        )

    # ------------------------------------------------------------------ scripted solver
    @property
    def scripted_solver(self) -> str:
        """What :meth:`expert_action` reaches: ``"success"``, or ``"none"`` for the Quests."""
        return "none" if self._task.startswith("Quest") else "success"

    def expert_action(self) -> str | None:
        """Breadth-first search: to the stairs (MazeWalk, Corridor, CorridorBattle, exploring
        what is not seen yet), or along :func:`boxoban.solve`'s pushes (Boxoban); ``None`` for
        the Quests, which need items used in the right order."""
        if self._obs is None or self._ended:
            return None
        if self._task in _NAVIGATION:
            assert self._explorer is not None
            return self._explorer.act(self._obs["glyphs"], self._obs["blstats"], self._message)
        if self._task.startswith("Boxoban"):
            return self._boxoban_move()
        return None

    def _boxoban_state(self) -> tuple[boxoban.Level | None, frozenset[tuple[int, int]]]:
        """The level on the map now (in local 10x10 coordinates) and the fountains' cells."""
        nethack = require("nle.nethack", "balrog")
        assert self._obs is not None
        glyphs, blstats = self._obs["glyphs"], self._obs["blstats"]
        kinds = _boxoban_kinds()[glyphs]
        ys, xs = np.nonzero(kinds != 0)
        if len(xs) == 0:
            return None, frozenset()
        x0, y0 = int(xs.min()), int(ys.min())
        walls, boxes, fountains = set(), set(), set(self._fountains)
        for y in range(boxoban.SIZE):
            for x in range(boxoban.SIZE):
                gy, gx = y0 + y, x0 + x
                kind = kinds[gy, gx] if gy < kinds.shape[0] and gx < kinds.shape[1] else 0
                if kind in (0, 1):
                    walls.add((x, y))
                elif kind == 3:
                    boxes.add((x, y))
                elif kind == 4:
                    fountains.add((x, y))
        player = (int(blstats[nethack.NLE_BL_X]) - x0, int(blstats[nethack.NLE_BL_Y]) - y0)
        walls.discard(player)
        if not self._fountains:
            self._fountains = frozenset(fountains)
        try:
            level = boxoban.Level(
                frozenset(walls), frozenset(self._fountains), frozenset(boxes), player
            )
        except ValueError:
            return None, frozenset(fountains)
        return level, frozenset(fountains)

    def _boxoban_move(self) -> str | None:
        level, _ = self._boxoban_state()
        if level is None or len(level.boxes) != len(level.targets):
            return None
        state = (level.boxes, level.player)
        if not self._plan or state != self._expected:
            self._plan = boxoban.solve(level) or []
        if not self._plan:
            return None
        dx, dy = self._plan.pop(0)
        x, y = level.player[0] + dx, level.player[1] + dy
        boxes = set(level.boxes)
        if (x, y) in boxes:
            boxes.remove((x, y))
            boxes.add((x + dx, y + dy))
        self._expected = (frozenset(boxes), (x, y))
        return {(0, -1): "north", (1, 0): "east", (0, 1): "south", (-1, 0): "west"}[(dx, dy)]


@functools.cache
def _boxoban_kinds() -> np.ndarray:
    """Glyph -> 0 nothing, 1 wall (MiniHack's iron bars), 2 floor, 3 boulder, 4 fountain."""
    nethack = require("nle.nethack", "balrog")
    kinds = np.zeros(nethack.MAX_GLYPH + 1, dtype=np.int8)
    for glyph in range(nethack.MAX_GLYPH):
        if nethack.glyph_is_cmap(glyph):
            name = nethack.symdef.from_idx(nethack.glyph_to_cmap(glyph)).explanation
            if nethack.glyph_to_cmap(glyph) == 0:
                continue
            kinds[glyph] = {"iron bars": 1, "wall": 1, "fountain": 4}.get(name, 2)
        elif nethack.glyph_is_object(glyph):
            name = nethack.OBJ_NAME(nethack.objclass(nethack.glyph_to_obj(glyph)))
            kinds[glyph] = 3 if name == "boulder" else 2
        elif nethack.glyph_is_monster(glyph):
            kinds[glyph] = 2  # the player (or a monster) on a floor cell
    return kinds
