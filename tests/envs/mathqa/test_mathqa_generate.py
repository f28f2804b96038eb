"""The shipped problem set: reproducible, arithmetically right, disjoint, balanced."""

from __future__ import annotations

import collections
import json
import operator
import re
from pathlib import Path

import pytest

from vlagent_envs.envs.mathqa.dataset import SHIPPED_DATA, load_problems
from vlagent_envs.envs.mathqa.generate import KINDS, generate_problems, main

_CALCULATION = re.compile(r"<<(\d+)([-+*/])(\d+)=(\d+)>>")
_OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul}


def _value(left: str, symbol: str, right: str) -> int:
    """A calculation evaluated without eval: integers, one operator, exact division."""
    a, b = int(left), int(right)
    if symbol == "/":
        assert a % b == 0, f"{a}/{b} is not exact"
        return a // b
    return _OPERATORS[symbol](a, b)


def test_the_shipped_files_are_reproducible(tmp_path: Path) -> None:
    main(["--out", str(tmp_path)])
    for split in ("train", "test"):
        shipped = (SHIPPED_DATA / f"{split}.jsonl").read_bytes()
        assert (tmp_path / f"{split}.jsonl").read_bytes() == shipped, split


@pytest.mark.parametrize("split", ["train", "test"])
def test_every_shipped_answer_is_arithmetically_right(split: str) -> None:
    for line in (SHIPPED_DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        assert set(record) == {"question", "answer"}
        *steps, final = record["answer"].split("\n")
        assert 1 <= len(steps) <= 3 and re.fullmatch(r"#### \d+", final)
        value = None
        for step in steps:
            (left, symbol, right, result), *more = _CALCULATION.findall(step)
            assert not more, step
            value = _value(left, symbol, right)
            assert value == int(result) > 0, step
            assert f">>{result} " in step  # the result is written after the annotation
        assert final == f"#### {value}", record


def test_splits_are_disjoint_and_balanced() -> None:
    train = load_problems(SHIPPED_DATA, "train")
    test = load_problems(SHIPPED_DATA, "test")
    assert (len(train), len(test)) == (2000, 500)
    questions = [p.question for p in train + test]
    assert len(set(questions)) == len(questions)
    for problems in (train, test):
        counts = collections.Counter(p.operations for p in problems)
        assert set(counts) == {1, 2, 3}
        assert max(counts.values()) - min(counts.values()) <= 1


def test_every_story_kind_appears() -> None:
    assert len(KINDS) >= 12
    questions = [p["question"] for p in generate_problems(600, seed=1)]
    for kind in KINDS:
        opening = re.sub(r"\\\{\w+\\\}", "[^.]+?", re.escape(kind.start))
        assert any(re.match(opening, q) for q in questions), kind.start


def test_the_seed_changes_the_set() -> None:
    assert generate_problems(30, seed=0) == generate_problems(30, seed=0)
    assert generate_problems(30, seed=0) != generate_problems(30, seed=1)
