"""NumberLine: move the current number to the target one step at a time."""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import numpy as np
from PIL import Image, ImageDraw

from vlagent_envs.core import ChoiceGrammar, InvalidActionPolicy, StepResult, VLAgentEnv, font

_GRAMMAR = ChoiceGrammar(
    ("+", "-"),
    synonyms={
        "plus": "+",
        "add": "+",
        "add one": "+",
        "increase": "+",
        "right": "+",
        "minus": "-",
        "subtract": "-",
        "subtract one": "-",
        "decrease": "-",
        "left": "-",
        "+1": "+",
        "-1": "-",
    },
)


@functools.lru_cache(maxsize=1024)
def _number_line_image(target: int, current: int, size: int) -> np.ndarray:
    image = Image.new("RGB", (300, 300), "white")
    draw = ImageDraw.Draw(image)
    bold = font("sans-bold", 36)
    draw.text((30, 60), f"Target: {target}", fill="black", font=bold)
    draw.text((30, 180), f"Current: {current}", fill="black", font=bold)
    if size != 300:
        image = image.resize((size, size), Image.Resampling.BILINEAR)
    array = np.asarray(image, dtype=np.uint8).copy()
    array.flags.writeable = False
    return array


class NumberLineEnv(VLAgentEnv):
    """NumberLine: reach the target number with ``+`` and ``-``.

    ## Description
    The number-line task of RL4VLM's gym_cards (Zhai et al., 2024), written anew. The image
    shows ``Target: g`` and ``Current: c`` with ``g != c`` in ``0..max_position``; each step moves
    the current number by one.

    ## Action Space
    Text: ``"+"`` or ``"-"`` (also ``"plus"``, ``"minus"``, ``"+1"``, ...). The RL4VLM answer
    format ``{"thoughts": ..., "action": "+"}`` is read.

    ## Observation Space
    ``image``: 300x300 RGB (``image_size`` rescales it); ``text``: what happened (the state too
    with ``text_observation=True``); ``instruction``: the goal.

    ## Rewards
    +1 on reaching the target; -1 when a step does not shrink the distance (including pushing
    against either end of the line); 0 otherwise. Unparseable text: no-op and -1 (the same as a
    step that does not shrink the distance).

    ## Starting State
    Target and current uniform in ``0..max_position``, distinct (the original's reset could draw
    them equal; its docstring promised distinct).

    ## Episode End
    Terminated on reaching the target; truncated after ``2 * max_position`` steps (10).

    ## Arguments
    ``max_position`` (5), ``image_size`` (300), ``text_observation`` (False),
    ``invalid_action_policy``.

    ## Version History
    * v0: Initial release.
    """

    default_invalid_action_policy: ClassVar[InvalidActionPolicy] = InvalidActionPolicy(
        "noop", penalty=-1.0
    )
    grammar = _GRAMMAR

    def __init__(
        self,
        max_position: int = 5,
        image_size: int = 300,
        text_observation: bool = False,
        **kwargs: Any,
    ):
        if max_position < 1:
            raise ValueError(f"max_position must be >= 1, got {max_position}")
        self.max_position = int(max_position)
        self.image_size = int(image_size)
        self.image_shape = (self.image_size, self.image_size, 3)
        self.text_observation = bool(text_observation)
        super().__init__(**kwargs)
        self.target = 0
        self.current = 0
        self.steps_made = 0

    def _reset(self, options: dict[str, Any] | None) -> str:
        self.target = int(self.np_random.integers(0, self.max_position + 1))
        # Draw the start among the other max_position positions: distinct and uniform.
        offset = int(self.np_random.integers(1, self.max_position + 1))
        self.current = (self.target + offset) % (self.max_position + 1)
        self.steps_made = 0
        return self._describe("New game.")

    def _step(self, action: str) -> StepResult:
        before = abs(self.current - self.target)
        if action == "+" and self.current < self.max_position:
            self.current += 1
        elif action == "-" and self.current > 0:
            self.current -= 1
        return self._after_step(before, f"You chose {action}.")

    def _idle(self, event: str) -> StepResult:
        # The no-op still spends one of the episode's steps, like any other step.
        return self._after_step(abs(self.current - self.target), event)

    def _after_step(self, before: int, event: str) -> StepResult:
        self.steps_made += 1
        after = abs(self.current - self.target)
        if after == 0:
            return StepResult(
                1.0,
                terminated=True,
                success=True,
                progress=1.0,
                text=self._describe(event + " You reached the target."),
            )
        reward = -1.0 if after >= before else 0.0
        truncated = self.steps_made >= 2 * self.max_position
        return StepResult(reward, truncated=truncated, text=self._describe(event))

    def _describe(self, event: str) -> str:
        if self.text_observation:
            return f"{event} Target: {self.target}. Current: {self.current}."
        return event

    @property
    def instruction(self) -> str:
        return "Move the current number to the target number."

    @property
    def task_prompt(self) -> str:
        return (
            "You are playing a game called number line. You will see a target number and a "
            "current number in the image. Your goal is to move the current number closer to the "
            "target by choosing either adding or subtracting one to the current number. You can "
            'return one of the following actions: "+" or "-". Your response should be a valid '
            "json object in the following format:\n"
            '{"current number": "x", "target number": "x", "thoughts": "{first read out the '
            'current and target number, then think carefully about which action to choose}", '
            '"action": "-" or "+"}'
        )

    def _render_image(self) -> np.ndarray:
        return _number_line_image(self.target, self.current, self.image_size).copy()

    def expert_action(self) -> str:
        """The optimal move: towards the target."""
        return "+" if self.target > self.current else "-"
