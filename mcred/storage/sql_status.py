"""Bitstring Status List slots in SQL: random, atomic allocation (specs.md §7.1).

How no index is ever handed out twice, by several workers at once:

* ``status_entries`` has PRIMARY KEY (list_id, idx): the database itself refuses a second
  holder of an index. An allocation inserts a random index with ``ON CONFLICT DO NOTHING``
  and tries another index when nothing was inserted.
* ``status_lists.allocated`` counts a list's slots. An allocation first takes one with
  ``UPDATE … SET allocated = allocated + 1 WHERE id = :list AND allocated < :capacity``. On
  PostgreSQL that row lock queues every allocator of the list until the taker commits (and
  the condition is checked again on the newest row), so a list never goes past its capacity;
  ``set_status`` takes the same row lock first, so the two never deadlock. On SQLite every
  write transaction starts with ``BEGIN IMMEDIATE``, which serialises writers outright.
* When no list of the purpose and size has room, the allocator inserts the next list
  (``revocation-2``). Two PostgreSQL workers racing to open it collide on the primary key;
  the loser starts over and joins the winner's list.
"""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from issuer.memory import MINIMUM_STATUS_LIST_SIZE, StatusListLayout
from issuer.ports import StatusListSnapshot, StatusSlot, StatusSlotNotFound
from mcred.storage.sql import read_transaction, retry_on_conflict, write_transaction
from mcred.storage.tables import StatusEntryRow, StatusListRow

__all__ = ["SqlStatusListStore"]


class SqlStatusListStore:
    """A :class:`issuer.ports.StatusListStore` in SQLite or PostgreSQL."""

    def __init__(
        self,
        engine: Engine,
        size: int = MINIMUM_STATUS_LIST_SIZE,
        fill: float = 0.5,
        rng: random.Random | None = None,
    ) -> None:
        self.layout = StatusListLayout(size, fill)
        self._engine = engine
        self._rng = rng or secrets.SystemRandom()

    # -- allocation ---------------------------------------------------------------------------
    def allocate(self, purpose: str, status_size: int, credential_id: str) -> StatusSlot:
        self.layout.check_request(purpose, status_size)

        def attempt() -> StatusSlot:
            with write_transaction(self._engine) as connection:
                list_id = self._take_one(connection, purpose, status_size)
                index = self._insert_random(connection, list_id, credential_id)
                return StatusSlot(list_id, index, purpose, status_size)

        return retry_on_conflict(attempt)

    def _first_open(self, connection: Connection, purpose: str, status_size: int) -> str | None:
        found: str | None = connection.execute(
            select(StatusListRow.id)
            .where(
                StatusListRow.purpose == purpose,
                StatusListRow.status_size == status_size,
                StatusListRow.size == self.layout.size,
                StatusListRow.allocated < self.layout.capacity,
            )
            .order_by(StatusListRow.sequence)
            .limit(1)
        ).scalar_one_or_none()
        return found

    def _take_one(self, connection: Connection, purpose: str, status_size: int) -> str:
        """Count one more slot in an open list (the lowest-numbered one), or open a new list."""
        capacity = self.layout.capacity
        while True:
            open_list = self._first_open(connection, purpose, status_size)
            if open_list is None:
                opened = self._open_list(connection, purpose, status_size)
                if opened is None:
                    continue  # another worker opened one meanwhile: count a slot in it
                return opened
            taken = connection.execute(
                update(StatusListRow)
                .where(StatusListRow.id == open_list, StatusListRow.allocated < capacity)
                .values(allocated=StatusListRow.allocated + 1)
            )
            if taken.rowcount == 1:
                return open_list
            # another worker filled the list while we waited for its row: look again

    def _open_list(self, connection: Connection, purpose: str, status_size: int) -> str | None:
        """Open list ``max(sequence) + 1``, or None when a list opened by another worker is
        visible now. The highest sequence is read *before* looking for open lists again: a list
        committed before that read is seen by the look, one committed after it has our
        sequence and makes our insert conflict (the attempt is then retried)."""
        last = connection.execute(
            select(func.max(StatusListRow.sequence)).where(StatusListRow.purpose == purpose)
        ).scalar_one_or_none()
        if self._first_open(connection, purpose, status_size) is not None:
            return None
        sequence = (last or 0) + 1
        list_id = self.layout.list_id(purpose, sequence)
        now = datetime.now(UTC)
        connection.execute(
            insert(StatusListRow).values(
                id=list_id,
                purpose=purpose,
                sequence=sequence,
                status_size=status_size,
                size=self.layout.size,
                allocated=1,
                version=0,
                created_at=now,
                updated_at=now,
            )
        )
        return list_id

    def _insert_random(self, connection: Connection, list_id: str, credential_id: str) -> int:
        maker = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert

        def insert_at(index: int) -> bool:
            """Hold ``index`` if it is free; whether it was."""
            statement = maker(StatusEntryRow).values(
                list_id=list_id, idx=index, credential_id=credential_id, status=0
            )
            held = statement.on_conflict_do_nothing().returning(StatusEntryRow.idx)
            return connection.execute(held).first() is not None

        def taken(index: int) -> bool:
            return not insert_at(index)  # a free index is held at once

        index = self.layout.pick_index(self._rng, taken)
        if index is not None:
            return index
        # Unlucky many times over (only likely with ``fill`` near 1): choose among the free.
        held = set(
            connection.execute(
                select(StatusEntryRow.idx).where(StatusEntryRow.list_id == list_id)
            ).scalars()
        )
        index = self._rng.choice([i for i in range(self.layout.size) if i not in held])
        if not insert_at(index):
            raise AssertionError(f"{list_id}#{index} was free under the list's lock")
        return index

    # -- statuses -----------------------------------------------------------------------------
    def set_status(self, slot: StatusSlot, value: int) -> int:
        self.layout.check_value(slot, value)
        with write_transaction(self._engine) as connection:
            # the list's row first (as allocate does): it orders the changes and the versions
            bumped = connection.execute(
                update(StatusListRow)
                .where(
                    StatusListRow.id == slot.list_id,
                    StatusListRow.purpose == slot.purpose,
                    StatusListRow.status_size == slot.status_size,
                )
                .values(version=StatusListRow.version + 1, updated_at=datetime.now(UTC))
            )
            previous = self._status(connection, slot) if bumped.rowcount == 1 else None
            if previous is None:
                raise StatusSlotNotFound(f"no credential holds {slot.list_id}#{slot.index}")
            connection.execute(
                update(StatusEntryRow)
                .where(StatusEntryRow.list_id == slot.list_id, StatusEntryRow.idx == slot.index)
                .values(status=value)
            )
            return previous

    @staticmethod
    def _status(connection: Connection, slot: StatusSlot) -> int | None:
        return connection.execute(
            select(StatusEntryRow.status)
            .join(StatusListRow, StatusListRow.id == StatusEntryRow.list_id)
            .where(
                StatusEntryRow.list_id == slot.list_id,
                StatusEntryRow.idx == slot.index,
                StatusListRow.purpose == slot.purpose,
                StatusListRow.status_size == slot.status_size,
            )
        ).scalar_one_or_none()

    def get_status(self, slot: StatusSlot) -> int:
        with read_transaction(self._engine) as connection:
            status = self._status(connection, slot)
        if status is None:
            raise StatusSlotNotFound(f"no credential holds {slot.list_id}#{slot.index}")
        return status

    def snapshot(self, list_id: str) -> StatusListSnapshot:
        with read_transaction(self._engine, snapshot=True) as connection:
            row = connection.execute(
                select(
                    StatusListRow.purpose,
                    StatusListRow.status_size,
                    StatusListRow.size,
                    StatusListRow.version,
                    StatusListRow.updated_at,
                ).where(StatusListRow.id == list_id)
            ).one_or_none()
            if row is None:
                raise StatusSlotNotFound(f"no status list {list_id!r}")
            nonzero = connection.execute(
                select(StatusEntryRow.idx, StatusEntryRow.status)
                .where(StatusEntryRow.list_id == list_id, StatusEntryRow.status != 0)
                .order_by(StatusEntryRow.idx)
            ).all()
        purpose, status_size, size, version, updated_at = row
        return StatusListSnapshot(
            list_id=list_id,
            purpose=purpose,
            status_size=status_size,
            size=size,
            version=version,
            updated_at=updated_at,
            nonzero=tuple((index, status) for index, status in nonzero),
        )

    def version(self, list_id: str) -> int:
        with read_transaction(self._engine) as connection:
            version = connection.execute(
                select(StatusListRow.version).where(StatusListRow.id == list_id)
            ).scalar_one_or_none()
        if version is None:
            raise StatusSlotNotFound(f"no status list {list_id!r}")
        return version
