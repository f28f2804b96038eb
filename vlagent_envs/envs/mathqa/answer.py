"""Reading the final number out of a worked answer, and scoring it against the gold one.

The rule is GSM8K's: the final answer is the number after the last ``####``; a response
without one is read by its last number (the usual lenient reading of a model's free text).
Numbers may carry thousands commas (``1,234``), a dollar sign, a sign (``-3``, also the
Unicode minus) and decimals (``2.50``); a sentence's final dot is not part of them. A minus
counts only where it cannot be subtraction (``10-3`` reads as 10 and 3). Fractions are not
read as values: ``3/4`` is the two numbers 3 and 4 (GSM8K's gold answers are integers).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

__all__ = ["FinalAnswerGrammar", "answers_match", "canonical_number", "extract_final_number"]

# A number not glued to a word or a decimal point before it: an optional sign and dollar sign,
# then digits grouped by commas in threes, or plain digits, and an optional decimal part.
_NUMBER = r"(?<![\w.])[-\u2212]?\$?(?:\d{1,3}(?:,\d{3})+(?!\d|,\d)|\d+)(?:\.\d+)?"
_NUMBER_RE = re.compile(_NUMBER)
_FINAL_RE = re.compile(r"####\s*(" + _NUMBER + ")")
# Integral gold answers are compared exactly; others within this tolerance.
_TOLERANCE = Decimal("1e-6")


def canonical_number(text: str) -> str:
    """A number as matched in a text, without commas or dollar sign and with an ASCII minus.

    Args:
        text: One number as :func:`extract_final_number` finds it (``"$1,234.50"``).

    Returns:
        The plain decimal spelling (``"1234.50"``), which :class:`decimal.Decimal` reads.
    """
    return text.replace(",", "").replace("$", "").replace("\u2212", "-")


def extract_final_number(text: str) -> str | None:
    """The final number a response gives as its answer.

    Args:
        text: A worked answer or any free text.

    Returns:
        The number after the last ``####`` followed by a number, else the last number in the
        text, in :func:`canonical_number` form; ``None`` when the text holds no number.
    """
    finals = _FINAL_RE.findall(text)
    if finals:
        return canonical_number(finals[-1])
    numbers = _NUMBER_RE.findall(text)
    return canonical_number(numbers[-1]) if numbers else None


def answers_match(prediction: str, gold: str) -> bool:
    """Whether a predicted number equals the gold one.

    Args:
        prediction: A number in :func:`canonical_number` form.
        gold: The gold number in the same form.

    Returns:
        Exact equality when the gold answer is an integer (``"5.0"`` matches ``"5"``,
        ``"5.0000001"`` does not); otherwise equality within 1e-6.
    """
    predicted, expected = Decimal(prediction), Decimal(gold)
    if expected == expected.to_integral_value():
        return predicted == expected
    return abs(predicted - expected) <= _TOLERANCE


class FinalAnswerGrammar:
    """The open grammar of a free-text answer: its canonical action is the final number.

    Any text holding a number is valid and parses to :func:`extract_final_number`'s reading.
    A response that is a JSON object as a whole reaches the grammar only when it has no
    ``"action"`` key (the base class reads that key first); such structured output names no
    answer, so it is invalid rather than read by whatever number sits in its fields.
    """

    def parse(self, text: str) -> str | None:
        """The final number of ``text``, or ``None`` if it names none."""
        stripped = text.strip()
        if stripped.startswith("{"):
            try:
                if isinstance(json.loads(stripped), dict):
                    return None
            except (ValueError, RecursionError):
                pass
        return extract_final_number(text)

    def describe(self) -> str:
        """One line for a prompt saying what may be answered."""
        return "Answer in free text and end with a line '#### <number>'."

    def __repr__(self) -> str:
        return "FinalAnswerGrammar()"
