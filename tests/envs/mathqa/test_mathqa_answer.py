"""Reading a response's final number and scoring it against the gold answer."""

from __future__ import annotations

import pytest

from vlagent_envs.envs.mathqa.answer import (
    FinalAnswerGrammar,
    answers_match,
    canonical_number,
    extract_final_number,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#### 1,234", "1234"),
        ("The answer is 42.", "42"),
        ("-3", "-3"),
        ("2.50", "2.50"),
        ("I do not know.", None),
        ("", None),
        ("She has 3+4 = <<3+4=7>>7 apples.\n#### 7", "7"),
        ("#### 12\nActually I double-checked: 13 apples.", "12"),  # the #### line wins
        ("#### 5\nno wait\n#### 6", "6"),  # the last #### wins
        ("#### none\nso it is 8", "8"),  # a #### without a number is skipped
        ("10-3=7", "7"),  # a minus after a digit is subtraction
        ("x = -3 so the answer is -3", "-3"),
        ("It costs $1,234.50 in total.", "1234.50"),
        ("#### $18.", "18"),
        ("The total is 1,234, which is a lot", "1234"),
        ("Answer: \u221212", "-12"),  # Unicode minus
        ("She ate 3/4 of the pie", "4"),  # fractions are two numbers
        ("H2O and abc123", None),  # digits glued to a word are not numbers
        ("The answer is \\boxed{72}", "72"),
        ("1,000,000 grains", "1000000"),
        ("0.5 litres", "0.5"),
    ],
)
def test_extract_final_number(text: str, expected: str | None) -> None:
    assert extract_final_number(text) == expected


@pytest.mark.parametrize(
    ("prediction", "gold", "match"),
    [
        ("42", "42", True),
        ("42.0", "42", True),
        ("42.0000001", "42", False),  # integer gold answers are exact
        ("41", "42", False),
        ("-3", "-3", True),
        ("3", "-3", False),
        ("2.5", "2.50", True),
        ("2.5000004", "2.5", True),  # decimals within 1e-6
        ("2.50001", "2.5", False),
        ("123456789012345678901234567890", "123456789012345678901234567890", True),
    ],
)
def test_answers_match(prediction: str, gold: str, match: bool) -> None:
    assert answers_match(prediction, gold) is match


def test_canonical_number() -> None:
    assert canonical_number("$1,234.50") == "1234.50"
    assert canonical_number("\u22127") == "-7"


def test_grammar_reads_free_text_and_refuses_bare_json_objects() -> None:
    grammar = FinalAnswerGrammar()
    assert grammar.parse("Step one: 2*3=6.\n#### 6") == "6"
    assert grammar.parse("no number here") is None
    assert grammar.parse('{"thoughts": "I think 42"}') is None  # structured, but no action
    assert grammar.parse('{"a": ' * 50 + "1" + "}" * 50) is None
    assert grammar.parse("{not json} 5") == "5"
    assert "####" in grammar.describe()
