"""Cohort jobs: a whole cohort's results issued from one file (issuer.cohort).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24

``cohort_jobs``: one row per submitted file (alliance, specification, the file's SHA-256,
unique together), its formats and state, and the lease of the run working on it.
``cohort_rows``: one row per learner, ``PRIMARY KEY (job_id, number)``, with its state
(indexed with the job and the number: runs claim the lowest pending rows), the validated
issuance and module results as JSON, e-mail and language, the credential id or the error,
the owner that claimed it, and when its offer was made (:mod:`mcred.storage.sql_cohort`).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cohort_jobs",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("alliance_id", sa.String(255), nullable=False),
        sa.Column("specification_id", sa.String(255), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("formats", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_expires_at", _TIME, nullable=True),
        sa.Column("finished_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_cohort_jobs"),
        sa.UniqueConstraint(
            "alliance_id",
            "specification_id",
            "digest",
            name="uq_cohort_jobs_alliance_id_specification_id_digest",
        ),
    )
    op.create_table(
        "cohort_rows",
        sa.Column("job_id", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("learner_ref", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("issuance", sa.JSON(), nullable=True),
        sa.Column("modules", sa.JSON(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("credential_id", sa.String(255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("offered_at", _TIME, nullable=True),
        sa.Column("offer_expires_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["cohort_jobs.id"], name="fk_cohort_rows_job_id_cohort_jobs"
        ),
        sa.PrimaryKeyConstraint("job_id", "number", name="pk_cohort_rows"),
    )
    op.create_index(
        "ix_cohort_rows_job_id_state_number", "cohort_rows", ["job_id", "state", "number"]
    )


def downgrade() -> None:
    op.drop_index("ix_cohort_rows_job_id_state_number", table_name="cohort_rows")
    op.drop_table("cohort_rows")
    op.drop_table("cohort_jobs")
