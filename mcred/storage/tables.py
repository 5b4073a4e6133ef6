"""The SQL schema of mcred's stores, as typed SQLAlchemy 2 mappings.

The one Alembic migration (``mcred/storage/migrations/versions``) creates exactly these tables;
a test compares the two. The stores run Core-style statements against these mapped columns
(``select(StatusEntryRow.status)``), never the ORM session, so every query says what it does.

Tables::

    status_lists      one row per Bitstring Status List: purpose, size, allocated, version
    status_entries    one row per allocated slot; PRIMARY KEY (list_id, idx) makes an index
                      impossible to hand out twice
    credentials       issued credential records (documents as JSON, exactly as signed)
    idempotency_keys  Idempotency-Key → request fingerprint → credential (NULL while running)
    audit_events      append-only (database triggers refuse UPDATE and DELETE)
    api_keys          bearer API keys: public id, hash of the secret, role
    catalogue         alliances, partners, specifications, mandates as JSON documents
    signing_keys      every identity's signing keys, private keys AES-256-GCM sealed

    oid4vci_offers         the wallet bridge's short-lived state (OpenID4VCI 1.0), each row
    oid4vci_grants         with an ``expires_at`` (indexed: expired rows are pruned cheaply):
    oid4vci_access_tokens  offers, pre-authorized code grants, access tokens, ``c_nonce``
    oid4vci_nonces         values, notification ids and deferred transactions
    oid4vci_notifications
    oid4vci_deferred

    oid4vp_requests        OpenID4VP presentation requests (the record as JSON), unique
                           ``state``, the single answer (``answered_at`` NULL until answered)

    credential_shares      learner-shown QR codes (mcred.shares): the credential sealed with
                           AES-256-GCM under a key only the link carries; expiry, revocation

    cohort_jobs            a submitted cohort file (alliance, specification, digest) and the
    cohort_rows            lease of the run working on it; one row per learner with its state
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ApiKeyRow",
    "AuditEventRow",
    "Base",
    "CatalogueRow",
    "CredentialRow",
    "IdempotencyKeyRow",
    "Oid4vciAccessTokenRow",
    "Oid4vciDeferredRow",
    "Oid4vciGrantRow",
    "Oid4vciNonceRow",
    "Oid4vciNotificationRow",
    "Oid4vciOfferRow",
    "Oid4vpRequestRow",
    "SigningKeyRow",
    "StatusEntryRow",
    "StatusListRow",
    "UTCDateTime",
    "metadata",
    "ordered_key",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite keeps naive UTC text of fixed width, so that text
    order is time order (the search cursor relies on it). Naive datetimes are refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} (give a time zone)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")
"""Queryable JSON: JSONB on PostgreSQL."""

SignedDocument = JSON()
"""JSON kept as written (``json`` on PostgreSQL keeps key order): documents exactly as signed."""


def ordered_key(length: int) -> String:
    """A string key that sorts by code point everywhere (``COLLATE "C"`` on PostgreSQL).

    Pages and lists are ordered by these keys; a linguistic collation would order them
    differently from SQLite and from the in-memory stores.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)


class Base(DeclarativeBase):
    metadata = metadata


# --- status lists ----------------------------------------------------------------------------


class StatusListRow(Base):
    __tablename__ = "status_lists"
    __table_args__ = (
        UniqueConstraint("purpose", "sequence"),
        Index(None, "purpose", "status_size", "size"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))
    sequence: Mapped[int] = mapped_column(Integer)
    status_size: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    allocated: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StatusEntryRow(Base):
    __tablename__ = "status_entries"
    __table_args__ = (
        # rendering a list reads only its non-zero entries: without this, every held entry
        Index(
            "ix_status_entries_nonzero",
            "list_id",
            "idx",
            postgresql_where=text("status <> 0"),
            sqlite_where=text("status <> 0"),
        ),
    )

    list_id: Mapped[str] = mapped_column(ForeignKey("status_lists.id"), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[int] = mapped_column(Integer)


# --- credentials, idempotency, audit ---------------------------------------------------------


class CredentialRow(Base):
    __tablename__ = "credentials"
    __table_args__ = (
        Index(None, "issued_at", "id"),
        Index(None, "alliance_id", "issued_at", "id"),
        Index(None, "specification_id", "issued_at", "id"),
        Index(None, "learner_ref", "issued_at", "id"),
    )

    id: Mapped[str] = mapped_column(ordered_key(255), primary_key=True)
    alliance_id: Mapped[str] = mapped_column(String(255))
    specification_id: Mapped[str] = mapped_column(String(255))
    learner_ref: Mapped[str] = mapped_column(String(255))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_by: Mapped[str] = mapped_column(String(255))
    holder_id: Mapped[str | None] = mapped_column(Text)
    status_slots: Mapped[list[Any]] = mapped_column(JSONDocument)
    documents: Mapped[dict[str, Any]] = mapped_column(SignedDocument)


class IdempotencyKeyRow(Base):
    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(255))
    credential_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEventRow(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "credential_id", "at", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    credential_id: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)


# --- API keys, catalogue, signing keys -------------------------------------------------------


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(ordered_key(64), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    alliance_id: Mapped[str | None] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CatalogueRow(Base):
    __tablename__ = "catalogue"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    doc_id: Mapped[str] = mapped_column(ordered_key(255), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SigningKeyRow(Base):
    __tablename__ = "signing_keys"
    __table_args__ = (
        # at most one active key of each type per owner: concurrent first starts cannot mint two
        Index(
            "uq_signing_keys_active",
            "owner",
            "key_type",
            unique=True,
            sqlite_where=text("retired_at IS NULL"),
            postgresql_where=text("retired_at IS NULL"),
        ),
    )

    owner: Mapped[str] = mapped_column(String(255), primary_key=True)
    fragment: Mapped[str] = mapped_column(ordered_key(64), primary_key=True)
    key_type: Mapped[str] = mapped_column(String(16))
    created: Mapped[datetime] = mapped_column(UTCDateTime())
    public_key: Mapped[str] = mapped_column(Text)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# --- wallet bridge (OpenID4VCI): short-lived, single-use state -------------------------------


class Oid4vciOfferRow(Base):
    """A credential offer (§4.1.1) served by reference until it expires or its code is used."""

    __tablename__ = "oid4vci_offers"

    offer_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(255))
    offer: Mapped[dict[str, Any]] = mapped_column(SignedDocument)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Oid4vciGrantRow(Base):
    """A ``pre-authorized_code`` (§3.5); ``tx_code_digest`` NULL when the offer asks no PIN."""

    __tablename__ = "oid4vci_grants"

    code: Mapped[str] = mapped_column(String(255), primary_key=True)
    offer_id: Mapped[str] = mapped_column(String(255))
    credential_id: Mapped[str] = mapped_column(String(255))
    configuration_ids: Mapped[list[str]] = mapped_column(JSON)
    tx_code_digest: Mapped[str | None] = mapped_column(String(255))
    attempts_left: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Oid4vciAccessTokenRow(Base):
    __tablename__ = "oid4vci_access_tokens"

    token: Mapped[str] = mapped_column(String(255), primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(255))
    configuration_ids: Mapped[list[str]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Oid4vciNonceRow(Base):
    __tablename__ = "oid4vci_nonces"

    nonce: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Oid4vciNotificationRow(Base):
    __tablename__ = "oid4vci_notifications"

    notification_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Oid4vciDeferredRow(Base):
    """A deferred credential transaction (§9); ``holders`` lists the proven keys as
    ``{"did", "jwk"}`` objects (public JWKs only)."""

    __tablename__ = "oid4vci_deferred"

    transaction_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(255))
    configuration_id: Mapped[str] = mapped_column(String(255))
    holders: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    access_token: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


# --- verifier (OpenID4VP): presentation requests and their single answer ---------------------


class Oid4vpRequestRow(Base):
    """A presentation request (``record``: the :class:`PresentationRequestRecord` as JSON) and
    its one answer (``answer`` as JSON, ``answered_at`` NULL while pending); kept until an hour
    (the store's retention) after ``expires_at``."""

    __tablename__ = "oid4vp_requests"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str] = mapped_column(String(255), unique=True)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# --- credential shares (learner-shown QR codes, mcred.shares) -------------------------------


class CredentialShareRow(Base):
    """A share: the sealed credential (``iv``, ``ciphertext``: AES-256-GCM under a key that
    only the link carries) and what the service needs to serve or refuse it."""

    __tablename__ = "credential_shares"

    share_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(255), index=True)
    format: Mapped[str] = mapped_column(String(32))
    iv: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# --- cohort jobs (issuer.cohort) -------------------------------------------------------------


class CohortJobRow(Base):
    """A cohort job: one submitted file of one specification."""

    __tablename__ = "cohort_jobs"
    __table_args__ = (UniqueConstraint("alliance_id", "specification_id", "digest"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    alliance_id: Mapped[str] = mapped_column(String(255))
    specification_id: Mapped[str] = mapped_column(String(255))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(255))
    total: Mapped[int] = mapped_column(Integer)
    formats: Mapped[list[Any]] = mapped_column(JSON())
    state: Mapped[str] = mapped_column(String(16))
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CohortRowRow(Base):
    """One learner of a cohort job."""

    __tablename__ = "cohort_rows"
    __table_args__ = (Index(None, "job_id", "state", "number"),)

    job_id: Mapped[str] = mapped_column(ForeignKey("cohort_jobs.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_ref: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16))
    issuance: Mapped[dict[str, Any] | None] = mapped_column(JSON())
    modules: Mapped[list[Any]] = mapped_column(JSON())
    email: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    credential_id: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(64))
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
