"""A partial index on the non-zero status entries (rendering a list reads only those).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_status_entries_nonzero",
        "status_entries",
        ["list_id", "idx"],
        postgresql_where=sa.text("status <> 0"),
        sqlite_where=sa.text("status <> 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_status_entries_nonzero", table_name="status_entries")
