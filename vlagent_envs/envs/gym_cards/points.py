"""EZPoints and Points24: build a formula from the cards on the table that hits the target."""

from __future__ import annotations

import textwrap
from typing import Any, ClassVar

import numpy as np
from PIL import Image, ImageDraw

from vlagent_envs.core import ChoiceGrammar, InvalidActionPolicy, StepResult, VLAgentEnv, font
from vlagent_envs.envs.gym_cards.cards import TABLE_GREEN, Card, card_sprite, random_card
from vlagent_envs.envs.gym_cards.formula import FormulaError, evaluate, solve

_CANVAS = 300
# An illegal card (one not on the table, or already used) occupies a formula slot, shown blank,
# as in the original gym_cards, so the formula limit still ends a stubborn episode.
_BLANK = " "
_OPERATOR_SYNONYMS = {
    "plus": "+",
    "add": "+",
    "minus": "-",
    "subtract": "-",
    "times": "*",
    "x": "*",
    "\u00d7": "*",
    "multiply": "*",
    "divide": "/",
    "divided by": "/",
    "\u00f7": "/",
    "equals": "=",
    "equal": "=",
    "submit": "=",
    "left parenthesis": "(",
    "right parenthesis": ")",
}
_RANK_SYNONYMS = {
    "a": 1,
    "ace": 1,
    "t": 10,
    "j": 11,
    "jack": 11,
    "q": 12,
    "queen": 12,
    "k": 13,
    "king": 13,
}


class PointsEnv(VLAgentEnv):
    """Shared rules of EZPoints and Points24 (see their docstrings)."""

    default_invalid_action_policy: ClassVar[InvalidActionPolicy] = InvalidActionPolicy(
        "noop", penalty=-1.0
    )
    image_shape = (_CANVAS, _CANVAS, 3)
    n_cards: ClassVar[int]
    operators: ClassVar[tuple[str, ...]]
    game_name: ClassVar[str]

    def __init__(
        self,
        target_points: int,
        formula_limit: int,
        treat_face_cards_as_10: bool = True,
        text_observation: bool = False,
        success_reward: float = 10.0,
        failure_reward: float = -1.0,
        **kwargs: Any,
    ):
        self.target_points = int(target_points)
        self.formula_limit = int(formula_limit)
        self.treat_face_cards_as_10 = bool(treat_face_cards_as_10)
        self.text_observation = bool(text_observation)
        self.success_reward, self.failure_reward = float(success_reward), float(failure_reward)
        top = 10 if self.treat_face_cards_as_10 else 13
        self.numbers = tuple(str(n) for n in range(1, top + 1))
        synonyms = dict(_OPERATOR_SYNONYMS)
        for spelling, rank in _RANK_SYNONYMS.items():
            synonyms[spelling] = str(min(rank, top))
        actions = (*self.numbers, *self.operators)
        self.grammar = ChoiceGrammar(actions, {k: v for k, v in synonyms.items() if v in actions})
        super().__init__(**kwargs)
        self.cards: list[Card] = []
        self.formula: list[str] = []
        self.used: list[int] = []
        self._plan: tuple[str, ...] | None = None
        self._planned = False
        self._table: Image.Image | None = None

    # --- dealing -------------------------------------------------------------------------
    def _deal(self) -> list[Card]:
        raise NotImplementedError

    @property
    def card_values(self) -> list[int]:
        """The numbers the cards stand for."""
        return [c.value(self.treat_face_cards_as_10) for c in self.cards]

    def _reset(self, options: dict[str, Any] | None) -> str:
        self.cards = self._deal()
        self.formula, self.used = [], []
        self._plan, self._planned = None, False
        self._table = self._draw_table()
        return self._describe("New deal.")

    # --- rules ---------------------------------------------------------------------------
    def _step(self, action: str) -> StepResult:
        # 1. The original checks the formula limit first, whatever the action.
        if len(self.formula) > self.formula_limit:
            return StepResult(
                self.failure_reward,
                truncated=True,
                text=self._describe("The formula is too long; the game is over."),
            )
        # 2. A number must be a card on the table that is not used yet.
        if action in self.numbers:
            value = int(action)
            if self.used.count(value) >= self.card_values.count(value):
                self.formula.append(_BLANK)
                return StepResult(
                    self.failure_reward,
                    text=self._describe(f"There is no unused card worth {value}."),
                )
            self.used.append(value)
        # 3. "=" ends the game: every card used and the formula equal to the target.
        if action == "=":
            return self._finish()
        self.formula.append(action)
        return StepResult(0.0, text=self._describe(f"You appended {action}."))

    def _finish(self) -> StepResult:
        tokens = [t for t in self.formula if t != _BLANK]
        try:
            value = evaluate(tokens)
        except FormulaError as error:
            return StepResult(
                self.failure_reward,
                terminated=True,
                text=self._describe(f"The formula is not valid ({error})."),
            )
        if len(self.used) != self.n_cards:
            return StepResult(
                self.failure_reward,
                terminated=True,
                text=self._describe(f"The formula must use all {self.n_cards} cards."),
            )
        if value != self.target_points:
            shown = str(value) if value.denominator == 1 else f"{float(value):.4g}"
            return StepResult(
                self.failure_reward,
                terminated=True,
                text=self._describe(f"The formula equals {shown}, not {self.target_points}."),
            )
        return StepResult(
            self.success_reward,
            terminated=True,
            success=True,
            progress=1.0,
            text=self._describe(f"Correct: the formula equals {self.target_points}."),
        )

    def _describe(self, event: str) -> str:
        lines = [event, f"Current formula: {self.formula_text or '(empty)'}"]
        if self.text_observation:
            cards = ", ".join(f"{c.name} ({v})" for c, v in zip(self.cards, self.card_values))
            lines.insert(1, f"Cards: {cards}.")
        return "\n".join(lines)

    @property
    def formula_text(self) -> str:
        """The formula as shown: tokens separated by spaces (an illegal card is a blank)."""
        return " ".join(self.formula)

    # --- text ----------------------------------------------------------------------------
    @property
    def instruction(self) -> str:
        return (
            f"Build a formula that uses each of the {self.n_cards} cards once and equals "
            f"{self.target_points}."
        )

    @property
    def task_prompt(self) -> str:
        choices = ", ".join(f"'{a}'" for a in self.grammar.actions)  # type: ignore[attr-defined]
        faces = (
            "Note that 'J', 'Q' and 'K' count as '10' and 'A' as '1'. "
            if self.treat_face_cards_as_10
            else "Note that 'A' counts as '1', 'J' as '11', 'Q' as '12' and 'K' as '13'. "
        )
        return (
            f"You are an expert card game player playing {self.game_name}. You are observing "
            f"{self.n_cards} cards in the image and the current formula. You can choose between "
            f"[{choices}]. The number or operator you choose is appended to the current formula. "
            f"{faces}Your goal is to output a formula that evaluates to {self.target_points}, "
            "using each card exactly once; choose '=' when the formula is complete. Your "
            "response should be a valid json object in the following format:\n"
            '{"cards": [x, y, ...], "current formula": "...", "thoughts": "{first describe the '
            'cards and the formula, then think carefully about which action to choose}", '
            '"action": "one of the choices"}'
        )

    # --- scripted solver -----------------------------------------------------------------
    def expert_action(self) -> str | None:
        """Next token of an exact solution; ``"="`` (ending the game) when none can be reached.

        The solution is searched exhaustively (on first use in an episode, so stepping stays
        cheap for agents that never ask); if the formula so far is not a prefix of it (or the
        deal has no solution), the solver gives up with ``"="``.
        """
        plan = self._solution()
        if plan is None or tuple(self.formula) != plan[: len(self.formula)]:
            return "="
        return plan[len(self.formula)] if len(self.formula) < len(plan) else "="

    @property
    def solvable(self) -> bool:
        """Whether the deal has a solution."""
        return self._solution() is not None

    def _solution(self) -> tuple[str, ...] | None:
        if not self._planned:
            self._plan = solve(tuple(self.card_values), self.target_points)
            self._planned = True
        return self._plan

    # --- image ---------------------------------------------------------------------------
    def _draw_table(self) -> Image.Image:
        canvas = Image.new("RGB", (_CANVAS, _CANVAS), TABLE_GREEN)
        width = int(_CANVAS / self.n_cards * 0.9)
        height = round(width * 7 / 5)
        for i, card in enumerate(self.cards):
            x = 5 + int(i * width * 1.1)
            canvas.paste(card_sprite(card, width), (x, (_CANVAS - height) // 2))
        self._draw_label(ImageDraw.Draw(canvas))
        return canvas

    def _render_image(self) -> np.ndarray:
        assert self._table is not None, "reset() first"
        canvas = self._table.copy()
        draw = ImageDraw.Draw(canvas)
        self._draw_formula(draw)
        return np.asarray(canvas, dtype=np.uint8).copy()

    def _draw_label(self, draw: ImageDraw.ImageDraw) -> None:
        """Draw the static ``Formula:`` label (once per deal)."""
        raise NotImplementedError

    def _draw_formula(self, draw: ImageDraw.ImageDraw) -> None:
        """Draw the formula's tokens (every step)."""
        raise NotImplementedError


class EZPointsEnv(PointsEnv):
    """EZPoints: two cards, build 12 with ``+`` and ``*``.

    ## Description
    The easy point game of RL4VLM's gym_cards (Zhai et al., 2024), written anew. Two cards lie
    on a green table; the agent appends numbers and operators to a formula one token per step
    and says ``=`` when it is done. Deals are always solvable: the second card makes 12 with the
    first by addition or (half of the time, when possible) multiplication.

    ## Action Space
    Text: ``"1"`` .. ``"10"``, ``"+"``, ``"*"``, ``"="``. Card names are accepted for numbers
    (``"K"`` -> ``"10"``, ``"A"`` -> ``"1"``), words for operators (``"plus"``). The RL4VLM answer
    format ``{"thoughts": ..., "action": ...}`` is read.

    ## Observation Space
    ``image``: 300x300 RGB, the cards and ``Formula: ...``; ``text``: what happened and the current
    formula (the RL4VLM prompt shows it in text too); ``instruction``: the goal.

    ## Rewards
    ``=`` gives +10 if the formula uses both cards and equals 12, else -1 (terminates). Choosing a
    card that is not on the table (or already used) gives -1, adds a blank slot to the formula,
    and the game goes on. Any other step 0. Unparseable text: no-op, -1 (the declared
    invalid-action policy; the original mapped text to a random action instead, which is
    ``invalid_action_policy="random"``).

    ## Starting State
    First card rank uniform 2..K, second card completes 12 (as the original). Face cards are 10.

    ## Episode End
    Terminated on ``=``. Truncated with -1 on the step after the formula holds more than 5
    tokens (the original's check), or by the registered limit of 10 steps.

    ## Arguments
    ``target_points`` (12), ``text_observation`` (False: also describe the cards in ``text``),
    ``invalid_action_policy``.

    ## Differences from gym_cards
    Seeded through ``np_random`` (the original used Python's global ``random``); the formula is
    evaluated exactly without ``eval``, so concatenated numbers (``1`` then ``2`` read as 12) are
    a syntax error; fonts ship with the package.

    ## Version History
    * v0: Initial release.
    """

    n_cards = 2
    operators = ("+", "*", "=")
    game_name = "EZPoints"

    def __init__(self, target_points: int = 12, formula_limit: int = 5, **kwargs: Any):
        super().__init__(target_points=target_points, formula_limit=formula_limit, **kwargs)

    def _deal(self) -> list[Card]:
        first = random_card(self.np_random, 2, 13)
        value = first.value()
        target = self.target_points
        if target % value == 0 and value in (1, 2, 3, 4, 6) and self.np_random.random() <= 0.5:
            second_value = target // value
        else:
            second_value = target - value
        suit = ("C", "D", "H", "S")[int(self.np_random.integers(4))]
        cards = [first, Card(second_value, suit)]
        if self.np_random.random() <= 0.5:
            cards.reverse()
        return cards

    _LABEL = "Formula: "

    def _draw_label(self, draw: ImageDraw.ImageDraw) -> None:
        draw.text((10, int(_CANVAS * 0.86)), self._LABEL, fill="white", font=font("sans", 20))

    def _draw_formula(self, draw: ImageDraw.ImageDraw) -> None:
        x = 10 + font("sans", 20).getlength(self._LABEL)
        draw.text((x, int(_CANVAS * 0.86)), self.formula_text, fill="white", font=font("sans", 20))


class Points24Env(PointsEnv):
    """Points24: four cards, build 24 with ``+ - * /`` and parentheses.

    ## Description
    The 24 game of RL4VLM's gym_cards, written anew. Four random cards (ranks A..K, faces count
    10 by default) lie on the table; the agent builds a formula one token per step and says
    ``=``. As in the original, deals are not filtered: about 3 in 4 have a solution
    (``env.unwrapped.solvable`` tells).

    ## Action Space
    Text: ``"1"`` .. ``"10"`` (``"13"`` with ``treat_face_cards_as_10=False``), ``+ - * / ( ) =``;
    card names and operator words are accepted as in EZPoints.

    ## Observation Space
    ``image``: 300x300 RGB, the cards and the formula; ``text``: what happened and the current
    formula; ``instruction``: the goal.

    ## Rewards
    ``=`` gives +10 if the formula uses all four cards and equals 24 exactly, else -1. An illegal
    card -1 (blank slot, game goes on). Unparseable text: no-op, -1.

    ## Starting State
    Four cards, ranks uniform A..K, suits uniform.

    ## Episode End
    Terminated on ``=``. Truncated with -1 on the step after the formula holds more than 20
    tokens, or by the registered limit of 30 steps.

    ## Arguments
    ``target_points`` (24), ``treat_face_cards_as_10`` (True), ``text_observation`` (False),
    ``invalid_action_policy``.

    ## Differences from gym_cards
    As EZPoints; besides, exact arithmetic counts ``8 / (3 - 8 / 3)`` as 24 where the original's
    float comparison did not.

    ## Version History
    * v0: Initial release.
    """

    n_cards = 4
    operators = ("+", "-", "*", "/", "(", ")", "=")
    game_name = "the 24 game"

    def __init__(self, target_points: int = 24, formula_limit: int = 20, **kwargs: Any):
        super().__init__(target_points=target_points, formula_limit=formula_limit, **kwargs)

    def _deal(self) -> list[Card]:
        return [random_card(self.np_random) for _ in range(self.n_cards)]

    def _draw_label(self, draw: ImageDraw.ImageDraw) -> None:
        draw.text((10, int(_CANVAS * 0.70)), "Formula:", fill="white", font=font("sans", 16))

    def _draw_formula(self, draw: ImageDraw.ImageDraw) -> None:
        small = font("sans", 16)
        # 20 tokens do not fit on one line of 300 px (the original let them run off the image).
        for row, line in enumerate(textwrap.wrap(self.formula_text, 30)[:3]):
            draw.text((10, int(_CANVAS * 0.80) + 19 * row), line, fill="white", font=small)
