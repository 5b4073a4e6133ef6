"""Signing keys in SQL: one table for every identity's keys, private keys sealed at rest.

Each identity (the coordinating provider, a hosted partner) is an ``owner``. Private keys are
sealed with AES-256-GCM under the KEK in the record format of :mod:`mcred.storage.key_cipher`,
bound to their owner, so a row moved to another owner no longer opens.

The database, not a worker's memory, says which key is active: after a rotation every worker
signs with the new key at once. A partial unique index allows one active key per owner and key
type, so workers starting together cannot mint two; the loser reads the winner's key.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from issuer.ports import SigningKey, new_key_fragment
from mcred.storage.key_cipher import KeyCipher, KeyHeader, SealedKey
from mcred.storage.sql import read_transaction, retry_on_conflict, write_transaction
from mcred.storage.tables import SigningKeyRow
from vc_core.keys import KeyType, PrivateKey

__all__ = ["SqlSigningKeyStore"]

_COLUMNS = (
    SigningKeyRow.fragment,
    SigningKeyRow.key_type,
    SigningKeyRow.created,
    SigningKeyRow.public_key,
    SigningKeyRow.nonce,
    SigningKeyRow.ciphertext,
    SigningKeyRow.retired_at,
)


ACTIVE_KEY_TTL = 5.0
"""Seconds a worker reuses the active key it read (rotations reach every worker within it)."""


class SqlSigningKeyStore:
    """A :class:`issuer.ports.SigningKeyStore` for one ``owner`` in a shared SQL table.

    Construction opens every stored key of the owner, so a wrong KEK fails at start
    (:class:`mcred.storage.key_cipher.KeyEncryptionError`), not at the first signature.
    """

    def __init__(
        self, engine: Engine, owner: str, kek: bytes, *, active_key_ttl: float = ACTIVE_KEY_TTL
    ) -> None:
        self._active_key_ttl = active_key_ttl
        self._engine = engine
        self._owner = owner
        self._cipher = KeyCipher(kek, context=(owner,))
        self._opened: dict[str, PrivateKey] = {}  # fragment -> decrypted key (keys never change)
        self._active_cache: dict[KeyType, tuple[float, SigningKey]] = {}
        self._lock = threading.Lock()
        self.list_keys()

    def _key(self, row: tuple[Any, ...]) -> SigningKey:
        fragment, key_type, created, public_key, nonce, ciphertext, retired_at = row
        with self._lock:
            private = self._opened.get(fragment)
            if private is None:
                header = KeyHeader(fragment, key_type, created.isoformat(), public_key)
                sealed = SealedKey(header, nonce, ciphertext)
                private = self._cipher.open(sealed, f"signing_keys of {self._owner!r}")
                self._opened[fragment] = private
        return SigningKey(fragment, private, created, retired_at)

    def list_keys(self) -> list[SigningKey]:
        with read_transaction(self._engine) as connection:
            rows = connection.execute(
                select(*_COLUMNS)
                .where(SigningKeyRow.owner == self._owner)
                .order_by(SigningKeyRow.created, SigningKeyRow.fragment)
            ).all()
        return [self._key(tuple(row)) for row in rows]

    def _active(self, key_type: KeyType) -> SigningKey | None:
        with read_transaction(self._engine) as connection:
            row = connection.execute(
                select(*_COLUMNS).where(
                    SigningKeyRow.owner == self._owner,
                    SigningKeyRow.key_type == key_type.value,
                    SigningKeyRow.retired_at.is_(None),
                )
            ).one_or_none()
        return None if row is None else self._key(tuple(row))

    def active(self, key_type: KeyType) -> SigningKey:
        """The signing key of ``key_type``, read at most once per ``ACTIVE_KEY_TTL`` seconds.

        A rotation made by another worker reaches this one within that time; a credential
        signed meanwhile with the key just retired still verifies (retired keys stay listed).
        """
        now = time.monotonic()
        cached = self._active_cache.get(key_type)
        if cached is not None and now - cached[0] < self._active_key_ttl:
            return cached[1]
        found = self._active(key_type)
        if found is None:
            found = retry_on_conflict(lambda: self._store_new(key_type, retire=False))
        self._active_cache[key_type] = (now, found)
        return found

    def rotate(self, key_type: KeyType) -> SigningKey:
        self._active_cache.pop(key_type, None)
        key = self._rotate(key_type)
        self._active_cache[key_type] = (time.monotonic(), key)
        return key

    def _rotate(self, key_type: KeyType) -> SigningKey:
        return retry_on_conflict(lambda: self._store_new(key_type, retire=True))

    def _store_new(self, key_type: KeyType, *, retire: bool) -> SigningKey:
        """Store a new key of the type, retiring the active one (``retire``) or, if there is
        one, returning it instead. One transaction; a racing worker's key wins on conflict.
        """
        now = datetime.now(UTC)
        key = SigningKey(new_key_fragment(key_type, now), PrivateKey.generate(key_type), now)
        sealed = self._cipher.seal(key)
        active = (
            SigningKeyRow.owner == self._owner,
            SigningKeyRow.key_type == key_type.value,
            SigningKeyRow.retired_at.is_(None),
        )
        with write_transaction(self._engine) as connection:
            if retire:
                connection.execute(update(SigningKeyRow).where(*active).values(retired_at=now))
            else:
                row = connection.execute(select(*_COLUMNS).where(*active)).one_or_none()
                if row is not None:
                    return self._key(tuple(row))
            connection.execute(
                insert(SigningKeyRow).values(
                    owner=self._owner,
                    fragment=key.fragment,
                    key_type=sealed.header.key_type,
                    created=now,
                    public_key=sealed.header.public_key,
                    nonce=sealed.nonce,
                    ciphertext=sealed.ciphertext,
                )
            )
        with self._lock:
            self._opened[key.fragment] = key.private_key
        return key
