"""The wallet bridge's short-lived state (OpenID4VCI 1.0), shared by every worker.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

Offers, pre-authorized code grants, access tokens, ``c_nonce`` values, notification ids and
deferred transactions; each row carries an indexed ``expires_at`` so expired rows are pruned
with an index range scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)
_ID = sa.String(255)


def _columns() -> dict[str, tuple[str, list[sa.Column[Any]]]]:
    """Table → (primary key column, every column but ``expires_at``)."""
    return {
        "oid4vci_offers": (
            "offer_id",
            [
                sa.Column("offer_id", _ID, nullable=False),
                sa.Column("credential_id", _ID, nullable=False),
                sa.Column("offer", sa.JSON(), nullable=False),
            ],
        ),
        "oid4vci_grants": (
            "code",
            [
                sa.Column("code", _ID, nullable=False),
                sa.Column("offer_id", _ID, nullable=False),
                sa.Column("credential_id", _ID, nullable=False),
                sa.Column("configuration_ids", sa.JSON(), nullable=False),
                sa.Column("tx_code_digest", _ID, nullable=True),
                sa.Column("attempts_left", sa.Integer(), nullable=False),
            ],
        ),
        "oid4vci_access_tokens": (
            "token",
            [
                sa.Column("token", _ID, nullable=False),
                sa.Column("credential_id", _ID, nullable=False),
                sa.Column("configuration_ids", sa.JSON(), nullable=False),
            ],
        ),
        "oid4vci_nonces": ("nonce", [sa.Column("nonce", _ID, nullable=False)]),
        "oid4vci_notifications": (
            "notification_id",
            [
                sa.Column("notification_id", _ID, nullable=False),
                sa.Column("credential_id", _ID, nullable=False),
            ],
        ),
        "oid4vci_deferred": (
            "transaction_id",
            [
                sa.Column("transaction_id", _ID, nullable=False),
                sa.Column("credential_id", _ID, nullable=False),
                sa.Column("configuration_id", _ID, nullable=False),
                sa.Column("holders", sa.JSON(), nullable=False),
                sa.Column("access_token", _ID, nullable=False),
            ],
        ),
    }


def upgrade() -> None:
    for table, (key, columns) in _columns().items():
        op.create_table(
            table,
            *columns,
            sa.Column("expires_at", _TIME, nullable=False),
            sa.PrimaryKeyConstraint(key, name=f"pk_{table}"),
        )
        op.create_index(f"ix_{table}_expires_at", table, ["expires_at"])


def downgrade() -> None:
    for table in reversed(list(_columns())):
        op.drop_index(f"ix_{table}_expires_at", table_name=table)
        op.drop_table(table)
