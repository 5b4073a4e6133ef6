"""What the issuer needs from the outside world, as Protocols (filled in by ``mcred``)."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from vc_core.keys import KeyType, PrivateKey

__all__ = ["InMemorySigningKeyStore", "SigningKey", "SigningKeyStore", "new_key_fragment"]


@dataclass(frozen=True)
class SigningKey:
    """One of the coordinating provider's keys; retired keys still verify, never sign."""

    fragment: str
    private_key: PrivateKey
    created: datetime
    retired_at: datetime | None = None

    @property
    def key_type(self) -> KeyType:
        return self.private_key.key_type

    @property
    def active(self) -> bool:
        return self.retired_at is None


def new_key_fragment(key_type: KeyType, now: datetime) -> str:
    """Date-named, never reused fragment ids (``ed-2026-11-24-3f9a``), as specs.md §8.4 advises."""
    prefix = "ed" if key_type is KeyType.ED25519 else "p256"
    return f"{prefix}-{now:%Y-%m-%d}-{secrets.token_hex(2)}"


class SigningKeyStore(Protocol):
    """The issuer's keys. ``rotate`` retires the active key of a type and makes a new one."""

    def list_keys(self) -> list[SigningKey]:
        """Every key, active and retired, oldest first."""
        ...

    def active(self, key_type: KeyType) -> SigningKey:
        """The key that signs now (created on first use)."""
        ...

    def rotate(self, key_type: KeyType) -> SigningKey:
        """Retire the active key of ``key_type`` (it keeps verifying) and return a new one."""
        ...


class InMemorySigningKeyStore:
    """A :class:`SigningKeyStore` in memory (tests); persistent stores subclass it.

    A subclass passes the keys it loaded to ``__init__`` and overrides :meth:`_changed`, which
    runs under the lock after every change.
    """

    def __init__(self, keys: list[SigningKey] | None = None) -> None:
        self._keys: list[SigningKey] = list(keys or [])
        self._lock = threading.Lock()

    def list_keys(self) -> list[SigningKey]:
        with self._lock:
            return list(self._keys)

    def active(self, key_type: KeyType) -> SigningKey:
        with self._lock:
            for key in self._keys:
                if key.active and key.key_type is key_type:
                    return key
            key = self._create(key_type)
            self._changed()
            return key

    def rotate(self, key_type: KeyType) -> SigningKey:
        now = datetime.now(UTC)
        with self._lock:
            self._keys = [
                replace(k, retired_at=now) if k.active and k.key_type is key_type else k
                for k in self._keys
            ]
            key = self._create(key_type)
            self._changed()
            return key

    def _create(self, key_type: KeyType) -> SigningKey:
        now = datetime.now(UTC)
        key = SigningKey(new_key_fragment(key_type, now), PrivateKey.generate(key_type), now)
        self._keys.append(key)
        return key

    def _changed(self) -> None:
        """Persist the keys (nothing to do in memory)."""
