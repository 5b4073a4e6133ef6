"""The verifier's OpenID4VP presentation requests, shared by every worker.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

One row per request: the record as JSON, its ``state`` (unique: a wallet's response names its
request by it), ``expires_at`` (indexed: rows past the retention are pruned with an index range
scan) and the single answer (``answered_at`` NULL until the one conditional UPDATE sets it).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "oid4vp_requests"
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("state", sa.String(255), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("answered_at", _TIME, nullable=True),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=f"pk_{_TABLE}"),
        sa.UniqueConstraint("state", name=f"uq_{_TABLE}_state"),
    )
    op.create_index(f"ix_{_TABLE}_expires_at", _TABLE, ["expires_at"])


def downgrade() -> None:
    op.drop_index(f"ix_{_TABLE}_expires_at", table_name=_TABLE)
    op.drop_table(_TABLE)
