"""Arithmetic formulas of the point games: exact evaluation without ``eval`` and a solver.

A formula is a list of tokens: numbers (``"1"`` .. ``"13"``), the operators ``+ - * /`` and
parentheses. The grammar is the usual one, with no unary minus and no concatenation of numbers::

    expr   := term (("+" | "-") term)*
    term   := factor (("*" | "/") factor)*
    factor := NUMBER | "(" expr ")"

Arithmetic is exact (:class:`fractions.Fraction`), so ``8 / (3 - 8 / 3)`` is 24. The original
gym_cards joined the tokens and called Python's ``eval`` on the string, which also accepted
concatenated numbers (``2`` then ``4`` read as ``24``), ``**`` and unary minus, and compared
floats; those differences are documented on the environments.
"""

from __future__ import annotations

import functools
from fractions import Fraction

OPERATORS = ("+", "-", "*", "/")
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


class FormulaError(ValueError):
    """The tokens do not form a formula (or divide by zero)."""


def evaluate(tokens: list[str]) -> Fraction:
    """The exact value of ``tokens``.

    Raises:
        FormulaError: On a syntax error, an empty formula or a division by zero.
    """
    parser = _Parser(tokens)
    value = parser.expr()
    if parser.pos != len(tokens):
        raise FormulaError(f"unexpected {tokens[parser.pos]!r} at position {parser.pos}")
    return value


class _Parser:
    def __init__(self, tokens: list[str]):
        self.tokens, self.pos = tokens, 0

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def expr(self) -> Fraction:
        value = self.term()
        while self._peek() in ("+", "-"):
            op = self.tokens[self.pos]
            self.pos += 1
            rhs = self.term()
            value = value + rhs if op == "+" else value - rhs
        return value

    def term(self) -> Fraction:
        value = self.factor()
        while self._peek() in ("*", "/"):
            op = self.tokens[self.pos]
            self.pos += 1
            rhs = self.factor()
            if op == "*":
                value = value * rhs
            elif rhs == 0:
                raise FormulaError("division by zero")
            else:
                value = value / rhs
        return value

    def factor(self) -> Fraction:
        token = self._peek()
        if token is None:
            raise FormulaError("formula ends too early")
        self.pos += 1
        if token == "(":
            value = self.expr()
            if self._peek() != ")":
                raise FormulaError("missing ')'")
            self.pos += 1
            return value
        if token.isdigit():
            return Fraction(int(token))
        raise FormulaError(f"unexpected {token!r} at position {self.pos - 1}")


# --- solver -----------------------------------------------------------------------------------
# An expression is kept as (tokens, precedence of its top operator; 3 for a bare number).


def _wrap(expr: tuple[tuple[str, ...], int], needs: bool) -> tuple[str, ...]:
    return ("(", *expr[0], ")") if needs else expr[0]


def _combine(
    left: tuple[tuple[str, ...], int], op: str, right: tuple[tuple[str, ...], int]
) -> tuple[tuple[str, ...], int]:
    prec = _PRECEDENCE[op]
    left_tokens = _wrap(left, left[1] < prec)
    right_tokens = _wrap(right, right[1] < prec or (right[1] == prec and op in ("-", "/")))
    return (*left_tokens, op, *right_tokens), prec


def solve(numbers: tuple[int, ...], target: int) -> tuple[str, ...] | None:
    """Tokens of a formula using every number exactly once that equals ``target``, or ``None``.

    Exhaustive over all binary trees and the four operators with exact arithmetic. The values
    reachable from each multiset of numbers are cached, so solving is cheap after the first
    deals (there are only 715 four-card multisets of 1..10).
    """
    found = _reachable(tuple(sorted(Fraction(n) for n in numbers))).get(Fraction(target))
    return found[0] if found else None


Expr = tuple[tuple[str, ...], int]


@functools.lru_cache(maxsize=16384)
def _reachable(values: tuple[Fraction, ...]) -> dict[Fraction, Expr]:
    """Every value a formula over exactly ``values`` (sorted) can take, with one formula each."""
    if len(values) == 1:
        return {values[0]: ((str(values[0]),), 3)}
    out: dict[Fraction, Expr] = {}
    n = len(values)
    seen: set[tuple[tuple[Fraction, ...], tuple[Fraction, ...]]] = set()
    for mask in range(1, 2**n - 1):
        left = tuple(values[i] for i in range(n) if mask >> i & 1)
        right = tuple(values[i] for i in range(n) if not mask >> i & 1)
        if (left, right) in seen:  # equal numbers make equal splits
            continue
        seen.add((left, right))
        for a, ea in _reachable(left).items():
            for b, eb in _reachable(right).items():
                # Both orders of the split are visited, so each operator is applied as a op b.
                for value, op in ((a + b, "+"), (a - b, "-"), (a * b, "*")):
                    if value not in out:
                        out[value] = _combine(ea, op, eb)
                if b != 0 and (value := a / b) not in out:
                    out[value] = _combine(ea, "/", eb)
    return out
