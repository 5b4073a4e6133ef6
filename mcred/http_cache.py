"""The fetcher's in-process cache: ``Cache-Control`` parsing, the freshness rule, a bounded LRU.

The freshness policy itself is documented in :mod:`mcred.http`; this module holds its parts:
:class:`CacheControl` reads the response directives we act on (RFC 9111 §5.2.2: ``max-age``,
``no-store``, ``no-cache``), :func:`freshness_lifetime` turns them (and a caller's ``ttl``)
into seconds, and :class:`LruCache` keeps entries within a count and a byte budget.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

__all__ = ["CacheControl", "CacheEntry", "LruCache", "freshness_lifetime"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class CacheControl:
    """The response directives the fetcher honours; others (``public``, ``private``,
    ``must-revalidate``: we never serve stale) change nothing for it."""

    max_age: float | None = None
    no_store: bool = False
    no_cache: bool = False

    @classmethod
    def parse(cls, value: str | None) -> CacheControl:
        """Parse a ``Cache-Control`` value. An invalid ``max-age`` counts as ``0`` (RFC 9111
        §4.2.1: stale); a repeated one keeps the smallest. ``no-cache`` with a field list is
        treated as a plain ``no-cache`` (stricter)."""
        max_age: float | None = None
        no_store = no_cache = False
        for token in (value or "").split(","):
            name, _, argument = token.partition("=")
            name = name.strip().lower()
            if name == "no-store":
                no_store = True
            elif name == "no-cache":
                no_cache = True
            elif name == "max-age":
                text = argument.strip().strip('"')
                seconds = float(text) if text.isdigit() and text.isascii() else 0.0
                max_age = seconds if max_age is None else min(max_age, seconds)
        return cls(max_age=max_age, no_store=no_store, no_cache=no_cache)


def freshness_lifetime(
    cache_control: CacheControl,
    *,
    age: float = 0.0,
    ttl: float | None = None,
    default_max_age: float = 0.0,
    max_ttl: float,
) -> float | None:
    """Seconds a response stays fresh, or ``None`` when it must not be stored (``no-store``).

    In order: a caller's ``ttl`` wins over the HTTP headers (as IETF Token Status List says of
    its ``ttl``); else ``no-cache`` gives 0; else ``max-age`` minus the ``Age`` the response
    already had; else ``default_max_age``. The result is clamped to ``[0, max_ttl]``; a
    non-finite number counts as 0.
    """
    if cache_control.no_store:
        return None
    if ttl is not None:
        lifetime = ttl
    elif cache_control.no_cache:
        lifetime = 0.0
    elif cache_control.max_age is not None:
        lifetime = cache_control.max_age - max(age, 0.0)
    else:
        lifetime = default_max_age
    if not math.isfinite(lifetime):
        return 0.0
    return min(max(lifetime, 0.0), max_ttl)


@dataclass(frozen=True)
class CacheEntry(Generic[V]):
    value: V
    fresh_until: datetime
    size: int


class LruCache(Generic[K, V]):
    """Least-recently-used entries, at most ``max_entries`` of them and ``max_bytes`` in all
    (the sizes callers declare). Thread-safe; an entry larger than the budget is not kept."""

    def __init__(self, *, max_entries: int, max_bytes: int) -> None:
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._entries: OrderedDict[K, CacheEntry[V]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> CacheEntry[V] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: K, value: V, *, fresh_until: datetime, size: int) -> None:
        with self._lock:
            self._discard(key)
            if size > self._max_bytes or self._max_entries == 0:
                return
            self._entries[key] = CacheEntry(value, fresh_until, size)
            self._bytes += size
            while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size

    def discard(self, key: K) -> None:
        with self._lock:
            self._discard(key)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _discard(self, key: K) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry.size
