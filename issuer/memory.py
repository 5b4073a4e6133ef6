"""In-memory versions of the issuer's stores (tests, the embedded demo), thread-safe.

They implement the Protocols of :mod:`issuer.ports` exactly as the SQL versions in
``mcred.storage`` do, and one contract test suite runs against both. What both share lives
here too: :class:`StatusListLayout` (how status lists are cut and named) and the opaque search
cursor (:func:`encode_cursor`, :func:`decode_cursor`).

Documents go through a JSON round trip on the way in and out, as they would through a
database: a caller never shares a mutable dict with the store.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from issuer.ports import (
    ApiKey,
    AuditEvent,
    CredentialPage,
    CredentialQuery,
    CredentialRecord,
    IdempotencyConflict,
    NewRecord,
    SigningKey,
    StatusListSnapshot,
    StatusSlot,
    StatusSlotNotFound,
    new_key_fragment,
    sole_claim,
)
from vc_core.errors import KeyFormatError
from vc_core.keys import KeyType, PrivateKey, b64url_decode, b64url_encode

__all__ = [
    "MINIMUM_STATUS_LIST_SIZE",
    "InMemoryApiKeyStore",
    "InMemoryAuditLog",
    "InMemoryCatalogueStore",
    "InMemoryCredentialStore",
    "InMemorySigningKeyStore",
    "InMemoryStatusListStore",
    "StatusListLayout",
    "decode_cursor",
    "encode_cursor",
]

MINIMUM_STATUS_LIST_SIZE = 131_072
"""Bitstring Status List §3.2 ``minimumNumberOfEntries`` (16 KB): the herd-privacy floor."""

_PURPOSE = re.compile(r"[a-z][a-z0-9]{0,31}")
_MAX_STATUS_SIZE = 8
_RANDOM_TRIES = 64


@dataclass(frozen=True)
class StatusListLayout:
    """How status lists are cut (specs.md §7.1, "issuer-side design").

    Each list has ``size`` entries; a list takes new credentials until ``fill`` of it is
    allocated (its :attr:`capacity`), then the next list of that purpose and ``status_size``
    opens. Keeping lists at most half full makes a random free index quick to find, and the
    index says nothing about when a credential was issued.

    A list's id is its purpose and its sequence number among the lists of that purpose
    (``revocation-1``, ``suspension-3``): the public URL ``…/lists/revocation/1`` maps onto it.
    ``size`` below :data:`MINIMUM_STATUS_LIST_SIZE` is for tests only.
    """

    size: int = MINIMUM_STATUS_LIST_SIZE
    fill: float = 0.5

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError(f"a status list needs at least one entry, not {self.size}")
        if not 0.0 < self.fill <= 1.0:
            raise ValueError(f"fill must be in (0, 1], not {self.fill}")

    @property
    def capacity(self) -> int:
        """How many slots of a list are handed out before the next list opens."""
        return max(1, int(self.size * self.fill))

    @staticmethod
    def list_id(purpose: str, sequence: int) -> str:
        return f"{purpose}-{sequence}"

    @staticmethod
    def check_request(purpose: str, status_size: int) -> None:
        """Refuse a purpose that cannot name a list, or a status size outside 1..8 bits."""
        if not _PURPOSE.fullmatch(purpose):
            raise ValueError(f"status purpose {purpose!r} must match {_PURPOSE.pattern}")
        if not 1 <= status_size <= _MAX_STATUS_SIZE:
            raise ValueError(f"status size must be 1..{_MAX_STATUS_SIZE} bits, not {status_size}")

    @staticmethod
    def check_value(slot: StatusSlot, value: int) -> None:
        """A status must fit in the slot's ``status_size`` bits."""
        if not 0 <= value < 1 << slot.status_size:
            raise ValueError(f"status {value} does not fit in {slot.status_size} bit(s)")

    def pick_index(self, rng: random.Random, taken: Callable[[int], bool]) -> int | None:
        """A random index for which ``taken`` is false, or ``None`` after a few misses.

        With lists at most ``fill`` full, each try misses with probability ≤ ``fill``; the
        caller falls back to choosing among the free indexes it lists itself.
        """
        for _ in range(_RANDOM_TRIES):
            index = rng.randrange(self.size)
            if not taken(index):
                return index
        return None


def encode_cursor(record: CredentialRecord) -> str:
    """The opaque cursor after ``record`` in newest-first order: its issue time and id."""
    body = json.dumps([record.issued_at.astimezone(UTC).isoformat(), record.id])
    return b64url_encode(body.encode("utf-8"))


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (issued_at, id) a cursor points after; :class:`ValueError` when it is not ours."""
    try:
        issued_at, credential_id = json.loads(b64url_decode(cursor))
        when = datetime.fromisoformat(issued_at)
    except (KeyFormatError, ValueError, TypeError) as exc:
        raise ValueError("not a cursor of this search") from exc
    if when.tzinfo is None or not isinstance(credential_id, str):
        raise ValueError("not a cursor of this search")
    return when, credential_id


def _matches(query: CredentialQuery, record: CredentialRecord) -> bool:
    """Whether a record passes every filter of the query (both ends of the period included)."""
    return (
        (query.alliance_id is None or record.alliance_id == query.alliance_id)
        and (query.specification_id is None or record.specification_id == query.specification_id)
        and (query.learner_ref is None or record.learner_ref == query.learner_ref)
        and (query.issued_from is None or record.issued_at >= query.issued_from)
        and (query.issued_until is None or record.issued_at <= query.issued_until)
    )


def _json_copy(value: dict[str, Any]) -> dict[str, Any]:
    """A deep copy through JSON, as a database would give back (refuses non-JSON values)."""
    copied: dict[str, Any] = json.loads(json.dumps(value))
    return copied


def _utc(value: datetime) -> datetime:
    """Times are kept in UTC, as the SQL stores give them back; naive times are refused."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} (give a time zone)")
    return value.astimezone(UTC)


def _check_limit(query: CredentialQuery) -> None:
    if query.limit < 1:
        raise ValueError(f"limit must be at least 1, not {query.limit}")


# --- status lists ----------------------------------------------------------------------------


@dataclass
class _List:
    purpose: str
    status_size: int
    size: int
    sequence: int
    updated_at: datetime
    version: int = 0
    entries: dict[int, int] = field(default_factory=dict)  # index -> status
    holders: dict[int, str] = field(default_factory=dict)  # index -> credential id


class InMemoryStatusListStore:
    """A :class:`issuer.ports.StatusListStore` in memory; one lock makes every call atomic."""

    def __init__(
        self,
        size: int = MINIMUM_STATUS_LIST_SIZE,
        fill: float = 0.5,
        rng: random.Random | None = None,
    ) -> None:
        self.layout = StatusListLayout(size, fill)
        self._rng = rng or secrets.SystemRandom()
        self._lists: dict[str, _List] = {}
        self._lock = threading.Lock()

    def allocate(self, purpose: str, status_size: int, credential_id: str) -> StatusSlot:
        self.layout.check_request(purpose, status_size)
        with self._lock:
            list_id, status_list = self._open_list(purpose, status_size)
            index = self.layout.pick_index(self._rng, status_list.holders.__contains__)
            if index is None:
                free = [i for i in range(status_list.size) if i not in status_list.holders]
                index = self._rng.choice(free)
            status_list.holders[index] = credential_id
            status_list.entries[index] = 0
            return StatusSlot(list_id, index, purpose, status_size)

    def _open_list(self, purpose: str, status_size: int) -> tuple[str, _List]:
        same_purpose = [(k, v) for k, v in self._lists.items() if v.purpose == purpose]
        for list_id, status_list in sorted(same_purpose, key=lambda item: item[1].sequence):
            if (
                status_list.status_size == status_size
                and status_list.size == self.layout.size
                and len(status_list.holders) < self.layout.capacity
            ):
                return list_id, status_list
        sequence = 1 + max((v.sequence for _, v in same_purpose), default=0)
        list_id = self.layout.list_id(purpose, sequence)
        status_list = _List(purpose, status_size, self.layout.size, sequence, datetime.now(UTC))
        self._lists[list_id] = status_list
        return list_id, status_list

    def _held(self, slot: StatusSlot) -> _List:
        status_list = self._lists.get(slot.list_id)
        if (
            status_list is None
            or status_list.purpose != slot.purpose
            or status_list.status_size != slot.status_size
            or slot.index not in status_list.holders
        ):
            raise StatusSlotNotFound(f"no credential holds {slot.list_id}#{slot.index}")
        return status_list

    def set_status(self, slot: StatusSlot, value: int) -> int:
        self.layout.check_value(slot, value)
        with self._lock:
            status_list = self._held(slot)
            previous = status_list.entries[slot.index]
            status_list.entries[slot.index] = value
            status_list.version += 1
            status_list.updated_at = datetime.now(UTC)
            return previous

    def get_status(self, slot: StatusSlot) -> int:
        with self._lock:
            return self._held(slot).entries[slot.index]

    def get_statuses(self, slots: Sequence[StatusSlot]) -> list[int]:
        with self._lock:
            return [self._held(slot).entries[slot.index] for slot in slots]

    def _list(self, list_id: str) -> _List:
        status_list = self._lists.get(list_id)
        if status_list is None:
            raise StatusSlotNotFound(f"no status list {list_id!r}")
        return status_list

    def snapshot(self, list_id: str) -> StatusListSnapshot:
        with self._lock:
            status_list = self._list(list_id)
            return StatusListSnapshot(
                list_id=list_id,
                purpose=status_list.purpose,
                status_size=status_list.status_size,
                size=status_list.size,
                version=status_list.version,
                updated_at=status_list.updated_at,
                nonzero=tuple(sorted((i, s) for i, s in status_list.entries.items() if s)),
            )

    def version(self, list_id: str) -> int:
        with self._lock:
            return self._list(list_id).version


# --- credentials and idempotency -------------------------------------------------------------


CLAIM_TIMEOUT = timedelta(minutes=10)
"""After this, an unfinished idempotency claim is abandoned and may be taken over."""


@dataclass
class _IdempotencyKey:
    fingerprint: str
    credential_id: str | None
    created_at: datetime


class InMemoryCredentialStore:
    """A :class:`issuer.ports.CredentialStore` in memory; ``issued`` events go to ``audit``."""

    def __init__(
        self,
        audit: InMemoryAuditLog | None = None,
        *,
        claim_timeout: timedelta = CLAIM_TIMEOUT,
    ) -> None:
        self.claim_timeout = claim_timeout
        self._audit = audit if audit is not None else InMemoryAuditLog()
        self._records: dict[str, CredentialRecord] = {}
        self._keys: dict[str, _IdempotencyKey] = {}
        self._lock = threading.Lock()

    def claim_idempotency_key(self, key: str, fingerprint: str) -> str | None:
        return sole_claim(self.claim_idempotency_keys([(key, fingerprint)]))

    def claim_idempotency_keys(
        self, claims: Sequence[tuple[str, str]]
    ) -> list[str | IdempotencyConflict | None]:
        with self._lock:
            return [self._claim(key, fingerprint) for key, fingerprint in claims]

    def _claim(self, key: str, fingerprint: str) -> str | IdempotencyConflict | None:
        held = self._keys.get(key)
        now = datetime.now(UTC)
        abandoned = (
            held is not None
            and held.credential_id is None
            and held.created_at <= now - self.claim_timeout
        )
        if held is None or abandoned:
            self._keys[key] = _IdempotencyKey(fingerprint, None, now)
            return None
        if held.fingerprint != fingerprint:
            return IdempotencyConflict(f"idempotency key {key!r} was used for another request")
        if held.credential_id is None:
            return IdempotencyConflict(f"the request with idempotency key {key!r} is running")
        return held.credential_id

    def add(
        self,
        record: CredentialRecord,
        idempotency_key: str | None = None,
        *,
        issued: AuditEvent | None = None,
    ) -> None:
        self.add_many([NewRecord(record, idempotency_key, issued)])

    def add_many(self, entries: Sequence[NewRecord]) -> None:
        stored = [
            replace(
                entry.record,
                issued_at=_utc(entry.record.issued_at),
                documents=_json_copy(entry.record.documents),
            )
            for entry in entries
        ]
        with self._lock:  # every check first: all are stored or none is
            ids: set[str] = set()
            keys: set[str] = set()
            for entry in entries:
                record_id, key = entry.record.id, entry.idempotency_key
                if record_id in self._records or record_id in ids:
                    raise ValueError(f"credential {record_id!r} is already stored")
                ids.add(record_id)
                if key is not None:
                    held = self._keys.get(key)
                    if held is None or held.credential_id is not None or key in keys:
                        raise IdempotencyConflict(
                            f"idempotency key {key!r} is not claimed by this request"
                        )
                    keys.add(key)
            for entry, record in zip(entries, stored, strict=True):
                if entry.idempotency_key is not None:
                    self._keys[entry.idempotency_key].credential_id = record.id
                self._records[record.id] = record
                if entry.issued is not None:
                    self._audit.append(entry.issued)

    def release_idempotency_key(self, key: str) -> None:
        with self._lock:
            held = self._keys.get(key)
            if held is not None and held.credential_id is None:
                del self._keys[key]

    def get(self, credential_id: str) -> CredentialRecord | None:
        with self._lock:
            record = self._records.get(credential_id)
        return None if record is None else replace(record, documents=_json_copy(record.documents))

    def get_many(self, credential_ids: Sequence[str]) -> dict[str, CredentialRecord]:
        with self._lock:
            found = [self._records.get(credential_id) for credential_id in credential_ids]
        return {
            record.id: replace(record, documents=_json_copy(record.documents))
            for record in found
            if record is not None
        }

    def search(self, query: CredentialQuery) -> CredentialPage:
        _check_limit(query)
        after = decode_cursor(query.after) if query.after is not None else None
        with self._lock:
            found = [r for r in self._records.values() if _matches(query, r)]
        found.sort(key=lambda r: (r.issued_at, r.id), reverse=True)
        if after is not None:
            found = [r for r in found if (r.issued_at, r.id) < after]
        page = found[: query.limit]
        next_cursor = encode_cursor(page[-1]) if len(found) > query.limit else None
        items = tuple(replace(r, documents=_json_copy(r.documents)) for r in page)
        return CredentialPage(items, next_cursor)


# --- audit -----------------------------------------------------------------------------------


class InMemoryAuditLog:
    """A :class:`issuer.ports.AuditLog` in memory: append and read, nothing else."""

    def __init__(self) -> None:
        self._events: list[AuditEvent] = []
        self._lock = threading.Lock()

    def append(self, event: AuditEvent) -> None:
        details = None if event.details is None else _json_copy(event.details)
        with self._lock:
            self._events.append(replace(event, at=_utc(event.at), details=details))

    def events(self, credential_id: str) -> list[AuditEvent]:
        with self._lock:
            found = [e for e in self._events if e.credential_id == credential_id]
        found.sort(key=lambda e: e.at)  # stable: equal times keep the order of appending
        return [
            replace(e, details=None if e.details is None else _json_copy(e.details)) for e in found
        ]


# --- API keys --------------------------------------------------------------------------------


class InMemoryApiKeyStore:
    """A :class:`issuer.ports.ApiKeyStore` in memory (it keeps only secret hashes, as given)."""

    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}
        self._lock = threading.Lock()

    def add(self, key: ApiKey) -> None:
        revoked_at = None if key.revoked_at is None else _utc(key.revoked_at)
        key = replace(key, created_at=_utc(key.created_at), revoked_at=revoked_at)
        with self._lock:
            if key.key_id in self._keys:
                raise ValueError(f"API key {key.key_id!r} already exists")
            self._keys[key.key_id] = key

    def get(self, key_id: str) -> ApiKey | None:
        with self._lock:
            return self._keys.get(key_id)

    def list_keys(self) -> list[ApiKey]:
        with self._lock:
            return sorted(self._keys.values(), key=lambda k: (k.created_at, k.key_id))

    def revoke(self, key_id: str, at: datetime) -> bool:
        at = _utc(at)
        with self._lock:
            key = self._keys.get(key_id)
            if key is None or key.revoked_at is not None:
                return False
            self._keys[key_id] = replace(key, revoked_at=at)
            return True


# --- the catalogue ---------------------------------------------------------------------------


class InMemoryCatalogueStore:
    """A :class:`issuer.ports.CatalogueStore` in memory; ``list`` orders by document id."""

    def __init__(self) -> None:
        self._documents: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def put(self, kind: str, doc_id: str, document: dict[str, Any]) -> None:
        stored = _json_copy(document)
        with self._lock:
            self._documents[kind, doc_id] = stored

    def get(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        with self._lock:
            document = self._documents.get((kind, doc_id))
        return None if document is None else _json_copy(document)

    def list(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            found = [(k[1], d) for k, d in self._documents.items() if k[0] == kind]
        return [_json_copy(d) for _, d in sorted(found, key=lambda item: item[0])]

    def delete(self, kind: str, doc_id: str) -> bool:
        with self._lock:
            return self._documents.pop((kind, doc_id), None) is not None


class InMemorySigningKeyStore:
    """A :class:`~issuer.ports.SigningKeyStore` in memory (tests)."""

    def __init__(self) -> None:
        self._keys: list[SigningKey] = []
        self._lock = threading.Lock()

    def list_keys(self) -> list[SigningKey]:
        with self._lock:
            return list(self._keys)

    def active(self, key_type: KeyType) -> SigningKey:
        with self._lock:
            for key in self._keys:
                if key.active and key.key_type is key_type:
                    return key
            return self._create(key_type)

    def rotate(self, key_type: KeyType) -> SigningKey:
        now = datetime.now(UTC)
        with self._lock:
            self._keys = [
                replace(k, retired_at=now) if k.active and k.key_type is key_type else k
                for k in self._keys
            ]
            return self._create(key_type)

    def _create(self, key_type: KeyType) -> SigningKey:
        now = datetime.now(UTC)
        key = SigningKey(new_key_fragment(key_type, now), PrivateKey.generate(key_type), now)
        self._keys.append(key)
        return key
