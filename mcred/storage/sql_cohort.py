"""Cohort jobs (:mod:`issuer.cohort`) in SQL: a :class:`~issuer.cohort.CohortJobStore`.

Two tables, declared here on the metadata of :mod:`mcred.storage.tables` and created by
migration ``0006``:

* ``cohort_jobs`` — one row per submitted file: alliance, specification, the file's SHA-256
  (``UNIQUE (alliance_id, specification_id, digest)``: the same file finds the same job, also
  when two submit it at once), formats, state, and the run's *lease* (``lease_owner``,
  ``lease_expires_at``).
* ``cohort_rows`` — one row per learner: ``PRIMARY KEY (job_id, number)``, its state, the
  validated issuance (JSON), module results, e-mail and language, the credential id or the
  error, the ``owner`` (the lease owner that claimed it) and when an offer was last made.

Every method is one transaction. Claiming renews the lease and turns a chunk of pending rows
into running ones in the same transaction (``SELECT … FOR UPDATE SKIP LOCKED LIMIT n``, then
``UPDATE … RETURNING`` of those: processes working one job never claim the same row; SQLite
holds the database's write lock instead). Results are recorded only on rows still running for the
owner that claimed them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Engine,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from issuer.cohort import (
    CohortCounts,
    CohortJob,
    CohortRow,
    JobState,
    LeaseLost,
    ModuleResult,
    RowResult,
    RowState,
)
from mcred.storage.sql import read_transaction, write_transaction
from mcred.storage.tables import CohortJobRow, CohortRowRow

__all__ = ["CohortJobRow", "CohortRowRow", "SqlCohortJobStore"]


_Job = CohortJobRow
_Row = CohortRowRow


def _job(row: Any) -> CohortJob:
    return CohortJob(
        id=row.id,
        alliance_id=row.alliance_id,
        specification_id=row.specification_id,
        digest=row.digest,
        created_at=row.created_at,
        created_by=row.created_by,
        total=row.total,
        formats=tuple(row.formats),
        state=JobState(row.state),
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
        finished_at=row.finished_at,
    )


def _row(row: Any) -> CohortRow:
    return CohortRow(
        job_id=row.job_id,
        number=row.number,
        learner_ref=row.learner_ref,
        state=RowState(row.state),
        issuance=row.issuance,
        modules=tuple(ModuleResult(**m) for m in row.modules or ()),
        email=row.email,
        language=row.language,
        credential_id=row.credential_id,
        error=row.error,
        owner=row.owner,
        offered_at=row.offered_at,
        offer_expires_at=row.offer_expires_at,
    )


_INSERT_BATCH = 1000


class SqlCohortJobStore:
    """Cohort jobs in SQLite or PostgreSQL (module doc)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, job: CohortJob, rows: Sequence[CohortRow]) -> CohortJob:
        try:
            with write_transaction(self._engine) as connection:
                connection.execute(
                    insert(_Job).values(
                        id=job.id,
                        alliance_id=job.alliance_id,
                        specification_id=job.specification_id,
                        digest=job.digest,
                        created_at=job.created_at,
                        created_by=job.created_by,
                        total=job.total,
                        formats=list(job.formats),
                        state=job.state.value,
                        lease_owner=job.lease_owner,
                        lease_expires_at=job.lease_expires_at,
                        finished_at=job.finished_at,
                    )
                )
                values = [
                    {
                        "job_id": job.id,
                        "number": row.number,
                        "learner_ref": row.learner_ref,
                        "state": row.state.value,
                        "issuance": row.issuance,
                        "modules": [m.to_dict() for m in row.modules],
                        "email": row.email,
                        "language": row.language,
                        "credential_id": row.credential_id,
                        "error": row.error,
                    }
                    for row in rows
                ]
                for start in range(0, len(values), _INSERT_BATCH):
                    connection.execute(insert(_Row), values[start : start + _INSERT_BATCH])
        except IntegrityError:
            existing = self.find(job.alliance_id, job.specification_id, job.digest)
            if existing is None:
                raise
            return existing
        return job

    def get(self, job_id: str) -> CohortJob | None:
        with read_transaction(self._engine) as connection:
            row = connection.execute(select(_Job).where(_Job.id == job_id)).first()
        return None if row is None else _job(row)

    def find(self, alliance_id: str, specification_id: str, digest: str) -> CohortJob | None:
        with read_transaction(self._engine) as connection:
            row = connection.execute(
                select(_Job).where(
                    _Job.alliance_id == alliance_id,
                    _Job.specification_id == specification_id,
                    _Job.digest == digest,
                )
            ).first()
        return None if row is None else _job(row)

    def acquire_lease(self, job_id: str, owner: str, until: datetime, now: datetime) -> bool:
        with write_transaction(self._engine) as connection:
            taken = connection.execute(
                update(_Job)
                .where(
                    _Job.id == job_id,
                    (_Job.lease_owner.is_(None))
                    | (_Job.lease_owner == owner)
                    | (_Job.lease_expires_at.is_(None))
                    | (_Job.lease_expires_at <= now),
                )
                .values(lease_owner=owner, lease_expires_at=until)
            )
            return taken.rowcount == 1

    def release_lease(self, job_id: str, owner: str) -> None:
        with write_transaction(self._engine) as connection:
            connection.execute(
                update(_Job)
                .where(_Job.id == job_id, _Job.lease_owner == owner)
                .values(lease_owner=None, lease_expires_at=None)
            )

    def claim_rows(self, job_id: str, owner: str, limit: int, until: datetime) -> list[CohortRow]:
        with write_transaction(self._engine) as connection:
            renewed = connection.execute(
                update(_Job)
                .where(_Job.id == job_id, _Job.lease_owner == owner)
                .values(lease_expires_at=until)
            )
            if renewed.rowcount != 1:
                raise LeaseLost(f"cohort job {job_id} was taken over by another run")
            pending = (
                select(_Row.number)
                .where(_Row.job_id == job_id, _Row.state == RowState.PENDING.value)
                .order_by(_Row.number)
                .limit(limit)
                .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds the write lock
            )
            # (two statements: PostgreSQL may run an IN (SELECT … LIMIT … SKIP LOCKED)
            # subquery more than once in one UPDATE, claiming more than ``limit`` rows)
            numbers = list(connection.execute(pending).scalars())
            if not numbers:
                return []
            rows = connection.execute(
                update(_Row)
                .where(_Row.job_id == job_id, _Row.number.in_(numbers))
                .values(state=RowState.RUNNING.value, owner=owner)
                .returning(*_Row.__table__.columns)
            ).all()
        return sorted((_row(row) for row in rows), key=lambda r: r.number)

    def reset_running(self, job_id: str) -> list[CohortRow]:
        with write_transaction(self._engine) as connection:
            rows = connection.execute(
                update(_Row)
                .where(_Row.job_id == job_id, _Row.state == RowState.RUNNING.value)
                .values(state=RowState.PENDING.value, owner=None)
                .returning(*_Row.__table__.columns)
            ).all()
        # (RETURNING gives the new values: the rows were running before)
        return sorted(
            (CohortRow(**{**_row(row).__dict__, "state": RowState.RUNNING}) for row in rows),
            key=lambda r: r.number,
        )

    def record(self, job_id: str, owner: str, results: Sequence[RowResult]) -> int:
        if not results:
            return 0
        statement = (
            update(_Row)
            .where(
                _Row.job_id == bindparam("j"),
                _Row.number == bindparam("n"),
                _Row.state == RowState.RUNNING.value,
                _Row.owner == bindparam("o"),
            )
            .values(
                state=bindparam("s"),
                credential_id=bindparam("c"),
                error=bindparam("e"),
                owner=None,
            )
        )
        parameters = [
            {
                "j": job_id,
                "n": r.number,
                "o": owner,
                "s": r.state.value,
                "c": r.credential_id,
                "e": r.error,
            }
            for r in results
        ]
        with write_transaction(self._engine) as connection:
            written = connection.execute(statement, parameters)
        return max(written.rowcount, 0)

    def finish(self, job_id: str, at: datetime) -> bool:
        with write_transaction(self._engine) as connection:
            open_rows = connection.execute(
                select(func.count())
                .select_from(_Row)
                .where(
                    _Row.job_id == job_id,
                    _Row.state.in_((RowState.PENDING.value, RowState.RUNNING.value)),
                )
            ).scalar_one()
            if open_rows:
                return False
            connection.execute(
                update(_Job)
                .where(_Job.id == job_id, _Job.state != JobState.FINISHED.value)
                .values(state=JobState.FINISHED.value, finished_at=at)
            )
            return True

    def counts(self, job_id: str) -> CohortCounts:
        with read_transaction(self._engine) as connection:
            found = connection.execute(
                select(_Row.state, func.count(), func.count(_Row.offered_at))
                .where(_Row.job_id == job_id)
                .group_by(_Row.state)
            ).all()
        by_state = {RowState(state): int(count) for state, count, _ in found}
        return CohortCounts(
            total=sum(by_state.values()),
            issued=by_state.get(RowState.ISSUED, 0),
            failed=by_state.get(RowState.FAILED, 0),
            invalid=by_state.get(RowState.INVALID, 0),
            pending=by_state.get(RowState.PENDING, 0),
            running=by_state.get(RowState.RUNNING, 0),
            offered=sum(int(offered) for _, _, offered in found),
        )

    def rows(self, job_id: str, states: Iterable[RowState] | None = None) -> list[CohortRow]:
        query = select(_Row).where(_Row.job_id == job_id).order_by(_Row.number)
        if states is not None:
            query = query.where(_Row.state.in_([s.value for s in states]))
        with read_transaction(self._engine) as connection:
            return [_row(row) for row in connection.execute(query).all()]

    def mark_offered(
        self, job_id: str, numbers: Sequence[int], at: datetime, expires_at: datetime
    ) -> None:
        if not numbers:
            return
        with write_transaction(self._engine) as connection:
            for start in range(0, len(numbers), _INSERT_BATCH):
                connection.execute(
                    update(_Row)
                    .where(
                        _Row.job_id == job_id,
                        _Row.number.in_(list(numbers[start : start + _INSERT_BATCH])),
                    )
                    .values(offered_at=at, offer_expires_at=expires_at)
                )
