"""Loading GSM8K-format JSONL: files, the official folder layout, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vlagent_envs.envs.mathqa.dataset import DatasetError, load_problems, parse_gold

# Two records as GSM8K writes them (its first training problem, and a shorter one).
NATALIA = {
    "question": "Natalia sold clips to 48 of her friends in April, and then she sold half as "
    "many clips in May. How many clips did Natalia sell altogether in April and May?",
    "answer": "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
    "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72",
}
BIG = {"question": "How many grains are there?", "answer": "Many.\n#### 1,234", "id": 7}


def _write(path: Path, records: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_loads_a_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "some.jsonl", [NATALIA, "", BIG])  # a blank line is skipped
    first, second = load_problems(path)
    assert (first.gold, first.operations, first.question) == ("72", 2, NATALIA["question"])
    assert first.answer == NATALIA["answer"]
    assert (second.gold, second.operations) == ("1234", 0)  # commas gone, extra keys ignored


def test_loads_the_official_folder_layout(tmp_path: Path) -> None:
    data = tmp_path / "grade_school_math" / "data"
    _write(data / "train.jsonl", [NATALIA, BIG])
    _write(data / "test.jsonl", [BIG])
    assert [p.gold for p in load_problems(data)] == ["72", "1234"]
    assert [p.gold for p in load_problems(data, split="test")] == ["1234"]
    with pytest.raises(ValueError, match="split"):
        load_problems(data, split="validation")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"question": "q", "answer": "#### 1"', "not valid JSON"),
        ("[1, 2]", "expected a JSON object, got list"),
        ('{"question": "q"}', "missing key\\(s\\) 'answer'"),
        ('{"answer": "#### 3"}', "missing key\\(s\\) 'question'"),
        ('{"question": "q", "answer": 3}', "must be strings"),
        ('{"question": "q", "answer": "It is 3."}', "must end with a line '#### <number>'"),
        ('{"question": "q", "answer": "#### 3\\nmore"}', "got 'more'"),
        ('{"question": "q", "answer": "#### three"}', "'#### three'"),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = _write(tmp_path / "bad.jsonl", [NATALIA, line])
    with pytest.raises(DatasetError, match=rf"bad\.jsonl:2: .*{message}"):
        load_problems(path)


def test_missing_paths_are_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nowhere\.jsonl"):
        load_problems(tmp_path / "nowhere.jsonl")
    _write(tmp_path / "data" / "train.jsonl", [NATALIA])
    with pytest.raises(FileNotFoundError, match=r"data/test\.jsonl"):
        load_problems(tmp_path / "data", split="test")


def test_an_empty_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="no problems"):
        load_problems(path)


@pytest.mark.parametrize(
    ("answer", "gold"),
    [("#### 72", "72"), ("x\n#### -3", "-3"), ("#### 2.50\n\n", "2.50"), ("#### 1,234", "1234")],
)
def test_parse_gold(answer: str, gold: str) -> None:
    assert parse_gold(answer) == gold
