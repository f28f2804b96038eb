"""NLE's language observation in Python: the five texts BALROG shows a NetHack agent.

BALROG (``balrog/environments/nle/base.py``) describes an NLE observation with
``nle_language_obsv.NLELanguageObsv``, the C++ module of ``nle-language-wrapper`` 0.2.0
(Goodger, ``src/main.cpp``). PyPI's ``nle`` does not ship it and the wrapper's sdist builds its
own NLE 0.9 with the old ``gym``, so this module writes the five methods anew on PyPI ``nle``:

* :func:`text_glyphs` -- every monster, object and notable feature on the map (stairs, doors,
  fountains, altars...) with its distance (``adjacent``, ``very near``, ``near``, ``far``,
  ``very far``) and 16-point direction, plus walls, dark area, doorways and traps found by
  marching 9 cells in the 8 compass directions; sorted far to near, north clockwise, and
  merged per glyph and distance (``tame little dogs far westsouthwest``, ``dark area adjacent
  east, south, and west``).
* :func:`text_message` -- the top line, or the whole menu or page when one of the rows shows
  ``--More--``, ``(end)`` or ``(n of m)``.
* :func:`text_blstats` -- the bottom-line statistics, one ``Name: value`` per line.
* :func:`text_inventory` -- ``<letter>: <item>`` per inventory slot.
* :func:`text_cursor` -- what lies under the terminal cursor.

Every string, order and rule is the C++ one, including its quirks, which BALROG's published
numbers were measured with: the zap beam names of the C++ table (``horizontal zap beam`` for
NetHack's vertical beam and back), its own words for map features (``alter``, ``pool``,
``dark area`` for unexplored stone), object appearances from NetHack's unshuffled description
table, ``Condition:`` names in the iteration order of the C++ ``unordered_map`` under
libstdc++, the never-taken ``ch`` plural rule (the C++ compares ``noun[-1]``, the byte before
the string, so ``lich`` becomes ``lichs``), a trimmed row whose only visible character is its
last one read as empty, and a cursor in the top-left map cell described as nothing. The outputs
were checked equal to the C++ module compiled against the ``libnethack.so`` of ``nle`` 1.3.0 on
every glyph, on random maps and on NetHackChallenge-v0 episodes.

The glyph tables come from ``nle.nethack`` (``permonst``, ``objclass``, ``OBJ_NAME``,
``OBJ_DESCR``, ``glyph_to_*`` and the ``GLYPH_*_OFF`` offsets) and are built once, on first
use. ``nle`` 1.3.0 still plays NetHack 3.6.6: ``MAX_GLYPH`` 5976, ``MAXPCHARS`` 96 and 27
blstats with the same ``NLE_BL_*`` indices and ``BL_MASK_*`` bits as the NLE 0.9 the wrapper was
written for, so no glyph needs a stand-in. A NetHack 3.7 build of ``nle`` (other glyph kinds
and ``cmap`` order) is refused with a ``RuntimeError`` rather than described wrongly.

``nle`` is imported lazily (``vlagent_envs.core.deps.require``): importing this module costs
nothing without it. The five functions together take about 0.25 ms on a NetHackChallenge step.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from vlagent_envs.core.deps import require

__all__ = [
    "pluralize",
    "text_blstats",
    "text_cursor",
    "text_glyphs",
    "text_inventory",
    "text_message",
]

_WIDTH = 79  # the C++ DUNGEON_WIDTH, NLE's glyphs columns
_HEIGHT = 21  # DUNGEON_HEIGHT

#: The C++ ``cmap_lookup``: its own words for NetHack 3.6's 96 map symbols (``defsyms`` order).
_CMAP_WORDS: tuple[str, ...] = (
    "dark area", "vertical wall", "horizontal wall", "northwest room corner",
    "northeast room corner", "southwest corner", "southeast corner", "cross wall",
    "t up wall", "t down wall", "t west wall", "t east wall", "doorway", "vertical open door",
    "horizontal open door", "vertical closed door", "horizontal closed door", "bars", "tree",
    "room floor", "dark room floor", "corridor floor", "lit corridor floor", "stairs up",
    "stairs down", "ladder up", "ladder down", "alter", "grave", "throne", "sink", "fountain",
    "pool", "ice", "lava", "vertical lowered drawbridge", "horizontal lowered drawbridge",
    "vertical raised drawbridge", "horizontal raised drawbridge", "air floor", "cloud floor",
    "water floor", "arrow trap", "dart trap", "falling rock trap", "squeaky board", "bear trap",
    "land mine", "rolling boulder trap", "sleeping gas trap", "rust trap", "fire trap", "pit",
    "spiked pit", "hole", "trap door", "teleportation trap", "level teleporter", "magic portal",
    "web", "statue trap", "magic trap", "anti magic trap", "polymorph trap", "vibrating square",
    "vertical beam", "horizontal beam", "left slant beam", "right slant beam", "dig beam",
    "flash beam", "boom left", "boom right", "shield 1", "shield 2", "shield 3", "shield 4",
    "poison cloud", "valid position", "swallow top left", "swallow top center",
    "swallow top right", "swallow middle left", "swallow middle right", "swallow bottom left",
    "swallow bottom center", "swallow bottom right", "explosion top left",
    "explosion top center", "explosion top right", "explosion middle left",
    "explosion middle center", "explosion middle right", "explosion bottom left",
    "explosion bottom center", "explosion bottom right",
)  # fmt: skip

#: Symbols the C++ leaves out of both views (``cmap_floor``).
_FLOOR = frozenset({"room floor", "dark room floor", "corridor floor", "lit corridor floor"})

#: Symbols listed wherever they are on the map (``cmap_screen_include``); every other non-floor
#: symbol is only reported by the 8 rays from the agent.
_LANDMARKS = frozenset({
    "horizontal closed door", "vertical closed door", "bars", "tree", "stairs up",
    "stairs down", "ladder up", "ladder down", "alter", "grave", "throne", "sink", "fountain",
    "pool", "ice", "lava", "vertical raised drawbridge", "horizontal raised drawbridge",
})  # fmt: skip

#: Symbols that stop a ray (``blocking_view``).
_BLOCKING = frozenset({
    "dark area", "vertical wall", "horizontal wall", "northwest room corner",
    "northeast room corner", "southwest corner", "southeast corner", "cross wall", "t up wall",
    "t down wall", "t west wall", "t east wall", "horizontal closed door",
    "vertical closed door", "horizontal raised drawbridge", "vertical raised drawbridge",
})  # fmt: skip

#: NetHack 3.6's ``def_warnsyms`` explanations, warning levels 0 to 5 (``nle`` exposes none).
_WARNINGS = tuple(
    f"unknown creature causing you {word}"
    for word in ("worry", "concern", "anxiety", "disquiet", "alarm", "dread")
)
#: The C++ names; its first two are swapped against NetHack's ``S_vbeam, S_hbeam`` order.
_ZAP_BEAMS = ("horizontal zap beam", "vertical zap beam", "left slant zap beam",
              "right slant zap beam")  # fmt: skip
_SWALLOW = _CMAP_WORDS[79:87]
_EXPLOSION = _CMAP_WORDS[87:96]

_DISTANCES = ("very far", "far", "near", "very near", "adjacent")  # sort order, far first
_DIRECTIONS = (
    "north", "northnortheast", "northeast", "eastnortheast", "east", "eastsoutheast",
    "southeast", "southsoutheast", "south", "southsouthwest", "southwest", "westsouthwest",
    "west", "westnorthwest", "northwest", "northnorthwest",
)  # fmt: skip
_DIRECTION_RANK = {name: rank for rank, name in enumerate(_DIRECTIONS)}

#: The rays in the C++ order (east, then clockwise on screen), as (dx, dy) with y down.
_RAYS = ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))

_ALIGNMENTS = {-128: "None", 1: "Lawful", 0: "Neutral", -1: "Chaotic"}  # align.h A_*
_HUNGER = ("Satiated", "Not Hungry", "Hungry", "Weak", "Fainting", "Fainted", "Starved")
_ENCUMBRANCE = ("Unencumbered", "Burdened", "Stressed", "Strained", "Overtaxed", "Overloaded")
#: ``BL_MASK_*`` suffix and name, in the order libstdc++ iterates the C++ ``condition_map``.
_CONDITIONS = (
    ("FLY", "Flying"), ("LEV", "Levitating"), ("HALLU", "Hallucinating"),
    ("CONF", "Confused"), ("STUN", "Stunned"), ("DEAF", "Deaf"), ("BLIND", "Blind"),
    ("TERMILL", "Terminally Ill"), ("FOODPOIS", "Food Poisoning"), ("STRNGL", "Strangled"),
    ("SLIME", "Slimed"), ("RIDE", "Riding"), ("STONE", "Stoned"),
)  # fmt: skip

_TRIMMED = b" \x1a"  # the C++ WHITESPACE literal stops at its embedded NUL: space and SUB only


def pluralize(noun: str) -> str:
    """The C++ ``pluralize``: mass nouns, a few exceptions, then English suffix rules.

    Args:
        noun: A glyph name such as ``"little dog"`` or ``"lava"``.

    Returns:
        The plural the describer prints (``"little dogs"``, ``"area of lava"``).
    """
    if noun.endswith(("boots", "shoes", "scales", "lenses", "bars")):
        return noun
    exceptions = {
        "can of grease": "cans of grease",
        "Master of Thieves": "Masters of Thieves",
        "ice": "area of ice",
        "lava": "area of lava",
    }
    if noun in exceptions:
        return exceptions[noun]
    for head in ("boom ", "shield ", "swallow ", "scroll "):
        if noun.startswith(head):
            return head[:-1] + "s " + noun[len(head) :]
    for head in ("worthless piece ", "unknown creature "):
        if noun.startswith(head):
            return head[:-1] + "s " + noun[len(head) :]
    last, before = noun[-1:], noun[-2:-1]
    if last == "y" and before not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    # The C++ also tests for "ch" but reads noun[-1], the byte before the string, so never.
    if last in ("z", "x") or noun[-2:] in ("sh", "ss"):
        return noun + "es"
    if last == "f":
        return noun[:-2] + "ves" if before == "f" else noun[:-1] + "ves"
    if last == "s":
        return noun + "es"
    return noun + "s"


@dataclass(frozen=True)
class _Tables:
    """Per-glyph name ids (0: nothing) and the names they index, built once from ``nle``."""

    names: tuple[str, ...]
    plurals: tuple[str, ...]
    screen: np.ndarray  # int32[MAX_GLYPH + 1]: name listed wherever the glyph is on the map
    ray: np.ndarray  # int32[MAX_GLYPH + 1]: name a ray reports (only where ``screen`` is 0)
    stops_ray: np.ndarray  # bool[len(names)]
    condition_masks: tuple[tuple[int, str], ...]


def _object_name(nethack: Any, index: int) -> str:
    """The C++ ``fullscreen_view_glyph_map`` entry of object ``index``, by object class."""
    obj = nethack.objclass(index)
    name = nethack.OBJ_NAME(obj) or ""
    descr = nethack.OBJ_DESCR(obj) or ""
    klass = ord(obj.oc_class)
    if klass in (nethack.ARMOR_CLASS, nethack.TOOL_CLASS):
        return descr or name
    if klass == nethack.AMULET_CLASS:
        return descr if "Amulet" in descr else descr + " amulet"
    if klass == nethack.GEM_CLASS:
        return name if descr in name else f"{descr} {name}"
    suffixed = {
        nethack.RING_CLASS: " ring",
        nethack.POTION_CLASS: " potion",
        nethack.SPBOOK_CLASS: " spellbook",
        nethack.WAND_CLASS: " wand",
    }
    if klass in suffixed:
        return descr + suffixed[klass]
    if klass == nethack.SCROLL_CLASS:
        return "scroll labeled " + descr
    if klass == nethack.FOOD_CLASS:
        return name + descr
    if klass == nethack.VENOM_CLASS:
        return "splash of " + name
    plain = (
        nethack.ILLOBJ_CLASS,
        nethack.WEAPON_CLASS,
        nethack.COIN_CLASS,
        nethack.ROCK_CLASS,
        nethack.BALL_CLASS,
        nethack.CHAIN_CLASS,
    )
    return name if klass in plain else ""


def _check_layout(nethack: Any) -> None:
    """Refuse a glyph layout other than NetHack 3.6's, which the tables below assume."""
    offsets = [
        nethack.GLYPH_MON_OFF,
        nethack.GLYPH_PET_OFF,
        nethack.GLYPH_INVIS_OFF,
        nethack.GLYPH_DETECT_OFF,
        nethack.GLYPH_BODY_OFF,
        nethack.GLYPH_RIDDEN_OFF,
        nethack.GLYPH_OBJ_OFF,
        nethack.GLYPH_CMAP_OFF,
        nethack.GLYPH_EXPLODE_OFF,
        nethack.GLYPH_ZAP_OFF,
        nethack.GLYPH_SWALLOW_OFF,
        nethack.GLYPH_WARNING_OFF,
        nethack.GLYPH_STATUE_OFF,
        nethack.MAX_GLYPH,
    ]
    known = (
        len(_CMAP_WORDS) == nethack.MAXPCHARS
        and offsets == sorted(offsets)
        and nethack.GLYPH_EXPLODE_OFF - nethack.GLYPH_CMAP_OFF == 87
        and nethack.symdef.from_idx(31).explanation == "fountain"
        and nethack.NLE_BLSTATS_SIZE == 27
    )
    if not known:
        raise RuntimeError(
            "nle's glyph layout is not NetHack 3.6's (MAXPCHARS "
            f"{nethack.MAXPCHARS}, MAX_GLYPH {nethack.MAX_GLYPH}); nle_language needs updating"
        )


def _glyph_names(nethack: Any) -> tuple[list[str], list[str]]:
    """The C++ ``build_fullscreen_view_glyph_map`` and ``build_visual_view_glyph_map``."""
    screen: list[str] = []
    ray: list[str] = []
    mname = [nethack.permonst(i).mname for i in range(nethack.NUMMONS)]
    for glyph in range(nethack.MAX_GLYPH):
        seen_by_ray = ""
        if glyph >= nethack.GLYPH_STATUE_OFF:
            name = mname[nethack.glyph_to_mon(glyph)] + " statue"
        elif glyph >= nethack.GLYPH_WARNING_OFF:
            name = _WARNINGS[glyph - nethack.GLYPH_WARNING_OFF]
        elif glyph >= nethack.GLYPH_SWALLOW_OFF:
            name = _SWALLOW[(glyph - nethack.GLYPH_SWALLOW_OFF) % len(_SWALLOW)]
        elif glyph >= nethack.GLYPH_ZAP_OFF:
            name = _ZAP_BEAMS[(glyph - nethack.GLYPH_ZAP_OFF) % len(_ZAP_BEAMS)]
        elif glyph >= nethack.GLYPH_EXPLODE_OFF:
            name = _EXPLOSION[(glyph - nethack.GLYPH_EXPLODE_OFF) % len(_EXPLOSION)]
        elif glyph >= nethack.GLYPH_CMAP_OFF:
            word = _CMAP_WORDS[glyph - nethack.GLYPH_CMAP_OFF]
            name = word if word in _LANDMARKS else ""
            if word not in _LANDMARKS and word not in _FLOOR:
                seen_by_ray = word
        elif glyph >= nethack.GLYPH_OBJ_OFF:
            name = _object_name(nethack, glyph - nethack.GLYPH_OBJ_OFF)
        elif glyph >= nethack.GLYPH_RIDDEN_OFF:
            name = "ridden " + mname[nethack.glyph_to_mon(glyph)]
        elif glyph >= nethack.GLYPH_BODY_OFF:
            name = mname[glyph - nethack.GLYPH_BODY_OFF] + " corpse"
        elif glyph >= nethack.GLYPH_DETECT_OFF:
            name = "detected " + mname[nethack.glyph_to_mon(glyph)]
        elif glyph >= nethack.GLYPH_INVIS_OFF:
            name = "invisible creature"
        elif glyph >= nethack.GLYPH_PET_OFF:
            name = "tame " + mname[nethack.glyph_to_mon(glyph)]
        else:
            name = mname[nethack.glyph_to_mon(glyph)]
        screen.append(name)
        ray.append(seen_by_ray)
    return screen, ray


@functools.cache
def _tables() -> _Tables:
    nethack = require("nle.nethack", "balrog")
    _check_layout(nethack)
    screen_names, ray_names = _glyph_names(nethack)
    names = ["", *sorted(set(screen_names + ray_names) - {""})]
    ids = {name: i for i, name in enumerate(names)}
    # One extra, empty entry: glyph values outside 0..MAX_GLYPH-1 describe nothing.
    screen = np.array([ids[name] for name in screen_names] + [0], dtype=np.int32)
    ray = np.array([ids[name] for name in ray_names] + [0], dtype=np.int32)
    ray[screen != 0] = 0  # a ray skips glyphs the whole-screen pass already lists
    masks = tuple((int(getattr(nethack, f"BL_MASK_{key}")), name) for key, name in _CONDITIONS)
    return _Tables(
        names=tuple(names),
        plurals=("", *(pluralize(name) for name in names[1:])),
        screen=screen,
        ray=ray,
        stops_ray=np.array([name in _BLOCKING for name in names]),
        condition_masks=masks,
    )


@functools.lru_cache(maxsize=16384)
def _position(dx: int, dy: int) -> tuple[str, str, int]:
    """The C++ ``pos_to_str`` of an offset (dy > 0 is north): distance, direction, sort key."""
    diagonal_steps = min(abs(dx), abs(dy))
    diagonal = ""
    if diagonal_steps > 0:
        if dy < 0 and dx < 0:
            diagonal = "southwest"
        elif dy < 0 and dx > 0:
            diagonal = "southeast"
        elif dy > 0 and dx < 0:
            diagonal = "northwest"
        else:
            diagonal = "northeast"
    y_rest = dy - diagonal_steps if dy > 0 else dy + diagonal_steps
    x_rest = dx - diagonal_steps if dx > 0 else dx + diagonal_steps
    steps = max(abs(dx), abs(dy))
    if steps == 1:
        distance = "adjacent"
    elif steps == 2:
        distance = "very near"
    elif 2 < steps < 6:
        distance = "near"
    elif 5 < steps < 20:
        distance = "far"
    else:
        distance = "very far"
    direction = (
        ("south" if y_rest < 0 else "north" if y_rest > 0 else "")
        + ("west" if x_rest < 0 else "east" if x_rest > 0 else "")
        + diagonal
    )
    # Only the agent's own cell has no direction; the C++ sort drops such entries (key -1).
    rank = _DIRECTION_RANK.get(direction)
    key = -1 if rank is None else _DISTANCES.index(distance) * 16 + rank
    return distance, direction, key


def _glyph_ids(glyphs: np.ndarray, table: np.ndarray) -> np.ndarray:
    flat = np.asarray(glyphs).reshape(-1).astype(np.int64, copy=False)
    if flat.size and (flat.min() < 0 or flat.max() >= table.size - 1):
        flat = np.where((flat >= 0) & (flat < table.size - 1), flat, table.size - 1)
    return table[flat]


def _join_directions(directions: list[str]) -> str:
    if len(directions) == 1:
        return directions[0]
    if len(directions) == 2:
        return f"{directions[0]} and {directions[1]}"
    return ", ".join(directions[:-1]) + ", and " + directions[-1]


def text_glyphs(glyphs: np.ndarray, blstats: np.ndarray) -> str:
    """What the agent sees: notable glyphs with distance and direction, far to near.

    Args:
        glyphs: NLE ``glyphs``, ``int16[21, 79]``.
        blstats: NLE ``blstats``; its first two entries are the agent's x and y.

    Returns:
        One ``<name> <distance> <directions>`` line per glyph name and distance, e.g.
        ``"tame little dog far westsouthwest\\nfountains near northnorthwest"``.
    """
    tables = _tables()
    px, py = int(blstats[0]), int(blstats[1])
    entries: list[tuple[int, int, str, str]] = []  # (sort key, name id, distance, direction)

    # 1. Monsters, objects and landmarks anywhere on the map (the C++ fullscreen_view).
    screen = _glyph_ids(glyphs, tables.screen)
    cells = np.flatnonzero(screen)
    for cell, name in zip(cells.tolist(), screen[cells].tolist()):
        y, x = divmod(cell, _WIDTH)
        if x == px and y == py:
            continue
        distance, direction, key = _position(x - px, py - y)
        entries.append((key, name, distance, direction))

    # 2. Walls, dark area, doorways, traps... along 8 rays of 9 cells (the C++ visual_view).
    ray = _glyph_ids(glyphs, tables.ray)
    if ray.size == _WIDTH * _HEIGHT:
        ray_ids = ray.tolist()
        stops = tables.stops_ray
        for dx, dy in _RAYS:
            for step in range(1, 10):
                x, y = px + dx * step, py + dy * step
                if not (0 <= x < _WIDTH and 0 <= y < _HEIGHT):
                    break
                name = ray_ids[x + y * _WIDTH]
                if name:
                    distance, direction, key = _position(x - px, py - y)
                    entries.append((key, name, distance, direction))
                    if stops[name]:
                        break

    # 3. Sort far to near, then north clockwise; the sort is stable like the C++ bucket pass.
    entries = sorted((entry for entry in entries if entry[0] >= 0), key=lambda entry: entry[0])

    # 4. Merge per (name, distance): directions seen once stay singular, repeated ones plural.
    groups: dict[tuple[int, str], list[str]] = {}
    for _, name, distance, direction in entries:
        groups.setdefault((name, distance), []).append(direction)
    order: list[tuple[str, str]] = []
    merged: dict[tuple[str, str], list[str]] = {}
    for (name, distance), directions in groups.items():
        counts: dict[str, int] = {}
        for direction in directions:
            counts[direction] = counts.get(direction, 0) + 1
        single = [direction for direction, count in counts.items() if count == 1]
        several = [direction for direction, count in counts.items() if count > 1]
        if single:
            order.append((tables.names[name], distance))
            merged[order[-1]] = single
        if several:
            order.append((tables.plurals[name], distance))
            merged[order[-1]] = several
    return "\n".join(
        f"{name} {distance} {_join_directions(merged[(name, distance)])}"
        for name, distance in order
    )


def _trim(row: bytes) -> bytes:
    """The C++ ``trim``, quirk included: a lone visible character at the very end reads as ''."""
    rest = row.lstrip(_TRIMMED)
    return rest.rstrip(_TRIMMED) if len(rest) > 1 else b""


def _ends_page(row: bytes) -> bool:
    of = row.find(b" of ")  # only the first " of " is checked: "(1 of 5)", one digit each
    numbered = of >= 2 and row[of - 2 : of - 1] == b"(" and row[of + 5 : of + 6] == b")"
    return numbered or b"--More--" in row or b"(end)" in row


def text_message(tty_chars: np.ndarray) -> str:
    """The message line, or the whole menu or page when a row ends one.

    Rows are cut at the first row's indent and trimmed. If a row holds ``--More--``, ``(end)``
    or ``(n of m)``, all rows up to it are returned, one per line; otherwise the first row.

    Args:
        tty_chars: NLE ``tty_chars``, ``uint8[rows, columns]``.

    Returns:
        The text, decoded as latin-1; ``""`` when the top row is blank.
    """
    chars = np.ascontiguousarray(tty_chars, dtype=np.uint8)
    rows, columns = chars.shape
    data = chars.tobytes()
    first = data[:columns]
    first_trimmed = _trim(first)
    if not first_trimmed:
        return ""
    indent = columns - len(first.lstrip(b" "))
    lines = []
    for start in range(indent, rows * columns, columns):
        row = _trim(data[start : start + columns - indent])
        lines.append(row)
        if _ends_page(row):
            return b"\n".join(lines).decode("latin-1")
    return first_trimmed.decode("latin-1")


def text_blstats(blstats: np.ndarray) -> str:
    """The bottom-line statistics, one ``Name: value`` per line, in the C++ order.

    Args:
        blstats: NLE ``blstats``, ``int64[27]`` (indices ``nle.nethack.NLE_BL_*``).

    Returns:
        ``"Strength: 18/18\\nDexterity: 14\\n...\\nCondition: None"``.
    """
    tables = _tables()
    nethack = require("nle.nethack", "balrog")
    b = [int(value) for value in np.asarray(blstats).reshape(-1)[: nethack.NLE_BLSTATS_SIZE]]
    hunger, capacity = b[nethack.NLE_BL_HUNGER], b[nethack.NLE_BL_CAP]
    condition = b[nethack.NLE_BL_CONDITION]
    conditions = [name for mask, name in tables.condition_masks if condition & mask]
    lines = (
        f"Strength: {b[nethack.NLE_BL_STR125]}/{b[nethack.NLE_BL_STR25]}",
        f"Dexterity: {b[nethack.NLE_BL_DEX]}",
        f"Constitution: {b[nethack.NLE_BL_CON]}",
        f"Intelligence: {b[nethack.NLE_BL_INT]}",
        f"Wisdom: {b[nethack.NLE_BL_WIS]}",
        f"Charisma: {b[nethack.NLE_BL_CHA]}",
        f"Depth: {b[nethack.NLE_BL_DEPTH]}",
        f"Gold: {b[nethack.NLE_BL_GOLD]}",
        f"HP: {b[nethack.NLE_BL_HP]}/{b[nethack.NLE_BL_HPMAX]}",
        f"Energy: {b[nethack.NLE_BL_ENE]}/{b[nethack.NLE_BL_ENEMAX]}",
        f"AC: {b[nethack.NLE_BL_AC]}",
        f"XP: {b[nethack.NLE_BL_XP]}/{b[nethack.NLE_BL_EXP]}",
        f"Time: {b[nethack.NLE_BL_TIME]}",
        f"Position: {b[nethack.NLE_BL_X]}|{b[nethack.NLE_BL_Y]}",
        f"Hunger: {_HUNGER[hunger] if 0 <= hunger < len(_HUNGER) else ''}",
        f"Monster Level: {b[nethack.NLE_BL_HD]}",
        f"Encumbrance: {_ENCUMBRANCE[capacity] if 0 <= capacity < len(_ENCUMBRANCE) else ''}",
        f"Dungeon Number: {b[nethack.NLE_BL_DNUM]}",
        f"Level Number: {b[nethack.NLE_BL_DLEVEL]}",
        f"Score: {b[nethack.NLE_BL_SCORE]}",
        f"Alignment: {_ALIGNMENTS.get(b[nethack.NLE_BL_ALIGN], '')}",
        f"Condition: {' '.join(conditions) or 'None'}",
    )
    return "\n".join(lines)


def text_inventory(inv_strs: np.ndarray, inv_letters: np.ndarray) -> str:
    """``<letter>: <item>`` per inventory slot, up to the first empty letter.

    Args:
        inv_strs: NLE ``inv_strs``, ``uint8[55, 80]``, NUL-terminated rows.
        inv_letters: NLE ``inv_letters``, ``uint8[55]``.

    Returns:
        ``"a: a +1 long sword (weapon in hand)\\nb: ..."``, decoded as latin-1.
    """
    strs = np.ascontiguousarray(inv_strs, dtype=np.uint8)
    data = strs.tobytes()
    width = strs.shape[1]
    letters = np.asarray(inv_letters, dtype=np.uint8).reshape(-1).tolist()
    lines = []
    for i, letter in enumerate(letters[: strs.shape[0]]):
        if letter == 0:
            break
        end = data.find(b"\0", i * width)  # a row without NUL runs on, as a C string would
        lines.append(bytes([letter]) + b": " + data[i * width : end if end >= 0 else None])
    return b"\n".join(lines).decode("latin-1")


def text_cursor(glyphs: np.ndarray, blstats: np.ndarray, tty_cursor: np.ndarray) -> str:
    """What lies under the terminal cursor, relative to the agent.

    Args:
        glyphs: NLE ``glyphs``, ``int16[21, 79]``.
        blstats: NLE ``blstats``; its first two entries are the agent's x and y.
        tty_cursor: NLE ``tty_cursor``, ``(row, column)`` on the terminal (the map starts on
            row 1).

    Returns:
        ``"Yourself a <name>"`` on the agent, ``"<distance> <direction> <name>"`` elsewhere
        (the name empty for floor and walls), ``""`` off the map.
    """
    tables = _tables()
    px, py = int(blstats[0]), int(blstats[1])
    cursor = np.asarray(tty_cursor).reshape(-1)
    x, y = int(cursor[1]), int(cursor[0]) - 1
    dx, dy = x - px, py - y
    flat = np.asarray(glyphs).reshape(-1)
    cell = x + y * _WIDTH
    on_map = 0 <= dx + _WIDTH < 2 * _WIDTH and 0 <= dy + _HEIGHT < 2 * _HEIGHT
    if not (on_map and 0 < cell < flat.size):  # cell 0 is refused too, as in the C++
        return ""
    name = tables.names[int(_glyph_ids(flat[cell : cell + 1], tables.screen)[0])]
    if dx == 0 and dy == 0:
        return "Yourself a " + name
    distance, direction, _ = _position(dx, dy)
    return f"{distance} {direction} {name}"
