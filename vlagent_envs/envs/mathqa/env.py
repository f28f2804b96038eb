"""MathQA: one math word problem per episode, answered in free text."""

from __future__ import annotations

import functools
import os
from typing import Any, ClassVar

import numpy as np

from vlagent_envs.core import DatasetEnv, InvalidActionPolicy, StepResult
from vlagent_envs.core.render import TextPanel
from vlagent_envs.envs.mathqa.answer import (
    FinalAnswerGrammar,
    answers_match,
    extract_final_number,
)
from vlagent_envs.envs.mathqa.dataset import SHIPPED_DATA, SPLITS, Problem, load_problems

_IMAGE_SIZE = 448


@functools.lru_cache(maxsize=8)  # the image is drawn at reset and again at the step
def _question_image(question: str) -> np.ndarray:
    array = _panel().render(question)
    array.flags.writeable = False
    return array


@functools.lru_cache(maxsize=1)
def _panel() -> TextPanel:
    # Size 15: TextPanel wraps at int(character width) columns, and DejaVu Sans Mono's
    # 9.03-pixel characters are the largest whose lines still fit 448 pixels at that count.
    return TextPanel(_IMAGE_SIZE, _IMAGE_SIZE, font_size=15)


class MathQAEnv(DatasetEnv):
    """MathQA: solve a grade-school math word problem in one answer.

    ## Description
    The reasoning domain of ESSA (GSM8K-style problems). Each episode shows one word problem;
    the agent answers once, in free text, with any reasoning it likes, and is scored on the
    final number. The shipped set is generated (``generate.py``: 2,000 train and 500 test
    problems of 1 to 3 operations); ``data_path`` reads GSM8K itself or any file in its format.

    ## Action Space
    Free text: the whole worked answer. The final answer is the number after the last
    ``####``, else the last number in the text (``answer.extract_final_number``). The base
    class reads a JSON object's ``"action"`` key (or an ``Action: ...`` line) first, so
    ``{"thoughts": ..., "action": "#### 42"}`` answers 42; a JSON object without that key names
    no answer. ``parsed_action`` is the final number without commas (``"1234"``);
    ``admissible_actions()`` is ``None`` (an open grammar).

    ## Observation Space
    ``image``: the question on a 448x448 text panel; ``text``: the question (after the step,
    the verdict); ``instruction``: a fixed line asking for ``#### <number>``.

    ## Rewards
    1.0 when the final number equals the gold answer (exactly for integer answers, within 1e-6
    otherwise), else 0.0. An answer holding no number is invalid: the no-op policy pays its
    penalty, 0 by default (ESSA's fitness is the plain success rate).

    ## Starting State
    ``reset(seed=s)`` shows problem ``s % len(problems)``, so seeds ``0..n-1`` enumerate the set;
    ``options={"index": i}`` picks problem ``i`` whatever the seed; a reset without either
    draws a problem from ``np_random``.

    ## Episode End
    Terminated after the one step, whatever the answer, an invalid one included (it was the
    one attempt). Registered with ``max_episode_steps=1``, so the ``TimeLimit`` wrapper also
    reports ``truncated=True`` on that step.

    ## Arguments
    ``split`` (``"train"`` or ``"test"``), ``data_path`` (``None``: the shipped set; else a
    GSM8K-format ``.jsonl`` file, used whatever the split, or a folder holding ``train.jsonl``
    and ``test.jsonl``), ``max_operations`` (``None`` or keep problems with at most that many
    ``<<...>>`` calculations), ``invalid_action_policy`` (``"noop"``, or ``"default"`` with a
    plain-number ``default_action``), ``max_action_length`` (16384: room for long reasoning).

    ## Version History
    * v0: Initial release.
    """

    default_invalid_action_policy: ClassVar[InvalidActionPolicy] = InvalidActionPolicy("noop")
    image_shape = (_IMAGE_SIZE, _IMAGE_SIZE, 3)
    grammar = FinalAnswerGrammar()

    def __init__(
        self,
        split: str = "train",
        data_path: str | os.PathLike[str] | None = None,
        max_operations: int | None = None,
        max_action_length: int = 16384,
        **kwargs: Any,
    ):
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        problems = load_problems(SHIPPED_DATA if data_path is None else data_path, split)
        if max_operations is not None:
            problems = [p for p in problems if p.operations <= max_operations]
            if not problems:
                raise ValueError(f"no problem has at most {max_operations} operations")
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(max_action_length=max_action_length, **kwargs)
        policy = self.invalid_action_policy
        default = policy.default_action or ""
        if policy.kind == "random" or (
            policy.kind == "default" and extract_final_number(default) != default
        ):
            raise ValueError(
                "MathQA has no action set to draw from: use invalid_action_policy 'noop' or "
                f"'default' with a plain number as default_action, got {policy}"
            )

    @property
    def problem(self) -> Problem:
        """The current episode's problem."""
        return self.problems[self.index]

    @property
    def num_items(self) -> int:
        return len(self.problems)

    def _reset(self, options: dict[str, Any] | None) -> str:
        self._choose_item(options)
        return self.problem.question

    def _step(self, action: str) -> StepResult:
        correct = answers_match(action, self.problem.gold)
        verdict = "correct" if correct else "wrong"
        return StepResult(
            1.0 if correct else 0.0,
            terminated=True,
            success=correct,
            progress=1.0 if correct else 0.0,
            text=f"Your answer {action} is {verdict}; the answer is {self.problem.gold}.",
            info={"gold": self.problem.gold, "prediction": action},
        )

    def _idle(self, event: str) -> StepResult:
        # An answer without a number still spends the episode's one attempt.
        return StepResult(
            terminated=True,
            progress=0.0,
            text=f"{event} That was the one attempt; the answer is {self.problem.gold}.",
            info={"gold": self.problem.gold, "prediction": None},
        )

    @property
    def instruction(self) -> str:
        return "Solve the math word problem. End with '#### <number>'."

    @property
    def task_prompt(self) -> str:
        return (
            "You are solving a grade-school math word problem, shown in the image and as text. "
            "Reason step by step, writing out each calculation, then give the final answer as a "
            "number alone on the last line, in the form '#### <number>' (for example '#### 42'). "
            "Only the number after the last '####' is read (without one, the last number in "
            "your answer); you have one attempt, and it scores 1 when that number equals the "
            "correct answer and 0 otherwise."
        )

    def _render_image(self) -> np.ndarray:
        return _question_image(self.problem.question).copy()

    def expert_action(self) -> str:
        """The dataset's worked solution, which ends with ``#### <gold>``."""
        return self.problem.answer
