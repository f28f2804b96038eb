"""Loading math word problems in GSM8K's JSONL format.

One JSON object per line with ``question`` (str) and ``answer`` (str): the worked solution,
whose last line is ``#### <number>``; other fields are ignored. Solutions may annotate each
calculation as ``<<48/2=24>>`` (GSM8K does); a problem's number of operations is the number of
such annotations. A folder is read as GSM8K's ``grade_school_math/data/`` layout, one
``train.jsonl`` and one ``test.jsonl``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from vlagent_envs.envs.mathqa.answer import canonical_number

__all__ = ["SHIPPED_DATA", "SPLITS", "DatasetError", "Problem", "load_problems", "parse_gold"]

SPLITS: tuple[str, ...] = ("train", "test")
# The generated problem set shipped with the package (see ``generate.py``).
SHIPPED_DATA = Path(__file__).parent / "data"

_GOLD_LINE = re.compile(r"####\s*(-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)")
_CALCULATION = re.compile(r"<<[^<>]*>>")


class DatasetError(ValueError):
    """A problem file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Problem:
    """One math word problem.

    Attributes:
        question: The problem text.
        answer: The worked solution, ending with the line ``#### <number>``.
        gold: The final number without commas (``"1234"``), as
            :func:`~vlagent_envs.envs.mathqa.answer.canonical_number` writes it.
        operations: The number of ``<<...>>`` calculator annotations in ``answer``.
    """

    question: str
    answer: str
    gold: str
    operations: int


def parse_gold(answer: str) -> str | None:
    """The gold number of a worked solution: its last line must be ``#### <number>``.

    Args:
        answer: A GSM8K-format solution.

    Returns:
        The number without commas, or ``None`` when the last non-empty line is not
        ``#### <number>``.
    """
    lines = answer.strip().splitlines()
    match = _GOLD_LINE.fullmatch(lines[-1].strip()) if lines else None
    return canonical_number(match.group(1)) if match else None


def load_problems(path: str | os.PathLike[str], split: str = "train") -> list[Problem]:
    """Read GSM8K-format problems from a JSONL file or a folder of splits.

    Args:
        path: A ``.jsonl`` file, or a folder holding ``train.jsonl`` and ``test.jsonl``.
        split: Which file of a folder to read (``"train"`` or ``"test"``); ignored for a file.

    Returns:
        The problems in file order (blank lines are skipped).

    Raises:
        FileNotFoundError: The file (for a folder: its ``<split>.jsonl``) does not exist; the
            message names the path looked at.
        DatasetError: A line is not a JSON object with string ``question`` and ``answer``, an
            answer does not end with ``#### <number>``, or the file holds no problem; the
            message names the file and line.
    """
    file = Path(path)
    if file.is_dir():
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        file = file / f"{split}.jsonl"
    if not file.is_file():
        raise FileNotFoundError(f"no GSM8K-format JSONL file at {file}")
    problems = []
    with file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                problems.append(_parse_line(line, f"{file}:{number}"))
    if not problems:
        raise DatasetError(f"{file}: no problems in the file")
    return problems


def _parse_line(line: str, where: str) -> Problem:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise DatasetError(f"{where}: not valid JSON ({error.msg})") from error
    if not isinstance(record, dict):
        raise DatasetError(f"{where}: expected a JSON object, got {type(record).__name__}")
    missing = [key for key in ("question", "answer") if key not in record]
    if missing:
        raise DatasetError(f"{where}: missing key(s) {', '.join(map(repr, missing))}")
    question, answer = record["question"], record["answer"]
    if not (isinstance(question, str) and isinstance(answer, str)):
        raise DatasetError(f"{where}: 'question' and 'answer' must be strings")
    gold = parse_gold(answer)
    if gold is None:
        last = answer.strip().splitlines()[-1] if answer.strip() else ""
        raise DatasetError(
            f"{where}: the answer must end with a line '#### <number>', got {last!r}"
        )
    return Problem(question, answer, gold, len(_CALCULATION.findall(answer)))
