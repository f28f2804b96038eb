"""``VLAgent/BALROG-TextWorld-v0`` and one id per task: BALROG's TextWorld games."""

from __future__ import annotations

import glob
import json
import logging
import os
import re
import warnings
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from vlagent_envs.benchmarks.balrog.textworld.generate import (
    SHIPPED_GAMES,
    TASKS,
    ensure_game,
    require_textworld,
)
from vlagent_envs.core import InvalidActionPolicy, StepResult, VLAgentEnv
from vlagent_envs.core.render import TextPanel

__all__ = [
    "BALROG_INFOS",
    "GAMES_ENV_VAR",
    "INSTRUCTION_PROMPTS",
    "TextWorldEnv",
    "TextWorldGrammar",
    "filter_objective",
    "find_games",
    "progression",
]

logger = logging.getLogger(__name__)

GAMES_ENV_VAR = "BALROG_TEXTWORLD_GAMES"
#: What BALROG asks textworld for (``textworld_kwargs`` in its config.yaml), plus ``lost``
#: (free): ``textworld.EnvInfos(**BALROG_INFOS)``.
BALROG_INFOS: dict[str, bool] = {
    "objective": True,
    "description": True,
    "score": True,
    "max_score": True,
    "won": True,
    "lost": True,
}
_LAYOUT = "<games_dir>/<task>/*.z8 (or *.ulx), each with the .json tw-make writes beside it"
# What a parser command may be made of: words of ASCII letters and digits, spaces, hyphens and
# apostrophes (TextWorld's object names: "non-euclidean keycard", "chef's knife").
_COMMAND = re.compile(r"^[a-z0-9][a-z0-9 '\-]*$")
_MAX_COMMAND = 200
_PANEL_CACHE = 64  # rendered panels kept per env
# A JSON null (or a model's spelling of one) in the action field names no command.
_NOT_COMMANDS = frozenset({"null", "none", "nil", "undefined", "nan"})
# Commands that leave a TextWorld game's state unchanged: playing one does not take the agent
# off the walkthrough (``expert_action`` keeps following it).
_STATELESS = frozenset({"help", "look", "l", "goal", "inventory", "i", "score"})

# BALROG's instruction prompts (balrog/environments/textworld/__init__.py, ``intruction_prompts``),
# whitespace joined, word for word (the step counts they state are BALROG's own text; the
# episode limit is 80 steps for every task, as BALROG's config sets it).
INSTRUCTION_PROMPTS: dict[str, str] = {
    "treasure_hunter": (
        "You are an agent playing TextWorld, a text-based adventure game where you are in a "
        "randomly generated maze and must find a specific object. You need to explore different "
        "rooms to find the target object. Here are the available commands: look: describe the "
        "current room. goal: print the goal of this game inventory: print the player’s inventory "
        "go <dir>: move the player north, east, south, or west. You can only go in the direction "
        "indicated with an exit or a door. open ...: open a door or a container. You need to open "
        "a closed door before you want to go through it. drop ...: drop an object on the floor "
        "take ...: take an object that is visible. Make sure the object is visible to take. put "
        "... on ...: place an object on a supporter take ... from ...: take an object from a "
        "container or a supporter insert ... into ...: place an object into a container unlock "
        "... with ...: unlock a door or a container with a key. You need to unlock a locked door "
        "with a matched key in your inventory before you want to open it.\n"
        "- The target object might be located in a closed or locked container. - The adjective "
        "is useful for determining whether the key is matched with the lock (e.g. "
        "non-euclidean keycard is matched with non-euclidean safe). Make sure it is matched to "
        "unlock! - The key required to unlock the door may be in another room or locked inside "
        "a container. - Take the key whenever you can. - After unlocking a locked door or "
        "container, it will remain closed. You will then need to open it.\n"
        "You have 40 steps to complete the task. Restarting is forbidden."
    ),
    "the_cooking_game": (
        "You are an agent playing TextWorld, a text-based adventure game where you navigate "
        "through different rooms, interact with objects, and solve puzzles. Your goal is to "
        "first find the recipe, find and prepare food according to the recipe, and finally "
        "prepare and eat the meal. Here are the available commands: look: describe the current "
        "room goal: print the goal of this game inventory: print player’s inventory go <dir>: "
        "move the player north, east, south or west. You can only go to directions indicated "
        "with an exit or a door. examine ...: examine something more closely eat ...: eat "
        "edible food open ...: open a door or a container. You need to open a closed door "
        "before you can go through it. drop ...: drop an object onto the floor take ...: take "
        "an object that is visible put ... on ...: place an object on a supporter take ... from "
        "...: take an object from a container or a supporter insert ... into ...: place an "
        "object into a container lock ... with ...: lock a door or a container with a key "
        "unlock ... with ...: unlock a door or a container with a key cook ... with ...: cook "
        "cookable food with something providing heat slice ... with ...: slice cuttable food "
        "with something sharp chop ... with ...: chop cuttable food with something sharp dice "
        "... with ...: dice cuttable food with something sharp prepare meal: combine "
        "ingredients from inventory into a meal. You can only prepare meals in the Kitchen.\n"
        "- You can examine the cookbook to see the recipe when it is visible. - The BBQ is for "
        "grilling things, the stove is for frying things, the oven is for roasting things. "
        "Cooking ingredients in the wrong way will lead to a failure of the game. - Once you "
        "have got processed ingredients and the appropriate cooking tool ready, cook all of "
        "them according to the recipe. - There are two conditions to correctly cook something "
        "(grill/fry/roast): a) the ingredient you want to cook is in your inventory and b) "
        "there is a suitable cooking tool in the room, and then use ‘cook . . . with . . . ’ "
        "command. - When you need to chop/slice/dice ingredients, you need to take the knife "
        "and the ingredient in your inventory and then ‘slice/chop/dice ... with knife’ - Make "
        "sure to first process the food (chop/slice/dice) before you try to cook them. - When "
        "you have all the ingredients (that got processed or cooked according to the menu), "
        "you can ‘prepare meal’ in the kitchen and then ‘eat meal’ to win the game. - The "
        "ingredients should EXACTLY match the color in the recipe, but if the recipe doesn’t "
        "specify color, any color would be fine. When you ‘take ... with ...’, use the EXACT "
        "name you see. - You don’t need to examine the container/supporter (e.g. toolbox) when "
        'it says something like "there isn’t a thing on it"/"has nothing on it"\n'
        "You have 80 steps to complete the task. Restarting is forbidden."
    ),
    "coin_collector": (
        "You are an agent playing TextWorld, a text-based adventure game where you are in a "
        "randomly generated maze and must find the coin. You need to explore different rooms "
        "to find the target object. Here are the available commands: goal: print the goal of "
        "this game go <dir>: move the player north, east, south, or west. You can only go in "
        "the direction indicated with something like an exit or a door. take coin: 2in the game "
        "by ‘take coin’ if you see the coin in the room\n"
        "The only action you can do is go <dir> to explore the maze and ‘take coin’ when you "
        "see the coin in the room.\n"
        "You have 25 steps to complete the task. Restarting is forbidden."
    ),
}
_ANSWER_FORMAT = (
    "In a moment I will present you an observation. Answer with one command only, in the "
    "game's words (e.g. 'go north', 'take coin'); an 'Action: <command>' line or a JSON object "
    '{"action": "<command>"} is read too. An empty or unreadable answer plays \'help\'.'
)


class TextWorldGrammar:
    """TextWorld's parser reads free text; we only check that the answer can be a command.

    The answer is lower-cased, its whitespace collapsed, surrounding quotes, brackets and a final
    period dropped; if it spans several lines and its first line is short, the first line is the
    command. It is a command when it is at most 200 characters of ASCII letters, digits,
    spaces, hyphens and apostrophes, with a letter, and not a spelling of JSON ``null``.
    Everything else (empty text, symbols, code, control characters) is invalid and the env plays
    BALROG's default action, ``help``. A command the game does not understand is valid: the game
    answers it ("That's not a verb I recognise."), as in BALROG, whose TextWorld action space
    accepts every string.
    """

    def parse(self, text: str) -> str | None:
        lines = text.strip().split("\n")
        command = _clean(lines[0] if len(lines) > 1 and len(lines[0]) < 80 else text)
        if (
            not command
            or len(command) > _MAX_COMMAND
            or command in _NOT_COMMANDS
            or not _COMMAND.match(command)
            or not any(c.isalpha() for c in command)
        ):
            return None
        return command

    def describe(self) -> str:
        return "Answer with one command in the game's words, e.g. 'go north', 'open door'."

    def __repr__(self) -> str:
        return "TextWorldGrammar()"


def _clean(text: str) -> str:
    text = " ".join(text.lower().split())
    text = text.strip(" \"'`[](){}<>*")
    return text[:-1].rstrip() if text.endswith(".") else text


def filter_objective(feedback: str, objective: str) -> str:
    """BALROG's observation text: the feedback after the objective, stripped.

    BALROG's ``TextWorldWrapper.filter_objective`` splits the feedback on the objective and
    keeps the last part (the opening text loses TextWorld's banner and the objective, which is
    the episode's instruction here), or the whole feedback when the objective is not in it.
    """
    if not objective:
        return feedback.strip()
    parts = feedback.split(objective)
    return parts[-1].strip()


def progression(score: float, max_score: float, won: bool) -> float:
    """BALROG's progression: ``max(score / max_score, 1.0 if won else 0.0)``."""
    ratio = score / max_score if max_score else 0.0
    return float(max(ratio, 1.0 if won else 0.0))


def find_games(games_dir: str | os.PathLike, tasks: tuple[str, ...]) -> dict[str, list[Path]]:
    """The games of each task in a folder in BALROG's layout, in BALROG's order.

    BALROG globs ``**/*.ulx`` then ``**/*.z8`` under the folder (each list sorted) and files a
    game under the name of its parent folder. Every game needs the ``.json`` that ``tw-make``
    writes beside it (textworld reads the score, max score and walkthrough from it).

    Raises:
        FileNotFoundError: ``games_dir`` is not a folder.
        ValueError: a task has no games, or a game has no ``.json``.
    """
    root = Path(games_dir).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(
            f"BALROG TextWorld games folder {root} does not exist; expected the layout {_LAYOUT} "
            "(write one with: python -m vlagent_envs.benchmarks.balrog.textworld.generate "
            f"--out {root})"
        )
    games: dict[str, list[Path]] = {task: [] for task in tasks}
    for pattern in ("*.ulx", "*.z8"):
        for entry in sorted(
            glob.glob(os.path.join(glob.escape(str(root)), "**", pattern), recursive=True)
        ):
            path = Path(entry)
            if path.parent.name in games:
                games[path.parent.name].append(path)
    for task, paths in games.items():
        if not paths:
            raise ValueError(
                f"no {task} games in {root}: expected {root / task}/*.z8 (or *.ulx), the layout "
                f"{_LAYOUT}"
            )
        for path in paths:
            if not path.with_suffix(".json").is_file():
                raise ValueError(
                    f"{path} has no {path.with_suffix('.json').name} beside it; textworld needs "
                    f"the game's .json (the layout {_LAYOUT})"
                )
    return games


def _start_quietly(textworld: Any, path: Path, infos: Any) -> Any:
    # jericho warns that TextWorld's games are "not fully supported" (it has no per-game
    # bindings for them); textworld reads score and moves itself, so the warning says nothing.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is not fully supported")
        return textworld.start(str(path), infos)


def _check_game_file(path: Path) -> None:
    """A clear error for a file that is not a Z-machine/Glulx game or a broken ``.json``."""
    try:
        head = path.read_bytes()[:4]
    except OSError as error:
        raise ValueError(f"cannot read TextWorld game {path}: {error}") from error
    if path.suffix == ".z8" and (len(head) < 4 or head[0] != 8):
        raise ValueError(f"{path} is not a Z-machine version 8 game (corrupt or not a .z8)")
    if path.suffix == ".ulx" and head != b"Glul":
        raise ValueError(f"{path} is not a Glulx game (corrupt or not a .ulx)")
    try:
        json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(
            f"{path.with_suffix('.json')} is not textworld's game JSON: {error}"
        ) from error


class TextWorldEnv(VLAgentEnv):
    """BALROG's TextWorld: treasure hunter, the cooking game and coin collector.

    Description:
        Text adventures made with TextWorld (Microsoft), the three tasks BALROG evaluates:
        ``treasure_hunter`` (find and take an object in a 20-room maze with locked doors and
        containers; the wrong object loses), ``the_cooking_game`` (read the cookbook, gather five
        ingredients over up to 12 rooms, cut and cook each as the recipe says, prepare and eat
        the meal; cooking the wrong way loses) and ``coin_collector`` (find the coin in a maze).
        Games come from a folder in BALROG's layout or are generated with TextWorld's own
        generators at BALROG's settings (:mod:`~vlagent_envs.benchmarks.balrog.textworld.generate`),
        lazily, on first use, and cached.

    Action Space:
        Free text: one parser command (``go north``, ``take coin``, ``cook carrot with stove``).
        As in BALROG every command is played, also one the game does not understand (the game
        says so). An answer that cannot be a command (empty, symbols, code:
        :class:`TextWorldGrammar`) is invalid and BALROG's default action ``help`` is played
        instead (``info["action_valid"]`` is ``False``, no penalty).

    Observation Space:
        ``text``: BALROG's observation, the game's feedback after the objective
        (:func:`filter_objective`; after a reset the opening room without TextWorld's banner).
        BALROG shows its agent this text only; the score, description and ``won`` it requests
        from textworld are in ``info``. ``instruction``: the game's objective. ``image``: the
        text drawn on a panel under a status line (task, score).

    Rewards:
        The game's score delta (BALROG's textworld gym env returns the cumulative score; the
        sum of our rewards is that score). Treasure hunter and coin collector score 1 for the
        win, the cooking game one point per recipe step.

    Starting State:
        ``reset(seed=s)``: the task (``task_name=None``: drawn with ``self.np_random``) and game
        ``s % n`` of its ``n`` games (BALROG's ``seed % len(games)``); without a seed a game is
        drawn. ``options={"task": t, "game_index": i}`` picks one.

    Episode End:
        Terminated when the game is won (``success``) or lost; truncated after 80 steps
        (registered; BALROG's ``max_episode_steps``). ``progress`` is BALROG's progression,
        ``max(score / max_score, 1 if won)`` (:func:`progression`), every step.

    Arguments:
        task_name: ``treasure_hunter``, ``the_cooking_game``, ``coin_collector``, or ``None``
            (one drawn per episode).
        games_dir: A folder in BALROG's layout (``<games_dir>/<task>/*.z8``, BALROG's
            ``tw_games``). Default: ``$BALROG_TEXTWORLD_GAMES`` if set, else our generated
            games (games 0-9 of each task ship; others are generated on first use), kept in
            ``$XDG_CACHE_HOME/vlagent-envs/balrog/textworld`` (or ``$BALROG_TEXTWORLD_CACHE``).
        num_games: Games per task of the generated set (ignored for a ``games_dir``: all its
            games). Default 10, the shipped ones: BALROG plays 10 episodes per task, here one
            on each game; ``25`` gives BALROG's pool size (15 more generated per task on first
            use: seconds to minutes each).
        admissible_commands: Ask textworld for the admissible commands every step and put them
            in ``info["admissible_actions"]`` (textworld's state tracking: 1.5-2.5x slower
            steps; the list is advice, not a restriction: every command is played, as in
            BALROG). Default ``False``: ``admissible_actions`` is ``None`` (an open grammar).
        image_size: Side of the square text panel.

    Version History:
        v0: initial version (textworld 1.7.0; generator settings v1).
    """

    default_invalid_action_policy: ClassVar[InvalidActionPolicy] = InvalidActionPolicy(
        "default", default_action="help"
    )

    def __init__(
        self,
        task_name: str | None = None,
        games_dir: str | os.PathLike | None = None,
        num_games: int = SHIPPED_GAMES,
        admissible_commands: bool = False,
        image_size: int = 512,
        render_mode: str | None = None,
        invalid_action_policy: dict[str, Any] | str | None = None,
        max_action_length: int = 512,
        max_text_length: int = 8192,
    ):
        if task_name is not None and task_name not in TASKS:
            raise ValueError(
                f"unknown BALROG TextWorld task {task_name!r}; choose one of {', '.join(TASKS)}"
            )
        if num_games < 1:
            raise ValueError(f"num_games must be at least 1, got {num_games}")
        if image_size < 64:
            raise ValueError(f"image_size must be at least 64, got {image_size}")
        self.image_shape = (int(image_size), int(image_size), 3)
        super().__init__(render_mode, invalid_action_policy, max_action_length, max_text_length)
        self.task_name = task_name
        self.tasks: tuple[str, ...] = (task_name,) if task_name else TASKS
        self.want_admissible = bool(admissible_commands)
        self.grammar = TextWorldGrammar()
        folder = games_dir if games_dir is not None else os.environ.get(GAMES_ENV_VAR) or None
        self.games_dir = Path(folder).expanduser() if folder is not None else None
        self._user_games = find_games(self.games_dir, self.tasks) if self.games_dir else None
        self.num_games = int(num_games)
        self._panel = TextPanel(image_size, image_size, font_size=max(10, image_size // 36))
        self._engine: Any = None  # textworld's environment (a live Z-machine)
        self._engine_file: Path | None = None
        self._tracker: Any = None  # a second one with policy_commands, for expert_action
        self._tracked, self._tracker_state = 0, None
        self._state: Any = None
        self._task: str | None = None
        self._index = 0
        self._game_file: Path | None = None
        self._commands: list[str] = []  # the commands played (pickling replays them)
        self._objective = ""
        self._walkthrough: list[str] = []
        self._on_walkthrough = True
        self._walk_position = 0
        self._score = 0
        self._image: np.ndarray | None = None
        # Rendered panels by text (rooms and answers repeat: "You can't go that way.").
        self._panels: dict[str, np.ndarray] = {}
        self._seeded_now, self._seed = False, 0

    # ------------------------------------------------------------------ games
    def games_per_task(self, task: str) -> int:
        """How many games ``task`` has (the folder's, or ``num_games`` generated)."""
        if self._user_games is not None:
            return len(self._user_games[task])
        return self.num_games

    def game_file(self, task: str, index: int) -> Path:
        """Game ``index`` of ``task``: the folder's, or generated (once, cached) on demand."""
        if self._user_games is not None:
            games = self._user_games[task]
            return games[index % len(games)]
        return ensure_game(task, index % self.num_games)

    # ------------------------------------------------------------------ episode
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        self._seeded_now, self._seed = seed is not None, seed or 0
        return super().reset(seed=seed, options=options)

    def _reset(self, options: dict[str, Any] | None) -> str:
        options = options or {}
        task = options.get("task")
        if task is None:
            if len(self.tasks) == 1:
                task = self.tasks[0]
            else:
                task = self.tasks[int(self.np_random.integers(len(self.tasks)))]
        elif task not in self.tasks:
            raise ValueError(f"task {task!r} is not one of this env's tasks {self.tasks}")
        count = self.games_per_task(task)
        if "game_index" in options:
            index = int(options["game_index"]) % count
        elif self._seeded_now:
            index = self._seed % count
        else:
            index = int(self.np_random.integers(count))
        self._start(task, index)
        return filter_objective(self._state.feedback, self._objective)

    def _start(self, task: str, index: int) -> None:
        path = self.game_file(task, index)
        if self._engine is None or self._engine_file != path:
            self._close_engines()
            _check_game_file(path)
            textworld = require_textworld()
            infos = textworld.EnvInfos(
                **BALROG_INFOS, admissible_commands=self.want_admissible, extras=["walkthrough"]
            )
            try:
                self._engine = _start_quietly(textworld, path, infos)
            except Exception as error:  # textworld/jericho raise many kinds
                raise ValueError(f"textworld cannot start the game {path}: {error}") from error
            self._engine_file = path
        self._close_tracker()
        self._state = self._engine.reset()
        self._task, self._index, self._game_file = task, index, path
        self._objective = self._state.get("objective") or ""
        self._walkthrough = [c.lower() for c in (self._state.get("extra.walkthrough") or [])]
        self._on_walkthrough, self._walk_position = True, 0
        self._commands = []
        self._score = int(self._state.get("score") or 0)
        self._image = None

    def _step(self, action: str) -> StepResult:
        assert self._engine is not None
        self._state, score, done = self._engine.step(action)
        self._commands.append(action)
        self._follow_walkthrough(action)
        reward = float(score - self._score)
        self._score = int(score)
        self._image = None
        won, lost = bool(self._state.get("won")), bool(self._state.get("lost"))
        max_score = self._state.get("max_score") or 0
        return StepResult(
            reward=reward,
            terminated=bool(done or won or lost),
            text=filter_objective(self._state.feedback, self._objective),
            success=won,
            progress=progression(score, max_score, won),
            info={
                "score": int(score),
                "max_score": int(max_score),
                "won": won,
                "lost": lost,
                "moves": len(self._commands),
                "description": self._state.get("description"),
                "task": self._task,
                "game_file": str(self._game_file),
            },
        )

    def _follow_walkthrough(self, action: str) -> None:
        if not self._on_walkthrough:
            return
        position = self._walk_position
        if position < len(self._walkthrough) and action == self._walkthrough[position]:
            self._walk_position += 1
        elif action not in _STATELESS:
            self._on_walkthrough = False

    # ------------------------------------------------------------------ expert
    def expert_action(self) -> str | None:
        """The next command of the game's walkthrough, or of textworld's winning policy.

        While the agent has played the walkthrough (``tw-make``'s, in the game's ``.json``)
        with nothing else in between but commands that change nothing (``look``, ``help``,
        ``inventory``, ``goal``), its next step. Once the agent left it, the walkthrough no
        longer applies: a second textworld environment with quest tracking
        (``EnvInfos(policy_commands=True)``) replays the agent's commands (kept in step
        afterwards) and its winning policy's first command is returned. ``None`` once the
        game is over or has no winning policy left.
        """
        if self._state is None or self._state.get("won") or self._state.get("lost"):
            return None
        if self._on_walkthrough and self._walk_position < len(self._walkthrough):
            return self._walkthrough[self._walk_position]
        policy = self._tracked_policy()
        return policy[0].lower() if policy else None

    def _tracked_policy(self) -> list[str]:
        assert self._game_file is not None
        if self._tracker is None:
            textworld = require_textworld()
            infos = textworld.EnvInfos(policy_commands=True, won=True, lost=True)
            self._tracker = _start_quietly(textworld, self._game_file, infos)
            self._tracker_state = self._tracker.reset()
            self._tracked = 0
        while self._tracked < len(self._commands):
            self._tracker_state, _, _ = self._tracker.step(self._commands[self._tracked])
            self._tracked += 1
        return list(self._tracker_state.get("policy_commands") or [])

    # ------------------------------------------------------------------ observation
    def admissible_actions(self) -> list[str] | None:
        if not self.want_admissible:
            return None
        return list(self._state.get("admissible_commands") or []) if self._state else []

    def _admissible(self, action: str) -> bool:
        return True  # every command is played (BALROG); the list is advice only

    @property
    def instruction(self) -> str:
        return self._objective

    @property
    def task_prompt(self) -> str:
        task = self._task or (self.tasks[0] if len(self.tasks) == 1 else None)
        if task is None:
            intro = (
                "You are an agent playing TextWorld, a text-based adventure game: each episode is "
                "one of BALROG's three tasks (treasure hunter, the cooking game, coin collector). "
                "Move with 'go <dir>', and act with commands such as 'take ...', 'open ...', "
                "'unlock ... with ...', 'examine ...', 'cook ... with ...', 'prepare meal', "
                "'eat meal'; 'goal' prints the goal, 'look' the room, 'inventory' what you carry."
            )
        else:
            intro = INSTRUCTION_PROMPTS[task]
        return f"{intro}\n\n{_ANSWER_FORMAT}"

    def _render_image(self) -> np.ndarray:
        if self._image is None:
            text = self._panel_text()
            image = self._panels.pop(text, None)  # re-inserted below: most recent last
            if image is None:
                image = self._panel.render(text)
                image.flags.writeable = False
            self._panels[text] = image
            while len(self._panels) > _PANEL_CACHE:
                self._panels.pop(next(iter(self._panels)))
            self._image = image
        return self._image.copy()

    def _panel_text(self) -> str:
        if self._state is None:
            return "TextWorld"
        task = (self._task or "").replace("_", " ")
        max_score = self._state.get("max_score") or 0
        status = f"TextWorld: {task}   score {self._score}/{max_score}"
        return f"{status}\n{'-' * len(status)}\n{self._text}"

    # ------------------------------------------------------------------ pickling / closing
    _TRANSIENT: ClassVar[tuple[str, ...]] = (
        "_engine",
        "_engine_file",
        "_tracker",
        "_tracker_state",
        "_state",
        "_image",
        "_panels",
    )

    def __getstate__(self) -> dict[str, Any]:
        # A live Z-machine cannot be pickled: the game is restarted and its commands replayed.
        return {k: v for k, v in self.__dict__.items() if k not in self._TRANSIENT}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._engine = self._engine_file = self._tracker = self._state = self._image = None
        self._tracked, self._panels = 0, {}
        if self._task is not None:
            commands, score = list(self._commands), self._score
            on, position = self._on_walkthrough, self._walk_position
            self._start(self._task, self._index)
            for command in commands:
                self._state, _, _ = self._engine.step(command)
            self._commands, self._score = commands, score
            self._on_walkthrough, self._walk_position = on, position

    def _close_tracker(self) -> None:
        if self._tracker is not None:
            self._tracker.close()
        self._tracker, self._tracked = None, 0

    def _close_engines(self) -> None:
        self._close_tracker()
        if self._engine is not None:
            self._engine.close()
        self._engine, self._engine_file = None, None

    def close(self) -> None:
        self._close_engines()
        super().close()
