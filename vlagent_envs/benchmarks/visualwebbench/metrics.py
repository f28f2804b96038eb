"""VisualWebBench's official metrics, per dataset and per item.

Reproduced from ``VisualWebBench/VisualWebBench`` ``utils/eval_utils.py`` (lmms-eval's
``tasks/visualwebbench/utils.py`` is a copy), with the PyPI package ``rouge`` (1.0.1, the one
the official code imports), not ``rouge-score``:

* web_caption, heading_ocr: an empty prediction becomes ``" "``; ROUGE-1/2/L F over the
  dataset with ``Rouge.get_scores(preds, golds, avg=True)`` (the mean of the per-item F), x100.
  The headline number is ROUGE-L.
* element_ocr: the same, but a prediction of one character also becomes ``" "``.
* webqa: per item, the largest ROUGE-1 F of the prediction against each reference; an item on
  which ``rouge`` raises is dropped (``try: ... except: pass``) from the mean; x100 ("F1").
* element_ground, action_prediction, action_ground: the letter
  :func:`parse_multi_choice_response` reads (choices ``A``..``H``) becomes an index
  (``ord(letter) - ord('A')`` for ``A``..``Z``, else -1) compared with the gold index;
  accuracy x100.

``rouge`` 1.0.1 in brief: case-sensitive; the text is split into "sentences" on ``.``, each
whitespace-normalised, and words are space-separated tokens counted once (sets). F is
``2PR / (P + R + 1e-8)``, so an exact match scores 0.99999999... (never exactly 1). It raises
``ValueError`` on a hypothesis or reference with no sentence left, i.e. one made only of
``.`` characters: the official caption/OCR functions then crash (no ``try``), webqa drops the
item. :func:`official_scores` keeps that behaviour; :func:`aggregate` and :func:`score` score
such an item 0 instead (``aggregate(..., strict=True)`` raises as the official code does).

The multiple-choice parser is MMMU's ``parse_multi_choice_response`` as the official file has
it. MMMU falls back to ``random.choice(all_choices)`` when nothing parses; VisualWebBench
comments that line out and returns ``"z"`` instead, which maps to -1: an unparsable answer is
simply wrong, with no randomness (so nothing here needs a seed).

Per item vs. per dataset (:func:`score` is the env's reward, in [0, 1]): for the ROUGE tasks and
the choice tasks the official number is exactly ``100 * mean(score)`` over the items. For
webqa it is ``100 * mean(score)`` over the items where ``rouge`` did not raise (a prediction or
reference made only of ``.``, or no reference at all); :func:`score` gives those items 0, so
the mean of per-item scores can be lower than the official F1 when such items exist.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from vlagent_envs.benchmarks.visualwebbench.data import CHOICE_TASKS, ROUGE_TASKS, TASKS, Item

__all__ = [
    "CHOICES",
    "HEADLINE",
    "aggregate",
    "choice_index",
    "eval_choice",
    "eval_element_ocr",
    "eval_heading_ocr",
    "eval_web_caption",
    "eval_webqa",
    "official_scores",
    "parse_multi_choice_response",
    "rouge_f",
    "score",
]

# The choices the official evaluation offers the parser: A..H (eval_utils.py, range(8)).
CHOICES: tuple[str, ...] = tuple(chr(ord("A") + i) for i in range(8))
# The number each task reports in the paper's tables (key of the official result dict).
HEADLINE: dict[str, str] = {
    "web_caption": "rouge_l",
    "heading_ocr": "rouge_l",
    "element_ocr": "rouge_l",
    "webqa": "f1",
    "element_ground": "accuracy",
    "action_prediction": "accuracy",
    "action_ground": "accuracy",
}
_PUNCTUATION = (",", ".", "!", "?", ";", ":", "'", '"')


def _rouge(metrics: Sequence[str]) -> Any:
    try:
        from rouge import Rouge
    except ImportError as error:
        from gymnasium.error import DependencyNotInstalled

        raise DependencyNotInstalled(
            'VisualWebBench\'s metrics need the "rouge" package (1.0.1): '
            'pip install "vlagent-envs[visualwebbench]"'
        ) from error
    return Rouge(metrics=list(metrics))


# ---------------------------------------------------------------------- multiple choice
def parse_multi_choice_response(response: str, all_choices: Sequence[str] = CHOICES) -> str:
    """The letter a response names, exactly as the official parser reads it.

    In order: a one-character response is returned upper-cased; an empty one gives ``"a"``
    (lower case, so it maps to no option); a response starting with ``<capital>.`` gives that
    capital (``"I. think B"`` gives ``"I"``); otherwise ``, . ! ? ; : ' "`` are removed, the text
    is padded with spaces, and the candidates are the choices written ``(X)``, else those
    standing alone as `` X ``; several candidates: the one found last; none: ``"z"``.

    Args:
        response: The model's answer (after the base class's action extraction).
        all_choices: The letters offered (the official evaluation passes ``A``..``H``).

    Returns:
        One character (not necessarily an offered choice).
    """
    if len(response) == 1:
        return response.upper()
    if not response:
        return "a"
    if re.match(r"[A-Z]\.", response):
        return response[0]
    for char in _PUNCTUATION:
        response = response.replace(char, "")
    response = " " + response + " "  # so that " A " cannot match inside a word
    with_brackets = [c for c in all_choices if f"({c})" in response]
    if with_brackets:
        candidates, patterns = with_brackets, [f"({c})" for c in with_brackets]
    else:
        candidates = [c for c in all_choices if f" {c} " in response]
        patterns = [f" {c} " for c in candidates]
    if not candidates:
        return "z"  # the official code's fallback (MMMU's random.choice is commented out)
    positions = [response.rfind(p) for p in patterns]
    return candidates[positions.index(max(positions))]  # np.argmax: the first maximum


def choice_index(response: str) -> int:
    """The option index the official evaluation reads from a response: 0 for ``A``, ...,
    25 for ``Z``; -1 when the parsed character is not an uppercase letter."""
    letter = parse_multi_choice_response(response, CHOICES)
    return ord(letter) - ord("A") if "A" <= letter <= "Z" else -1


def eval_choice(preds: Sequence[str], golds: Sequence[int]) -> dict[str, float]:
    """element_ground / action_prediction / action_ground: ``{"accuracy": 0..100}``."""
    results = [choice_index(pred) == gold for pred, gold in zip(preds, golds)]
    return {"accuracy": sum(results) / len(results) * 100}


# ---------------------------------------------------------------------- ROUGE
def _rouge_dataset(preds: list[str], golds: Sequence[str]) -> dict[str, float]:
    assert len(preds) == len(golds)
    scores = _rouge(["rouge-1", "rouge-2", "rouge-l"]).get_scores(preds, list(golds), avg=True)
    return {
        "rouge_1": scores["rouge-1"]["f"] * 100,
        "rouge_2": scores["rouge-2"]["f"] * 100,
        "rouge_l": scores["rouge-l"]["f"] * 100,
    }


def eval_web_caption(preds: Sequence[str], golds: Sequence[str]) -> dict[str, float]:
    """web_caption: ROUGE-1/2/L F x100; empty predictions become ``" "`` (may raise, as
    the official code does, on a prediction made only of ``.``)."""
    return _rouge_dataset([p if p else " " for p in preds], golds)


def eval_heading_ocr(preds: Sequence[str], golds: Sequence[str]) -> dict[str, float]:
    """heading_ocr: as :func:`eval_web_caption`."""
    return _rouge_dataset([p if p else " " for p in preds], golds)


def eval_element_ocr(preds: Sequence[str], golds: Sequence[str]) -> dict[str, float]:
    """element_ocr: as :func:`eval_web_caption`, and one-character predictions become ``" "``."""
    return _rouge_dataset([p if p and len(p) != 1 else " " for p in preds], golds)


def _webqa_item(rouge: Any, pred: str, references: Iterable[str]) -> float:
    """The best ROUGE-1 F over the references; raises as ``rouge`` (or ``max([])``) does."""
    if not pred:
        pred = " "
    return max(rouge.get_scores([pred], [ref], avg=True)["rouge-1"]["f"] for ref in references)


def eval_webqa(preds: Sequence[str], golds: Sequence[Sequence[str]]) -> dict[str, float]:
    """webqa: the mean over items of the best ROUGE-1 F against the references, x100; items
    on which ``rouge`` raises are left out of the mean (the official ``except: pass``)."""
    rouge = _rouge(["rouge-1"])
    f1_scores = []
    for pred, references in zip(preds, golds):
        with contextlib.suppress(Exception):  # the official bare `except: pass`
            f1_scores.append(_webqa_item(rouge, pred, references))
    return {"f1": sum(f1_scores) / len(f1_scores) * 100}


_OFFICIAL = {
    "web_caption": eval_web_caption,
    "heading_ocr": eval_heading_ocr,
    "element_ocr": eval_element_ocr,
    "webqa": eval_webqa,
    "element_ground": eval_choice,
    "action_prediction": eval_choice,
    "action_ground": eval_choice,
}


def official_scores(task: str, preds: Sequence[str], golds: Sequence[Any]) -> dict[str, float]:
    """The official result dict of one task (``run.py``'s ``eval_metric[task](preds, golds)``).

    Args:
        task: The task config.
        preds: Post-processed predictions
            (:func:`~vlagent_envs.benchmarks.visualwebbench.prompts.postprocess`).
        golds: The items' ``answer`` values, in the same order.

    Returns:
        ``{"rouge_1", "rouge_2", "rouge_l"}``, ``{"f1"}`` or ``{"accuracy"}``, on a 0-100 scale.

    Raises:
        ValueError: Where the official code raises (``rouge`` on a prediction made only of
            ``.`` for the ROUGE tasks); ZeroDivisionError on no items, as the official code.
    """
    if task not in _OFFICIAL:
        raise ValueError(f"unknown VisualWebBench task {task!r}; tasks: {', '.join(TASKS)}")
    return _OFFICIAL[task](list(preds), list(golds))


# ---------------------------------------------------------------------- per item
def rouge_f(prediction: str, reference: str, metric: str = "rouge-l") -> float:
    """One ``rouge`` 1.0.1 F score (``"rouge-1"``, ``"rouge-2"`` or ``"rouge-l"``); raises
    ``ValueError`` where ``rouge`` does."""
    return float(_rouge([metric]).get_scores([prediction], [reference])[0][metric]["f"])


def _rouge_prediction(task: str, prediction: str) -> str:
    """The official replacement of empty (and, for element_ocr, one-character) predictions."""
    if not prediction or (task == "element_ocr" and len(prediction) == 1):
        return " "
    return prediction


def score(item: Item, prediction: str) -> float:
    """One item's official score in [0, 1] (the env's reward).

    Args:
        item: The item.
        prediction: The post-processed prediction, as the official adapters return it.

    Returns:
        ROUGE-L F (web_caption, heading_ocr, element_ocr), the best ROUGE-1 F over the
        references (webqa), 1.0 or 0.0 (choice tasks). 0.0 where ``rouge`` raises.
    """
    task = item.task
    if task in CHOICE_TASKS:
        return 1.0 if choice_index(prediction) == item.answer else 0.0
    try:
        if task == "webqa":
            assert isinstance(item.answer, tuple)
            return float(_webqa_item(_rouge(["rouge-1"]), prediction, item.answer))
        assert task in ROUGE_TASKS and isinstance(item.answer, str)
        return rouge_f(_rouge_prediction(task, prediction), item.answer)
    except ValueError:
        return 0.0


def _pairs(records: Iterable[Any]) -> tuple[list[str], list[Any]]:
    preds: list[str] = []
    golds: list[Any] = []
    for record in records:
        if isinstance(record, Mapping):
            if "pred" not in record:  # run.py's leading {"score": ...} row
                continue
            pred, gold = record["pred"], record["gold"]
        else:
            pred, gold = record
        preds.append(pred)
        golds.append(list(gold) if isinstance(gold, tuple) else gold)
    return preds, golds


def aggregate(task: str, records: Iterable[Any], *, strict: bool = False) -> float:
    """The official headline number of one task (0-100) from its predictions.

    Args:
        task: The task config.
        records: ``(prediction, gold)`` pairs, or ``{"pred": ..., "gold": ...}`` mappings as
            the official ``run.py`` writes them (a row without ``"pred"`` is skipped), with
            post-processed predictions and the items' answers.
        strict: Raise where the official code raises (a caption/OCR prediction made only of
            ``.``); by default such an item scores 0 and the others are unaffected.

    Returns:
        ROUGE-L (caption, heading OCR, element OCR), F1 (webqa) or accuracy (choice tasks).

    Raises:
        ValueError: An unknown task, no records, or (``strict``) what the official code raises.
    """
    preds, golds = _pairs(records)
    if not preds:
        raise ValueError(f"no records to aggregate for {task!r}")
    try:
        return official_scores(task, preds, golds)[HEADLINE[task]]
    except ZeroDivisionError:  # webqa where rouge rejected every item
        if strict:
            raise
        return 0.0
    except ValueError:
        if strict or task not in ROUGE_TASKS:
            raise
    # Where rouge raised: the mean of per-item ROUGE-L with 0 for the items it rejects.
    total = 0.0
    for pred, gold in zip(preds, golds):
        with contextlib.suppress(ValueError):
            total += rouge_f(_rouge_prediction(task, pred), gold)
    return total / len(preds) * 100
