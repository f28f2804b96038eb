"""Fonts shipped with the package and the text-to-image panel for text-only simulators.

The DejaVu fonts (Bitstream Vera licence, ``fonts/LICENSE-DejaVu.txt``) ship inside the package,
so an image never depends on the working directory or on the system's fonts.
"""

from __future__ import annotations

import functools
import textwrap
from importlib import resources
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = ["FontName", "TextPanel", "font", "render_text_panel"]

FontName = Literal["sans", "sans-bold", "mono"]
_FONT_FILES: dict[str, str] = {
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
    "mono": "DejaVuSansMono.ttf",
}


@functools.lru_cache(maxsize=64)
def font(name: FontName = "sans", size: int = 16) -> ImageFont.FreeTypeFont:
    """A shipped TrueType font at ``size`` pixels (cached)."""
    if name not in _FONT_FILES:
        raise ValueError(f"unknown font {name!r}; choose one of {sorted(_FONT_FILES)}")
    path = resources.files("vlagent_envs.core") / "fonts" / _FONT_FILES[name]
    with resources.as_file(path) as real_path:
        return ImageFont.truetype(str(real_path), size)


class TextPanel:
    """Renders text into a fixed-size RGB image: a clean monospaced panel.

    Used by text-only simulators (ALFWorld's text engine, TextWorld, NetHack's text) so that a
    VLM always sees pixels. Lines are wrapped to the panel's width; text that does not fit is
    cut with a final ``...`` line (the newest text matters most, so ``keep="end"`` keeps the
    bottom instead).

    Args:
        width: Image width in pixels.
        height: Image height in pixels.
        font_size: Pixel size of the monospaced font.
        background: Background colour.
        foreground: Text colour.
        margin: Margin in pixels on every side.
        keep: Which part of an over-long text to keep, ``"start"`` or ``"end"``.
    """

    def __init__(
        self,
        width: int = 512,
        height: int = 512,
        font_size: int = 14,
        background: str | tuple[int, int, int] = (250, 250, 245),
        foreground: str | tuple[int, int, int] = (20, 20, 20),
        margin: int = 8,
        keep: Literal["start", "end"] = "start",
    ):
        self.width, self.height = int(width), int(height)
        self.font = font("mono", font_size)
        self.background, self.foreground, self.margin, self.keep = (
            background,
            foreground,
            margin,
            keep,
        )
        left, top, right, bottom = self.font.getbbox("M")
        self.char_width = max(1, int(self.font.getlength("M")))
        self.line_height = int((bottom - top) * 1.45) + 1
        self.columns = max(1, (self.width - 2 * margin) // self.char_width)
        self.rows = max(1, (self.height - 2 * margin) // self.line_height)

    def wrap(self, text: str) -> list[str]:
        """The lines the panel would draw for ``text`` (before cutting to the panel's rows)."""
        lines: list[str] = []
        for paragraph in text.expandtabs(4).split("\n"):
            if not paragraph.strip():
                lines.append("")
                continue
            lines.extend(
                textwrap.wrap(
                    paragraph,
                    self.columns,
                    replace_whitespace=False,
                    drop_whitespace=True,
                    break_long_words=True,
                )
                or [""]
            )
        return lines

    def render(self, text: str) -> np.ndarray:
        """``text`` drawn on the panel, as a ``(height, width, 3)`` uint8 array."""
        lines = self.wrap(text)
        if len(lines) > self.rows:
            if self.keep == "end":
                lines = ["...", *lines[-(self.rows - 1) :]]
            else:
                lines = [*lines[: self.rows - 1], "..."]
        image = Image.new("RGB", (self.width, self.height), self.background)
        draw = ImageDraw.Draw(image)
        y = self.margin
        for line in lines:
            draw.text((self.margin, y), line, fill=self.foreground, font=self.font)
            y += self.line_height
        return np.asarray(image, dtype=np.uint8).copy()


def render_text_panel(
    text: str, width: int = 512, height: int = 512, font_size: int = 14
) -> np.ndarray:
    """One-off convenience: ``TextPanel(width, height, font_size).render(text)``."""
    return _panel(width, height, font_size).render(text)


@functools.lru_cache(maxsize=16)
def _panel(width: int, height: int, font_size: int) -> TextPanel:
    return TextPanel(width, height, font_size)
