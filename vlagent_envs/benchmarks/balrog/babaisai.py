"""``VLAgent/BALROG-BabaIsAI-v0`` and one id per task: BALROG's Baba Is AI, written anew.

BALROG evaluates Baba Is AI (Cloos et al., 2024, ``nacloos/baba-is-ai``), a Baba Is You-like
rule world on minigrid-style grids, through a wrapper that writes the active rules and every
object's offset from the YOU object (``balrog/environments/babaisai/base.py``). That package is
not on PyPI and needs ``gym<=0.25``, so the world is written here anew in pure Python + numpy,
from the original's facts:

* :class:`BabaWorld` -- a grid of object stacks; rules ``NOUN IS PROPERTY`` (and ``NOUN IS
  NOUN``) read off horizontal and vertical lines of text blocks around every ``is`` block, in
  row-major order; the YOU objects move one cell, pushing chains of pushable things (every text
  block, ``X is push`` objects); blocked by the border, text blocks and ``X is stop`` objects,
  walking onto anything else (objects stack); a move onto a WIN object wins, onto a LOSE one
  loses -- judged with the rules as they stood before the move, as in the original.
* :data:`TASKS` -- BALROG's 40 tasks, each the original's level generator with its draws, in
  its order, from the env's ``np_random`` (8x8 single rooms, 13x9 two-room levels).
* :func:`balrog_text` -- BALROG's text observation, word for word.
* :func:`render_world` -- the grid from a tile atlas (32 px per cell, the original's size).
* :func:`solve` -- a search over the rule world (breadth-first over steps, walks folded into
  macro moves, A*-ordered), the env's ``expert_action``.
"""

from __future__ import annotations

import functools
import heapq
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from vlagent_envs.core import ChoiceGrammar, InvalidActionPolicy, StepResult, VLAgentEnv

__all__ = [
    "ACTIONS",
    "TASKS",
    "BabaIsAIEnv",
    "BabaWorld",
    "Rules",
    "balrog_text",
    "build_level",
    "render_world",
    "solve",
]

logger = logging.getLogger(__name__)

# ----------------------------------------------------------------------------- vocabulary
#: BALROG's actions (``BabaIsYouEnv.Actions`` names, in order) and its prompt's descriptions.
ACTIONS: dict[str, str] = {
    "idle": "wait for one step",
    "up": "take one step up",
    "right": "take one step to the right",
    "down": "take one step down",
    "left": "take one step to the left",
}
_MOVES: dict[str, tuple[int, int]] = {
    "up": (0, -1),
    "right": (1, 0),
    "down": (0, 1),
    "left": (-1, 0),
}
_DIRECTIONS = {"right": 0, "down": 1, "left": 2, "up": 3}  # the original's agent_dir

_GRAMMAR = ChoiceGrammar(
    tuple(ACTIONS),
    synonyms={
        **{f"{verb} {d}": d for d in _MOVES for verb in ("move", "go", "step", "walk", "push")},
        **{f"move {d}wards": d for d in ("up", "down")},
        "north": "up",
        "east": "right",
        "south": "down",
        "west": "left",
        "wait": "idle",
        "stay": "idle",
        "noop": "idle",
        "no-op": "idle",
        "no op": "idle",
        "do nothing": "idle",
        "pass": "idle",
    },
)

NOUNS: tuple[str, ...] = ("baba", "ball", "key", "door", "wall")
PROPERTIES: tuple[str, ...] = ("you", "win", "stop", "push", "lose")
COLORS: tuple[str, ...] = ("red", "green", "blue", "grey", "white")
# The original's default colours (used for objects an ``X is Y`` rule creates).
_DEFAULT_COLOR = {"baba": "white", "ball": "green", "key": "blue", "door": "red", "wall": "grey"}
# The original's task vocabulary: three object names, three colours.
_TASK_NAMES = ("ball", "key", "door")
_TASK_COLORS = ("red", "blue", "green")

# Object categories: the border wall (the original's fixed ``Wall``), a "thing" (``baba``,
# ``fball``, ``fkey``, ``fdoor``, ``fwall``: objects the rules speak of), and the text blocks.
BORDER, THING, NOUN, IS, PROPERTY = range(5)


@dataclass(frozen=True)
class Kind:
    """What an object is: its category, word (noun or text) and colour (things only)."""

    category: int
    word: str
    color: str = ""


KINDS: tuple[Kind, ...] = (
    Kind(BORDER, "wall", "grey"),
    *(Kind(THING, noun, color) for noun in NOUNS for color in COLORS),
    *(Kind(NOUN, noun) for noun in NOUNS),
    Kind(IS, "is"),
    *(Kind(PROPERTY, word) for word in PROPERTIES),
)
_KIND_INDEX = {kind: i for i, kind in enumerate(KINDS)}
_CATEGORY = tuple(kind.category for kind in KINDS)
_WORD = tuple(kind.word for kind in KINDS)
BORDER_KIND = 0
IS_KIND = _KIND_INDEX[Kind(IS, "is")]
_TEXT_KINDS = frozenset(i for i, c in enumerate(_CATEGORY) if c in (NOUN, IS, PROPERTY))


def thing_kind(noun: str, color: str | None = None) -> int:
    """The kind index of a ``noun`` object (its default colour unless ``color``)."""
    return _KIND_INDEX[Kind(THING, noun, color or _DEFAULT_COLOR[noun])]


def text_kind(word: str) -> int:
    """The kind index of the text block for ``word`` (a noun, ``is`` or a property)."""
    if word == "is":
        return IS_KIND
    return _KIND_INDEX[Kind(NOUN if word in NOUNS else PROPERTY, word)]


# ----------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class Rules:
    """The rules read off a grid, as kind sets the dynamics look up.

    Attributes:
        texts: Every rule in BALROG's order and words (``"baba is you"``).
        you: The noun of BALROG's YOU object: the last ``X is you`` rule's (``None``: none).
        agent: Kinds that are YOU (they move).
        push: Kinds a move pushes: every text block, ``X is push`` things.
        blocking: Kinds nothing can walk onto: the border, text blocks, ``X is stop`` things.
        win: Kinds that are WIN.
        lose: Kinds that are LOSE.
        replace: ``X is Y`` rules between two nouns, in order.
    """

    texts: tuple[str, ...]
    you: str | None
    agent: frozenset[int]
    push: frozenset[int]
    blocking: frozenset[int]
    win: frozenset[int]
    lose: frozenset[int]
    replace: tuple[tuple[str, str], ...]


@functools.lru_cache(maxsize=4096)
def _rules(found: tuple[tuple[str, str], ...]) -> Rules:
    nouns_with: dict[str, set[str]] = {p: set() for p in PROPERTIES}
    replace, you = [], None
    for noun, word in found:
        if word in nouns_with:
            nouns_with[word].add(noun)
            if word == "you":
                you = noun
        else:
            replace.append((noun, word))

    def things(prop: str) -> frozenset[int]:
        return frozenset(
            i for i, k in enumerate(KINDS) if k.category == THING and k.word in nouns_with[prop]
        )

    return Rules(
        texts=tuple(f"{noun} is {word}" for noun, word in found),
        you=you,
        agent=things("you"),
        push=_TEXT_KINDS | things("push"),
        blocking=_TEXT_KINDS | {BORDER_KIND} | things("stop"),
        win=things("win"),
        lose=things("lose"),
        replace=tuple(replace),
    )


def _read_rules(cells: list[tuple[int, ...]], kind_of: list[int], width: int) -> Rules:
    """Every rule on the grid: around each ``is`` block (row-major), across then down.

    A rule is three top-of-cell blocks ``NOUN is PROPERTY`` or ``NOUN is NOUN``; the original's
    four-block colour rules need colour blocks, which no BALROG task has.
    """
    found: list[tuple[str, str]] = []
    height = len(cells) // width
    for k, stack in enumerate(cells):
        if not stack or kind_of[stack[-1]] != IS_KIND:
            continue
        i, j = k % width, k // width
        pairs = []
        if 0 < i < width - 1:
            pairs.append((cells[k - 1], cells[k + 1]))
        if 0 < j < height - 1:
            pairs.append((cells[k - width], cells[k + width]))
        for before, after in pairs:
            if not before or not after:
                continue
            first, last = kind_of[before[-1]], kind_of[after[-1]]
            if _CATEGORY[first] == NOUN and _CATEGORY[last] in (NOUN, PROPERTY):
                found.append((_WORD[first], _WORD[last]))
    return _rules(tuple(found))


# ----------------------------------------------------------------------------- dynamics
def _move(
    cells: list[tuple[int, ...]], kind_of: list[int], rules: Rules, pos: int, delta: int
) -> tuple[bool, bool, bool]:
    """Move the top object of ``pos`` one cell (the original's ``move``).

    Pushes what is ahead first (recursively), then moves unless the cell ahead still holds a
    blocking object. Returns ``(win, lose, text_moved)``: ``win``/``lose`` from the object on
    top of the cell it ends in, looked at before it moves there (itself when it stays).
    """
    ahead = pos + delta
    stack = cells[ahead]
    text_moved = False
    if stack and kind_of[stack[-1]] in rules.push:
        text_moved = _move(cells, kind_of, rules, ahead, delta)[2]
        stack = cells[ahead]
    target = ahead if not stack or kind_of[stack[-1]] not in rules.blocking else pos
    won = lost = False
    landing = cells[target]
    if landing:
        under = kind_of[landing[-1]]
        won, lost = under in rules.win, under in rules.lose
    if target != pos:
        source = cells[pos]
        mover = source[-1]
        cells[pos] = source[:-1]
        cells[target] = (*landing, mover)
        text_moved = text_moved or kind_of[mover] in _TEXT_KINDS
    return won, lost, text_moved


def _advance(
    cells: list[tuple[int, ...]], kind_of: list[int], rules: Rules, delta: int
) -> tuple[bool, bool, bool]:
    """Move every YOU object (top of its cell, row-major, each once); ``(win, lose, moved)``.

    As in the original, ``win``/``lose`` are those of the last YOU object moved.
    """
    won = lost = text_moved = False
    if not rules.agent:
        return won, lost, text_moved
    agent = rules.agent
    moved: set[int] = set()
    for k in range(len(cells)):
        stack = cells[k]
        if stack:
            obj = stack[-1]
            if kind_of[obj] in agent and obj not in moved:
                won, lost, pushed = _move(cells, kind_of, rules, k, delta)
                text_moved = text_moved or pushed
                moved.add(obj)
    return won, lost, text_moved


def _transform(cells: list[tuple[int, ...]], kind_of: list[int], rules: Rules) -> None:
    """``X is Y`` between nouns: a new Y is stacked on every X on top of a cell (the
    original's ``grid.replace``, which leaves the X underneath)."""
    for noun, new in rules.replace:
        for k, stack in enumerate(cells):
            if stack:
                kind = kind_of[stack[-1]]
                if _CATEGORY[kind] == THING and _WORD[kind] == noun:
                    kind_of.append(thing_kind(new))
                    cells[k] = (*stack, len(kind_of) - 1)


def _you_position(cells: list[tuple[int, ...]], kind_of: list[int], rules: Rules) -> int | None:
    """BALROG's YOU cell: the first (row-major) whose top object is the YOU noun."""
    if rules.you is None:
        return None
    for k, stack in enumerate(cells):
        if stack:
            kind = kind_of[stack[-1]]
            if _CATEGORY[kind] == THING and _WORD[kind] == rules.you:
                return k
    return None


class BabaWorld:
    """The rule world: a ``width x height`` grid of object stacks, border walls included.

    ``cells[y * width + x]`` is a tuple of object ids, bottom to top; ``kind_of[id]`` indexes
    :data:`KINDS`. Only the top object of a cell counts for rules, pushes, blocking and win,
    as in the original.

    Args:
        width: Columns, border included.
        height: Rows, border included.
        max_steps: The original's step limit (100).
    """

    def __init__(self, width: int, height: int, max_steps: int = 100):
        self.width = width
        self.height = height
        self.max_steps = max_steps
        self.cells: list[tuple[int, ...]] = [() for _ in range(width * height)]
        self.kind_of: list[int] = []
        self.rules = _rules(())
        self.agent_dir = 0
        self.step_count = 0
        for x in range(width):
            self.add(BORDER_KIND, x, 0)
            self.add(BORDER_KIND, x, height - 1)
        for y in range(1, height - 1):
            self.add(BORDER_KIND, 0, y)
            self.add(BORDER_KIND, width - 1, y)

    def add(self, kind: int, x: int, y: int) -> int:
        """Stack a new object of ``kind`` on cell ``(x, y)``; returns its id."""
        self.kind_of.append(kind)
        obj = len(self.kind_of) - 1
        self.cells[y * self.width + x] += (obj,)
        return obj

    def top(self, x: int, y: int) -> Kind | None:
        """The kind of the object on top of ``(x, y)``, ``None`` for an empty cell."""
        stack = self.cells[y * self.width + x]
        return KINDS[self.kind_of[stack[-1]]] if stack else None

    def move_top(self, src: tuple[int, int], dst: tuple[int, int]) -> None:
        """Move the top object of ``src`` onto ``dst`` (level generation)."""
        a, b = src[1] * self.width + src[0], dst[1] * self.width + dst[0]
        if a != b and self.cells[a]:
            self.cells[b] += (self.cells[a][-1],)
            self.cells[a] = self.cells[a][:-1]

    def read_rules(self) -> Rules:
        """Read the rules off the grid (done after every move and at reset)."""
        self.rules = _read_rules(self.cells, self.kind_of, self.width)
        return self.rules

    def step(self, action: str) -> tuple[bool, bool]:
        """One of BALROG's actions; returns ``(win, lose)`` (the original's ``step``).

        ``idle`` only counts the step. A move turns the agent, moves every YOU object, then
        reads the rules again and applies ``X is Y`` transformations.
        """
        self.step_count += 1
        if action == "idle":
            return False, False
        self.agent_dir = _DIRECTIONS[action]
        dx, dy = _MOVES[action]
        won, lost, _ = _advance(self.cells, self.kind_of, self.rules, dx + dy * self.width)
        self.read_rules()
        if self.rules.replace:
            _transform(self.cells, self.kind_of, self.rules)
        return won, lost

    def reward(self) -> float:
        """The original's reward on a win: ``1 - 0.9 * step_count / max_steps``."""
        return 1.0 - 0.9 * (self.step_count / self.max_steps)

    def you_position(self) -> tuple[int, int] | None:
        """BALROG's YOU object's cell, ``None`` when no ``X is you`` object is on the map."""
        k = _you_position(self.cells, self.kind_of, self.rules)
        return None if k is None else (k % self.width, k // self.width)

    def state_key(self) -> tuple[tuple[int, ...], ...]:
        """A hashable snapshot of everything that moves (the cells)."""
        return tuple(self.cells)

    def top_kinds(self) -> np.ndarray:
        """``(height, width)`` kind index of each cell's top object, ``-1`` where empty."""
        kind_of = self.kind_of
        tops = [kind_of[s[-1]] if s else -1 for s in self.cells]
        return np.array(tops, dtype=np.int64).reshape(self.height, self.width)


# ----------------------------------------------------------------------------- BALROG's text
def _offset(name: str, dx: int, dy: int) -> str:
    # BALROG's `steps(v)` is given the signed offset, so "left" and "up" always read "step".
    def steps(v: int) -> str:
        return "steps" if v > 1 else "step"

    horizontal = ""
    if dx > 0:
        horizontal = f"{dx} {steps(dx)} to the right"
    elif dx < 0:
        horizontal = f"{-dx} {steps(dx)} to the left"
    vertical = ""
    if dy > 0:
        vertical = f"{dy} {steps(dy)} down"
    elif dy < 0:
        vertical = f"{-dy} {steps(dy)} up"
    if horizontal and vertical:
        return f"{name} {horizontal} and {vertical}"
    if horizontal:
        return f"{name} {horizontal}"
    if vertical:
        return f"{name} {vertical}"
    return ""  # BALROG writes an empty line for an object on the YOU object's own cell


def describe_objects(world: BabaWorld) -> str | None:
    """BALROG's ``Objects on the map`` lines; ``None`` when there is no YOU object.

    Every cell's top object other than ``baba`` and the border, row by row, as ``ball 2 steps
    to the right and 1 step up`` / ``rule `win` 1 step down``, offsets from the YOU object.
    """
    you = world.you_position()
    if you is None:
        return None
    lines = []
    width = world.width
    for k, stack in enumerate(world.cells):
        if not stack:
            continue
        kind = KINDS[world.kind_of[stack[-1]]]
        if kind.category == BORDER or (kind.category == THING and kind.word == "baba"):
            continue
        name = kind.word if kind.category == THING else f"rule `{kind.word}`"
        lines.append(_offset(name, k % width - you[0], k // width - you[1]))
    return "\n".join(lines)


def balrog_text(world: BabaWorld, add_ruleset: bool = True) -> str:
    """BALROG's observation: ``Active rules:\\n<rules>\\n\\nObjects on the map:\\n<objects>``."""
    rules = "\n".join(world.rules.texts)
    objects = describe_objects(world)
    text = f"Active rules:\n{rules}\n\n" if add_ruleset else ""
    return text + f"Objects on the map:\n{objects or ''}"


# ----------------------------------------------------------------------------- levels
class _Level:
    """Level generation helpers with the original's draws (``place_obj``, ``put_rule``, ...)."""

    def __init__(self, width: int, height: int, rng: np.random.Generator, max_steps: int):
        self.world = BabaWorld(width, height, max_steps)
        self.rng = rng
        self.target_plan = ""

    def place(
        self, kind: int | None, top: tuple[int, int] = (0, 0), size: tuple[int, int] | None = None
    ) -> tuple[int, int]:
        """An empty cell drawn uniformly in a rectangle (rejection sampling, as ``place_obj``)."""
        w = self.world
        top = (max(top[0], 0), max(top[1], 0))
        size = size or (w.width, w.height)
        for _ in range(100_000):
            x = int(self.rng.integers(top[0], min(top[0] + size[0], w.width)))
            y = int(self.rng.integers(top[1], min(top[1] + size[1], w.height)))
            if not w.cells[y * w.width + x]:
                break
        else:
            raise RuntimeError("rejection sampling failed to place an object")
        if kind is not None:
            w.add(kind, x, y)
        return x, y

    def put(self, kind: int, pos: tuple[int, int]) -> None:
        self.world.add(kind, *pos)

    def put_rule(self, noun: str, word: str, start: tuple[int, int]) -> list[tuple[int, int]]:
        """``noun is word`` from ``start`` rightwards; returns the three cells."""
        cells = [(start[0] + i, start[1]) for i in range(3)]
        for pos, block in zip(cells, (noun, "is", word)):
            self.put(text_kind(block), pos)
        return cells

    def break_rule(
        self,
        cells: list[tuple[int, int]],
        new_pos: dict[str, tuple[int, int]] | tuple[int, int],
        block: int | list[int],
    ) -> None:
        """Move one block of a rule away (the original's ``break_rule``)."""
        if isinstance(new_pos, dict):
            new_pos = self.place(None, **new_pos)
        if isinstance(block, list):
            block = block[int(self.rng.choice(len(block)))]
        self.world.move_top(cells[block], new_pos)

    def sample_objects(self) -> list[tuple[str, str]]:
        """Three (colour, name) objects of different names (``color_in_rule=False``)."""
        names = self.rng.choice(len(_TASK_NAMES), size=3, replace=False)
        colors = self.rng.choice(len(_TASK_COLORS), size=3, replace=True)
        return [(_TASK_COLORS[int(c)], _TASK_NAMES[int(n)]) for n, c in zip(names, colors)]


def _thing(obj: tuple[str, str]) -> int:
    return thing_kind(obj[1], obj[0])


def _one_room(
    level: _Level,
    break_win_rule: bool = True,
    distractor_obj: bool = True,
    distractor_rule_block: bool = True,
    irrelevant_rule_distractor: bool = False,
) -> None:
    """The original's ``MakeWinEnv`` (8x8): ``baba is you`` bottom left, ``X is win`` top left."""
    obj1, obj2, obj3 = level.sample_objects()
    level.put_rule("baba", "you", (1, 6))
    win_cells = level.put_rule(obj1[1], "win", (1, 1))
    if break_win_rule:
        level.break_rule(win_cells, {"top": (2, 2), "size": (4, 4)}, 0)
    if distractor_rule_block:
        # Where the distractor's noun cannot be made to win (against the walls).
        positions = [(4, 6), (5, 6), (6, 6), (4, 1), (5, 1), (6, 1)]
        positions += [(6, 1), (6, 2), (6, 3), (6, 4), (6, 5), (6, 6)]
        pos = positions[int(level.rng.choice(len(positions)))]
        noun = obj3[1] if irrelevant_rule_distractor else obj2[1]
        level.put(text_kind(noun), pos)
    level.place(thing_kind("baba"), top=(1, 2))
    level.place(_thing(obj1), top=(1, 2))
    if distractor_obj:
        level.place(_thing(obj2), top=(1, 2))
    win_rule = f"{obj1[1]} is win"
    level.target_plan = (
        f"make[{win_rule}], goto[{obj1[1]}]" if break_win_rule else f"goto[{obj1[1]}]"
    )


def _areas(width: int, height: int, margin: int) -> dict[str, Any]:
    """The original's named placement areas of a two-room level.

    ``margin``: 2 for ``TwoRoomEnv`` (pushable areas ``width // 2 - 2`` wide, the right one
    from ``width // 2 + 1``), 3 for the make-you and make-wall-win levels (one narrower).
    """
    pushable = (width // 2 - margin, height - 6)
    return {
        "left_pushable": {"top": (2, 3), "size": pushable},
        "right_pushable": {"top": (width // 2 + margin - 1, 3), "size": pushable},
        "right_unpushable": [
            *[(width - 2, 2 + i) for i in range(height - 4)],
            *[(width - 2 - i, height - 2) for i in range(width // 2 - 2)],
        ],
        "left_anywhere": {"top": (1, 1), "size": (width // 2 - 2, height - 2)},
        "right_anywhere": {"top": (width // 2 + 1, 2), "size": (width // 2 - 2, height - 2)},
        "anywhere": {"top": (1, 2), "size": (width - 2, height - 2)},
    }


def _two_room_grid(level: _Level) -> None:
    w = level.world
    for y in range(1, w.height - 1):  # the dividing wall: `wall` objects (rules apply)
        level.put(thing_kind("wall"), (w.width // 2, y))


def _two_room(
    level: _Level,
    obj_pos: str = "anywhere",
    break_stop_rule: bool = False,
    break_win_rule: bool = False,
    distractor_obj: bool = True,
    distractor_rule_block: bool = True,
    irrelevant_rule_distractor: bool = False,
    distractor_win_rule: bool = False,
) -> None:
    """The original's ``TwoRoomEnv`` (13x9): rooms split by a wall, ``wall is stop``."""
    w = level.world
    width, height = w.width, w.height
    areas = _areas(width, height, 2)
    _two_room_grid(level)
    obj1, obj2, obj3 = level.sample_objects()
    level.put_rule("baba", "you", (1, height - 2))
    stop_cells = level.put_rule("wall", "stop", (1, 2))
    win_cells = level.put_rule(obj1[1], "win", (width - 4, 1))
    if distractor_rule_block:
        if irrelevant_rule_distractor:
            level.place(text_kind(obj3[1]), **areas["right_pushable"])
        elif distractor_obj:
            spots = areas["right_unpushable"]
            level.put(text_kind(obj2[1]), spots[int(level.rng.choice(len(spots)))])
        else:
            level.place(text_kind(obj2[1]), **areas["right_pushable"])
    if break_stop_rule:
        level.break_rule(stop_cells, areas["left_pushable"], [1, 2])
    if break_win_rule:
        level.break_rule(win_cells, areas["right_pushable"], 0)
    level.place(thing_kind("baba"), **areas["left_pushable"])
    x1, _ = level.place(_thing(obj1), **areas[obj_pos])
    if distractor_obj:
        level.place(_thing(obj2), **areas[obj_pos])
    if distractor_win_rule:
        level.put_rule(obj3[1], "win", (width - 4, 4))
    name = obj1[1]
    if not break_win_rule and (x1 < width // 2 or break_stop_rule):
        level.target_plan = f"goto[{name}]"
    elif not break_win_rule:
        level.target_plan = f"break[wall is stop], goto[{name}]"
    elif break_stop_rule:
        level.target_plan = f"make[{name} is win], goto[{name}]"
    else:
        level.target_plan = f"break[wall is stop], make[{name} is win], goto[{name}]"


def _two_room_make_you(level: _Level, break_win_rule: bool = False) -> None:
    """The original's ``TwoRoomMakeYouEnv`` (13x9): make the distractor YOU, then reach WIN."""
    w = level.world
    width, height = w.width, w.height
    areas = _areas(width, height, 3)
    _two_room_grid(level)
    obj1, obj2, _obj3 = level.sample_objects()
    level.put_rule("baba", "you", (1, height - 3))
    level.put_rule("wall", "stop", (1, 1))
    win_cells = level.put_rule(obj1[1], "win", (width - 4, 1))
    level.place(text_kind(obj2[1]), **areas["left_pushable"])
    if break_win_rule:
        level.break_rule(win_cells, areas["right_pushable"], 0)
    level.place(thing_kind("baba"), **areas["left_pushable"])
    level.place(_thing(obj1), **areas["right_anywhere"])
    level.place(_thing(obj2), **areas["right_anywhere"])
    level.target_plan = (
        f"make[{obj2[1]} is you], make[{obj1[1]} is win], goto[{obj1[1]}]"
        if break_win_rule
        else f"make[{obj2[1]} is you], goto[{obj1[1]}]"
    )


def _two_room_make_wall_win(level: _Level) -> None:
    """The original's ``TwoRoomMakeWallWinEnv`` (13x9): break ``wall is stop``, make ``wall is
    win`` and walk onto a wall."""
    w = level.world
    width, height = w.width, w.height
    areas = _areas(width, height, 3)
    _two_room_grid(level)
    obj1, obj2, obj3 = level.sample_objects()
    level.put_rule("baba", "you", (1, height - 2))
    level.put_rule("wall", "stop", (2, 2))
    win_cells = level.put_rule(obj1[1], "win", (width - 4, 1))
    level.place(text_kind(obj3[1]), **areas["right_pushable"])
    spots = areas["right_unpushable"]
    level.break_rule(win_cells, spots[int(level.rng.choice(len(spots)))], 0)
    level.place(thing_kind("baba"), **areas["left_pushable"])
    level.place(_thing(obj1), **areas["right_anywhere"])
    level.place(_thing(obj2), **areas["right_anywhere"])
    level.target_plan = "break[wall is stop], make[wall is win], goto[wall]"


@dataclass(frozen=True)
class Task:
    """One of BALROG's tasks: the original's generator, its grid size and arguments."""

    group: str
    width: int
    height: int
    generator: Callable[..., None]
    kwargs: tuple[tuple[str, Any], ...] = ()


_DISTRACTORS: dict[str, dict[str, Any]] = {
    "-distr_obj_rule": {},
    "": {"distractor_obj": False, "distractor_rule_block": False},
    "-distr_obj": {"distractor_rule_block": False},
    "-distr_rule": {"distractor_obj": False},
    "-distr_obj-irrelevant_rule": {"irrelevant_rule_distractor": True},
}


def _tasks() -> dict[str, Task]:
    tasks: dict[str, Task] = {}

    def add(name: str, group: str, size: tuple[int, int], gen: Callable, **kwargs: Any) -> None:
        tasks[name] = Task(group, size[0], size[1], gen, tuple(sorted(kwargs.items())))

    one, two = (8, 8), (13, 9)
    # BALROG's order (balrog/config/config.yaml).
    add("make_win-distr_obj_rule", "make_win", one, _one_room)
    add("goto_win-distr_obj_rule", "goto_win", one, _one_room, break_win_rule=False)
    for suffix in ("", "-distr_obj", "-distr_rule", "-distr_obj-irrelevant_rule"):
        kwargs = _DISTRACTORS[suffix]
        add(f"goto_win{suffix}", "goto_win", one, _one_room, break_win_rule=False, **kwargs)
    for suffix in ("-distr_obj", "-distr_rule", "", "-distr_obj-irrelevant_rule"):
        add(f"make_win{suffix}", "make_win", one, _one_room, **_DISTRACTORS[suffix])
    groups = (
        ("two_room-goto_win", {"obj_pos": "left_anywhere", "break_stop_rule": True}),
        ("two_room-break_stop-goto_win", {"obj_pos": "right_anywhere"}),
        ("two_room-maybe_break_stop-goto_win", {"obj_pos": "anywhere"}),
        (
            "two_room-make_win",
            {"obj_pos": "left_anywhere", "break_stop_rule": True, "break_win_rule": True},
        ),
        ("two_room-break_stop-make_win", {"obj_pos": "right_anywhere", "break_win_rule": True}),
    )
    orders = {
        "two_room-goto_win": [
            "",
            "-distr_obj_rule",
            "-distr_rule",
            "-distr_obj",
            "-distr_obj-irrelevant_rule",
            "-distr_win_rule",
        ],
        "two_room-break_stop-goto_win": [
            "-distr_obj_rule",
            "-distr_obj",
            "-distr_rule",
            "-distr_obj-irrelevant_rule",
            "",
        ],
        "two_room-maybe_break_stop-goto_win": [
            "-distr_obj_rule",
            "",
            "-distr_obj",
            "-distr_rule",
            "-distr_obj-irrelevant_rule",
        ],
        "two_room-make_win": [
            "-distr_obj_rule",
            "-distr_rule",
            "",
            "-distr_obj-irrelevant_rule",
            "-distr_obj",
            "-distr_win_rule",
        ],
        "two_room-break_stop-make_win": [
            "-distr_obj_rule",
            "-distr_rule",
            "",
            "-distr_obj-irrelevant_rule",
            "-distr_obj",
        ],
    }
    for group, base in groups:
        for suffix in orders[group]:
            extra = (
                {"distractor_win_rule": True}
                if suffix == "-distr_win_rule"
                else dict(_DISTRACTORS[suffix])
            )
            add(f"{group}{suffix}", group, two, _two_room, **base, **extra)
    add("two_room-make_you", "two_room-make_you", two, _two_room_make_you)
    add(
        "two_room-make_you-make_win",
        "two_room-make_you",
        two,
        _two_room_make_you,
        break_win_rule=True,
    )
    add("two_room-make_wall_win", "two_room-make_wall_win", two, _two_room_make_wall_win)
    return tasks


#: BALROG's 40 Baba Is AI tasks (``env/<name>`` there), in ``config.yaml`` order.
TASKS: dict[str, Task] = _tasks()
TASK_NAMES: tuple[str, ...] = tuple(TASKS)


def build_level(task: str, rng: np.random.Generator, max_steps: int = 100) -> tuple[BabaWorld, str]:
    """A fresh level of ``task`` drawn from ``rng``; returns the world and its target plan."""
    spec = TASKS[task]
    level = _Level(spec.width, spec.height, rng, max_steps)
    spec.generator(level, **dict(spec.kwargs))
    level.world.read_rules()
    return level.world, level.target_plan


# ----------------------------------------------------------------------------- expert
_Cells = tuple[tuple[int, ...], ...]


class _Search:
    """The expert's search space over one level's objects (ids and kinds fixed but for
    ``X is Y`` transformations, which add objects to this search's own copy of ``kind_of``).

    Grids are tuples of stacks; masks over cells are Python ints (bit ``k`` = cell ``k``),
    so a walk region is a few shifts and ands.
    """

    def __init__(self, world: BabaWorld):
        self.width = world.width
        self.kind_of = list(world.kind_of)
        self.deltas = [(name, dx + dy * world.width) for name, (dx, dy) in _MOVES.items()]
        self._agents: dict[Rules, list[int]] = {}

    def lone_agent(self, cells: Any, rules: Rules) -> tuple[int, int]:
        """``(cell, id)`` of the only YOU-kind object when it is on top of its cell, and no
        ``X is Y`` rule changes objects as it walks; ``(-1, -1)`` otherwise."""
        if rules.replace:
            return -1, -1
        agents = self._agents.get(rules)
        if agents is None or len(self._agents) > 256:
            agents = [i for i, k in enumerate(self.kind_of) if k in rules.agent]
            self._agents[rules] = agents
        if len(agents) != 1:
            return -1, -1
        agent = agents[0]
        for k, stack in enumerate(cells):
            if stack and agent in stack:
                return (k, agent) if stack[-1] == agent else (-1, -1)
        return -1, -1

    def masks(self, bare: Any, rules: Rules, agent_wins: bool) -> tuple[int, int]:
        """``(walkable, special)`` cells of a grid without the YOU object: cells it walks onto
        changing nothing else, and cells whose top a move into pushes, wins or loses on."""
        kind_of = self.kind_of
        special_kinds = rules.push | rules.win | rules.lose
        blocking = rules.blocking
        walk = special = 0
        for k, stack in enumerate(bare):
            if not stack:
                walk |= 1 << k
                continue
            top = kind_of[stack[-1]]
            if top in special_kinds:
                special |= 1 << k
            elif top not in blocking:
                walk |= 1 << k
            elif agent_wins:
                special |= 1 << k
        return walk, special

    def region(self, start: int, walk: int) -> int:
        """Cells reachable from ``start`` over ``walk`` (the border is never walkable, so the
        row shifts cannot wrap)."""
        w = self.width
        reach = 1 << start
        walk |= reach
        while True:
            grown = (reach | reach << 1 | reach >> 1 | reach << w | reach >> w) & walk
            if grown == reach:
                return reach
            reach = grown

    def key(self, cells: Any, rules: Rules) -> tuple[Any, int]:
        """The state: the grid, a lone walking YOU object replaced by its region's first cell."""
        cell, agent = self.lone_agent(cells, rules)
        if cell < 0:
            return tuple(cells), -1
        bare = list(cells)
        bare[cell] = bare[cell][:-1]
        walk, _ = self.masks(bare, rules, self.kind_of[agent] in rules.win)
        reach = self.region(cell, walk)
        return tuple(bare), (reach & -reach).bit_length() - 1

    def after_move(self, cells: list[tuple[int, ...]], rules: Rules, text_moved: bool) -> Rules:
        new_rules = _read_rules(cells, self.kind_of, self.width) if text_moved else rules
        if new_rules.replace:
            _transform(cells, self.kind_of, new_rules)
        return new_rules

    def classify(self, stack: tuple[int, ...], rules: Rules, agent_wins: bool) -> tuple[int, int]:
        """``(walkable, special)`` bits (0 or 1) of one cell, as :meth:`masks` counts them."""
        if not stack:
            return 1, 0
        top = self.kind_of[stack[-1]]
        if top in rules.push or top in rules.win or top in rules.lose:
            return 0, 1
        if top not in rules.blocking:
            return 1, 0
        return 0, int(agent_wins)

    def successors(self, cells: _Cells, rules: Rules) -> list[tuple]:
        """``((cell, move), grid, rules, won, steps, key)`` for each way on from a state.

        With a lone walking YOU object, walking changes nothing but its position, so a
        successor is a walk to ``cell`` then one ``move`` that pushes, wins or loses (Sokoban's
        macro moves); ``steps`` counts both. Otherwise the four single moves (``cell`` -1).
        ``key`` is the successor's state key when it came cheaply (the rules did not change:
        only the cells along the push were looked at again), else ``None``.
        """
        kind_of, out = self.kind_of, []
        cell, agent = self.lone_agent(cells, rules)
        if cell < 0:
            for name, delta in self.deltas:
                new = list(cells)
                won, lost, text_moved = _advance(new, kind_of, rules, delta)
                if not lost:
                    after = self.after_move(new, rules, text_moved)
                    out.append(((-1, name), new, after, won, 1, None))
            return out
        bare = list(cells)
        bare[cell] = bare[cell][:-1]
        agent_wins = kind_of[agent] in rules.win
        you_ok = _WORD[kind_of[agent]] == rules.you
        walk, special = self.masks(bare, rules, agent_wins)
        reach = self.region(cell, walk)
        distances = self.distances(cell, reach)
        w = self.width
        for name, delta in self.deltas:
            edge = reach & (special >> delta if delta > 0 else special << -delta)
            while edge:
                low = edge & -edge
                edge ^= low
                at = low.bit_length() - 1
                new = list(bare)
                new[at] = new[at] + (agent,)
                won, lost, text_moved = _move(new, kind_of, rules, at, delta)
                if lost or (not won and new[at] and new[at][-1] == agent):
                    continue  # lost, or blocked: nothing moved
                move, steps = (at, name), distances[at] + 1
                if won:
                    out.append((move, new, rules, True, steps, None))
                    continue
                # The cells the push changed: from the YOU object's new cell along the move.
                here = at + delta
                child = list(new)
                child[here] = child[here][:-1]
                changed = []
                r = here
                while child[r] != bare[r]:
                    changed.append(r)
                    r += delta
                after = rules
                if text_moved and any(
                    (child[q] and kind_of[child[q][-1]] == IS_KIND)
                    or (bare[q] and kind_of[bare[q][-1]] == IS_KIND)
                    for r in changed
                    for q in (r, r - 1, r + 1, r - w, r + w)
                ):
                    after = self.after_move(new, rules, True)
                if after is not rules or not you_ok:
                    out.append((move, new, after, False, steps, None))
                    continue
                child_walk, child_special = walk, special
                for r in changed:
                    bit = 1 << r
                    cw, cs = self.classify(child[r], rules, agent_wins)
                    child_walk = child_walk | bit if cw else child_walk & ~bit
                    child_special = child_special | bit if cs else child_special & ~bit
                region = self.region(here, child_walk)
                key = (tuple(child), (region & -region).bit_length() - 1)
                out.append((move, new, rules, False, steps, key))
        return out

    def estimate(self, cells: Any, rules: Rules) -> int:
        """A guess at the steps still needed to win, to order the search (A*).

        With WIN objects on the map: the Manhattan distance from the nearest YOU object to
        one. Without: the pushes that bring a noun block (of an object on the map) into the
        empty slot before an ``is win`` pair, plus the walk from that slot to such an object
        (less 2: the pusher stands next to the slot). Otherwise 0.
        """
        w, kind_of = self.width, self.kind_of
        agents, wins, nouns = [], [], []
        things: dict[str, list[int]] = {}
        win_block = text_kind("win")
        for k, stack in enumerate(cells):
            if not stack:
                continue
            top = kind_of[stack[-1]]
            if top in rules.agent:
                agents.append(k)
            if top in rules.win:
                wins.append(k)
            category = _CATEGORY[top]
            if category == THING:
                things.setdefault(_WORD[top], []).append(k)
            elif category == NOUN:
                nouns.append(k)

        def apart(a: int, b: int) -> int:
            return abs(a % w - b % w) + abs(a // w - b // w)

        if wins and agents:
            return min(apart(a, b) for a in agents for b in wins)
        slots = []
        for k, stack in enumerate(cells):
            if not stack or kind_of[stack[-1]] != IS_KIND:
                continue
            for step in (1, w):
                after, before = cells[k + step], cells[k - step]
                if (
                    after
                    and kind_of[after[-1]] == win_block
                    and (not before or _CATEGORY[kind_of[before[-1]]] != NOUN)
                ):
                    slots.append(k - step)
        guesses = [
            1 + apart(n, slot) + max(0, min(apart(slot, t) for t in targets) - 2)
            for n in nouns
            if (targets := things.get(_WORD[kind_of[cells[n][-1]]]))
            for slot in slots
        ]
        return min(guesses, default=0)

    def distances(self, start: int, reach: int) -> dict[int, int]:
        """Walking distance from ``start`` to every cell of ``reach``."""
        w = self.width
        dist = {start: 0}
        frontier, seen, d = 1 << start, 1 << start, 0
        while frontier:
            d += 1
            grown = (frontier << 1 | frontier >> 1 | frontier << w | frontier >> w) & reach & ~seen
            seen |= grown
            frontier = grown
            while grown:
                low = grown & -grown
                grown ^= low
                dist[low.bit_length() - 1] = d
        return dist

    def walk(self, cells: _Cells, rules: Rules, target: int) -> list[str]:
        """A shortest walk of the lone YOU object to ``target`` (for the final plan)."""
        cell, _ = self.lone_agent(cells, rules)
        bare = list(cells)
        bare[cell] = bare[cell][:-1]
        walk, _ = self.masks(bare, rules, False)
        reach = self.region(cell, walk)
        parents: dict[int, tuple[int, str] | None] = {cell: None}
        queue = deque([cell])
        while queue and target not in parents:
            a = queue.popleft()
            for name, delta in self.deltas:
                b = a + delta
                if b not in parents and reach >> b & 1:
                    parents[b] = (a, name)
                    queue.append(b)
        path: list[str] = []
        step = parents[target]
        while step is not None:
            path.append(step[1])
            step = parents[step[0]]
        return path[::-1]


def solve(
    world: BabaWorld, max_nodes: int = 5_000, max_steps: int | None = None
) -> list[str] | None:
    """A move sequence that wins from ``world``'s state: a breadth-first search, A*-ordered.

    The state is the grid (every object's position); successors are single moves, except
    where one YOU object walks without changing anything else: the states it can walk between
    are then one state, and a successor is a shortest walk plus a move that pushes, wins or
    loses (Sokoban's macro moves). States are expanded in order of steps played plus
    :meth:`_Search.estimate` (A*; with the estimate at 0 this is a breadth-first search over
    steps), so the plan is short but not always the shortest. States that lose, or leave no
    YOU object (BALROG would reset the level), are dropped.

    Args:
        world: The world to plan from (not modified).
        max_nodes: States expanded before giving up.
        max_steps: Longest plan (default: the steps left in the episode).

    Returns:
        The actions, or ``None`` if no win was found within the limits.
    """
    search = _Search(world)
    limit = world.max_steps - world.step_count if max_steps is None else max_steps
    start = tuple(world.cells)
    start_key = search.key(start, world.rules)
    best: dict[Any, int] = {start_key: 0}
    parents: dict[Any, tuple[Any, tuple[int, str]]] = {start_key: (None, (-1, ""))}
    states: dict[Any, tuple[_Cells, Rules]] = {start_key: (start, world.rules)}
    heap: list[tuple[int, int, int, Any]] = [(0, 0, 0, start_key)]
    counter = expanded = 0
    while heap and expanded < max_nodes:
        _, cost, _, key = heapq.heappop(heap)
        if key[1] == -2:  # a win
            return _plan(search, key, parents, states)
        if cost > best[key]:
            continue  # a stale entry
        expanded += 1
        cells, rules = states[key]
        for move, new, new_rules, won, steps, new_key in search.successors(cells, rules):
            total = cost + steps
            if total > limit:
                continue
            counter += 1
            if won:
                goal = (counter, -2)
                parents[goal] = (key, move)
                heapq.heappush(heap, (total, total, counter, goal))
                continue
            if new_key is None:
                if _you_position(new, search.kind_of, new_rules) is None:
                    continue
                new_key = search.key(new, new_rules)
            if total >= best.get(new_key, limit + 1):
                continue
            best[new_key] = total
            parents[new_key] = (key, move)
            states[new_key] = (tuple(new), new_rules)
            guess = total + search.estimate(new, new_rules)
            heapq.heappush(heap, (guess, total, counter, new_key))
    return None


def _plan(search: _Search, key: Any, parents: dict, states: dict) -> list[str]:
    moves = []
    while True:
        parent, move = parents[key]
        if parent is None:
            break
        moves.append((parent, move))
        key = parent
    plan: list[str] = []
    for parent, (cell, name) in reversed(moves):
        if cell >= 0:
            plan += search.walk(*states[parent], cell)
        plan.append(name)
    return plan


# ----------------------------------------------------------------------------- the image
_FLOOR = (24, 24, 28)
_RGB = {
    "red": (230, 60, 60),
    "green": (70, 200, 90),
    "blue": (70, 120, 240),
    "grey": (150, 150, 150),
    "white": (245, 245, 245),
}
_TEXT_INK = {NOUN: (190, 30, 130), IS: (20, 20, 20), PROPERTY: (210, 100, 0)}


def _draw_tile(kind: Kind | None, size: int) -> np.ndarray:
    """One cell's picture (supersampled 3x, then averaged, for smooth edges)."""
    s = size * 3
    img = np.zeros((s, s, 3), dtype=np.float64)
    img[:] = _FLOOR
    v, u = (np.mgrid[0:s, 0:s] + 0.5) / s  # v: down, u: right, in [0, 1]

    def fill(mask: np.ndarray, color: tuple[int, int, int]) -> None:
        img[mask] = color

    def rect(u0: float, u1: float, v0: float, v1: float) -> np.ndarray:
        return (u >= u0) & (u <= u1) & (v >= v0) & (v <= v1)

    def disc(cu: float, cv: float, r: float) -> np.ndarray:
        return (u - cu) ** 2 + (v - cv) ** 2 <= r * r

    line = max(1, s // 32)
    img[:line, :] = (55, 55, 60)  # grid lines, top and left
    img[:, :line] = (55, 55, 60)
    if kind is None:
        pass
    elif kind.category == BORDER:
        fill(rect(0, 1, 0, 1), (90, 90, 95))
        for k in (0.33, 0.66):  # bricks
            fill(rect(0, 1, k - 0.02, k + 0.02), (60, 60, 65))
    elif kind.category == THING:
        c = _RGB[kind.color]
        if kind.word == "ball":
            fill(disc(0.5, 0.5, 0.31), c)
        elif kind.word == "key":
            fill(rect(0.50, 0.63, 0.31, 0.88), c)
            fill(rect(0.38, 0.50, 0.59, 0.66), c)
            fill(rect(0.38, 0.50, 0.81, 0.88), c)
            fill(disc(0.56, 0.28, 0.19), c)
            fill(disc(0.56, 0.28, 0.064), _FLOOR)
        elif kind.word == "door":
            fill(rect(0.08, 0.92, 0.04, 0.96), c)
            fill(rect(0.16, 0.84, 0.12, 0.96), _FLOOR)
            fill(rect(0.22, 0.78, 0.18, 0.96), c)
            fill(disc(0.68, 0.58, 0.06), _FLOOR)
        elif kind.word == "wall":
            fill(rect(0.12, 0.88, 0.12, 0.88), c)
            for k in (0.37, 0.63):
                fill(rect(0.12, 0.88, k - 0.025, k + 0.025), (95, 95, 95))
        else:  # baba: a white creature with two eyes and feet
            fill(((u - 0.5) / 0.34) ** 2 + ((v - 0.5) / 0.28) ** 2 <= 1, c)
            fill(rect(0.26, 0.36, 0.7, 0.88), c)
            fill(rect(0.64, 0.74, 0.7, 0.88), c)
            fill(disc(0.4, 0.45, 0.06), (20, 20, 20))
            fill(disc(0.6, 0.45, 0.06), (20, 20, 20))
    img = img.reshape(size, 3, size, 3, 3).mean(axis=(1, 3))
    tile = img.astype(np.uint8)
    if kind is not None and kind.category in (NOUN, IS, PROPERTY):
        tile = _text_tile(tile, kind, size)
    return tile


def _text_tile(tile: np.ndarray, kind: Kind, size: int) -> np.ndarray:
    """A text block: a light square with its word in capitals, ink by word class."""
    from PIL import Image, ImageDraw

    from vlagent_envs.core.render import font

    image = Image.fromarray(tile)
    draw = ImageDraw.Draw(image)
    margin = max(1, round(size * 0.06))
    draw.rectangle([margin, margin, size - 1 - margin, size - 1 - margin], fill=(235, 235, 235))
    word = kind.word.upper()
    room = size - 2 * margin - 2
    font_size = max(6, int(size * 0.42))
    face = font("sans-bold", font_size)
    while font_size > 6:
        left, top, right, bottom = draw.textbbox((0, 0), word, font=face)
        if right - left <= room:
            break
        font_size -= 1
        face = font("sans-bold", font_size)
    left, top, right, bottom = draw.textbbox((0, 0), word, font=face)
    x = (size - (right - left)) / 2 - left
    y = (size - (bottom - top)) / 2 - top
    draw.text((x, y), word, fill=_TEXT_INK[kind.category], font=face)
    return np.asarray(image, dtype=np.uint8)


@functools.cache
def _atlas(tile_size: int) -> np.ndarray:
    """Every kind's tile and the empty floor (last), ``(len(KINDS) + 1, t, t, 3)``."""
    tiles = [_draw_tile(kind, tile_size) for kind in KINDS] + [_draw_tile(None, tile_size)]
    return np.stack(tiles)


def render_world(world: BabaWorld, tile_size: int = 32) -> np.ndarray:
    """The whole grid, ``(height * t, width * t, 3)``: each cell's top object from the atlas."""
    tops = world.top_kinds()
    tops[tops < 0] = len(KINDS)
    tiles = _atlas(tile_size)[tops]  # [y, x, ty, tx, rgb]
    h, w = tops.shape
    return np.ascontiguousarray(tiles.transpose(0, 2, 1, 3, 4)).reshape(
        h * tile_size, w * tile_size, 3
    )


# ----------------------------------------------------------------------------- the env
_RESET_NOTE = "[...] IS YOU rule was broken, environment reset"


class BabaIsAIEnv(VLAgentEnv):
    """BALROG's Baba Is AI: push text blocks to change the rules, then reach what is WIN.

    Description:
        Baba Is AI (Cloos et al., 2024) as BALROG evaluates it (Paglieri et al., 2024): a grid
        world whose rules are text blocks on the map -- ``BABA IS YOU``, ``KEY IS WIN``, ``WALL
        IS STOP``, read in horizontal and vertical lines. The YOU object moves and pushes chains
        of text blocks (and ``X is push`` objects); the border, text blocks and ``X is stop``
        objects block it; it walks onto anything else. Reaching a WIN object wins. Tasks ask to
        go to the win object among distractors, to repair a broken ``X is win`` rule, to break
        ``wall is stop`` to enter a second room, to make another object YOU, or to make ``wall
        is win``. The original package (``nacloos/baba-is-ai``, gym<=0.25, not on PyPI) is
        written anew here; its 40 BALROG tasks follow its level generators draw for draw.

    Action Space:
        Text, BALROG's five actions: ``idle``, ``up``, ``right``, ``down``, ``left`` (also
        ``move up``, ``go left``, ``north``, ``wait``, ...). The RL4VLM JSON ``{"thoughts": ...,
        "action": ...}`` and ``Action: ...`` lines are read. Anything else plays ``idle``
        (BALROG's default action, the first of its action space), counted as invalid.

    Observation Space:
        ``text``: BALROG's observation, ``Active rules:\\n<one rule a line>\\n\\nObjects on the
        map:\\n<one object a line>``, each object's offset from the YOU object (``rule `win` 2
        steps to the right and 1 step up``, ``ball 1 step down``). ``instruction``: the goal.
        ``image``: the whole grid, ``tile_size`` pixels a cell (32, the original's): 256x256
        for the 8x8 rooms, 416x288 for the 13x9 two-room levels (an id drawing tasks puts the
        8x8 room in the middle of a 416x288 canvas).

    Rewards:
        The original's: ``1 - 0.9 * step_count / 100`` on the winning step, ``-1`` on a LOSE
        (no BALROG task has one), 0 otherwise.

    Starting State:
        ``reset(seed=s)`` draws the task (for ``task_name=None``, uniform over the 40) and the
        level from the env's generator, in the original's order of draws.

    Episode End:
        Terminated on a win (``success``, ``progress`` 1 -- BALROG's progression) or a lose;
        truncated at the original's 100 steps (``step_count``). When no ``X is you`` object is
        left, BALROG resets the level (a new draw of the same task, its step count back to 0)
        and says so in the text (``info["you_rule_broken"]``); the episode goes on. The
        registered 100-step limit still ends it.

    Arguments:
        task_name: One of the 40 names of :data:`TASKS` (BALROG's without ``env/``), or
            ``None`` to draw one per episode.
        tile_size: Pixels per cell of the image.
        add_ruleset: Write the ``Active rules`` section (BALROG's ``add_ruleset: True``).
        expert_max_nodes: States the breadth-first expert may expand per plan.
        render_mode, invalid_action_policy: see :class:`VLAgentEnv`.

    Version History:
        v0: initial version.
    """

    default_invalid_action_policy: ClassVar[InvalidActionPolicy] = InvalidActionPolicy(
        "default", default_action="idle"
    )
    grammar = _GRAMMAR

    def __init__(
        self,
        task_name: str | None = None,
        tile_size: int = 32,
        add_ruleset: bool = True,
        expert_max_nodes: int = 5_000,
        render_mode: str | None = None,
        invalid_action_policy: dict[str, Any] | str | None = None,
        **kwargs: Any,
    ):
        if task_name is not None and task_name not in TASKS:
            raise ValueError(f"task_name must be one of {TASK_NAMES} or None, got {task_name!r}")
        if int(tile_size) < 4:
            raise ValueError(f"tile_size must be >= 4, got {tile_size}")
        self.task_name = task_name
        self.tile_size = int(tile_size)
        self.add_ruleset = bool(add_ruleset)
        self.expert_max_nodes = int(expert_max_nodes)
        if task_name is None:
            cols = max(t.width for t in TASKS.values())
            rows = max(t.height for t in TASKS.values())
        else:
            cols, rows = TASKS[task_name].width, TASKS[task_name].height
        self.image_shape = (rows * self.tile_size, cols * self.tile_size, 3)
        super().__init__(
            render_mode=render_mode, invalid_action_policy=invalid_action_policy, **kwargs
        )
        self._task = task_name or TASK_NAMES[0]
        self._world: BabaWorld | None = None
        self.target_plan = ""
        self._plan: dict[tuple, str] = {}
        self._gave_up = False

    # ------------------------------------------------------------------ episode
    def _new_level(self) -> None:
        self._world, self.target_plan = build_level(self._task, self.np_random)
        self._plan, self._gave_up = {}, False

    def _reset(self, options: dict[str, Any] | None) -> str:
        if self.task_name is None:
            self._task = TASK_NAMES[int(self.np_random.integers(len(TASK_NAMES)))]
        self._new_level()
        return balrog_text(self.world, self.add_ruleset)

    def _step(self, action: str) -> StepResult:
        world = self.world
        won, lost = world.step(action)
        reward = world.reward() if won else (-1.0 if lost else 0.0)
        terminated = won or lost
        truncated = not terminated and world.step_count >= world.max_steps
        info: dict[str, Any] = {"task": self._task, "step_count": world.step_count}
        note = ""
        if not (terminated or truncated) and world.you_position() is None:
            # BALROG's wrapper finds no YOU object to describe from and resets the level.
            self._new_level()
            note = _RESET_NOTE + "\n"
            info["you_rule_broken"] = True
        return StepResult(
            reward=reward,
            terminated=terminated,
            truncated=truncated,
            text=note + balrog_text(self.world, self.add_ruleset),
            success=won,
            progress=1.0 if won else None,
            info=info,
        )

    def _render_image(self) -> np.ndarray:
        out = np.zeros(self.image_shape, dtype=np.uint8)
        if self._world is None:
            return out
        image = render_world(self._world, self.tile_size)
        h, w = image.shape[:2]
        if (h, w) == self.image_shape[:2]:
            return image
        out[:] = _FLOOR
        top, left = (self.image_shape[0] - h) // 2, (self.image_shape[1] - w) // 2
        out[top : top + h, left : left + w] = image
        return out

    @property
    def world(self) -> BabaWorld:
        """The rule world of the current episode."""
        if self._world is None:
            raise RuntimeError("call reset() first")
        return self._world

    @property
    def task(self) -> str:
        """The task of the current episode."""
        return self._task

    @property
    def instruction(self) -> str:
        return (
            "Move the object that is YOU onto an object that is WIN; the rules are the text "
            "blocks on the map, and pushing them changes the rules."
        )

    @property
    def task_prompt(self) -> str:
        actions = ",\n".join(f"{name}: {description}" for name, description in ACTIONS.items())
        return (
            "Baba Is You is a puzzle game where you can manipulate the rules of each level. "
            "The following are the possible actions you can take in the game, followed by a "
            f"short description of each action:\n\n{actions}.\n\n"
            "Tips:\n"
            "- Examine the level carefully, noting all objects and text blocks present.\n"
            "- Identify the current rules, which are formed by text blocks in the format "
            '"[Subject] IS [Property]" (e.g. "BABA IS YOU").\n'
            "- Consider how you can change or create new rules by moving text blocks around.\n"
            "- Remember that you can only move objects or text that are not defined as "
            '"STOP" or similar immovable properties.\n'
            '- Your goal is usually to reach an object defined as "WIN", but this can be '
            "changed.\n"
            "- Think creatively about how changing rules can alter the properties and "
            "behaviors of objects in unexpected ways.\n"
            "- If stuck, try breaking apart existing rules or forming completely new ones.\n"
            "- Sometimes the solution involves making yourself a different object or changing "
            "what counts as the win condition.\n\n"
            "PLAY!\n\n"
            "Answer with exactly one of the actions above and nothing else (for example: up), "
            "or as the last line 'Action: <action>'. Any other answer plays 'idle'."
        )

    # ------------------------------------------------------------------ scripted solver
    def expert_action(self) -> str | None:
        """The next move of a breadth-first plan to a win, ``None`` if none was found.

        A plan is searched (:func:`solve`, ``expert_max_nodes`` states) when the current state
        is not on the last plan, and kept: following it costs a dictionary look-up. After a
        search fails, the expert answers ``None`` until the level is reset (or the state is
        back on a plan): a failed search costs its whole budget, so it is not retried at every
        step.
        """
        if self._world is None or self._needs_reset:
            return None
        key = self._world.state_key()
        if key in self._plan:
            return self._plan[key]
        if self._gave_up:
            return None
        plan = solve(self._world, self.expert_max_nodes)
        if plan is None:
            self._gave_up = True
            return None
        self._plan = self._trace(plan)
        return self._plan.get(key)

    def _trace(self, plan: list[str]) -> dict[tuple, str]:
        """The plan as ``state -> action`` along the states it passes through."""
        world = self.world
        probe = BabaWorld.__new__(BabaWorld)
        probe.__dict__.update(world.__dict__)
        probe.cells, probe.kind_of = list(world.cells), list(world.kind_of)
        steps: dict[tuple, str] = {}
        for action in plan:
            steps.setdefault(probe.state_key(), action)
            probe.step(action)
        return steps
