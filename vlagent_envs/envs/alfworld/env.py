"""``VLAgent/ALFWorld-v0`` and one id per task type: ALFWorld's household text games."""

from __future__ import annotations

import logging
import os
import re
from typing import Any, ClassVar

import numpy as np

from vlagent_envs.core import InvalidActionPolicy, StepResult, VLAgentEnv
from vlagent_envs.envs.alfworld.data import (
    SPLITS,
    TASK_TYPES,
    GameRecord,
    GoalTargets,
    find_games,
    goal_targets,
    resolve_data_dir,
)
from vlagent_envs.envs.alfworld.engine import AlfredEngine, EngineState
from vlagent_envs.envs.alfworld.reward import FactIndex, goal_condition_success_rate

__all__ = ["ALFWorldEnv", "ALFWorldGrammar"]

logger = logging.getLogger(__name__)

_TASK_LINE = re.compile(r"Your task is to: .*", re.MULTILINE)
# The two PutObject templates ALFWorld has shipped: "put {o} in/on {r}" (alfworld < 0.3) and
# "move {o} to {r}" (0.3 on). An agent may say either; the game's own form is played.
_PUT = re.compile(r"^(?:put|place|move) (?P<o>.+?) (?:in/on|into|in|on|onto|to) (?P<r>.+)$")


class ALFWorldGrammar:
    """ALFWorld's commands are free text checked against the engine's admissible list.

    The answer is lower-cased, its whitespace collapsed, surrounding quotes, brackets and a final
    period dropped; if the whole answer is not a command its first line is used.
    """

    def parse(self, text: str) -> str | None:
        lines = text.strip().split("\n")
        command = _clean(lines[0] if len(lines) > 1 and len(lines[0]) < 80 else text)
        return command or None

    def describe(self) -> str:
        return (
            "Answer with one admissible command, e.g. 'go to countertop 1', 'open fridge 1', "
            "'take apple 1 from countertop 1', 'move apple 1 to diningtable 1'."
        )

    def __repr__(self) -> str:
        return "ALFWorldGrammar()"


def _clean(text: str) -> str:
    text = " ".join(text.lower().split())
    text = text.strip(" \"'`[](){}<>")
    return text[:-1].rstrip() if text.endswith(".") else text


class ALFWorldEnv(VLAgentEnv):
    """ALFWorld: household tasks in a text world (ALFRED's scenes in TextWorld's PDDL engine).

    Description:
        The agent is in a room of an ALFRED floor plan (kitchen, living room, bedroom,
        bathroom) and must do one task of six types: pick and place, look at an object under a
        lamp, or clean, heat or cool an object before placing it, or place two. It acts with text
        commands the engine lists as admissible (``go to cabinet 3``, ``open fridge 1``, ``take
        apple 1 from countertop 2``, ``heat apple 1 with microwave 1``, ``move apple 1 to
        diningtable 1``, ``use desklamp 1``, ``examine``, ``inventory``, ``look``). The engine is
        alfworld's own (textworld's PDDL env, fast-downward, alfworld's name demangler); what it
        recomputes every step is cached (:mod:`~vlagent_envs.envs.alfworld.engine`), its texts
        are byte-identical to ``AlfredTWEnv``'s.

    Action Space:
        Free text; one command. Both PutObject forms ALFWorld has shipped are accepted (``put X
        in/on Y``, ``move X to Y``) and played as the game's own. Anything the engine does not
        list answers "Nothing happens.", ``action_valid=False`` and the penalty.

    Observation Space:
        ``text``: the engine's text (the welcome, the room and the task after a reset; the
        feedback after a step). ``instruction``: the task line (``Your task is to: put a clean
        mug in coffeemachine.``). ``image``: a schematic of the agent's situation (the room's
        receptacles with the agent's place, open/closed, what is visible here with its state,
        what the agent holds, the last feedback). It is a drawing of the engine's state, not
        ALFWorld's THOR frames, which need the AI2-THOR Unity build.

    Rewards:
        VL-DAC's (RL4VLM's ``compute_reward``): ``won_reward * won + goal_condition_success_rate``
        every step, minus 1 for an inadmissible command. ``won_reward`` is 1 (VL-DAC); RL4VLM
        uses 50. The goal-condition rate is ALFRED's (:mod:`~vlagent_envs.envs.alfworld.reward`).

    Starting State:
        ``reset(seed=s)`` plays game ``s % n`` of the split's sorted games (``options={"game_index":
        i}`` or ``{"game_file": path}`` choose one); without a seed a game is drawn from the env's
        generator.

    Episode End:
        Terminated when the task is won (``success``); truncated after 50 steps (registered;
        ALFWorld's evaluation limit). ``progress`` is the goal-condition rate.

    Arguments:
        task_type: One of the six task types, or ``None`` for all.
        split: ``train``, ``valid_seen`` (seen rooms) or ``valid_unseen`` (unseen rooms).
        data_dir: A folder in the official layout (``json_2.1.1/<split>/...``). Default:
            ``$ALFWORLD_DATA`` if set, else the generated games that ship with the package.
        won_reward: Weight of ``won`` in the reward (VL-DAC 1, RL4VLM 50).
        image_size: Side of the square schematic.

    Version History:
        v0: initial version (alfworld 0.4.2, textworld 1.7.0 engine).
    """

    default_invalid_action_policy: ClassVar[InvalidActionPolicy] = InvalidActionPolicy(
        "noop", penalty=-1.0, additive=True
    )

    def __init__(
        self,
        task_type: str | None = None,
        split: str = "train",
        data_dir: str | os.PathLike | None = None,
        won_reward: float = 1.0,
        image_size: int = 512,
        render_mode: str | None = None,
        invalid_action_policy: dict[str, Any] | str | None = None,
        max_action_length: int = 512,
        max_text_length: int = 8192,
    ):
        if task_type is not None and task_type not in TASK_TYPES:
            raise ValueError(
                f"unknown ALFWorld task type {task_type!r}; choose one of {', '.join(TASK_TYPES)}"
            )
        if split not in SPLITS:
            raise ValueError(f"unknown ALFWorld split {split!r}; choose one of {', '.join(SPLITS)}")
        if image_size < 64:
            raise ValueError(f"image_size must be at least 64, got {image_size}")
        self.image_shape = (int(image_size), int(image_size), 3)
        super().__init__(render_mode, invalid_action_policy, max_action_length, max_text_length)
        self.task_type, self.split, self.won_reward = task_type, split, float(won_reward)
        self.data_dir, self.data_source = resolve_data_dir(data_dir)
        self.games: list[GameRecord] = find_games(
            self.data_dir, split, (task_type,) if task_type else TASK_TYPES
        )
        self.grammar = ALFWorldGrammar()
        self._engine: AlfredEngine | None = None
        self._game: GameRecord | None = None
        self._targets: GoalTargets | None = None
        self._state: EngineState | None = None
        self._facts: FactIndex | None = None
        self._instruction = ""
        self._commands: list[str] = []  # the admissible commands played (pickling replays them)
        self._image: np.ndarray | None = None
        self._seeded_now, self._seed = False, 0

    # ------------------------------------------------------------------ episode
    def _reset(self, options: dict[str, Any] | None) -> str:
        options = options or {}
        if "game_file" in options:
            path = os.path.abspath(os.fspath(options["game_file"]))
            matches = [g for g in self.games if os.path.abspath(g.game_file) == path]
            if not matches:
                raise ValueError(f"{path} is not one of this env's {len(self.games)} games")
            index = self.games.index(matches[0])
        elif "game_index" in options:
            index = int(options["game_index"]) % len(self.games)
        elif self._seeded_now:
            index = self._seed % len(self.games)
        else:
            index = int(self.np_random.integers(len(self.games)))
        self._start(index)
        return self._state.feedback  # type: ignore[union-attr]

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        self._seeded_now, self._seed = seed is not None, seed or 0
        return super().reset(seed=seed, options=options)

    def _start(self, index: int) -> None:
        engine = self._engine or AlfredEngine()
        self._engine = engine
        for offset in range(len(self.games)):
            game = self.games[(index + offset) % len(self.games)]
            if engine.game_file == str(game.game_file) or _solvable(game):
                break
            logger.warning("skipping %s: its game file says it is not solvable", game.game_file)
        else:
            raise ValueError(f"none of the {len(self.games)} games is solvable")
        self._state = engine.load(game.game_file)
        self._game, self._targets = game, goal_targets(game)
        match = _TASK_LINE.search(self._state.feedback)
        self._instruction = match.group(0).strip() if match else ""
        self._commands = []
        self._observe()

    def _step(self, action: str) -> StepResult:
        assert self._engine is not None
        command = self._as_admissible(action)
        self._state = self._engine.step(command)
        self._commands.append(command)
        self._observe()
        rate = self._rate()
        won = self._state.won
        return StepResult(
            reward=self.won_reward * won + rate,
            terminated=won,
            text=self._state.feedback,
            success=won,
            progress=rate,
            info=self._step_info(rate),
        )

    def _idle(self, event: str) -> StepResult:
        # An inadmissible command: the engine answers "Nothing happens." and nothing changes
        # (textworld does not even count the move); the step still pays won + goal-condition
        # rate, and the additive policy adds the -1 (VL-DAC's reward).
        assert self._state is not None
        rate = self._rate()
        return StepResult(
            reward=self.won_reward * self._state.won + rate,
            text="Nothing happens.",
            progress=rate,
            info=self._step_info(rate),
        )

    def _admissible(self, action: str) -> bool:
        return self._as_admissible(action) in self._admissible_set()

    def _as_admissible(self, action: str) -> str:
        """``action``, or the game's own PutObject form of it when it is another form."""
        admissible = self._admissible_set()
        if action in admissible:
            return action
        match = _PUT.match(action)
        if match:
            o, r = match.group("o"), match.group("r")
            for form in (f"move {o} to {r}", f"put {o} in/on {r}"):
                if form in admissible:
                    return form
        return action

    def _admissible_set(self) -> frozenset[str]:
        return frozenset(self._state.admissible_commands) if self._state else frozenset()

    # ------------------------------------------------------------------ state
    def _observe(self) -> None:
        assert self._engine is not None
        self._facts = FactIndex.from_facts(self._engine.facts())
        self._image = None

    def _rate(self) -> float:
        assert self._facts is not None and self._targets is not None and self._state is not None
        return goal_condition_success_rate(self._facts, self._targets, self._state.won)

    def _step_info(self, rate: float) -> dict[str, Any]:
        assert self._state is not None and self._game is not None
        return {
            "won": self._state.won,
            "goal_condition_success_rate": rate,
            "task_type": self._game.task_type,
            "game_file": str(self._game.game_file),
        }

    def admissible_actions(self) -> list[str] | None:
        return list(self._state.admissible_commands) if self._state else []

    def expert_action(self) -> str | None:
        """The next command of the engine's planner (fast-downward's optimal plan)."""
        if self._engine is None or self._state is None or self._state.won:
            return None
        plan = self._engine.plan()
        return plan[0] if plan else None

    @property
    def instruction(self) -> str:
        return self._instruction

    @property
    def task_prompt(self) -> str:
        return (
            "You are in a household, in ALFWorld's text world. You are told your task (put an "
            "object somewhere; clean, heat or cool it first; put two; or examine one under a "
            "lamp) and what you see. Act with one command at a time, one of the admissible "
            "commands: 'go to {receptacle}', 'open {receptacle}', 'close {receptacle}', 'take "
            "{object} from {receptacle}', 'move {object} to {receptacle}', 'heat {object} with "
            "{microwave}', 'cool {object} with {fridge}', 'clean {object} with {sinkbasin}', "
            "'use {lamp}', 'examine {something}', 'inventory', 'look'. "
            "Answer with the command only."
        )

    def _render_image(self) -> np.ndarray:
        if self._image is None:
            self._image = self._draw()
        return self._image.copy()

    def _draw(self) -> np.ndarray:
        from vlagent_envs.envs.alfworld.render import render_situation

        return render_situation(self._situation(), self.image_shape[1], self.image_shape[0])

    def _situation(self) -> Any:
        from vlagent_envs.envs.alfworld.render import Situation

        facts, engine = self._facts, self._engine
        if facts is None or engine is None:
            return Situation(task=self._instruction, location=None, receptacles=())
        name = engine.name
        here = [r for r, loc in facts.receptacle_location.items() if loc == facts.agent_location]
        location = name(min(here)) if here else None
        closed = {r for r in facts.openable if r not in facts.opened}
        visible = [o for r in here if r not in closed for o in facts.contents.get(r, [])]
        visible += [
            o
            for o, loc in sorted(facts.object_location.items())
            if loc == facts.agent_location and o not in facts.container and o not in facts.held
        ]
        flags = {
            "ishot": "hot",
            "iscool": "cool",
            "isclean": "clean",
            "ison": "on",
            "issliced": "sliced",
        }
        states: dict[str, tuple[str, ...]] = {}
        for flag, word in flags.items():
            for entity in facts.flags.get(flag, ()):
                states[name(entity)] = (*states.get(name(entity), ()), word)
        return Situation(
            task=self._instruction.removeprefix("Your task is to: "),
            location=location,
            receptacles=tuple(sorted((name(r) for r in facts.receptacle_type), key=_natural)),
            opened=frozenset(name(r) for r in facts.opened),
            openable=frozenset(name(r) for r in facts.openable),
            visible=tuple(dict.fromkeys(name(o) for o in visible)),
            inventory=tuple(name(o) for o in facts.held),
            states=states,
            feedback=self._state.feedback if self._state else "",
        )

    # ------------------------------------------------------------------ pickling / closing
    _TRANSIENT: ClassVar[tuple[str, ...]] = ("_engine", "_facts", "_state", "_image")

    def __getstate__(self) -> dict[str, Any]:
        # The engine (a loaded C library) is rebuilt on unpickling and the episode replayed.
        return {k: v for k, v in self.__dict__.items() if k not in self._TRANSIENT}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._engine = self._facts = self._state = self._image = None
        if self._game is not None:
            commands = self._commands
            self._start(self.games.index(self._game))
            for command in commands:
                self._state = self._engine.step(command)  # type: ignore[union-attr]
            self._commands = commands
            self._observe()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        super().close()


def _solvable(game: GameRecord) -> bool:
    import json

    try:
        with open(game.game_file, encoding="utf-8") as file:
            return bool(json.load(file).get("solvable", True))
    except (OSError, ValueError):
        return True  # the engine's load names the broken file


def _natural(name: str) -> tuple[str, int]:
    base, _, number = name.rpartition(" ")
    return (base, int(number)) if number.isdigit() else (name, 0)
