"""VSI-Bench on the vlagent-envs API: one question about a video per episode."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from vlagent_envs.benchmarks.vsibench.data import (
    LAYOUT,
    MCA_TYPES,
    TASKS,
    Item,
    VideoError,
    find_parquet,
    load_items,
    prompt,
    sample_frames,
)
from vlagent_envs.benchmarks.vsibench.metrics import fuzzy_matching, score, to_float
from vlagent_envs.core import DatasetEnv, InvalidActionPolicy, StepResult

__all__ = ["ENV_VAR", "GENERATED_ROOT", "AnswerGrammar", "VSIBenchEnv", "resolve_root"]

logger = logging.getLogger(__name__)

ENV_VAR = "VSIBENCH_ROOT"
# The generated MiniWorld set that ships with the package, in the official layout.
GENERATED_ROOT = Path(__file__).parent / "data" / "miniworld"


def resolve_root(root: str | os.PathLike[str] | None, generated: bool) -> Path:
    """The data folder an env reads: ``root``, else the shipped generated set when
    ``generated``, else ``$VSIBENCH_ROOT``.

    Raises:
        FileNotFoundError: No root given and ``$VSIBENCH_ROOT`` unset (the message says how to
            point at the data and what layout it must have).
    """
    if root is not None:
        return Path(root)
    if generated:
        return GENERATED_ROOT
    value = os.environ.get(ENV_VAR)
    if not value:
        raise FileNotFoundError(
            f"VSI-Bench's official test set is a download (huggingface.co/datasets/"
            f"nyu-visionx/VSI-Bench): set ${ENV_VAR} to its folder, or pass root=...; "
            f"{LAYOUT}. The generated MiniWorld set that ships needs generated=True instead."
        )
    return Path(value)


@functools.lru_cache(maxsize=16)
def _items(root: str, task: str | None, stamp: tuple[int, ...]) -> tuple[Item, ...]:
    del stamp  # part of the key only: an edited parquet is read again
    return tuple(load_items(root, task))


def _load(root: Path, task: str | None) -> tuple[Item, ...]:
    stamp = tuple(path.stat().st_mtime_ns for path in find_parquet(root))
    return _items(str(root), task, stamp)


@functools.lru_cache(maxsize=4)  # conformance checks reset the same few items many times
def _cached_frames(path: str, num_frames: int, size: tuple[int, int], stamp: int) -> np.ndarray:
    del stamp  # part of the key only: a rewritten video is decoded again
    frames = sample_frames(path, num_frames, size)
    frames.flags.writeable = False  # shared by every env of this process: callers get copies
    return frames


def _frames(path: Path, num_frames: int, size: tuple[int, int]) -> np.ndarray:
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as error:
        raise VideoError(f"video {path} does not exist") from error
    return _cached_frames(str(path), num_frames, size, stamp)


class AnswerGrammar:
    """The open grammar of a VSI-Bench answer: any non-empty text, kept as it is.

    Whether an answer is admissible depends on the question, so
    :meth:`VSIBenchEnv._admissible` decides it (see that env's Action Space).
    """

    def parse(self, text: str) -> str | None:
        """``text`` itself, or ``None`` when it is blank."""
        return text if text.strip() else None

    def describe(self) -> str:
        """One line for a prompt saying what may be answered."""
        return (
            "Answer with the option's letter (multiple choice) or a single number (numerical "
            "questions)."
        )

    def __repr__(self) -> str:
        return "AnswerGrammar()"


class VSIBenchEnv(DatasetEnv):
    """VSI-Bench: answer one spatial question about a video of an indoor scene.

    ## Description
    VSI-Bench (Yang et al., 2024, "Thinking in Space") asks questions about walk-through videos
    of real indoor scans (ARKitScenes, ScanNet, ScanNet++): counting, distances, sizes, relative
    direction and distance, route planning and order of appearance; VL-DAC reports it as a
    transfer benchmark (route planning, among others). Each episode is one question; the agent
    sees uniformly sampled frames and answers once. The official test set is a download in the
    layout of ``data.LAYOUT``; ``generated=True`` plays the MiniWorld set that ships in the same
    layout. Prompts and scores are the official evaluation's (``lmms_eval/tasks/vsibench`` of
    vision-x-nyu/thinking-in-space, see ``metrics``).

    ## Action Space
    Free text, scored by the official code on the text the base class extracts (the ``"action"``
    of a JSON object, an ``Action: ...`` line, else the whole completion, with surrounding
    whitespace removed): its first space-separated token, trailing dots removed. ``admissible``
    (``action_valid``) means that token can score: an option letter for a multiple-choice
    question (case-insensitive), a number Python's ``float`` reads for a numerical one. Anything
    else (``"three"``, ``"3.5m"``, an empty answer) scores 0 in the official code and is invalid
    here, which also ends the episode with reward 0. ``parsed_action`` is the extracted text
    unchanged; ``admissible_actions()`` lists a multiple-choice question's option letters
    (``["A", "B", "C", "D"]``, what a random or constrained agent picks from) and is ``None``
    for a numerical one (an open grammar).

    ## Observation Space
    ``frames``: ``(num_frames, H, W, 3)`` uint8, frames at ``np.linspace(0, total - 1,
    num_frames, dtype=int)`` resized to ``frame_size``; ``image``: the last of them;
    ``instruction``: the official prompt (``"These are frames of a video."``, the question,
    the options and the answer-format line); ``text``: the question type before the answer, the
    verdict after it.

    ## Rewards
    The item's official score: accuracy (0 or 1) for a multiple-choice question, Mean Relative
    Accuracy (0, 0.1, ..., 1) for a numerical one. ``success`` is a score of exactly 1.0;
    ``progress`` is the score. The benchmark's numbers come from
    ``metrics.aggregate`` over ``(info["question_type"], reward)`` pairs.

    ## Starting State
    ``reset(seed=s)`` plays item ``s % len(items)``, so seeds ``0..n-1`` enumerate the set in
    file order; ``options={"index": i}`` plays item ``i`` whatever the seed; a reset without
    either draws an item from ``np_random``. The reset info carries ``question_type``,
    ``task`` and ``item_id``; the ground truth comes only in the step's info.

    ## Episode End
    Terminated after the one step, whatever the answer (an invalid one included). Registered
    with ``max_episode_steps=1``. A video that is missing or cannot be decoded does not raise:
    a warning names the item, the frames are black, the step scores 0 whatever the answer and
    its info carries ``video_error``.

    ## Arguments
    ``root`` (a folder in the official layout; ``None``: ``$VSIBENCH_ROOT``, or the shipped
    generated set when ``generated=True``), ``task`` (one of ``data.TASKS`` or ``None`` for all
    questions; the three relative-direction levels form ``"object_rel_direction"``),
    ``num_frames`` (32), ``frame_size`` (``(height, width)``, ``(336, 448)``), and the base
    class's ``render_mode``, ``invalid_action_policy`` (only ``"noop"``: there is no answer to
    fall back on), ``max_action_length``, ``max_text_length``.

    ## Version History
    * v0: Initial release.
    """

    default_invalid_action_policy: ClassVar[InvalidActionPolicy] = InvalidActionPolicy("noop")
    grammar = AnswerGrammar()
    scripted_solver = "success"  # expert_action() answers the ground truth, which scores 1

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        task: str | None = None,
        generated: bool = False,
        num_frames: int = 32,
        frame_size: Sequence[int] = (336, 448),
        **kwargs: Any,
    ):
        if task is not None and task not in TASKS:
            raise ValueError(f"unknown VSI-Bench task {task!r}; choose one of {', '.join(TASKS)}")
        if int(num_frames) < 1:
            raise ValueError(f"num_frames must be >= 1, got {num_frames}")
        if len(frame_size) != 2 or min(int(v) for v in frame_size) < 1:
            raise ValueError(f"frame_size must be (height, width), got {frame_size!r}")
        self.root = resolve_root(root, generated)
        self.task = task
        self.items: tuple[Item, ...] = _load(self.root, task)
        self.num_frames = int(num_frames)
        self.frame_size: tuple[int, int] = (int(frame_size[0]), int(frame_size[1]))
        self.image_shape = (*self.frame_size, 3)
        super().__init__(**kwargs)
        if self.invalid_action_policy.kind != "noop":
            raise ValueError(
                "VSI-Bench has no answer to fall back on: use invalid_action_policy 'noop', "
                f"got {self.invalid_action_policy}"
            )
        self._video_error: str | None = None

    # ------------------------------------------------------------------ episode
    @property
    def item(self) -> Item:
        """The current episode's question."""
        return self.items[self.index]

    @property
    def num_items(self) -> int:
        return len(self.items)

    def _item_info(self) -> dict[str, Any]:
        return {
            "question_type": self.item.question_type,
            "task": self.item.task,
            "item_id": self.item.id,
        }

    def _reset(self, options: dict[str, Any] | None) -> str:
        self._choose_item(options)
        self._video_error = None
        self._frames()  # decode now, so a broken video is reported at reset
        kind = "multiple choice" if self.item.is_multiple_choice else "numerical"
        return f"VSI-Bench {self.item.question_type} question ({kind})."

    def _frames(self) -> np.ndarray:
        """The current item's frames (read-only, shared with the cache); black on a bad video."""
        if self._video_error is None:
            try:
                return _frames(self.item.video_path, self.num_frames, self.frame_size)
            except VideoError as error:
                self._video_error = f"item {self.item.id!r}: {error}"
                logger.warning(
                    "VSI-Bench item %r (%s): %s; showing black frames, the answer scores 0",
                    self.item.id,
                    self.item.question_type,
                    error,
                )
        return np.zeros((self.num_frames, *self.image_shape), np.uint8)

    def admissible_actions(self) -> list[str] | None:
        """The option letters of a multiple-choice question; ``None`` for a numerical one."""
        if not self.item.is_multiple_choice:
            return None
        return [chr(ord("A") + i) for i in range(len(self.item.options or ()))]

    def _admissible(self, action: str) -> bool:
        # Only tokens that can score are admissible, so an invalid answer (reward 0) is one the
        # official code scores 0 too.
        token = fuzzy_matching(action)
        if self.item.question_type in MCA_TYPES:
            return token.lower() in self._letters()
        return to_float(token) is not None

    def _letters(self) -> set[str]:
        letters = {chr(ord("a") + i) for i in range(len(self.item.options or ()))}
        return letters | {self.item.ground_truth.lower()}

    def _outcome(self, prediction: str | None) -> dict[str, Any]:
        info: dict[str, Any] = {
            **self._item_info(),
            "ground_truth": self.item.ground_truth,
            "prediction": prediction,
        }
        if self._video_error is not None:
            info["video_error"] = self._video_error
        return info

    def _step(self, action: str) -> StepResult:
        value = 0.0 if self._video_error is not None else score(self.item, action)
        info = {**self._outcome(action), "score": value}
        note = " (the video could not be read: scored 0)" if self._video_error else ""
        return StepResult(
            value,
            terminated=True,
            success=value == 1.0,
            progress=value,
            text=(
                f"Your answer {action!r} scores {value:.2f}{note}; "
                f"the answer is {self.item.ground_truth}."
            ),
            info=info,
        )

    def _idle(self, event: str) -> StepResult:
        # An answer that cannot score still spends the episode's one attempt.
        return StepResult(
            terminated=True,
            progress=0.0,
            text=f"{event} That was the one attempt; the answer is {self.item.ground_truth}.",
            info={**self._outcome(None), "score": 0.0},
        )

    def expert_action(self) -> str:
        """The ground truth: the option letter, or the number as the dataset writes it."""
        return self.item.ground_truth

    # ------------------------------------------------------------------ observation
    def _extra_observation_spaces(self) -> dict[str, spaces.Space]:
        return {"frames": spaces.Box(0, 255, (self.num_frames, *self.image_shape), np.uint8)}

    def _extra_observation(self) -> dict[str, Any]:
        return {"frames": self._frames().copy()}

    def _render_image(self) -> np.ndarray:
        return self._frames()[-1].copy()

    @property
    def instruction(self) -> str:
        return prompt(self.item)

    @property
    def task_prompt(self) -> str:
        if self.task is None:
            kinds = "multiple-choice and numerical questions"
        elif self.task in ("object_rel_distance", "object_rel_direction") or self.task in MCA_TYPES:
            kinds = "multiple-choice questions"
        else:
            kinds = "numerical questions"
        what = "all eight question kinds" if self.task is None else f"the {self.task} task"
        return (
            "You are answering VSI-Bench questions about the spatial layout of an indoor scene, "
            f"shown as {self.num_frames} frames sampled uniformly from a walk-through video "
            f"(the last frame is the image). This env asks {kinds} ({what}). For a "
            "multiple-choice question, answer with the option's letter alone (for example "
            "'B'); for a numerical question (a count, a distance in meters, an object's size in "
            "centimeters, a room's area in square meters), answer with a single number (for "
            "example '3.5'), no unit or words. Only "
            "the first space-separated token of your answer is read; you have one attempt. A "
            "letter scores 1 when it is the correct option; a number scores its mean relative "
            "accuracy (the fraction of thresholds 0.50, 0.55, ..., 0.95 at which its relative "
            "error is within 1 - threshold)."
        )
