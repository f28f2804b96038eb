"""Objects shared by the envs of one process, reference-counted (the shop's server, browsers).

A forked child (a Gymnasium async vector env's worker on Linux) inherits a copy of the parent's
registry, whose server thread does not run in the child and whose browser belongs to the
parent; it therefore starts with an empty registry of its own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["ProcessShared"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ProcessShared(Generic[K, V]):
    """One object per key for the current process, made by its first user, ended by its last."""

    def __init__(self) -> None:
        self._items: dict[K, tuple[V, int]] = {}
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def _here(self) -> dict[K, tuple[V, int]]:
        if self._pid != os.getpid():  # a forked child: nothing inherited is ours
            self._items = {}
            self._pid = os.getpid()
        return self._items

    def acquire(self, key: K, make: Callable[[], V]) -> V:
        """The object for ``key``, made with ``make()`` if there is none; one more user."""
        with self._lock:
            items = self._here()
            value, users = items.get(key, (None, 0))
            if value is None:
                value = make()
            items[key] = (value, users + 1)
            return value

    def release(self, value: V, end: Callable[[V], None]) -> None:
        """One user fewer of ``value``; the last one's release calls ``end(value)``. Objects this
        registry did not hand out are ignored."""
        with self._lock:
            items = self._here()
            for key, (candidate, users) in list(items.items()):
                if candidate is value:
                    if users <= 1:
                        del items[key]
                        end(value)
                    else:
                        items[key] = (value, users - 1)
                    return
