"""Playing cards: names, values and sprites drawn with the shipped fonts (cached)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from vlagent_envs.core.render import font

SUITS = ("C", "D", "H", "S")
SUIT_SYMBOLS = {"C": "\u2663", "D": "\u2666", "H": "\u2665", "S": "\u2660"}
SUIT_NAMES = {"C": "clubs", "D": "diamonds", "H": "hearts", "S": "spades"}
RANK_NAMES = {1: "ace", 11: "jack", 12: "queen", 13: "king"}
RANK_LABELS = {1: "A", 10: "10", 11: "J", 12: "Q", 13: "K"}
TABLE_GREEN = (0x35, 0x65, 0x4D)
CARD_RATIO = 7 / 5


@dataclass(frozen=True)
class Card:
    """A card: ``rank`` 1 (ace) .. 13 (king) and ``suit`` one of ``C D H S``."""

    rank: int
    suit: str

    @property
    def label(self) -> str:
        """The rank as printed on the card: ``A 2 .. 10 J Q K``."""
        return RANK_LABELS.get(self.rank, str(self.rank))

    @property
    def name(self) -> str:
        """``"queen of hearts"``."""
        return f"{RANK_NAMES.get(self.rank, str(self.rank))} of {SUIT_NAMES[self.suit]}"

    def value(self, faces_as_ten: bool = True) -> int:
        """Its number in the point games: face cards count 10 unless ``faces_as_ten=False``."""
        return min(self.rank, 10) if faces_as_ten else self.rank


def random_card(np_random: np.random.Generator, low: int = 1, high: int = 13) -> Card:
    """A uniformly random card with rank in ``[low, high]``, drawn from ``np_random``."""
    rank = int(np_random.integers(low, high + 1))
    return Card(rank, SUITS[int(np_random.integers(len(SUITS)))])


@functools.lru_cache(maxsize=512)
def card_sprite(card: Card | None, width: int) -> Image.Image:
    """A card face (or its back for ``None``) ``width`` pixels wide, 7:5 tall. Cached."""
    height = round(width * CARD_RATIO)
    image = Image.new("RGB", (width, height), TABLE_GREEN)
    draw = ImageDraw.Draw(image)
    radius = max(2, width // 12)
    if card is None:
        draw.rounded_rectangle((0, 0, width - 1, height - 1), radius, fill=(250, 250, 250))
        inset = max(2, width // 14)
        draw.rounded_rectangle(
            (inset, inset, width - 1 - inset, height - 1 - inset),
            max(1, radius - 2),
            fill=(160, 30, 40),
        )
        step = max(4, width // 6)
        for offset in range(-height, width, step):
            draw.line(
                (inset + offset, inset, inset + offset + height, inset + height),
                fill=(200, 70, 80),
                width=1,
            )
        draw.rectangle((0, 0, width - 1, inset - 1), fill=(250, 250, 250))
        draw.rectangle((0, height - inset, width - 1, height - 1), fill=(250, 250, 250))
        draw.rectangle((0, 0, inset - 1, height - 1), fill=(250, 250, 250))
        draw.rectangle((width - inset, 0, width - 1, height - 1), fill=(250, 250, 250))
        return image
    draw.rounded_rectangle(
        (0, 0, width - 1, height - 1), radius, fill=(252, 252, 250), outline=(60, 60, 60)
    )
    colour = (200, 20, 30) if card.suit in ("D", "H") else (15, 15, 15)
    corner = font("sans-bold", max(8, width // 4))
    draw.text((max(2, width // 14), max(1, width // 20)), card.label, fill=colour, font=corner)
    small = font("sans", max(8, width // 5))
    draw.text(
        (max(2, width // 14), max(1, width // 20) + corner.size),
        SUIT_SYMBOLS[card.suit],
        fill=colour,
        font=small,
    )
    big = font("sans-bold", max(10, width // 2))
    centre = (width // 2, int(height * 0.58))
    draw.text(centre, SUIT_SYMBOLS[card.suit], fill=colour, font=big, anchor="mm")
    return image
