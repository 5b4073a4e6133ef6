"""What the issuer needs from the outside world, as Protocols (filled in by ``mcred``).

Each store has an in-memory version in :mod:`issuer.memory` (tests, the embedded demo) and SQL
versions in ``mcred.storage``. Records are plain frozen dataclasses; stores never see pydantic
models or HTTP.

* :class:`SigningKeyStore` — one identity's keys (the coordinator's, or a hosted partner's).
* :class:`StatusListStore` — status list slots: random allocation, atomic status changes.
* :class:`CredentialStore` — issued credential records, with idempotency keys.
* :class:`AuditLog` — append-only events (issued, revoked, suspended, reinstated, …).
* :class:`ApiKeyStore` — hashed bearer API keys with roles.
* :class:`CatalogueStore` — alliances, partners, specifications and mandates (as JSON documents).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from vc_core.keys import KeyType, PrivateKey

__all__ = [
    "ApiKey",
    "ApiKeyStore",
    "AuditEvent",
    "AuditLog",
    "CatalogueStore",
    "CredentialPage",
    "CredentialQuery",
    "CredentialRecord",
    "CredentialStore",
    "IdempotencyConflict",
    "NewRecord",
    "SigningKey",
    "SigningKeyStore",
    "StatusListSnapshot",
    "StatusListStore",
    "StatusSlot",
    "StatusSlotNotFound",
    "new_key_fragment",
    "sole_claim",
]


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


# --- status lists ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusSlot:
    """One entry of one status list: where a credential's status lives.

    ``purpose`` is the Bitstring Status List ``statusPurpose`` of the list (``revocation``,
    ``suspension``, or ``message`` for ELM's single two-bit entry, specs.md §7.1); ``status_size``
    its bits per entry.
    """

    list_id: str
    index: int
    purpose: str
    status_size: int


@dataclass(frozen=True)
class StatusListSnapshot:
    """A list's statuses at one version: every non-zero entry, and what the list is."""

    list_id: str
    purpose: str
    status_size: int
    size: int
    version: int
    updated_at: datetime
    nonzero: tuple[tuple[int, int], ...]


class StatusSlotNotFound(LookupError):
    """No such list, or no credential holds that index."""


class StatusListStore(Protocol):
    """Status list slots. Allocation is random and atomic: no index is ever handed out twice.

    Lists have ``size`` entries (at least 131,072, Bitstring Status List §3.2: herd privacy);
    a list is filled up to ``fill`` of its size before the next list of that purpose opens, so a
    random free index is always quick to find.
    """

    def allocate(self, purpose: str, status_size: int, credential_id: str) -> StatusSlot:
        """A random unused index in an open list of this purpose and size (new list if full)."""
        ...

    def set_status(self, slot: StatusSlot, value: int) -> int:
        """Set the slot's status; returns the previous value. Bumps the list's version."""
        ...

    def get_status(self, slot: StatusSlot) -> int: ...

    def get_statuses(self, slots: Sequence[StatusSlot]) -> list[int]:
        """The status of each slot, in order, read together (one round trip where it matters);
        raises :class:`StatusSlotNotFound` when any of them is held by no credential."""
        ...

    def snapshot(self, list_id: str) -> StatusListSnapshot:
        """The list's non-zero statuses and version (raises :class:`StatusSlotNotFound`)."""
        ...

    def version(self, list_id: str) -> int:
        """The list's version alone: cheap, for ETags and cache checks."""
        ...


# --- credentials, audit, idempotency ---------------------------------------------------------


@dataclass(frozen=True)
class CredentialRecord:
    """What the issuer keeps of one issuance: every format of one credential, one status.

    ``documents`` maps a format (``ldp_vc``, ``jwt_vc_json``, ``vc+jwt``, ``dc+sd-jwt``) to the
    issued document exactly as it was signed (a JSON object or a compact string).
    ``learner_ref`` is the learner's identifier within the alliance (student id or e-mail),
    never the name; it lets coordinators find a learner's credentials.
    """

    id: str
    alliance_id: str
    specification_id: str
    learner_ref: str
    issued_at: datetime
    issued_by: str
    status_slots: tuple[StatusSlot, ...]
    documents: dict[str, Any]
    holder_id: str | None = None


@dataclass(frozen=True)
class CredentialQuery:
    alliance_id: str | None = None
    specification_id: str | None = None
    learner_ref: str | None = None
    issued_from: datetime | None = None
    issued_until: datetime | None = None
    limit: int = 50
    after: str | None = None  # the opaque cursor of the previous page


@dataclass(frozen=True)
class CredentialPage:
    items: tuple[CredentialRecord, ...]
    next_cursor: str | None


class IdempotencyConflict(Exception):
    """The idempotency key was used for another request (or that request is still running)."""


def sole_claim(outcomes: Sequence[str | IdempotencyConflict | None]) -> str | None:
    """The one outcome of :meth:`CredentialStore.claim_idempotency_keys` as
    :meth:`CredentialStore.claim_idempotency_key` gives it (a conflict raised)."""
    [claimed] = outcomes
    if isinstance(claimed, IdempotencyConflict):
        raise claimed
    return claimed


@dataclass(frozen=True)
class NewRecord:
    """A record for :meth:`CredentialStore.add_many`, with what :meth:`CredentialStore.add`
    takes beside it."""

    record: CredentialRecord
    idempotency_key: str | None = None
    issued: AuditEvent | None = None


class CredentialStore(Protocol):
    def claim_idempotency_key(self, key: str, fingerprint: str) -> str | None:
        """Reserve ``key`` for a request with ``fingerprint`` (a hash of its body).

        Returns the credential id already issued under the key (replay: answer with it), or
        ``None`` when the caller now owns the key and must issue. Raises
        :class:`IdempotencyConflict` when the key belongs to a different request or to one
        still in progress. Atomic across workers. A claim still unfinished after the store's
        ``claim_timeout`` is abandoned (its process died mid-issuance, nothing was stored):
        the next claimer takes it over, with its own fingerprint.
        """
        ...

    def add(
        self,
        record: CredentialRecord,
        idempotency_key: str | None = None,
        *,
        issued: AuditEvent | None = None,
    ) -> None:
        """Store a new record; complete the idempotency key and append ``issued`` to the audit
        log of the same storage, all in one transaction (no record without its event).
        :class:`ValueError` when a record with this id is stored already."""
        ...

    def claim_idempotency_keys(
        self, claims: Sequence[tuple[str, str]]
    ) -> list[str | IdempotencyConflict | None]:
        """:meth:`claim_idempotency_key` for several ``(key, fingerprint)`` pairs in one
        transaction: for each, in order, what that method would return, or the
        :class:`IdempotencyConflict` it would raise (returned, not raised)."""
        ...

    def add_many(self, entries: Sequence[NewRecord]) -> None:
        """:meth:`add` of several records in one transaction: all are stored or none is (the
        error is the one :meth:`add` would raise for the first that fails)."""
        ...

    def release_idempotency_key(self, key: str) -> None:
        """Give up a claimed key after a failed issuance, so the client can retry."""
        ...

    def get(self, credential_id: str) -> CredentialRecord | None: ...

    def get_many(self, credential_ids: Sequence[str]) -> dict[str, CredentialRecord]:
        """The records of those ids that exist, by id, read together."""
        ...

    def search(self, query: CredentialQuery) -> CredentialPage:
        """Records matching every given filter, newest first, ``limit`` at a time."""
        ...


@dataclass(frozen=True)
class AuditEvent:
    """One append-only audit event (never updated, never deleted)."""

    credential_id: str
    action: str  # issued | revoked | suspended | reinstated | offer_created | notification …
    actor: str
    at: datetime
    reason: str | None = None
    details: dict[str, Any] | None = None


class AuditLog(Protocol):
    def append(self, event: AuditEvent) -> None: ...

    def events(self, credential_id: str) -> list[AuditEvent]:
        """The credential's events, oldest first."""
        ...


# --- API keys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiKey:
    """A bearer API key as stored: its public id, the hash of its secret, and its role.

    ``role`` is ``admin`` or ``coordinator``; a coordinator key acts for one alliance only.
    """

    key_id: str
    secret_hash: str
    role: str
    alliance_id: str | None
    label: str
    created_at: datetime
    revoked_at: datetime | None = None


class ApiKeyStore(Protocol):
    def add(self, key: ApiKey) -> None: ...

    def get(self, key_id: str) -> ApiKey | None: ...

    def list_keys(self) -> list[ApiKey]: ...

    def revoke(self, key_id: str, at: datetime) -> bool:
        """Revoke a key; False when there is no such active key."""
        ...


# --- the catalogue ----------------------------------------------------------------------------


class CatalogueStore(Protocol):
    """Alliances, partners, specifications and mandates, stored as validated JSON documents.

    ``kind`` is one of ``alliance``, ``partner``, ``specification``, ``mandate``; ids are unique
    within a kind. The issuer validates documents before it stores them.
    """

    def put(self, kind: str, doc_id: str, document: dict[str, Any]) -> None: ...

    def get(self, kind: str, doc_id: str) -> dict[str, Any] | None: ...

    def list(self, kind: str) -> list[dict[str, Any]]: ...

    def delete(self, kind: str, doc_id: str) -> bool: ...
