"""``VLAgent/BALROG-NetHack-v0``: BALROG's NetHack on PyPI ``nle``, and what MiniHack shares.

BALROG (``balrog/environments/nle``) plays ``NetHackChallenge-v0`` (a random role, the full
keyboard, menus not skipped) behind two wrappers, both written anew here:

* ``AutoMore`` -- after every step, while the message line ends in ``--More--`` and the game
  goes on, ``MORE`` is pressed and the messages are joined (``--More--`` becomes a newline); the
  rewards of those presses are added to the step's.
* ``NLELanguageWrapper`` -- BALROG's action names (``north`` ... ``far northwest``, ``up``,
  ``down``, the commands, ``minus``/``space``/``apos`` and the digits) and its text: the message,
  the ``language observation`` (what is around, in words), the cursor and, for text agents, the
  ASCII map (``hybrid`` mode) or, for vision agents, the statistics (``language`` mode), then the
  inventory. The words come from :mod:`vlagent_envs.benchmarks.balrog.nle_language` (the
  ``nle_language_obsv`` C++ describer of newer nle builds, written anew in Python).

Besides BALROG's names, a single character is a key press (``d`` answers "What do you want to
drop? [d or ?*]", ``y`` a yes/no question): menus and prompts need letters, and digits are
actions too (BALROG's naive agent strips them). Anything else presses ``esc``, BALROG's default.

The image is the map drawn from NetHack's own 16x16 tiles (nle ships them: ``monsters.txt``,
``objects.txt``, ``other.txt``): a gather of ``tiles[glyph2tile[glyphs]]``, pixel for pixel nle's
``render_mode="pixel"`` frame (21 x 79 tiles, 336 x 1264).

Progression is BALROG's: the highest value reached of an empirical table of the probability that
a human player who got that far ascended (``data/nethack_progression.json``; 87 entries, from
BALROG's ``balrog/environments/nle/achievements.json``, computed there from human games). As in
BALROG's ``Progress.update``, the dungeon depth (``Dlvl:<n>``) and experience level (``Xp:<n>``)
of the bottom line are looked up every step; an ascension scores 1.

Seeds: ``NetHackChallenge`` forbids setting NetHack's seeds (a competition rule against
tool-assisted play); a benchmark of fixed seeds needs them, so the core and display seeds are set
through ``Nethack.set_initial_seeds`` itself, with ``fix_moon_phase=True`` so the moon and the
day do not follow the clock. A live NetHack cannot be pickled: a pickled env restarts the game
from its seeds and replays its key presses.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from importlib import resources
from typing import Any, ClassVar

import numpy as np

from vlagent_envs.core import ChoiceGrammar, InvalidActionPolicy, StepResult, VLAgentEnv
from vlagent_envs.core.deps import require

__all__ = [
    "MINIHACK_ACTIONS",
    "NLE_ACTIONS",
    "OBSERVATION_KEYS",
    "KeyGrammar",
    "NetHackEnv",
    "NetHackProgress",
    "progression_table",
    "render_tiles",
]

logger = logging.getLogger(__name__)

#: BALROG's NetHack actions and the descriptions of its instruction prompt (``NLE_ACTIONS_TO_DESCR``
#: in ``balrog/environments/nle/base.py``), in its order.
NLE_ACTIONS: dict[str, str] = {
    "north": "move north",
    "east": "move east",
    "south": "move south",
    "west": "move west",
    "northeast": "move northeast",
    "southeast": "move southeast",
    "southwest": "move southwest",
    "northwest": "move northwest",
    "far north": "move far north",
    "far east": "move far east",
    "far south": "move far south",
    "far west": "move far west",
    "far northeast": "move far northeast",
    "far southeast": "move far southeast",
    "far southwest": "move far southwest",
    "far northwest": "move far northwest",
    "up": "go up a staircase",
    "down": "go down a staircase (tip: you can only go down if you are standing on the stairs)",
    "wait": "rest one move while doing nothing",
    "more": "display more of the message (tip: ONLY ever use when current message ends with "
    "--More--)",
    "annotate": "leave a note about the level",
    "apply": "apply (use) a tool",
    "call": "name a monster or object, or add an annotation",
    "cast": "cast a spell",
    "close": "close an adjacent door",
    "open": "open an adjacent door",
    "dip": "dip an object into something",
    "drop": "drop an item",
    "droptype": "drop specific item types (specify in the next prompt)",
    "eat": "eat something (tip: replenish food when hungry)",
    "esc": "exit menu or message",
    "engrave": "engrave writing on the floor (tip: Elbereth)",
    "enhance": "advance or check weapons skills",
    "fire": "fire ammunition from quiver",
    "fight": "fight a monster (even if you only guess one is there)",
    "force": "force a lock",
    "inventory": "show your inventory",
    "invoke": "invoke ",
    "jump": "jump to a location",
    "kick": "kick an enemy or a locked door or chest",
    "look": "look at what is under you",
    "loot": "loot a box on the floor",
    "monster": "use a monster's special ability (when polymorphed)",
    "offer": "offer a sacrifice to the gods (tip: on an aligned altar)",
    "pay": "pay your shopping bill",
    "pickup": "pick up things at the current location",
    "pray": "pray to the gods for help",
    "puton": "put on an accessory",
    "quaff": "quaff (drink) something",
    "quiver": "select ammunition for quiver",
    "read": "read a scroll or spellbook",
    "remove": "remove an accessory",
    "rub": "rub a lamp or a stone",
    "search": "search for hidden doors and passages",
    "swap": "swap wielded and secondary weapons",
    "takeoff": "take off one piece of armor",
    "takeoffall": "take off all armor",
    "teleport": "teleport to another level (if you have the ability)",
    "throw": "throw something (e.g. a dagger or dart)",
    "travel": "travel to a specific location on the map (tip: in the next action, specify > or < "
    "for stairs, { for fountain, and _ for altar)",
    "twoweapon": "toggle two-weapon combat",
    "untrap": "untrap something",
    "wear": "wear a piece of armor",
    "wield": "wield a weapon",
    "wipe": "wipe off your face",
    "zap": "zap a wand",
    "minus": "-",
    "space": " ",
    "apos": "'",
    **{str(digit): str(digit) for digit in range(10)},
}

#: BALROG's MiniHack actions (``MINIHACK_ACTIONS_TO_DESCR``): 33 names; a task offers those its
#: own action set holds (MazeWalk the eight directions, Boxoban the four cardinal ones).
MINIHACK_ACTIONS: dict[str, str] = {
    **{name: NLE_ACTIONS[name] for name in list(NLE_ACTIONS)[:16]},
    "up": "go up the stairs",
    "down": "go down the stairs",
    "wait": "rest one move while doing nothing",
    "more": "display more of the message",
    "apply": "apply (use) a tool",
    "close": "close an adjacent door",
    "open": "open an adjacent door",
    "eat": "eat something",
    "force": "force a lock",
    "kick": "kick an enemy or a locked door or chest",
    "loot": "loot a box on the floor",
    "pickup": "pick up things at the current location if there are any",
    "pray": "pray to the gods for help",
    "puton": "put on an accessory",
    "quaff": "quaff (drink) something",
    "search": "search for hidden doors and passages",
    "zap": "zap a wand",
}

# Each name's key in nle.nethack.actions (nle_language_wrapper's all_nle_action_map).
_DIRECTIONS = {
    "north": "N",
    "east": "E",
    "south": "S",
    "west": "W",
    "northeast": "NE",
    "southeast": "SE",
    "southwest": "SW",
    "northwest": "NW",
}
_MISC = {
    "up": ("MiscDirection", "UP"),
    "down": ("MiscDirection", "DOWN"),
    "wait": ("MiscDirection", "WAIT"),
    "more": ("MiscAction", "MORE"),
    "minus": ("TextCharacters", "MINUS"),
    "space": ("TextCharacters", "SPACE"),
    "apos": ("TextCharacters", "APOS"),
}

_SYNONYMS = {
    **{f"move {name}": name for name in _DIRECTIONS},
    **{f"go {name}": name for name in _DIRECTIONS},
    **{f"move far {name}": f"far {name}" for name in _DIRECTIONS},
    "go up": "up",
    "go down": "down",
    "descend": "down",
    "ascend": "up",
    "escape": "esc",
    "pick up": "pickup",
    "rest": "wait",
    "put on": "puton",
    "take off": "takeoff",
}


def _enum(name: str) -> Any:
    """nle's action enum member for one of BALROG's names."""
    actions = require("nle.nethack.actions", "balrog")
    if name in _DIRECTIONS:
        short = _DIRECTIONS[name]
        group = "CompassDirection" if len(short) == 1 else "CompassIntercardinalDirection"
        return getattr(getattr(actions, group), short)
    if name.startswith("far "):
        short = _DIRECTIONS[name[4:]]
        group = (
            "CompassCardinalDirectionLonger"
            if len(short) == 1
            else "CompassIntercardinalDirectionLonger"
        )
        return getattr(getattr(actions, group), short)
    if name in _MISC:
        group, member = _MISC[name]
        return getattr(getattr(actions, group), member)
    if name.isdigit():
        return getattr(actions.TextCharacters, f"NUM_{name}")
    return getattr(actions.Command, name.upper())


class KeyGrammar:
    """BALROG's action names (case-insensitive), or one key pressed as is (case-sensitive).

    A single printable character is a key when the env's action set has it (``d``, ``D``, ``$``,
    ``<``): NetHack's menus and prompts ask for letters. Quoted single characters (``'d'``) count
    too. Names win over keys only where a name is one character (the digits, which are the same
    key).

    Args:
        names: The action names offered, in prompt order.
        keys: The single characters that are keys of the env's action set.
    """

    def __init__(self, names: list[str] | tuple[str, ...], keys: list[str] | tuple[str, ...]):
        synonyms = {k: v for k, v in _SYNONYMS.items() if v in names}
        self._names = ChoiceGrammar(tuple(names), synonyms=synonyms)
        self.keys = frozenset(keys)
        self.actions: tuple[str, ...] = tuple(names) + tuple(k for k in keys if k not in names)

    def parse(self, text: str) -> str | None:
        stripped = text.strip()
        if len(stripped) == 3 and stripped[0] == stripped[-1] and stripped[0] in "'\"`":
            stripped = stripped[1]
        if len(stripped) == 1 and stripped in self.keys:
            return stripped
        return self._names.parse(text)

    def describe(self) -> str:
        return (
            "Answer with one of the action names above, or a single character to press that "
            "key (a menu letter, a digit, y/n)."
        )


# ----------------------------------------------------------------------------- progression
@functools.cache
def progression_table() -> dict[str, float]:
    """BALROG's NetHack achievements table: ``Dlvl:<n>``, ``Xp:<n>``, ... -> P(ascension)."""
    text = resources.files(__package__).joinpath("data", "nethack_progression.json").read_text()
    return dict(json.loads(text)["achievements"])


@dataclass
class NetHackProgress:
    """BALROG's ``Progress``: the best table value reached over an episode.

    Attributes:
        progression: The highest value so far (BALROG's ``progression``).
        highest_achievement: Its table key (``"Dlvl:3"``).
        depth: Dungeon depth of the last update.
        experience_level: Experience level of the last update.
    """

    progression: float = 0.0
    highest_achievement: str | None = None
    depth: int = 1
    experience_level: int = 1

    def update(self, blstats: np.ndarray, ascended: bool = False) -> float:
        nethack = require("nle.nethack", "balrog")
        if int(blstats[nethack.NLE_BL_DEPTH]) == 0:  # the game is over: nle zeroes the stats
            return self.progression if not ascended else self._ascend()
        self.depth = int(blstats[nethack.NLE_BL_DEPTH])
        self.experience_level = int(blstats[nethack.NLE_BL_XP])
        keys = [f"Xp:{self.experience_level}", f"Dlvl:{self.depth}"]
        if ascended:
            keys.append("You ascend t")
        table = progression_table()
        for key in keys:
            value = table.get(key)
            if value is not None and value > self.progression:
                self.progression, self.highest_achievement = value, key
        return self.progression

    def _ascend(self) -> float:
        self.progression, self.highest_achievement = 1.0, "You ascend t"
        return 1.0


# ----------------------------------------------------------------------------- the image
@functools.cache
def _tiles() -> tuple[np.ndarray, np.ndarray]:
    """NetHack's 16x16 tiles as ``(n, 16, 16, 3)`` and nle's glyph -> tile table."""
    nethack = require("nle.nethack", "balrog")
    game = nethack.Nethack(observation_keys=("glyphs",), ttyrec=None)  # no recording file
    try:
        if not game.setup_tiles():
            raise RuntimeError("nle could not load NetHack's tile files")
        glyph2tile = np.asarray(nethack.glyph2tile, dtype=np.int64)
        count = int(glyph2tile.max()) + 1
        size = nethack.TILE_SHAPE[0]
        buffer = np.zeros((count * size, size, 3), dtype=np.uint8)
        game.get_tileset(buffer)
    finally:
        game.close()
    return buffer.reshape(count, size, size, 3), glyph2tile


def render_tiles(glyphs: np.ndarray) -> np.ndarray:
    """The map drawn with NetHack's tiles: nle's ``render_mode="pixel"`` frame, as a gather."""
    tiles, glyph2tile = _tiles()
    rows, cols = glyphs.shape
    size = tiles.shape[1]
    drawn = tiles[glyph2tile[glyphs]]  # [row, col, y, x, rgb]
    return drawn.transpose(0, 2, 1, 3, 4).reshape(rows * size, cols * size, 3)


# ----------------------------------------------------------------------------- the env
#: The nle observation keys BALROG requests (``make_minihack_env``), NetHack and MiniHack alike.
OBSERVATION_KEYS: tuple[str, ...] = (
    "glyphs",
    "blstats",
    "tty_chars",
    "inv_letters",
    "inv_strs",
    "tty_cursor",
    "tty_colors",
)
_MODES = ("hybrid", "language")


class NLELanguageEnv(VLAgentEnv):
    """What NetHack and MiniHack share: the nle env, seeds, ``--More--``, text, tiles, pickling.

    Subclasses set :attr:`action_descriptions` and :attr:`default_invalid_action_policy` and
    implement :meth:`_make_nle`, :meth:`_progress_update` and the prompts.
    """

    action_descriptions: ClassVar[dict[str, str]] = NLE_ACTIONS
    image_shape = (21 * 16, 79 * 16, 3)

    def __init__(
        self,
        observation_mode: str = "hybrid",
        render_mode: str | None = None,
        invalid_action_policy: dict[str, Any] | str | None = None,
        **kwargs: Any,
    ):
        if observation_mode not in _MODES:
            raise ValueError(f"observation_mode must be one of {_MODES}, got {observation_mode!r}")
        self.observation_mode = observation_mode
        self._nle: Any = None
        self._nle = self._make_nle()  # raises DependencyNotInstalled
        self._setup_actions()
        super().__init__(
            render_mode=render_mode, invalid_action_policy=invalid_action_policy, **kwargs
        )
        self._obs: dict[str, Any] | None = None
        self._seeds: tuple[int, int] | None = None
        self._keys: list[int] = []  # nle action indices played since reset (for pickling)
        self._message = ""
        self._ended = False
        self._end_status = ""

    # ------------------------------------------------------------------ subclass interface
    def _make_nle(self) -> Any:
        """The unwrapped nle env of this task."""
        raise NotImplementedError

    def _progress_update(self, reward: float, done: bool) -> tuple[float | None, bool]:
        """``(progress, success)`` after a step."""
        raise NotImplementedError

    def _start(self, seeds: tuple[int, int]) -> dict[str, Any]:
        """Seed NetHack and start a game; the first observation."""
        nethack = require("nle.nethack", "balrog")
        core, disp = seeds
        # NetHackChallenge replaces its Nethack's seed setters to refuse; call the class's.
        nethack.Nethack.set_initial_seeds(self._nle.nethack, core, disp, False, None)
        obs, _ = self._nle.reset()
        return obs

    # ------------------------------------------------------------------ actions
    def _setup_actions(self) -> None:
        actions = list(self._nle.actions)
        values = [int(a) for a in actions]
        names = []
        self._index: dict[str, int] = {}
        for name in self.action_descriptions:
            value = int(_enum(name))
            if value in values:
                names.append(name)
                self._index[name] = values.index(value)
        keys = []
        for i, value in enumerate(values):
            if 32 <= value < 127 and chr(value) not in self._index:
                keys.append(chr(value))
                self._index[chr(value)] = i
        self._names = tuple(names)
        self.grammar = KeyGrammar(self._names, tuple(keys))
        more = int(require("nle.nethack.actions", "balrog").MiscAction.MORE)
        # Tasks without MORE in their action set (MiniHack's navigation) let nle skip --More--.
        self._more = values.index(more) if more in values else None

    # ------------------------------------------------------------------ episode
    def _reset(self, options: dict[str, Any] | None) -> str:
        self._seeds = (int(self.np_random.integers(2**31)), int(self.np_random.integers(2**31)))
        self._obs = self._start(self._seeds)
        self._keys = []
        self._ended = False
        self._end_status = ""
        self._message = _language().text_message(self._obs["tty_chars"])
        self._on_reset()
        return self._describe()

    def _on_reset(self) -> None:
        """Reset per-episode trackers (progression)."""

    def _press(self, index: int) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        self._keys.append(index)
        return self._nle.step(index)

    def _step(self, action: str) -> StepResult:
        obs, reward, terminated, truncated, info = self._press(self._index[action])
        language = _language()
        message = language.text_message(obs["tty_chars"])
        # BALROG's AutoMore: press MORE while the message asks for it, joining the messages.
        while "--More--" in message and self._more is not None and not (terminated or truncated):
            message = message.replace("--More--", "\n")
            obs, more_reward, terminated, truncated, info = self._press(self._more)
            message += language.text_message(obs["tty_chars"])
            reward += more_reward
        self._obs, self._message = obs, message
        done = bool(terminated or truncated)
        self._ended = done
        end_status = info.get("end_status")
        self._end_status = getattr(end_status, "name", str(end_status))
        progress, success = self._progress_update(float(reward), done)
        return StepResult(
            reward=float(reward),
            terminated=bool(terminated),
            truncated=bool(truncated),
            text=self._describe(),
            success=success,
            progress=progress,
            info=self._step_info(),
        )

    def _step_info(self) -> dict[str, Any]:
        return {"end_status": self._end_status} if self._ended else {}

    # ------------------------------------------------------------------ observation
    def _describe(self) -> str:
        """BALROG's text: ``long_term_context`` then ``short_term_context``, as its agents see."""
        obs, language = self._obs, _language()
        assert obs is not None
        glyphs, blstats = obs["glyphs"], obs["blstats"]
        cursor = language.text_cursor(glyphs, blstats, obs["tty_cursor"])
        parts = [
            ("message", self._message),
            ("language observation", language.text_glyphs(glyphs, blstats)),
        ]
        if self.observation_mode == "hybrid":
            row, col = (int(v) for v in obs["tty_cursor"])
            chars = obs["tty_chars"]
            ascii_map = "".join(bytes(line).decode("latin-1") + "\n" for line in chars[1:])
            parts += [("cursor", f"{cursor}\n(x={col}, y={row})"), ("map", ascii_map)]
            short = []
        else:
            parts.append(("cursor", cursor))
            short = [("statistics", language.text_blstats(blstats))]
        short.append(("inventory", language.text_inventory(obs["inv_strs"], obs["inv_letters"])))
        long_term = "\n".join(f"{name}:\n{value}\n" for name, value in parts)
        short_term = "\n".join(f"{name}:\n{value}\n" for name, value in short)
        return f"{long_term}\n{short_term}"

    def _render_image(self) -> np.ndarray:
        if self._obs is None:
            return np.zeros(self.image_shape, dtype=np.uint8)
        return render_tiles(self._obs["glyphs"])

    @property
    def nle_observation(self) -> dict[str, Any] | None:
        """The last observation of the nle env (its arrays, read-only use)."""
        return self._obs

    def admissible_actions(self) -> list[str]:
        return list(self.grammar.actions)

    def _actions_prompt(self) -> str:
        return ",\n".join(f"{name}: {self.action_descriptions[name]}" for name in self._names)

    # ------------------------------------------------------------------ pickling
    _TRANSIENT: ClassVar[tuple[str, ...]] = ("_nle",)

    def __getstate__(self) -> dict[str, Any]:
        # A live NetHack cannot be pickled: the game restarts from its seeds and the key presses
        # are replayed (NetHack is deterministic given its seeds and a fixed moon phase).
        return {k: v for k, v in self.__dict__.items() if k not in self._TRANSIENT}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._nle = self._make_nle()
        if self._seeds is not None:
            self._start(self._seeds)
            for index in self._keys:
                self._nle.step(index)

    def close(self) -> None:
        if self._nle is not None:
            self._nle.close()
            self._nle = None
        super().close()


def _language() -> Any:
    from vlagent_envs.benchmarks.balrog import nle_language

    return nle_language


class NetHackEnv(NLELanguageEnv):
    """BALROG's NetHack: the full game, from the first level down, in words and tiles.

    Description:
        NetHack 3.6.6 through the NetHack Learning Environment (``nle`` 1.3), as BALROG evaluates
        it: ``NetHackChallenge-v0`` -- a random role, race and alignment ("@"), the full
        keyboard, menus and questions not skipped -- with ``--More--`` pressed automatically
        and the messages joined. The agent should get as deep and as experienced as it can;
        ascending (winning) is practically out of reach.

    Action Space:
        Text: one of BALROG's 79 action names (``"north"``, ``"far east"``, ``"down"``,
        ``"search"``, ``"eat"``, ``"esc"``, ``"minus"``, ``"0"`` ...; case-insensitive, ``"move
        north"`` style accepted), or one character pressed as a key (``"d"``, ``"y"``,
        ``"$"``; case-sensitive) to answer menus and prompts. Anything else presses ``esc``
        (BALROG's default action) and is counted as invalid.

    Observation Space:
        ``image``: the map in NetHack's 16x16 tiles (336x1264; nle's pixel rendering).
        ``text``: BALROG's observation -- ``message:``, ``language observation:`` (what is
        around, "dark area far west"), ``cursor:`` (what is under it and ``(x=.., y=..)``),
        ``map:`` (the terminal without its top line: the ASCII map and the two status lines),
        then ``inventory:``; with ``observation_mode="language"`` (BALROG's vision agents) the
        map is left out and ``statistics:`` (the bottom line in words) comes before the
        inventory. ``instruction``: BALROG's goal sentence.

    Rewards:
        ``NetHackChallenge``'s: the change of the in-game score (plus the score of the ``MORE``
        presses made automatically).

    Starting State:
        A new game from NetHack core and display seeds drawn from the env's generator
        (``reset(seed=s)`` fixes them, and with them the role and the dungeon).

    Episode End:
        Terminated when the game ends (death, or ascension); truncated by nle when the in-game
        turn counter has not moved for 150 steps (BALROG's ``no_progress_timeout``) or at the
        registered limit (BALROG's ``max_episode_steps`` 100,000). ``progress`` is BALROG's
        progression: the best ``P(ascension)`` of the depth and experience level reached
        (``Dlvl:2`` 0.015, ``Dlvl:10`` 0.126, ``Xp:10`` 0.179; ascension 1). ``success`` is an
        ascension.

    Arguments:
        observation_mode: ``"hybrid"`` (BALROG's text agents: with the ASCII map) or
            ``"language"`` (BALROG's vision agents: statistics instead of the map).
        no_progress_timeout: Steps without an in-game turn before nle aborts the game.
        max_episode_steps: nle's own limit (the registered limit applies too).

    Version History:
        v0: initial version (nle 1.3.0, NetHack 3.6.6).
    """

    default_invalid_action_policy: ClassVar[InvalidActionPolicy] = InvalidActionPolicy(
        "default", default_action="esc"
    )
    action_descriptions = NLE_ACTIONS

    def __init__(
        self,
        observation_mode: str = "hybrid",
        no_progress_timeout: int = 150,
        max_episode_steps: int = 100_000,
        **kwargs: Any,
    ):
        if int(no_progress_timeout) < 1 or int(max_episode_steps) < 1:
            raise ValueError("no_progress_timeout and max_episode_steps must be >= 1")
        self.no_progress_timeout = int(no_progress_timeout)
        self.nle_max_episode_steps = int(max_episode_steps)
        self._tracker = NetHackProgress()
        self._explorer = Explorer()
        super().__init__(observation_mode=observation_mode, **kwargs)

    def _make_nle(self) -> Any:
        require("nle.env", "balrog")
        from nle.env.tasks import NetHackChallenge

        return NetHackChallenge(
            observation_keys=OBSERVATION_KEYS,
            character="@",
            no_progress_timeout=self.no_progress_timeout,
            max_episode_steps=self.nle_max_episode_steps,
            fix_moon_phase=True,
        )

    def _on_reset(self) -> None:
        self._tracker = NetHackProgress()
        self._explorer = Explorer()

    #: What :meth:`expert_action` reaches: progress (a deeper level), not an ascension.
    scripted_solver: ClassVar[str] = "progress"

    def expert_action(self) -> str | None:
        """:class:`Explorer`: to the stairs down (exploring until they are seen), then down."""
        if self._obs is None or self._ended:
            return None
        return self._explorer.act(self._obs["glyphs"], self._obs["blstats"], self._message)

    def _progress_update(self, reward: float, done: bool) -> tuple[float | None, bool]:
        assert self._obs is not None
        ascended = done and self._how_done() == "ASCENDED"
        progress = self._tracker.update(self._obs["blstats"], ascended=ascended)
        return progress, ascended

    def _how_done(self) -> str | None:
        if not self._ended:
            return None
        try:
            nethack = require("nle.nethack", "balrog")
            how = self._nle.nethack.how_done()
            return "ASCENDED" if how == nethack.ASCENDED else None
        except Exception:  # how_done is only defined once the game is over
            return None

    def _step_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "depth": self._tracker.depth,
            "experience_level": self._tracker.experience_level,
            "highest_achievement": self._tracker.highest_achievement,
        }
        if self._ended:
            info["end_status"] = self._end_status
        return info

    @property
    def instruction(self) -> str:
        return "Get as far as possible in the game: descend and gain experience."

    @property
    def task_prompt(self) -> str:
        return (
            "You are an agent playing NetHack. The following are the possible actions you can "
            "take in the game, followed by a short description of each action:\n\n"
            f"{self._actions_prompt()}.\n\n"
            "Tips:\n"
            '- When the message asks for a completion, such as: "What do you want to eat? '
            '[d or ?*]", you should respond with a single character corresponding to the item '
            "you want to eat/use.\n"
            '    - For example, "What do you want to eat? [dgh or ?*]" -> Possible answers are '
            '"d", "g", or "h" to eat the associated food.\n'
            '- When the message asks for a direction, such as: "In what direction?" you should '
            "respond with a direction.\n"
            '- When the message has --More-- at the end, your next action should be "more" to '
            "see the rest of the message.\n"
            "- Explore the environment to find the stairs down to the next level.\n"
            "- Always carefully read the last message to understand the current state of the "
            "game and decide your next action accordingly.\n"
            "- If you keep moving in the same direction, you will eventually hit a wall and "
            'stop moving. Your message might be: "It\'s solid stone", or "It\'s a wall". '
            "Change your action to move in another direction to continue exploring the "
            "environment.\n"
            "- Read the language observation carefully and look at ascii map or image "
            "observation provided to decide the next action to take and where to move next.\n"
            "- You can attack monsters by moving into them.\n\n"
            "In a moment I will present a history of actions and observations from the game.\n"
            "Your goal is to get as far as possible in the game.\n\n"
            "PLAY!\n\n"
            "Answer with exactly one action and nothing else (for example: far east), or as the "
            "last line 'Action: <action>'. A single character presses that key. Any other "
            "answer plays 'esc'."
        )


# ----------------------------------------------------------------------------- scripted explorer
# What a glyph is to the explorer: unknown (never seen, or dark), blocked, passable, a doorway
# (no diagonal moves in or out), a closed door (opened first), stairs down, a hazard, a monster
# (not a pet: attacked when next to the agent, passable otherwise).
_UNKNOWN, _BLOCKED, _FREE, _DOORWAY, _CLOSED, _DOWNSTAIRS, _HAZARD, _MONSTER = range(8)
_MOVES = (  # (dx, dy, name): BALROG's directions, y grows southwards
    (0, -1, "north"),
    (1, 0, "east"),
    (0, 1, "south"),
    (-1, 0, "west"),
    (1, -1, "northeast"),
    (1, 1, "southeast"),
    (-1, 1, "southwest"),
    (-1, -1, "northwest"),
)


@functools.cache
def _glyph_kinds() -> np.ndarray:
    """Each glyph's kind for the explorer (a table over all of nle's glyphs)."""
    nethack = require("nle.nethack", "balrog")
    kinds = np.full(nethack.MAX_GLYPH + 1, _FREE, dtype=np.int8)  # monsters, objects: passable
    names = {i: nethack.symdef.from_idx(i).explanation for i in range(nethack.MAXPCHARS)}
    for glyph in range(nethack.MAX_GLYPH):
        if nethack.glyph_is_cmap(glyph):
            cmap = nethack.glyph_to_cmap(glyph)
            name = names.get(cmap, "")
            if cmap == 0 or name == "air":
                kinds[glyph] = _UNKNOWN
            elif name in ("wall", "iron bars", "tree", "raised drawbridge", "grave"):
                kinds[glyph] = _BLOCKED
            elif name in ("doorway", "open door"):
                kinds[glyph] = _DOORWAY
            elif name == "closed door":
                kinds[glyph] = _CLOSED
            elif name in ("staircase down", "ladder down"):
                kinds[glyph] = _DOWNSTAIRS
            elif name in ("water", "molten lava") or "trap" in name or name in ("hole", "pit"):
                kinds[glyph] = _HAZARD
        elif nethack.glyph_is_monster(glyph) and not nethack.glyph_is_pet(glyph):
            kinds[glyph] = _MONSTER
        elif nethack.glyph_is_object(glyph) or nethack.glyph_is_statue(glyph):
            obj = nethack.glyph_to_obj(glyph) if nethack.glyph_is_object(glyph) else -1
            boulder = obj >= 0 and nethack.OBJ_NAME(nethack.objclass(obj)) == "boulder"
            if boulder or nethack.glyph_is_statue(glyph):
                kinds[glyph] = _BLOCKED
    kinds[nethack.MAX_GLYPH] = _UNKNOWN  # NO_GLYPH
    return kinds


class Explorer:
    """A scripted NetHack player that looks for the stairs down and takes them.

    Breadth-first search over the map the agent has seen: to the stairs down when they are in
    view, else to the nearest unexplored cell next to a known passable one (or a closed door,
    which it opens -- kicks when locked); doorways are entered straight, monsters in the way
    attacked by moving into them, and three or more steps in one direction along a path of
    floor or corridor are one ``far <direction>``. A move that does not move the agent marks
    its target cell as blocked; with nothing left to explore it searches for hidden passages.
    It is what MazeWalk and Corridor ask for, and in NetHack it gains depth (BALROG's
    progression).

    Args:
        allowed: The action names the env offers (``None``: all of BALROG's).
        press_down: Press ``down`` on the stairs (NetHack); MiniHack ends the episode there.
    """

    def __init__(self, allowed: frozenset[str] | None = None, press_down: bool = True):
        self.allowed = allowed
        self.press_down = press_down
        self.blocked: set[tuple[int, int]] = set()
        self.stairs: set[tuple[int, int]] = set()
        self._last: tuple[tuple[int, int], tuple[int, int]] | None = None
        self._pending: str | None = None
        self._depth: int | None = None
        self._searches = 0

    def _may(self, name: str) -> bool:
        return self.allowed is None or name in self.allowed

    def act(self, glyphs: np.ndarray, blstats: np.ndarray, message: str) -> str | None:
        nethack = require("nle.nethack", "balrog")
        x, y = int(blstats[nethack.NLE_BL_X]), int(blstats[nethack.NLE_BL_Y])
        depth = int(blstats[nethack.NLE_BL_DEPTH])
        if depth != self._depth:  # a new level: forget the old one
            self.blocked.clear()
            self.stairs.clear()
            self._last, self._depth = None, depth
        if self._pending is not None and "direction" in message.lower():
            pending, self._pending = self._pending, None
            return pending
        self._pending = None
        if self._last is not None and self._last[0] == (x, y):
            self.blocked.add(self._last[1])
        kinds = _glyph_kinds()[glyphs]
        # Squares next to the agent are seen (dark corridors and rooms included): one still
        # blank is rock, not worth walking into.
        rows, cols = kinds.shape
        for dx, dy, _ in _MOVES:
            if 0 <= x + dx < cols and 0 <= y + dy < rows and kinds[y + dy, x + dx] == _UNKNOWN:
                self.blocked.add((x + dx, y + dy))
        for sy, sx in zip(*np.nonzero(kinds == _DOWNSTAIRS)):
            self.stairs.add((int(sx), int(sy)))
        if (x, y) in self.stairs:
            self._last = None
            return "down" if self.press_down else None
        for dx, dy, name in _MOVES:  # fight what is next to the agent before walking on
            inside = 0 <= x + dx < cols and 0 <= y + dy < rows
            if inside and kinds[y + dy, x + dx] == _MONSTER:
                if dx and dy and kinds[y, x] in (_DOORWAY, _CLOSED):
                    continue  # no diagonal attack out of a doorway
                self._last = None
                return name
        path = self._path(kinds, (x, y))
        if not path:  # nothing left to explore: search for hidden passages, then retry
            self._last = None
            self._searches += 1
            if self._searches % 10 == 0:
                self.blocked.clear()
            return "search" if self._may("search") else None
        (dx, dy, name), target = path[0]
        if kinds[target[1], target[0]] == _CLOSED:
            verb = "kick" if "locked" in message.lower() else "open"
            if self._may(verb):
                self._pending, self._last = name, None
                return verb
        self._last = ((x, y), target)
        run = 0
        for (mx, my, _), (cx, cy) in path:
            if (mx, my) != (dx, dy) or kinds[cy, cx] != _FREE:
                break
            run += 1
        if run >= 3 and self._may(f"far {name}"):
            return f"far {name}"
        return name

    def _path(
        self, kinds: np.ndarray, start: tuple[int, int]
    ) -> list[tuple[tuple[int, int, str], tuple[int, int]]]:
        """The moves (and the cell each enters) to the nearest goal; empty if none."""
        rows, cols = kinds.shape
        stairs_visible = bool(self.stairs)
        came: dict[tuple[int, int], tuple[tuple[int, int], tuple[int, int, str]] | None] = {
            start: None
        }
        queue = [start]
        for cell in queue:
            cx, cy = cell
            here = kinds[cy, cx]
            for move in _MOVES:
                dx, dy, _ = move
                nx, ny = cx + dx, cy + dy
                if not (0 <= nx < cols and 0 <= ny < rows) or (nx, ny) in came:
                    continue
                if (nx, ny) in self.blocked:
                    continue
                kind = kinds[ny, nx]
                diagonal = dx != 0 and dy != 0
                if diagonal and (
                    here in (_DOORWAY, _CLOSED) or kind in (_DOORWAY, _CLOSED, _UNKNOWN)
                ):
                    continue
                if kind in (_BLOCKED, _HAZARD):
                    continue
                came[(nx, ny)] = (cell, move)
                # Closed doors are goals too: opened when next to one, explored beyond.
                goal = kind == _CLOSED or (
                    (nx, ny) in self.stairs if stairs_visible else kind == _UNKNOWN
                )
                if goal:
                    path = []
                    node = (nx, ny)
                    while came[node] is not None:
                        parent, step = came[node]  # type: ignore[misc]
                        path.append((step, node))
                        node = parent
                    return path[::-1]
                if kind in (_UNKNOWN, _CLOSED):
                    continue  # searched into, not through
                queue.append((nx, ny))
        return []
