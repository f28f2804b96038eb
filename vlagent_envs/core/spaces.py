"""The free-text space used for every text observation and every action.

Gymnasium's :class:`gymnasium.spaces.Text` only admits a fixed character set (alphanumerics by
default), so ordinary model output such as ``{"action": "+"}`` is outside it. :class:`FreeText`
admits any Python ``str`` up to ``max_length`` characters and registers itself with Gymnasium's
vector utilities, so a ``Dict`` observation holding it batches in ``gym.make_vec`` with both the
``sync`` and the ``async`` (shared-memory) vectorisation modes. A batch of texts is a tuple of
strings, as Gymnasium does for ``Text``.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium.spaces import Space
from gymnasium.vector.utils import (
    create_empty_array,
    create_shared_memory,
    read_from_shared_memory,
    write_to_shared_memory,
)

__all__ = ["FreeText"]

_SAMPLE_ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;!?+-*/=()[]{}\"'_\n"
)


class FreeText(Space[str]):
    """Any unicode string of at most ``max_length`` characters.

    Args:
        max_length: Longest string the space contains. Actions longer than this are truncated
            by :class:`~vlagent_envs.core.env.VLAgentEnv` and marked invalid.
        min_length: Shortest string the space contains (default 0, the empty string).
        seed: Seed for :meth:`sample`.

    ``sample()`` draws printable ASCII text; it exists for API completeness (random text is
    almost never a valid action) and for fuzzing.
    """

    def __init__(self, max_length: int = 4096, *, min_length: int = 0, seed: int | None = None):
        if not (0 <= min_length <= max_length):
            raise ValueError(f"need 0 <= min_length <= max_length, got {min_length}, {max_length}")
        self.max_length = int(max_length)
        self.min_length = int(min_length)
        super().__init__(shape=None, dtype=None, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        """A random printable string (length uniform in ``[min_length, min(max_length, 64)]``)."""
        upper = max(self.min_length, min(self.max_length, 64))
        length = int(self.np_random.integers(self.min_length, upper + 1))
        idx = self.np_random.integers(0, len(_SAMPLE_ALPHABET), size=length)
        return "".join(_SAMPLE_ALPHABET[i] for i in idx)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    def __repr__(self) -> str:
        return f"FreeText(max_length={self.max_length})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, FreeText)
            and other.max_length == self.max_length
            and other.min_length == self.min_length
        )

    def to_jsonable(self, sample_n: Sequence[str]) -> list[str]:
        return list(sample_n)

    def from_jsonable(self, sample_n: Sequence[str]) -> list[str]:
        return list(sample_n)


# --- vector-env support -----------------------------------------------------------------------
# `batch_space` and `concatenate` already treat any custom Space as a tuple of items. `iterate`
# is deliberately not registered: a batch of texts is a Tuple of FreeText, which Gymnasium then
# iterates item by item (registering it would make Tuple iterate each string's characters).


@create_empty_array.register(FreeText)
def _create_empty_array_free_text(space: FreeText, n: int = 1, fn: Any = np.zeros) -> tuple:
    return tuple("" for _ in range(n))


# Shared memory layout per env: [length, code point 0, ..., code point max_length-1] as int32.


@create_shared_memory.register(FreeText)
def _create_free_text_shared_memory(space: FreeText, n: int = 1, ctx: Any = mp) -> Any:
    return ctx.Array(np.dtype(np.int32).char, n * (space.max_length + 1))


class SharedTexts(Sequence[str]):
    """A live, read-only view of the texts in an ``AsyncVectorEnv``'s shared memory.

    ``AsyncVectorEnv`` reads its shared observation buffer once, at construction, and relies on
    the result being a view (true of NumPy arrays). Strings are immutable, so this sequence
    decodes on access instead; ``copy.deepcopy`` (which the vector env applies to every
    observation it returns by default) turns it into a plain tuple of ``str``.
    """

    def __init__(self, space: FreeText, shared_memory: Any, n: int):
        self._data = np.frombuffer(shared_memory.get_obj(), dtype=np.int32).reshape(
            n, space.max_length + 1
        )

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, index: int) -> str:  # type: ignore[override]
        row = self._data[index]
        return "".join(map(chr, row[1 : 1 + int(row[0])].tolist()))

    def __deepcopy__(self, memo: dict) -> tuple[str, ...]:
        return tuple(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __repr__(self) -> str:
        return f"SharedTexts({tuple(self)!r})"


@read_from_shared_memory.register(FreeText)
def _read_free_text(space: FreeText, shared_memory: Any, n: int = 1) -> SharedTexts:
    return SharedTexts(space, shared_memory, n)


@write_to_shared_memory.register(FreeText)
def _write_free_text(space: FreeText, index: int, value: str, shared_memory: Any) -> None:
    size = space.max_length + 1
    codes = np.fromiter(map(ord, value[: space.max_length]), dtype=np.int32)
    destination = np.frombuffer(shared_memory.get_obj(), dtype=np.int32)
    row = destination[index * size : (index + 1) * size]
    row[0] = len(codes)
    row[1 : 1 + len(codes)] = codes
