"""The initial schema: status lists, credentials, idempotency, audit, API keys, catalogue, keys.

Revision ID: 0001
Revises:
Create Date: 2026-05-01

``audit_events`` is append-only in the database itself: triggers refuse UPDATE and DELETE.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)
_JSONB = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _key(length: int) -> sa.String:
    """String keys sort by code point on PostgreSQL too (the stores order pages by them)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


_PG_APPEND_ONLY = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
"""

_SQLITE_APPEND_ONLY = [
    f"""CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"""
    for verb in ("UPDATE", "DELETE")
]


def upgrade() -> None:
    op.create_table(
        "status_lists",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("status_size", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("allocated", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_status_lists"),
        sa.UniqueConstraint("purpose", "sequence", name="uq_status_lists_purpose_sequence"),
    )
    op.create_index(
        "ix_status_lists_purpose_status_size_size",
        "status_lists",
        ["purpose", "status_size", "size"],
    )
    op.create_table(
        "status_entries",
        sa.Column("list_id", sa.String(64), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(255), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"], ["status_lists.id"], name="fk_status_entries_list_id_status_lists"
        ),
        sa.PrimaryKeyConstraint("list_id", "idx", name="pk_status_entries"),
    )
    op.create_index("ix_status_entries_credential_id", "status_entries", ["credential_id"])

    op.create_table(
        "credentials",
        sa.Column("id", _key(255), nullable=False),
        sa.Column("alliance_id", sa.String(255), nullable=False),
        sa.Column("specification_id", sa.String(255), nullable=False),
        sa.Column("learner_ref", sa.String(255), nullable=False),
        sa.Column("issued_at", _TIME, nullable=False),
        sa.Column("issued_by", sa.String(255), nullable=False),
        sa.Column("holder_id", sa.Text(), nullable=True),
        sa.Column("status_slots", _JSONB, nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_credentials"),
    )
    for columns in (
        ["issued_at", "id"],
        ["alliance_id", "issued_at", "id"],
        ["specification_id", "issued_at", "id"],
        ["learner_ref", "issued_at", "id"],
    ):
        op.create_index(f"ix_credentials_{'_'.join(columns)}", "credentials", columns)

    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(255), nullable=False),
        sa.Column("credential_id", sa.String(255), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_idempotency_keys"),
    )

    op.create_table(
        "audit_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("credential_id", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", _JSONB, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index(
        "ix_audit_events_credential_id_at_id", "audit_events", ["credential_id", "at", "id"]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_APPEND_ONLY)
    else:
        for statement in _SQLITE_APPEND_ONLY:
            op.execute(statement)

    op.create_table(
        "api_keys",
        sa.Column("key_id", _key(64), nullable=False),
        sa.Column("secret_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("alliance_id", sa.String(255), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("revoked_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("key_id", name="pk_api_keys"),
    )

    op.create_table(
        "catalogue",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("doc_id", _key(255), nullable=False),
        sa.Column("document", _JSONB, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("kind", "doc_id", name="pk_catalogue"),
    )

    op.create_table(
        "signing_keys",
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("fragment", _key(64), nullable=False),
        sa.Column("key_type", sa.String(16), nullable=False),
        sa.Column("created", _TIME, nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("retired_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("owner", "fragment", name="pk_signing_keys"),
    )
    op.create_index(
        "uq_signing_keys_active",
        "signing_keys",
        ["owner", "key_type"],
        unique=True,
        sqlite_where=sa.text("retired_at IS NULL"),
        postgresql_where=sa.text("retired_at IS NULL"),
    )


def downgrade() -> None:
    for table in (
        "signing_keys",
        "catalogue",
        "api_keys",
        "audit_events",
        "idempotency_keys",
        "credentials",
        "status_entries",
        "status_lists",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
