"""A small thread-safe map that forgets its least recently used entries: the memory of results
that depend only on their key (a parsed document by its exact JSON, a verified token by its
exact text), bounded so that input from outside cannot grow it without end."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["LruMemo"]

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")


class LruMemo(Generic[_K, _V]):
    """At most ``size`` entries; :meth:`get` marks an entry used, :meth:`put` drops the least
    recently used ones beyond ``size``."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a cache holds at least one entry")
        self._size = size
        self._entries: OrderedDict[_K, _V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: _K) -> _V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: _K, value: _V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
