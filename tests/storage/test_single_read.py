"""mcred.storage.sql.SingleRead: one value read outside any transaction, on SQLite and PostgreSQL,
leaving the pooled connection as it found it."""

from __future__ import annotations

import random
import time

import pytest
from sqlalchemy import bindparam, literal_column, select, text, update
from sqlalchemy.exc import DBAPIError

from mcred.storage.sql import SingleRead, create_engine_for, read_transaction, write_transaction
from mcred.storage.tables import StatusListRow
from tests.storage.conftest import Backend

VERSION = SingleRead(select(StatusListRow.version).where(StatusListRow.id == bindparam("list_id")))
TWO_NAMES = SingleRead(
    select(StatusListRow.version).where(
        StatusListRow.id == bindparam("list_id"), StatusListRow.version >= bindparam("at_least")
    )
)


def test_a_value_is_read_as_a_transaction_reads_it(sql_backend: Backend) -> None:
    engine = sql_backend.sql()
    store = sql_backend.statuses(size=64, rng=random.Random(1))
    slot = store.allocate("revocation", 1, "c1")
    assert VERSION.scalar(engine, {"list_id": slot.list_id}) == 0
    assert VERSION.scalar(engine, {"list_id": "no-such-list"}) is None
    store.set_status(slot, 1)
    with read_transaction(engine) as connection:
        expected = connection.execute(
            select(StatusListRow.version).where(StatusListRow.id == slot.list_id)
        ).scalar_one()
    assert VERSION.scalar(engine, {"list_id": slot.list_id}) == expected == 1
    # parameters are bound by name, whatever order the dialect wants them in
    assert TWO_NAMES.scalar(engine, {"at_least": 1, "list_id": slot.list_id}) == 1
    assert TWO_NAMES.scalar(engine, {"at_least": 2, "list_id": slot.list_id}) is None


def test_the_pooled_connection_still_runs_transactions_afterwards(sql_backend: Backend) -> None:
    engine = sql_backend.sql()
    store = sql_backend.statuses(size=64, rng=random.Random(2))
    list_id = store.allocate("revocation", 1, "c1").list_id
    for _ in range(5):
        VERSION.scalar(engine, {"list_id": list_id})

    def write_then_fail() -> None:
        with write_transaction(engine) as connection:
            connection.execute(
                update(StatusListRow).where(StatusListRow.id == list_id).values(version=99)
            )
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert VERSION.scalar(engine, {"list_id": list_id}) == 0  # the write was not autocommitted
    if engine.dialect.name == "postgresql":
        connection = engine.raw_connection()
        try:
            assert connection.driver_connection.autocommit is False  # type: ignore[union-attr]
        finally:
            connection.close()


@pytest.mark.services
def test_connections_the_server_dropped_fail_once_and_are_replaced(pg_database: str) -> None:
    """Like SQLAlchemy's own statements: the read that meets a dropped connection fails (as a
    SQLAlchemy DBAPIError, the connection marked invalidated), the pool's older connections are
    discarded with it, and the next read connects afresh."""
    engine = create_engine_for(pg_database)
    admin = create_engine_for(pg_database)
    one = SingleRead(select(literal_column("1")))
    try:
        held = [engine.raw_connection() for _ in range(3)]  # three pooled connections
        pids = []
        for pooled in held:
            cursor = pooled.cursor()
            cursor.execute("SELECT pg_backend_pid()")
            row = cursor.fetchone()
            assert row is not None
            pids.append(row[0])
            pooled.close()
        with admin.connect() as connection:
            for pid in pids:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        time.sleep(0.2)
        with pytest.raises(DBAPIError) as failed:
            one.scalar(engine, {})
        assert failed.value.connection_invalidated
        assert [one.scalar(engine, {}) for _ in range(4)] == [1, 1, 1, 1]
    finally:
        engine.dispose()
        admin.dispose()
