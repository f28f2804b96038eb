"""VSI-Bench scoring, reproduced from the official evaluation code.

Source: ``lmms_eval/tasks/vsibench/utils.py`` in vision-x-nyu/thinking-in-space (commit e6a72f3)
and in EvolvingLMMs-Lab/lmms-eval (commits 0ae0b9f, 78ef58a); the scoring functions are
identical in both. What they do, quirks included:

* :func:`fuzzy_matching` keeps what precedes the first *space* (``split(' ')``, not
  ``split()``), removes trailing dots, then strips: ``" 10"`` becomes ``""`` and
  ``"A\\nexplanation"`` stays whole.
* multiple-choice answers (:data:`~vlagent_envs.benchmarks.vsibench.data.MCA_TYPES`) score
  :func:`exact_match` (case-insensitive equality with the ground-truth letter);
* numerical answers (:data:`~vlagent_envs.benchmarks.vsibench.data.NA_TYPES`) score
  :func:`mean_relative_accuracy` with ``start=.5, end=.95, interval=.05``; an answer
  :func:`to_float` cannot read (``"3.5m"``, ``"three"``, ``""``) makes the official code raise
  ``TypeError``, which it catches and scores as the worst case, 0.
* :func:`aggregate` averages per question type, merges the three relative-direction levels into
  one task (their unweighted mean, a missing level counting 0) and takes ``overall`` as the
  unweighted mean of the remaining per-task values. Values are fractions in [0, 1], as the
  official function returns them (the paper prints them x100).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

from vlagent_envs.benchmarks.vsibench.data import MCA_TYPES, NA_TYPES, Item

__all__ = [
    "MCA_METRIC",
    "NA_METRIC",
    "WORST_CASE",
    "abs_dist_norm",
    "aggregate",
    "exact_match",
    "fuzzy_matching",
    "mean_relative_accuracy",
    "mra_thresholds",
    "score",
    "to_float",
]

# Metric names as the official METRICS_FOR_MCA / METRICS_FOR_NA keys: aggregate's keys are
# f"{question_type}_{metric}".
MCA_METRIC = "accuracy"
NA_METRIC = "MRA:.5:.95:.05"
# WORST_CASE_FOR_METRICS: the score of an answer the metric cannot be computed on.
WORST_CASE: dict[str, float] = {MCA_METRIC: 0.0, NA_METRIC: 0.0}
_REL_DIRECTION_LEVELS = (
    "object_rel_direction_easy",
    "object_rel_direction_medium",
    "object_rel_direction_hard",
)


def fuzzy_matching(pred: str) -> str:
    """The answer token of a prediction, as the official ``fuzzy_matching``.

    Splits on a single space (not on any whitespace), keeps the first piece, removes trailing
    dots, then strips surrounding whitespace.
    """
    return pred.split(" ")[0].rstrip(".").strip()


def exact_match(pred: str, target: str) -> float:
    """1.0 when ``pred`` equals ``target`` ignoring case, else 0.0."""
    return 1.0 if pred.lower() == target.lower() else 0.0


def to_float(pred: Any) -> float | None:
    """``float(pred)``, or ``None`` when Python cannot convert it (any exception)."""
    try:
        return float(pred)
    except Exception:  # the official catches BaseException; float() raises only Exceptions
        return None


def abs_dist_norm(pred: float, target: float) -> float:
    """Relative error ``|pred - target| / target`` (a zero target raises ZeroDivisionError)."""
    return abs(pred - target) / target


def mra_thresholds(start: float = 0.5, end: float = 0.95, interval: float = 0.05) -> np.ndarray:
    """The confidence thresholds of MRA, built as the official code builds them.

    ``int((end - start) / interval + 2)`` points: in floating point ``(0.95 - 0.5) / 0.05 + 2``
    is 10.999999999999998, so 10 thresholds ``0.5, 0.55, ..., 0.95``. Note that ``1 - theta``
    is then compared with ``<=``, so a relative error of exactly 0.2 fails ``theta = 0.8``
    (``1 - 0.8`` is 0.19999999999999996): the official array, not an idealised one.
    """
    num_pts = (end - start) / interval + 2
    return np.linspace(start, end, int(num_pts))


def mean_relative_accuracy(
    pred: float, target: float, start: float = 0.5, end: float = 0.95, interval: float = 0.05
) -> float:
    """Mean Relative Accuracy: the fraction of thresholds ``theta`` with
    ``|pred - target| / target <= 1 - theta``.

    Raises ``TypeError`` when ``pred`` or ``target`` is ``None`` (the official code relies on it).
    """
    accuracy = abs_dist_norm(pred, target) <= 1 - mra_thresholds(start, end, interval)
    return float(accuracy.mean())


def score(item: Item | tuple[str, str], prediction: str) -> float:
    """One item's official score for a prediction.

    Args:
        item: An :class:`~vlagent_envs.benchmarks.vsibench.data.Item` or a
            ``(question_type, ground_truth)`` pair.
        prediction: The model's answer text, scored as is (``fuzzy_matching`` reads it).

    Returns:
        Accuracy (0 or 1) for a multiple-choice type, MRA in [0, 1] for a numerical one.

    Raises:
        ValueError: Unknown question type.
    """
    if isinstance(item, Item):
        question_type, ground_truth = item.question_type, item.ground_truth
    else:
        question_type, ground_truth = item
    if question_type in MCA_TYPES:
        return exact_match(fuzzy_matching(prediction), ground_truth)
    if question_type in NA_TYPES:
        try:
            return mean_relative_accuracy(
                to_float(fuzzy_matching(prediction)), to_float(ground_truth)
            )  # type: ignore[arg-type]
        except TypeError:
            return WORST_CASE[NA_METRIC]
    raise ValueError(f"Unknown question type: {question_type!r}")


def aggregate(records: Iterable[tuple[str, float]]) -> dict[str, float]:
    """The official ``vsibench_aggregate_results`` on ``(question_type, score)`` pairs.

    Returns ``{f"{question_type}_{metric}": mean}`` for every question type present
    (``metric`` is ``"accuracy"`` or ``"MRA:.5:.95:.05"``), the three relative-direction levels
    replaced by ``"object_rel_direction_accuracy"`` (their sum over 3: a missing level counts 0,
    as in thinking-in-space; upstream lmms-eval raises ``KeyError`` instead), and ``"overall"``,
    the unweighted mean of those per-task values (8 on the full test set). Fractions in [0, 1].

    Raises:
        ValueError: An unknown question type, or no records at all.
    """
    scores: dict[str, list[float]] = defaultdict(list)
    for question_type, value in records:
        if question_type not in MCA_TYPES and question_type not in NA_TYPES:
            raise ValueError(f"Unknown question type: {question_type!r}")
        scores[question_type].append(float(value))
    if not scores:
        raise ValueError("aggregate() needs at least one (question_type, score) record")
    output: dict[str, float] = {}
    for question_type in sorted(scores):  # pandas groupby visits the groups in sorted order
        metric = MCA_METRIC if question_type in MCA_TYPES else NA_METRIC
        output[f"{question_type}_{metric}"] = float(np.mean(scores[question_type]))
    levels = [output.pop(f"{level}_{MCA_METRIC}", 0.0) for level in _REL_DIRECTION_LEVELS]
    output[f"object_rel_direction_{MCA_METRIC}"] = sum(levels) / 3.0
    output["overall"] = sum(output.values()) / len(output)
    return output
