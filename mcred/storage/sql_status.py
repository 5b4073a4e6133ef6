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

Reservation (``reserve`` > 1, what the service uses): the list's row lock is the one point every
allocator of every worker queues on, so a store takes ``reserve`` slots in one transaction (one
``allocated + reserve`` update and one insert of random free indexes bound as one array, held
by the marker :data:`RESERVED`, handed out in random order) and hands them out from memory,
binding each to its credential with a single-row update that contends with no one. Slots
reserved by a process that stops before using them stay marked and unused: never handed out,
never in any credential (at most ``reserve`` per process start); herd privacy is unchanged
(every index is still random). Near a list's end a reservation shrinks to the room left, so
lists still fill exactly to their capacity.

Deferred binding (``defer_binding``, with ``reserve`` > 1, what the service uses): ``allocate``
hands out a reserved slot without a transaction of its own, and the credential store binds it
in the transaction that stores the credential (:class:`mcred.storage.sql_records.
SqlCredentialStore` with ``bind_status_slots``): a slot is bound exactly when its credential is
stored, one write transaction fewer per issuance. A slot whose issuance failed before the
credential was stored stays marked :data:`RESERVED` (as a reservation lost with its process).
"""

from __future__ import annotations

import json
import random
import secrets
import threading
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import (
    Connection,
    Engine,
    TextClause,
    bindparam,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from issuer.memory import MINIMUM_STATUS_LIST_SIZE, StatusListLayout
from issuer.ports import StatusListSnapshot, StatusSlot, StatusSlotNotFound
from mcred.storage.sql import (
    SingleRead,
    read_transaction,
    retry_on_conflict,
    write_transaction,
)
from mcred.storage.tables import StatusEntryRow, StatusListRow

__all__ = ["RESERVED", "SqlStatusListStore"]

RESERVED = ""
"""``status_entries.credential_id`` of a slot reserved by a worker and not yet handed out."""
READ_BATCH = 500
"""At most this many slots per ``SELECT`` of :meth:`SqlStatusListStore.get_statuses`."""

_STATUSES = (
    select(
        StatusEntryRow.list_id,
        StatusEntryRow.idx,
        StatusListRow.purpose,
        StatusListRow.status_size,
        StatusEntryRow.status,
    )
    .join(StatusListRow, StatusListRow.id == StatusEntryRow.list_id)
    .where(
        tuple_(StatusEntryRow.list_id, StatusEntryRow.idx).in_(bindparam("keys", expanding=True))
    )
)
"""The statuses of ``keys`` (``(list_id, idx)`` pairs), built once: every read binds its own."""
_VERSION = select(StatusListRow.version).where(StatusListRow.id == bindparam("list_id"))
_VERSION_READ = SingleRead(_VERSION)
"""A list's version, read for every status check of its credentials: outside a transaction."""
_RESERVE_CANDIDATES: dict[str, TextClause] = {
    "postgresql": text(
        "INSERT INTO status_entries (list_id, idx, credential_id, status) "
        "SELECT :list_id, candidate, :reserved, 0 "
        "FROM unnest(CAST(:candidates AS integer[])) AS candidate "
        "ON CONFLICT DO NOTHING RETURNING idx"
    ),
    "sqlite": text(  # (WHERE true: an upsert after SELECT … FROM needs it, SQLite §upsert)
        "INSERT INTO status_entries (list_id, idx, credential_id, status) "
        "SELECT :list_id, value, :reserved, 0 FROM json_each(:candidates) WHERE true "
        "ON CONFLICT DO NOTHING RETURNING idx"
    ),
}
"""Reserve the free ones of a set of candidate indexes of one list, returning those held: one
statement, the same for every reservation (the candidates bound as one array), instead of a
multi-row ``INSERT`` compiled again for each set of rows."""


_RESERVE_ROUNDS = 4


class SqlStatusListStore:
    """A :class:`issuer.ports.StatusListStore` in SQLite or PostgreSQL."""

    def __init__(
        self,
        engine: Engine,
        size: int = MINIMUM_STATUS_LIST_SIZE,
        fill: float = 0.5,
        rng: random.Random | None = None,
        *,
        reserve: int = 1,
        defer_binding: bool = False,
    ) -> None:
        if reserve < 1:
            raise ValueError("reserve is at least 1")
        if defer_binding and reserve == 1:
            raise ValueError("deferred binding needs reserve > 1 (slots held as RESERVED)")
        self.layout = StatusListLayout(size, fill)
        self._engine = engine
        self._rng = rng or secrets.SystemRandom()
        self._reserve = reserve
        self.defer_binding = defer_binding
        """Whether ``allocate`` leaves the binding to the credential store (module docstring)."""
        self._pool_lock = threading.Lock()
        self._pools: dict[tuple[str, int], deque[tuple[str, int]]] = {}

    # -- allocation ---------------------------------------------------------------------------
    def allocate(self, purpose: str, status_size: int, credential_id: str) -> StatusSlot:
        self.layout.check_request(purpose, status_size)
        if self._reserve == 1:

            def attempt() -> StatusSlot:
                with write_transaction(self._engine) as connection:
                    list_id = self._take(connection, purpose, status_size, 1)[0]
                    index = self._insert_random(connection, list_id, credential_id)
                    return StatusSlot(list_id, index, purpose, status_size)

            return retry_on_conflict(attempt)
        list_id, index = self._from_pool(purpose, status_size)
        if self.defer_binding:
            return StatusSlot(list_id, index, purpose, status_size)
        with write_transaction(self._engine) as connection:
            bound = connection.execute(
                update(StatusEntryRow)
                .where(
                    StatusEntryRow.list_id == list_id,
                    StatusEntryRow.idx == index,
                    StatusEntryRow.credential_id == RESERVED,
                )
                .values(credential_id=credential_id)
            )
            if bound.rowcount != 1:
                raise AssertionError(f"{list_id}#{index} was not reserved by this store")
        return StatusSlot(list_id, index, purpose, status_size)

    def _from_pool(self, purpose: str, status_size: int) -> tuple[str, int]:
        """A slot this store reserved earlier; a new reservation when none is left."""
        with self._pool_lock:
            pool = self._pools.setdefault((purpose, status_size), deque())
            if not pool:

                def attempt() -> list[tuple[str, int]]:
                    with write_transaction(self._engine) as connection:
                        list_id, count = self._take(connection, purpose, status_size, self._reserve)
                        return [
                            (list_id, index)
                            for index in self._insert_many(connection, list_id, count)
                        ]

                pool.extend(retry_on_conflict(attempt))
            return pool.popleft()

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

    def _take(
        self, connection: Connection, purpose: str, status_size: int, wanted: int
    ) -> tuple[str, int]:
        """Count up to ``wanted`` more slots in an open list (the lowest-numbered one), or open a
        new list: (list, how many were counted, at least one)."""
        capacity = self.layout.capacity
        while True:
            open_list = self._first_open(connection, purpose, status_size)
            if open_list is None:
                opened = self._open_list(connection, purpose, status_size, wanted)
                if opened is None:
                    continue  # another worker opened one meanwhile: count slots in it
                return opened, min(wanted, capacity)
            if wanted == 1:
                taken = connection.execute(
                    update(StatusListRow)
                    .where(StatusListRow.id == open_list, StatusListRow.allocated < capacity)
                    .values(allocated=StatusListRow.allocated + 1)
                )
                if taken.rowcount == 1:
                    return open_list, 1
                continue  # another worker filled the list while we waited: look again
            # the row lock first (PostgreSQL queues here), then the room left on the newest row
            allocated = connection.execute(
                select(StatusListRow.allocated)
                .where(StatusListRow.id == open_list)
                .with_for_update()
            ).scalar_one()
            count = min(wanted, capacity - allocated)
            if count > 0:
                connection.execute(
                    update(StatusListRow)
                    .where(StatusListRow.id == open_list)
                    .values(allocated=allocated + count)
                )
                return open_list, count
            # another worker filled the list while we waited for its row: look again

    def _open_list(
        self, connection: Connection, purpose: str, status_size: int, wanted: int
    ) -> str | None:
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
                allocated=min(wanted, self.layout.capacity),
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

    def _insert_many(self, connection: Connection, list_id: str, count: int) -> list[int]:
        """Reserve ``count`` random free indexes of ``list_id`` (whose row lock is held)."""
        dialect = connection.dialect.name
        reserve = _RESERVE_CANDIDATES[dialect]
        held: list[int] = []
        tried: set[int] = set()
        for _ in range(_RESERVE_ROUNDS):
            wanted = count - len(held)
            if wanted == 0:
                return held
            candidates: set[int] = set()
            while len(candidates) < min(wanted, self.layout.size - len(tried)):
                index = self._rng.randrange(self.layout.size)
                if index not in tried:
                    candidates.add(index)
            tried |= candidates
            ordered = sorted(candidates)
            won = list(
                connection.execute(
                    reserve,
                    {
                        "list_id": list_id,
                        "reserved": RESERVED,
                        "candidates": ordered if dialect == "postgresql" else json.dumps(ordered),
                    },
                ).scalars()
            )
            self._rng.shuffle(won)  # handed out in no particular order (not by index)
            held.extend(won)
        while len(held) < count:  # unlucky many times over: one by one, with the fallback
            held.append(self._insert_random(connection, list_id, RESERVED))
        return held

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

    def get_statuses(self, slots: Sequence[StatusSlot]) -> list[int]:
        """One ``SELECT … WHERE (list_id, idx) IN (…)`` per :data:`READ_BATCH` slots."""
        found: dict[tuple[str, int, str, int], int] = {}
        with read_transaction(self._engine) as connection:
            for start in range(0, len(slots), READ_BATCH):
                keys = {(slot.list_id, slot.index) for slot in slots[start : start + READ_BATCH]}
                rows = connection.execute(_STATUSES, {"keys": list(keys)})
                for list_id, index, purpose, status_size, status in rows:
                    found[(list_id, index, purpose, status_size)] = status
        statuses = []
        for slot in slots:
            value = found.get((slot.list_id, slot.index, slot.purpose, slot.status_size))
            if value is None:
                raise StatusSlotNotFound(f"no credential holds {slot.list_id}#{slot.index}")
            statuses.append(value)
        return statuses

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
        version = _VERSION_READ.scalar(self._engine, {"list_id": list_id})
        if version is None:
            raise StatusSlotNotFound(f"no status list {list_id!r}")
        return int(version)
