"""Blackjack with Gymnasium's rules, seen as an image of the table."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from PIL import Image, ImageDraw

from vlagent_envs.core import ChoiceGrammar, InvalidActionPolicy, StepResult, VLAgentEnv, font
from vlagent_envs.envs.gym_cards.cards import TABLE_GREEN, Card, card_sprite, random_card

_GRAMMAR = ChoiceGrammar(
    ("stand", "hit"),
    synonyms={
        "stick": "stand",
        "stay": "stand",
        "hold": "stand",
        "pass": "stand",
        "draw": "hit",
        "hit me": "hit",
        "take a card": "hit",
    },
)
_CARD_SIZE = (70, 98)


def hand_value(cards: list[Card]) -> int:
    """Best total of a hand: an ace counts 11 when that does not bust it."""
    values = [c.value() for c in cards]
    total = sum(values)
    return total + 10 if 1 in values and total + 10 <= 21 else total


def has_usable_ace(cards: list[Card]) -> bool:
    """Whether an ace in the hand counts as 11."""
    values = [c.value() for c in cards]
    return 1 in values and sum(values) + 10 <= 21


def is_natural(cards: list[Card]) -> bool:
    """An ace and a ten-valued card."""
    return sorted(c.value() for c in cards) == [1, 10]


def _score(cards: list[Card]) -> int:
    total = hand_value(cards)
    return 0 if total > 21 else total


class BlackjackEnv(VLAgentEnv):
    """Blackjack: beat the dealer without going over 21.

    ## Description
    Gym-Cards' Blackjack (RL4VLM, Zhai et al., 2024), with Gymnasium's ``Blackjack-v1`` rules
    (Sutton & Barto, Example 5.1): an infinite deck, the dealer shows one card and hides one, the
    player hits or stands; after standing the dealer draws to 17 or more (standing on soft 17).

    ## Action Space
    Text: ``"stand"`` or ``"hit"`` (also ``"stick"``, ``"stay"``, ``"draw"``, ...).

    ## Observation Space
    ``image``: 300x300 RGB, the dealer's up-card and a card back, the player's cards; after the
    game the dealer's whole hand is shown. ``text``: what happened (with
    ``text_observation=True`` also the totals). ``instruction``: the goal.

    ## Rewards
    Win +1, lose -1, draw 0 (``natural=True``: a natural blackjack win pays 1.5; ``sab=True``:
    Sutton & Barto's natural rule). Busting gives -1 at once. Unparseable text: no-op, 0
    reward (Blackjack has no penalty of its own to reuse; the registered step limit ends a
    stubborn episode).

    ## Starting State
    Two cards each, drawn with replacement; face cards drawn as J/Q/K.

    ## Episode End
    Terminated when the player stands or busts; truncated by the registered limit of 20 steps.

    ## Arguments
    ``natural`` (False), ``sab`` (False), ``text_observation`` (False), ``invalid_action_policy``.

    ## Version History
    * v0: Initial release.
    """

    default_invalid_action_policy: ClassVar[InvalidActionPolicy] = InvalidActionPolicy("noop")
    grammar = _GRAMMAR
    image_shape = (300, 300, 3)

    def __init__(
        self,
        natural: bool = False,
        sab: bool = False,
        text_observation: bool = False,
        **kwargs: Any,
    ):
        self.natural, self.sab = bool(natural), bool(sab)
        self.text_observation = bool(text_observation)
        super().__init__(**kwargs)
        self.dealer: list[Card] = []
        self.player: list[Card] = []
        self.finished = False

    def _draw(self) -> Card:
        return random_card(self.np_random)

    def _reset(self, options: dict[str, Any] | None) -> str:
        self.dealer = [self._draw(), self._draw()]
        self.player = [self._draw(), self._draw()]
        self.finished = False
        cards = " and the ".join(c.name for c in self.player)
        return self._describe(
            f"New hand. You hold the {cards}; the dealer shows the {self.dealer[0].name}."
        )

    def _step(self, action: str) -> StepResult:
        if action == "hit":
            card = self._draw()
            self.player.append(card)
            if hand_value(self.player) > 21:
                self.finished = True
                return StepResult(
                    -1.0,
                    terminated=True,
                    text=self._describe(
                        f"You drew the {card.name} and bust with "
                        f"{hand_value(self.player)}. You lose."
                    ),
                )
            return StepResult(0.0, text=self._describe(f"You drew the {card.name}."))
        while hand_value(self.dealer) < 17:
            self.dealer.append(self._draw())
        self.finished = True
        player, dealer = _score(self.player), _score(self.dealer)
        reward = float(player > dealer) - float(player < dealer)
        if self.sab and is_natural(self.player) and not is_natural(self.dealer):
            reward = 1.0
        elif not self.sab and self.natural and is_natural(self.player) and reward == 1.0:
            reward = 1.5
        outcome = "You win." if reward > 0 else "You lose." if reward < 0 else "It is a draw."
        dealer_cards = ", ".join(c.name for c in self.dealer)
        return StepResult(
            reward,
            terminated=True,
            success=reward > 0,
            text=self._describe(
                f"You stand with {hand_value(self.player)}. The dealer has {dealer_cards}: "
                f"{hand_value(self.dealer)}. {outcome}"
            ),
        )

    def _describe(self, event: str) -> str:
        if not self.text_observation:
            return event
        shown = self.dealer if self.finished else self.dealer[:1]
        return (
            f"{event}\nYour cards: {', '.join(c.name for c in self.player)} "
            f"(total {hand_value(self.player)}). Dealer shows: "
            f"{', '.join(c.name for c in shown)}."
        )

    @property
    def instruction(self) -> str:
        return "Win the hand of blackjack: get closer to 21 than the dealer without going over."

    @property
    def task_prompt(self) -> str:
        return (
            "You are a blackjack player. You are observing the current game state in the image: "
            "the dealer's cards on top (one face down) and yours below. Face cards count 10, an "
            "ace 1 or 11. You can choose between ['stand', 'hit']. Your response should be a "
            "valid json object in the following format:\n"
            '{"thoughts": "{first describe your total points and the dealer\'s total points, '
            'then think about which action to choose}", "action": "stand" or "hit"}'
        )

    def _render_image(self) -> np.ndarray:
        canvas = Image.new("RGB", self.image_shape[1::-1], TABLE_GREEN)
        draw = ImageDraw.Draw(canvas)
        bold = font("sans-bold", 16)
        draw.text((5, 5), "Dealer", fill="white", font=bold)
        dealer: list[Card | None] = list(self.dealer) if self.finished else [self.dealer[0], None]
        self._paste_row(canvas, dealer, 5, 25)
        draw.text((5, 130), "Player", fill="white", font=bold)
        self._paste_row(canvas, list(self.player), 5, 150)
        return np.asarray(canvas, dtype=np.uint8).copy()

    @staticmethod
    def _paste_row(canvas: Image.Image, cards: list[Card | None], x0: int, y0: int) -> None:
        # Up to four cards per row, then a new row overlapping the first (long hands are rare).
        width, height = _CARD_SIZE
        for i, card in enumerate(cards):
            row, col = divmod(i, 4)
            x = x0 + col * (width + 4) + row * 18
            y = y0 + row * 30
            canvas.paste(card_sprite(card, width), (x, y))

    def expert_action(self) -> str:
        """Basic strategy for hit/stand only (infinite deck, dealer stands on soft 17)."""
        total, dealer = hand_value(self.player), self.dealer[0].value()
        dealer = 11 if dealer == 1 else dealer
        if has_usable_ace(self.player):
            if total >= 19 or (total == 18 and dealer <= 8):
                return "stand"
            return "hit"
        if total >= 17:
            return "stand"
        if total >= 13:
            return "stand" if dealer <= 6 else "hit"
        if total == 12:
            return "stand" if 4 <= dealer <= 6 else "hit"
        return "hit"
