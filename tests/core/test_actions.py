"""Action extraction and canonicalisation."""

from __future__ import annotations

import pytest

from vlagent_envs.core import ChoiceGrammar, extract_action, normalize_text


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ('{"thoughts": "target is 3, current 1", "action": "+"}', "+"),
        ('Sure!\n```json\n{"current number": "1", "thoughts": "x", "action": "hit"}\n```', "hit"),
        ('{"action": "-"} then I changed my mind {"action": "+"}', "+"),
        ('{"outer": {"action": "stand"}}', "stand"),
        ('{"action": 7}', "7"),
        ('{"thoughts": "broken json", "action": "hit",', "hit"),
        ("{'action': 'stand'}", "stand"),
        ("I think so.\nAction: turn left\n", "turn left"),
        ("Action: a\nAction: b", "b"),
        ("  +  ", "+"),
        ("", ""),
    ],
)
def test_extract_action(completion: str, expected: str) -> None:
    assert extract_action(completion) == expected


def test_extract_action_never_evaluates() -> None:
    hostile = '{"action": __import__("os").system("false")}'
    assert "__import__" in extract_action(hostile)


def test_normalize_keeps_operator_characters() -> None:
    assert normalize_text("*") == "*"
    assert normalize_text("**Hit**") == "hit"
    assert normalize_text('"Stand."') == "stand"
    assert normalize_text("`turn   LEFT`") == "turn left"
    assert normalize_text("...") == "..."


def test_choice_grammar() -> None:
    grammar = ChoiceGrammar(
        ["turn left", "turn right", "move forward"],
        synonyms={"forward": "move forward"},
        numbered=0,
    )
    assert grammar.parse("Turn Left") == "turn left"
    assert grammar.parse("forward") == "move forward"
    assert grammar.parse("1") == "turn right"
    assert grammar.parse("move forward\nbecause the goal is ahead") == "move forward"
    assert grammar.parse("[turn right]") == "turn right"
    assert grammar.parse("jump") is None
    assert grammar.parse("") is None
    assert '"turn left"' in grammar.describe() and "counting from 0" in grammar.describe()


def test_choice_grammar_rejects_bad_synonyms() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        ChoiceGrammar(["a"], synonyms={"b": "c"})
    with pytest.raises(ValueError):
        ChoiceGrammar([])
