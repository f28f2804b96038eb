"""Reading an action out of a model's completion, and canonicalising it against a grammar.

Extraction (:func:`extract_action`) accepts, in this order of preference:

1. a JSON object with an ``"action"`` key -- the RL4VLM / VL-DAC answer format
   ``{"thoughts": ..., "action": ...}`` -- anywhere in the text (the last such object wins, so a
   model that drafts and then corrects itself is read as it finished);
2. the same key written loosely (``"action": "+"`` inside a broken object);
3. an ``Action: ...`` line (BALROG and ReAct style; the last one wins);
4. the bare string.

Nothing is ever ``eval``-ed. Canonicalisation is the job of an :class:`ActionGrammar`:
:class:`ChoiceGrammar` covers fixed action sets (case, spacing, quotes, synonyms, numbered
choices); open grammars (WebShop's ``search[...]``) subclass :class:`ActionGrammar`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

__all__ = ["ActionGrammar", "ChoiceGrammar", "extract_action", "normalize_text"]

_JSON_DECODER = json.JSONDecoder()
_LOOSE_ACTION = re.compile(r"""["']action["']\s*:\s*(?:"([^"\n]*)"|'([^'\n]*)'|([^,}\n]+))""", re.I)
_ACTION_LINE = re.compile(r"^[\s>*#`]*action\s*[:=]\s*(.+?)\s*$", re.I | re.M)
_WHITESPACE = re.compile(r"\s+")
# Characters a model commonly wraps an action in, in matching pairs: quotes, backticks, bold.
_WRAPPERS = "\"'`*"
# Objects deeper than this are not looked into (a hostile completion of nested braces).
_MAX_DEPTH = 8
# Stop scanning for JSON objects after this many candidate positions (bounded work per step).
_MAX_JSON_STARTS = 64


def _action_value(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    return None


def _find_action_in_json(obj: object, depth: int = 0) -> str | None:
    if depth > _MAX_DEPTH:
        return None
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(key, str) and key.strip().lower() == "action":
                found = _action_value(value)
                if found is not None:
                    return found
        for value in obj.values():
            found = _find_action_in_json(value, depth + 1)
            if found is not None:
                return found
    return None


def extract_action(completion: str) -> str:
    """Return the action text a completion names (not yet canonicalised).

    Args:
        completion: The raw text an agent produced.

    Returns:
        The extracted action text, stripped; the whole completion stripped when no structured
        form is found. Never raises.
    """
    text = completion
    if "{" in text and "action" in text.lower():
        found: str | None = None
        starts = [m.start() for m in re.finditer(r"\{", text)][:_MAX_JSON_STARTS]
        for start in starts:
            try:
                obj, _ = _JSON_DECODER.raw_decode(text, start)
            except (ValueError, RecursionError):
                continue
            candidate = _find_action_in_json(obj)
            if candidate is not None:
                found = candidate
        if found is not None:
            return found.strip()
        loose = _LOOSE_ACTION.findall(text)
        if loose:
            return next(group for group in loose[-1] if group).strip()
    lines = _ACTION_LINE.findall(text)
    if lines:
        return lines[-1].strip()
    return text.strip()


def normalize_text(text: str) -> str:
    """Lower-case, collapse whitespace, unwrap matching quotes/backticks/``**``, drop a final dot.

    Only *matching* wrappers are removed, so actions made of those characters (``"*"``) survive.
    """
    text = text.strip()
    while len(text) >= 2 and text[0] == text[-1] and text[0] in _WRAPPERS:
        text = text[1:-1].strip()
    if len(text) > 1 and text.endswith(".") and not text.endswith(".."):
        text = text[:-1]
    return _WHITESPACE.sub(" ", text.lower()).strip()


@runtime_checkable
class ActionGrammar(Protocol):
    """What an env accepts as an action: parses extracted text into a canonical action."""

    def parse(self, text: str) -> str | None:
        """The canonical action ``text`` names, or ``None`` if it names none."""
        ...

    def describe(self) -> str:
        """One line for a prompt saying what may be answered."""
        ...


class ChoiceGrammar:
    """A fixed set of actions, matched leniently.

    Args:
        actions: The canonical actions, in the order they are numbered.
        synonyms: Extra spellings mapped to a canonical action (matched after
            :func:`normalize_text`).
        numbered: ``None`` (off), ``0`` or ``1``: also accept the index of an action counted from
            that base (VL-DAC's MiniWorld prompt numbers its actions ``0``..``3``).
        case_sensitive: Match canonical actions case-sensitively (rarely wanted).
    """

    def __init__(
        self,
        actions: Sequence[str],
        synonyms: Mapping[str, str] | None = None,
        numbered: int | None = None,
        case_sensitive: bool = False,
    ):
        if not actions:
            raise ValueError("a ChoiceGrammar needs at least one action")
        self.actions: tuple[str, ...] = tuple(actions)
        self.numbered = numbered
        self.case_sensitive = case_sensitive
        self._lookup: dict[str, str] = {}
        for action in self.actions:
            self._lookup[self._key(action)] = action
        for spelling, action in (synonyms or {}).items():
            if action not in self.actions:
                raise ValueError(f"synonym {spelling!r} maps to unknown action {action!r}")
            self._lookup.setdefault(self._key(spelling), action)
        if numbered is not None:
            for i, action in enumerate(self.actions):
                self._lookup.setdefault(str(i + numbered), action)

    def _key(self, text: str) -> str:
        return text.strip() if self.case_sensitive else normalize_text(text)

    def parse(self, text: str) -> str | None:
        """Canonical action for ``text`` or ``None``.

        Tries the whole text, then the text without a trailing explanation after the first line
        (``"hit\\nbecause ..."``), then a leading ``"<n>."``/``"<n>:"`` numbering.
        """
        for candidate in self._candidates(text):
            key = self._key(candidate)
            action = self._lookup.get(key) if key else None
            if action is not None:
                return action
        return None

    @staticmethod
    def _candidates(text: str) -> Iterable[str]:
        yield text
        first_line = text.strip().split("\n", 1)[0]
        if first_line != text:
            yield first_line
        # "[hit]" or "(hit)" as some models bracket their choice.
        stripped = text.strip()
        if len(stripped) > 2 and stripped[0] in "[(<" and stripped[-1] in "])>":
            yield stripped[1:-1]

    def describe(self) -> str:
        listed = ", ".join(f'"{a}"' for a in self.actions)
        if self.numbered is not None:
            listed += f" (or the action's number, counting from {self.numbered})"
        return f"Answer with exactly one of: {listed}."

    def __repr__(self) -> str:
        return f"ChoiceGrammar({list(self.actions)!r}, numbered={self.numbered})"
