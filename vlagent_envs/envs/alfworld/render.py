"""A schematic picture of the agent's situation in ALFWorld's text game.

The official frames need AI2-THOR's Unity build, which we cannot ship, so every observation is
drawn as a plain schematic a small VLM (and a person) can read at a glance::

    +--------------------------------------------------+
    | Task: put a clean mug in coffeemachine.          |  bold, 2 lines at most
    +--------------------------------------------------+
    | [cabinet 1 ■] [cabinet 2 □] [countertop 1] ...   |  one tile per receptacle,
    | [      middle of the room (start)      ]         |  coloured by kind; the agent's
    | [drawer 1 ■] [(●) fridge 1 ■] ...                |  tile has a thick border and ●
    | legend                                           |
    +--------------------------------------------------+
    | Here (countertop 1): apple 1 [hot], mug 2        |
    | Holding: nothing                                 |
    | Feedback: You arrive at countertop 1. On the ... |
    +--------------------------------------------------+

A location the engine names but ``receptacles`` does not list is drawn in the middle strip as
``elsewhere: <name>`` with the agent marker on it, so the agent is never lost from the picture.

:class:`Renderer` caches the fonts, the layout of the room and the static tiles (keyed on the
receptacles and their open/closed state) and the task header, so a step only redraws the
agent's tile, the middle strip and the text panels.
"""

from __future__ import annotations

import functools
import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vlagent_envs.core.render import font

__all__ = ["Renderer", "Situation", "receptacle_kind", "render_situation"]

MIN_SIZE = 64
"""The smallest width or height :class:`Renderer` accepts, in pixels."""

_MIN_FONT = 9
_ELLIPSIS = "…"

# Colours (RGB).
_BACKGROUND = (246, 244, 238)
_HEADER_BG = (38, 50, 72)
_HEADER_FG = (255, 255, 255)
_HEADER_ACCENT = (255, 200, 140)
_TEXT = (25, 25, 25)
_MUTED = (95, 95, 95)
_TILE_BORDER = (130, 130, 130)
_AGENT = (226, 88, 0)
_PANEL_BG = (255, 255, 255)
_FEEDBACK_BG = (232, 232, 228)
_FLOOR = (236, 232, 220)
_BADGE = (55, 55, 55)
_KIND_COLOURS: dict[str, tuple[int, int, int]] = {
    "appliance": (250, 205, 188),
    "storage": (200, 220, 246),
    "surface": (212, 236, 198),
    "other": (226, 226, 226),
}

_APPLIANCES = frozenset(
    {
        "fridge",
        "microwave",
        "stoveburner",
        "coffeemachine",
        "toaster",
        "sinkbasin",
        "sink",
        "bathtubbasin",
        "bathtub",
        "toilet",
    }
)
_STORAGE = frozenset({"cabinet", "drawer", "shelf", "safe", "dresser", "laundryhamper"})
_SURFACES = frozenset(
    {
        "countertop",
        "diningtable",
        "desk",
        "sidetable",
        "coffeetable",
        "bed",
        "sofa",
        "armchair",
        "ottoman",
        "tvstand",
        "cart",
        "stool",
        "chair",
    }
)


@dataclass(frozen=True)
class Situation:
    """What the agent knows of its situation, as the engine states it.

    Attributes:
        task: The task, e.g. ``"put a clean mug in coffeemachine."`` (may be long).
        location: The receptacle the agent stands at, e.g. ``"countertop 1"``; ``None`` for the
            middle of the room, where every episode starts.
        receptacles: Every receptacle in the room, in a stable order (1 to ~60).
        opened: Openable receptacles that are open.
        openable: Receptacles that can be opened (closed unless in ``opened``).
        visible: Objects the agent sees where it stands; empty when the receptacle is closed.
        inventory: What the agent holds (0 or 1 item in practice).
        states: Object -> its states, e.g. ``{"apple 1": ("hot",)}``.
        feedback: The engine's last text.
    """

    task: str
    location: str | None
    receptacles: tuple[str, ...]
    opened: frozenset[str] = frozenset()
    openable: frozenset[str] = frozenset()
    visible: tuple[str, ...] = ()
    inventory: tuple[str, ...] = ()
    states: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    feedback: str = ""


def receptacle_kind(name: str) -> str:
    """The colour class of a receptacle: ``appliance``, ``storage``, ``surface`` or ``other``.

    Args:
        name: A receptacle such as ``"countertop 1"`` or ``"CounterTop"``.
    """
    parts = name.strip().lower().split()
    if len(parts) > 1 and parts[-1].isdigit():
        parts = parts[:-1]
    base = "".join(parts)
    if base in _APPLIANCES:
        return "appliance"
    if base in _STORAGE:
        return "storage"
    if base in _SURFACES:
        return "surface"
    return "other"


@dataclass(frozen=True)
class _Box:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


@dataclass(frozen=True)
class _RoomLayout:
    """Where the tiles and the middle strip go, and the label font that fits them all."""

    tiles: tuple[_Box, ...]
    strip: _Box
    label_size: int
    two_lines: bool
    badge: int


def _line_height(fnt: ImageFont.FreeTypeFont) -> int:
    return math.ceil(fnt.size * 1.22)


# PIL's ``ImageDraw.text`` costs ~15 us a character here, so text is drawn a word at a time from
# cached glyph masks (ALFWorld's vocabulary is small) and measured from cached word widths; the
# same widths place the words, so what is measured is what is drawn.
@functools.lru_cache(maxsize=16384)
def _word_width(fnt: ImageFont.FreeTypeFont, word: str) -> float:
    return fnt.getlength(word)


@functools.lru_cache(maxsize=8192)
def _word_stamp(fnt: ImageFont.FreeTypeFont, word: str) -> tuple[Image.Image, int]:
    """The word's mask and its x offset (negative when a glyph reaches left of the origin)."""
    left, _, right, _ = fnt.getbbox(word)
    ascent, descent = fnt.getmetrics()
    offset = min(0, math.floor(left))
    mask = Image.new("L", (math.ceil(right) - offset + 1, ascent + descent + 1), 0)
    ImageDraw.Draw(mask).text((-offset, 0), word, fill=255, font=fnt)
    return mask, offset


def _text_width(text: str, fnt: ImageFont.FreeTypeFont) -> float:
    """The width :func:`_draw_text` gives ``text``, in pixels."""
    words = text.split(" ")
    return sum(_word_width(fnt, w) for w in words) + (len(words) - 1) * _word_width(fnt, " ")


def _draw_text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    fnt: ImageFont.FreeTypeFont,
    fill: tuple[int, int, int],
) -> None:
    """``text`` (one line) with its top-left at ``xy``, stamped word by word."""
    x, y = xy
    space = _word_width(fnt, " ")
    for word in text.split(" "):
        if word:
            mask, offset = _word_stamp(fnt, word)
            draw.bitmap((round(x) + offset, round(y)), mask, fill=fill)
            x += _word_width(fnt, word)
        x += space


def _fit(text: str, fnt: ImageFont.FreeTypeFont, max_width: float) -> str:
    """``text`` cut with an ellipsis so that it is at most ``max_width`` pixels wide."""
    if _text_width(text, fnt) <= max_width:
        return text
    low, high = 0, len(text)  # the longest prefix that fits with the ellipsis
    while low < high:
        mid = (low + high + 1) // 2
        if fnt.getlength(text[:mid].rstrip() + _ELLIPSIS) <= max_width:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + _ELLIPSIS


def _wrap(
    text: str,
    fnt: ImageFont.FreeTypeFont,
    max_width: float,
    max_lines: int,
    first_indent: float = 0.0,
) -> list[str]:
    """Greedy word wrap to pixel widths; the last kept line ends in an ellipsis if text is cut.

    Args:
        text: The text; newlines start new lines.
        fnt: The font it is drawn in.
        max_width: The width of a line in pixels.
        max_lines: How many lines to keep at most.
        first_indent: Pixels already taken on the first line (by a bold prefix).

    Returns:
        At most ``max_lines`` lines, each at most its width.
    """
    if max_lines <= 0:
        return []
    space = _word_width(fnt, " ")
    lines: list[str] = []
    line: list[str] = []
    line_width = 0.0
    cut = False

    def budget() -> float:
        return max_width - (first_indent if not lines else 0.0)

    def flush() -> bool:
        """Ends the current line; False once the lines are full."""
        nonlocal line, line_width
        if len(lines) >= max_lines:
            return False
        lines.append(" ".join(line))
        line, line_width = [], 0.0
        return True

    for paragraph in text.split("\n"):
        for word in paragraph.split():
            width = _word_width(fnt, word)
            if line and line_width + space + width <= budget():
                line.append(word)
                line_width += space + width
                continue
            if line and not flush():
                cut = True
                break
            # A word wider than a line is broken where it overflows.
            while width > budget():
                piece = _fit(word, fnt, budget())[:-1] or word[:1]
                line = [piece]
                if not flush():
                    cut = True
                    break
                word = word[len(piece) :]
                width = _word_width(fnt, word)
            if cut:
                break
            line, line_width = [word], width
        if cut:
            break
        if line and not flush():
            cut = True
            break
    if cut and lines:
        room = max_width - (first_indent if len(lines) == 1 else 0.0)
        last = lines[-1]
        if _text_width(last + " " + _ELLIPSIS, fnt) <= room:
            lines[-1] = last + " " + _ELLIPSIS
        else:
            lines[-1] = _fit(last + _ELLIPSIS * 2, fnt, room)
    return lines


def _label_lines(
    name: str, fnt: ImageFont.FreeTypeFont, max_width: float, two_lines: bool
) -> list[str]:
    """A receptacle's label: one line, else split before its number, else cut."""
    if _text_width(name, fnt) <= max_width:
        return [name]
    if two_lines and " " in name:
        head, tail = name.rsplit(" ", 1)
        return [_fit(head, fnt, max_width), _fit(tail, fnt, max_width)]
    return [_fit(name, fnt, max_width)]


def _fits(lines: list[str]) -> bool:
    return not any(line.endswith(_ELLIPSIS) for line in lines)


def _describe(obj: str, states: Mapping[str, tuple[str, ...]]) -> str:
    marks = tuple(states.get(obj, ()))
    return f"{obj} [{', '.join(marks)}]" if marks else obj


class Renderer:
    """Draws :class:`Situation` schematics of one size, caching what does not change.

    The room's layout and its static tiles are cached per set of receptacles and open/closed
    state, the header per task, and words as glyph masks, so a step redraws only the agent's
    tile, the middle strip and the text panels.

    Args:
        width: Image width in pixels (at least 64).
        height: Image height in pixels (at least 64).

    Raises:
        ValueError: If ``width`` or ``height`` is below 64 pixels.
    """

    _CACHE_SIZE = 32

    def __init__(self, width: int = 512, height: int = 512):
        if int(width) < MIN_SIZE or int(height) < MIN_SIZE:
            raise ValueError(
                f"ALFWorld render size must be at least {MIN_SIZE}x{MIN_SIZE} pixels, "
                f"got width={width} height={height}"
            )
        self.width, self.height = int(width), int(height)
        scale = min(self.width, self.height) / 512
        self._scale = scale
        small = self.height < 256

        def size(px: float) -> int:
            return max(_MIN_FONT, round(px * scale))

        self.margin = max(3, round(6 * scale))
        self.gap = max(2, round(4 * scale))
        self.border = max(2, round(3 * scale))
        self._pad = max(2, round(4 * scale))
        self.task_font = font("sans-bold", size(15))
        self.text_font = font("sans", size(13))
        self.text_bold = font("sans-bold", size(13))
        self.feedback_font = font("sans", size(12))
        self.feedback_bold = font("sans-bold", size(12))
        self.legend_font = font("sans", size(10))
        self._task_lines = 1 if small else 2
        self._here_lines = 1 if small else 2
        self._feedback_lines = 1 if small else (3 if self.height >= 448 else 2)
        self._max_label_size = size(14)

        # Bands, top to bottom: header, room (tiles and the middle strip), legend, panel, feedback.
        m, pad = self.margin, self._pad
        header_h = self._task_lines * _line_height(self.task_font) + 2 * pad
        feedback_h = self._feedback_lines * _line_height(self.feedback_font) + 2 * pad
        panel_h = (self._here_lines + 1) * _line_height(self.text_font) + 2 * pad
        legend_h = 0 if small else _line_height(self.legend_font) + pad
        self.header = _Box(0, 0, self.width, header_h)
        self.feedback_box = _Box(0, self.height - feedback_h, self.width, self.height)
        panel_y1 = self.feedback_box.y0 - m
        self.panel = _Box(m, panel_y1 - panel_h, self.width - m, panel_y1)
        self.legend = _Box(m, self.panel.y0 - legend_h, self.width - m, self.panel.y0)
        room_bottom = max(header_h + m + 4, self.legend.y0 - (m if legend_h else 0))
        self.room = _Box(m, header_h + m, self.width - m, room_bottom)

        self._layouts: OrderedDict[tuple, _RoomLayout] = OrderedDict()
        self._bases: OrderedDict[tuple, Image.Image] = OrderedDict()
        self._headers: OrderedDict[str, Image.Image] = OrderedDict()

    # ----------------------------------------------------------------------------- public

    def render(self, situation: Situation) -> np.ndarray:
        """``situation`` drawn as a ``(height, width, 3)`` uint8 array.

        Args:
            situation: What the agent knows, as the engine states it.

        Returns:
            The image; the same situation always gives the same pixels.
        """
        receptacles = tuple(situation.receptacles)
        listed = frozenset(receptacles)
        opened = frozenset(situation.opened)
        openable = frozenset(situation.openable) | opened  # an open receptacle can be opened
        layout = self._layout(receptacles, openable & listed)
        image = self._base(layout, receptacles, openable & listed, opened & listed).copy()
        image.paste(self._header_image(situation.task), (0, 0))
        draw = ImageDraw.Draw(image)

        location = situation.location
        if location is not None and location in listed:
            box = layout.tiles[receptacles.index(location)]
            self._draw_tile(draw, layout, box, location, openable, opened, current=True)
            self._draw_strip(draw, layout, None, agent=False)
        else:
            self._draw_strip(draw, layout, location, agent=True)
        self._draw_panel(draw, situation, openable, opened)
        self._draw_feedback(draw, situation.feedback)
        return np.asarray(image, dtype=np.uint8).copy()

    # ----------------------------------------------------------------------------- caches

    @staticmethod
    def _remember(cache: OrderedDict, key: object, value: object, size: int) -> None:
        cache[key] = value
        if len(cache) > size:
            cache.popitem(last=False)

    def _layout(self, receptacles: tuple[str, ...], openable: frozenset[str]) -> _RoomLayout:
        key = (receptacles, openable)
        layout = self._layouts.get(key)
        if layout is None:
            layout = self._plan_room(receptacles, openable)
            self._remember(self._layouts, key, layout, self._CACHE_SIZE)
        else:
            self._layouts.move_to_end(key)
        return layout

    def _base(
        self,
        layout: _RoomLayout,
        receptacles: tuple[str, ...],
        openable: frozenset[str],
        opened: frozenset[str],
    ) -> Image.Image:
        """The background, the tiles as nobody stands at them, the legend: cached."""
        key = (receptacles, openable, opened)
        base = self._bases.get(key)
        if base is None:
            base = Image.new("RGB", (self.width, self.height), _BACKGROUND)
            draw = ImageDraw.Draw(base)
            for name, box in zip(receptacles, layout.tiles):
                self._draw_tile(draw, layout, box, name, openable, opened, current=False)
            self._draw_legend(draw)
            box = self.feedback_box
            draw.rectangle((box.x0, box.y0, box.x1 - 1, box.y1 - 1), fill=_FEEDBACK_BG)
            self._remember(self._bases, key, base, self._CACHE_SIZE)
        else:
            self._bases.move_to_end(key)
        return base

    def _header_image(self, task: str) -> Image.Image:
        header = self._headers.get(task)
        if header is None:
            box, fnt = self.header, self.task_font
            header = Image.new("RGB", (box.width, box.height), _HEADER_BG)
            draw = ImageDraw.Draw(header)
            prefix = "Task: "
            indent = _text_width(prefix, fnt)
            width = box.width - 2 * self.margin
            lines = _wrap(" ".join(task.split()), fnt, width, self._task_lines, indent)
            y = self._pad
            _draw_text(draw, (self.margin, y), prefix, fnt, _HEADER_ACCENT)
            for i, line in enumerate(lines):
                _draw_text(
                    draw, (self.margin + (indent if i == 0 else 0), y), line, fnt, _HEADER_FG
                )
                y += _line_height(fnt)
            self._remember(self._headers, task, header, self._CACHE_SIZE)
        else:
            self._headers.move_to_end(task)
        return header

    # ----------------------------------------------------------------------------- layout

    def _plan_room(self, receptacles: tuple[str, ...], openable: frozenset[str]) -> _RoomLayout:
        """Choose the columns from the count, preferring grids whose labels fit uncut."""
        room, gap = self.room, self.gap
        count = max(1, len(receptacles))
        strip_h = min(max(12, round(24 * self._scale)), max(4, room.height // 4))
        grid_h = max(2, room.height - strip_h - gap)
        aspect = 2.6  # tiles wider than tall leave room for a label
        grids = []
        for cols in range(1, count + 1):
            rows = math.ceil(count / cols)
            tile_w = min((room.width - (cols - 1) * gap) / cols, 190 * self._scale)
            tile_h = min((grid_h - (rows - 1) * gap) / rows, 64 * self._scale)
            grids.append((min(tile_w, aspect * tile_h), cols, rows, max(1.0, tile_w), tile_h))
        best_score = max(g[0] for g in grids)
        choice = None
        for score, cols, rows, tile_w, tile_h in sorted(grids, key=lambda g: (-g[0], g[1])):
            if score < 0.6 * best_score:
                break
            label_size, two, fits = self._label_font(receptacles, openable, tile_w, tile_h)
            rank = (fits, label_size, score)
            if choice is None or rank > choice[0]:
                choice = (rank, cols, rows, tile_w, max(1.0, tile_h), label_size, two)
        assert choice is not None
        _, cols, rows, tile_w, tile_h, label_size, two = choice

        used_w = cols * tile_w + (cols - 1) * gap
        used_h = rows * tile_h + (rows - 1) * gap + strip_h + gap
        x_start = room.x0 + max(0.0, (room.width - used_w) / 2)
        y_start = room.y0 + max(0.0, (room.height - used_h) / 2)
        rows_above = math.ceil(rows / 2)  # the middle strip splits the rows in two
        tiles = []
        for i in range(len(receptacles)):
            row, col = divmod(i, cols)
            x0 = round(x_start + col * (tile_w + gap))
            y0 = round(y_start + row * (tile_h + gap) + (strip_h + gap if row >= rows_above else 0))
            tiles.append(_Box(x0, y0, x0 + max(1, round(tile_w)), y0 + max(1, round(tile_h))))
        strip_y0 = round(y_start + rows_above * (tile_h + gap))
        strip = _Box(round(x_start), strip_y0, round(x_start + used_w), strip_y0 + strip_h)
        return _RoomLayout(tuple(tiles), strip, label_size, two, self._badge_size(tile_h))

    def _label_font(
        self,
        receptacles: tuple[str, ...],
        openable: frozenset[str],
        tile_w: float,
        tile_h: float,
    ) -> tuple[int, bool, bool]:
        """The largest label size for these tiles: (size, two lines allowed, every label fits)."""
        badge = self._badge_size(tile_h)
        for label_size in range(self._max_label_size, _MIN_FONT - 1, -1):
            fnt = font("sans", label_size)
            if tile_h < _line_height(fnt) + 2 and label_size > _MIN_FONT:
                continue
            two = tile_h >= 2 * _line_height(fnt) + 2
            fits = all(
                _fits(
                    _label_lines(name, fnt, self._label_width(tile_w, badge, name in openable), two)
                )
                for name in receptacles
            )
            if fits:
                return label_size, two, True
        return _MIN_FONT, tile_h >= 2 * _line_height(font("sans", _MIN_FONT)) + 2, False

    def _badge_size(self, tile_h: float) -> int:
        return max(4, min(round(9 * self._scale), int(tile_h) // 3))

    def _label_width(self, tile_w: float, badge: int, openable: bool) -> float:
        return max(1.0, tile_w - 2 * self._pad - (badge + 2 if openable else 0))

    # ----------------------------------------------------------------------------- drawing

    def _draw_tile(
        self,
        draw: ImageDraw.ImageDraw,
        layout: _RoomLayout,
        box: _Box,
        name: str,
        openable: frozenset[str],
        opened: frozenset[str],
        *,
        current: bool,
    ) -> None:
        """One receptacle: colour by kind, open/closed badge, and the agent if it is here."""
        rect = (box.x0, box.y0, box.x1 - 1, box.y1 - 1)
        fill = _KIND_COLOURS[receptacle_kind(name)]
        if current:
            draw.rectangle(rect, fill=fill, outline=_AGENT, width=self.border)
        else:
            draw.rectangle(rect, fill=fill, outline=_TILE_BORDER, width=1)
        is_openable = name in openable
        left, right = box.x0 + self._pad, box.x1 - self._pad
        if is_openable:
            badge = layout.badge
            self._draw_badge(draw, right - badge, box.y0 + self._pad, badge, name in opened)
            right -= badge + 2
        regular = font("sans", layout.label_size)
        if current:
            # The marker goes inside, left of the label, unless the label then no longer fits.
            radius = max(3, min(round(7 * self._scale), box.height // 3))
            inside = left + 2 * radius + 2
            tries = [(font("sans-bold", layout.label_size), inside), (regular, inside)]
            for fnt, label_left in tries:
                lines = _label_lines(name, fnt, max(1, right - label_left), layout.two_lines)
                if _fits(lines):
                    self._draw_agent(draw, left + radius, (box.y0 + box.y1) // 2, radius)
                    left = label_left
                    break
            else:
                fnt = regular
                lines = _label_lines(name, fnt, max(1, right - left), layout.two_lines)
                self._draw_agent(draw, box.x0 + radius // 2, box.y0 + radius // 2, radius)
        else:
            fnt = regular
            lines = _label_lines(name, fnt, max(1, right - left), layout.two_lines)
        small = font("sans", max(_MIN_FONT - 1, layout.label_size - 2))
        line_h = _line_height(fnt)
        text_h = len(lines) * line_h
        state_line = is_openable and box.height >= text_h + _line_height(small) + self._pad
        text_h += _line_height(small) if state_line else 0
        y = box.y0 + max(1, (box.height - text_h) // 2)
        for line in lines:
            x = left + max(0, (right - left - _text_width(line, fnt)) / 2)
            _draw_text(draw, (x, y), line, fnt, _TEXT)
            y += line_h
        if state_line:
            word = "open" if name in opened else "closed"
            x = left + max(0, (right - left - _text_width(word, small)) / 2)
            _draw_text(draw, (x, y), word, small, _MUTED)

    @staticmethod
    def _draw_badge(draw: ImageDraw.ImageDraw, x: int, y: int, size: int, is_open: bool) -> None:
        """A door: closed is a solid square, open a hollow square with the door swung out."""
        rect = (x, y, x + size, y + size)
        if is_open:
            draw.rectangle(rect, fill=(255, 255, 255), outline=_BADGE, width=1)
            draw.line((x, y + size, x + size // 2, y + size // 3), fill=_BADGE, width=2)
        else:
            draw.rectangle(rect, fill=_BADGE, outline=_BADGE, width=1)

    @staticmethod
    def _draw_agent(draw: ImageDraw.ImageDraw, cx: int, cy: int, radius: int) -> None:
        box = (cx - radius, cy - radius, cx + radius, cy + radius)
        draw.ellipse(box, fill=_AGENT, outline=(255, 255, 255), width=1)

    def _draw_strip(
        self, draw: ImageDraw.ImageDraw, layout: _RoomLayout, location: str | None, agent: bool
    ) -> None:
        """The middle of the room: the start, and where an unlisted location is shown."""
        box = layout.strip
        rect = (box.x0, box.y0, max(box.x0, box.x1 - 1), max(box.y0, box.y1 - 1))
        if agent:
            draw.rectangle(rect, fill=_FLOOR, outline=_AGENT, width=self.border)
        else:
            draw.rectangle(rect, fill=_FLOOR, outline=_TILE_BORDER, width=1)
        fnt = font("sans-bold" if agent else "sans", layout.label_size)
        text = "middle of the room (start)" if location is None else f"elsewhere: {location}"
        left, right = box.x0 + self._pad, box.x1 - self._pad
        if agent:
            radius = max(3, min(round(7 * self._scale), box.height // 3))
            self._draw_agent(draw, left + radius, (box.y0 + box.y1) // 2, radius)
            left += 2 * radius + 3
        text = _fit(text, fnt, max(1, right - left))
        x = left + max(0, (right - left - _text_width(text, fnt)) / 2)
        y = box.y0 + max(0, (box.height - _line_height(fnt)) // 2)
        _draw_text(draw, (x, y), text, fnt, _TEXT if agent else _MUTED)

    def _draw_legend(self, draw: ImageDraw.ImageDraw) -> None:
        """Kind colours, the door badges and the agent marker, in one line under the room."""
        box = self.legend
        if box.height <= 0:
            return
        fnt = self.legend_font
        size = max(6, fnt.size - 1)
        y = box.y0 + max(0, (box.height - _line_height(fnt)) // 2)
        sy = y + max(0, (_line_height(fnt) - size) // 2)
        items: list[tuple[str, str | bool | None]] = [
            *((kind, kind) for kind in ("appliance", "storage", "surface", "other")),
            ("closed", False),
            ("open", True),
            ("you", None),
        ]
        x = float(box.x0)
        for word, icon in items:
            advance = size + 3 + _text_width(word, fnt)
            if x + advance > box.x1:
                break  # a narrow image shows the legend's first items only
            if isinstance(icon, str):
                fill = _KIND_COLOURS[icon]
                draw.rectangle((x, sy, x + size, sy + size), fill=fill, outline=_MUTED)
            elif isinstance(icon, bool):
                self._draw_badge(draw, round(x), sy, size, icon)
            else:
                radius = size // 2
                self._draw_agent(draw, round(x) + radius, sy + radius, radius)
            _draw_text(draw, (x + size + 3, y), word, fnt, _MUTED)
            x += advance + 2 * size

    def _draw_panel(
        self,
        draw: ImageDraw.ImageDraw,
        situation: Situation,
        openable: frozenset[str],
        opened: frozenset[str],
    ) -> None:
        """What is here (with states, or "(closed)") and what the agent holds."""
        box, pad = self.panel, self._pad
        draw.rectangle((box.x0, box.y0, box.x1 - 1, box.y1 - 1), fill=_PANEL_BG, outline=_MUTED)
        location = situation.location
        place = "middle of the room" if location is None else location
        body = ", ".join(_describe(obj, situation.states) for obj in situation.visible)
        if location is not None and location in openable and location not in opened:
            body = "(closed)" + (f" {body}" if body else "")
        elif not body:
            body = "nothing"
        held = ", ".join(_describe(obj, situation.states) for obj in situation.inventory)
        rows = ((f"Here ({place}):", body, self._here_lines), ("Holding:", held or "nothing", 1))
        width = box.width - 2 * pad
        line_h = _line_height(self.text_font)
        y = box.y0 + pad
        for prefix, text, max_lines in rows:
            prefix = _fit(prefix, self.text_bold, width * 0.6)
            indent = _text_width(prefix + " ", self.text_bold)
            _draw_text(draw, (box.x0 + pad, y), prefix, self.text_bold, _TEXT)
            lines = _wrap(text, self.text_font, width, max_lines, indent) or [""]
            for i, line in enumerate(lines):
                x = box.x0 + pad + (indent if i == 0 else 0)
                _draw_text(draw, (x, y), line, self.text_font, _TEXT)
                y += line_h

    def _draw_feedback(self, draw: ImageDraw.ImageDraw, feedback: str) -> None:
        """The engine's last text, from its start, cut with an ellipsis to the band's lines."""
        box, pad = self.feedback_box, self._pad
        prefix = "Feedback:"
        indent = _text_width(prefix + " ", self.feedback_bold)
        x, y = box.x0 + self.margin, box.y0 + pad
        _draw_text(draw, (x, y), prefix, self.feedback_bold, _MUTED)
        width = box.width - 2 * self.margin
        text = feedback.strip() or "-"
        for i, line in enumerate(
            _wrap(text, self.feedback_font, width, self._feedback_lines, indent)
        ):
            _draw_text(draw, (x + (indent if i == 0 else 0), y), line, self.feedback_font, _TEXT)
            y += _line_height(self.feedback_font)


@functools.lru_cache(maxsize=8)
def _renderer(width: int, height: int) -> Renderer:
    return Renderer(width, height)


def render_situation(situation: Situation, width: int = 512, height: int = 512) -> np.ndarray:
    """``situation`` drawn as a ``(height, width, 3)`` uint8 schematic (a shared :class:`Renderer`).

    Args:
        situation: What the agent knows, as the engine states it.
        width: Image width in pixels (at least 64).
        height: Image height in pixels (at least 64).

    Raises:
        ValueError: If ``width`` or ``height`` is below 64 pixels.
    """
    if int(width) < MIN_SIZE or int(height) < MIN_SIZE:
        Renderer(width, height)  # raises the ValueError, without caching a bad size
    return _renderer(int(width), int(height)).render(situation)
