"""The verifier's OpenID4VP presentation requests in SQL (SQLite or PostgreSQL), shared by every
worker and every instance.

Implements :class:`verifier.openid4vp.ports.PresentationRequestStore` as
:class:`verifier.openid4vp.memory.InMemoryPresentationRequestStore` does, on the table
``oid4vp_requests`` (:class:`~mcred.storage.tables.Oid4vpRequestRow`): one row per request, the
record as JSON, ``state`` unique, the answer in ``answer``/``answered_at``.

* :meth:`SqlPresentationRequestStore.answer_once` is one conditional
  ``UPDATE … SET answer WHERE id AND answered_at IS NULL AND expires_at > now RETURNING id``:
  of two concurrent answers the database lets exactly one change the row (on PostgreSQL the
  second waits for the first's row lock, then finds ``answered_at`` set; on SQLite the write
  transaction holds the database lock from ``BEGIN IMMEDIATE``). Only when nothing changed is
  the row read, to say why (unknown, already answered, expired: in the in-memory store's order);
  an answer and an ``expires_at`` never change once set, so that read cannot contradict the
  update.
* ``put`` refuses an ``id`` or a ``state`` used twice (``ValueError``; the primary key and the
  unique ``state`` decide, also between concurrent puts).
* A request is kept until ``retention`` after its ``expires_at`` (so its status can still say
  ``expired``): ``get`` and ``find_by_state`` no longer see it after that (by the store's
  clock), and ``put`` deletes such rows, at most :data:`~mcred.storage.sql_bridge.PRUNE_BATCH`
  a call along the ``expires_at`` index (rows locked by others skipped on PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from mcred.storage.presentation_records import (
    DEFAULT_RETENTION,
    answer_from_json,
    answer_to_json,
    request_from_json,
    request_to_json,
)
from mcred.storage.sql import read_transaction, write_transaction
from mcred.storage.sql_bridge import PRUNE_BATCH
from mcred.storage.tables import Oid4vpRequestRow
from verifier.openid4vp.ports import (
    Answer,
    AnswerOutcome,
    PresentationRequestRecord,
    StoredRequest,
)
from wallet_bridge.memory import Clock, system_clock

__all__ = ["SqlPresentationRequestStore"]

_Row = Oid4vpRequestRow


def _stored(row: Any) -> StoredRequest:
    answer = None if row.answer is None else answer_from_json(row.answer)
    return StoredRequest(request_from_json(row.record), answer)


class SqlPresentationRequestStore:
    """Presentation requests and their single answer (module doc)."""

    def __init__(
        self,
        engine: Engine,
        *,
        retention: timedelta = DEFAULT_RETENTION,
        clock: Clock = system_clock,
    ) -> None:
        self._engine = engine
        self._retention = retention
        self._clock = clock

    def put(self, record: PresentationRequestRecord) -> None:
        dropped_before = self._clock() - self._retention
        with write_transaction(self._engine) as connection:
            self._prune(connection, dropped_before)
            # a request past its retention no longer holds its id or state
            connection.execute(
                delete(_Row).where(
                    or_(_Row.id == record.id, _Row.state == record.state),
                    _Row.expires_at <= dropped_before,
                )
            )
            try:
                connection.execute(
                    insert(_Row).values(
                        id=record.id,
                        state=record.state,
                        record=request_to_json(record),
                        expires_at=record.expires_at,
                    )
                )
            except IntegrityError:
                raise ValueError("a presentation request id or state is used twice") from None

    def get(self, request_id: str) -> StoredRequest | None:
        return self._find(_Row.id == request_id)

    def find_by_state(self, state: str) -> StoredRequest | None:
        return self._find(_Row.state == state)

    def answer_once(self, request_id: str, answer: Answer, *, now: datetime) -> AnswerOutcome:
        with write_transaction(self._engine) as connection:
            answered = connection.execute(
                update(_Row)
                .where(_Row.id == request_id, _Row.answered_at.is_(None), _Row.expires_at > now)
                .values(answered_at=answer.answered_at, answer=answer_to_json(answer))
                .returning(_Row.id)
            ).first()
            if answered is not None:
                return AnswerOutcome.ANSWERED
            row = connection.execute(
                select(_Row.answered_at, _Row.expires_at).where(
                    _Row.id == request_id, _Row.expires_at > now - self._retention
                )
            ).first()
        if row is None:
            return AnswerOutcome.UNKNOWN
        if row.answered_at is not None:
            return AnswerOutcome.ALREADY_ANSWERED
        return AnswerOutcome.EXPIRED

    def _find(self, where: Any) -> StoredRequest | None:
        with read_transaction(self._engine) as connection:
            row = connection.execute(
                select(_Row.record, _Row.answer).where(
                    where, _Row.expires_at > self._clock() - self._retention
                )
            ).first()
        return None if row is None else _stored(row)

    @staticmethod
    def _prune(connection: Connection, dropped_before: datetime) -> None:
        expired = (
            select(_Row.id)
            .where(_Row.expires_at <= dropped_before)
            .order_by(_Row.expires_at)
            .limit(PRUNE_BATCH)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds the database lock
        )
        connection.execute(delete(_Row).where(_Row.id.in_(expired.scalar_subquery())))
