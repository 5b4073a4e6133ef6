"""Credential shares: the sealed credentials behind the learner's QR share links.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

One row per share (:mod:`mcred.storage.sql_shares`): the AES-256-GCM ``ciphertext`` and its
``iv`` (the key is only in the link, never here), the ``credential_id`` (indexed: a credential's
shares are listed), the ``format``, ``created_at``, ``expires_at`` (indexed: rows long expired
are pruned with an index range scan) and ``revoked_at`` (NULL while live).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "credential_shares"
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("share_id", sa.String(32), nullable=False),
        sa.Column("credential_id", sa.String(255), nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("iv", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("revoked_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("share_id", name=f"pk_{_TABLE}"),
    )
    op.create_index(f"ix_{_TABLE}_credential_id", _TABLE, ["credential_id"])
    op.create_index(f"ix_{_TABLE}_expires_at", _TABLE, ["expires_at"])


def downgrade() -> None:
    op.drop_index(f"ix_{_TABLE}_expires_at", table_name=_TABLE)
    op.drop_index(f"ix_{_TABLE}_credential_id", table_name=_TABLE)
    op.drop_table(_TABLE)
