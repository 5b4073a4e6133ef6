"""SQL engines and schema upgrades: SQLite (the default, under ``./var``) or PostgreSQL.

* :func:`create_engine_for` makes an engine from an ``MCRED_DATABASE_URL``. PostgreSQL URLs go
  through the psycopg 3 driver; SQLite runs in WAL mode with foreign keys on and a busy
  timeout, and SQLAlchemy (not the ``sqlite3`` module) emits ``BEGIN``, so that write
  transactions can take the write lock up front (``BEGIN IMMEDIATE``).
* :func:`upgrade_database` runs the Alembic migrations (``upgrade head``) from inside the
  package; several workers starting at once upgrade one after the other.
* :func:`write_transaction` / :func:`read_transaction` are how every store talks to the
  database. A write transaction on SQLite holds the database's write lock from its first
  statement; on PostgreSQL it is ``READ COMMITTED`` and the stores lock the rows they change.
* :class:`SingleRead` runs one prebuilt ``SELECT`` of one value outside any transaction (a
  statement is atomic on its own): on the pooled driver connection, without ``BEGIN`` and
  ``COMMIT`` round trips or SQLAlchemy's execution machinery — for the reads on every
  request's path (a status list's version, read for each status check).

The stores themselves live in :mod:`mcred.storage.sql_status`,
:mod:`mcred.storage.sql_records` and :mod:`mcred.storage.sql_keys`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Select, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError

from vc_core import json_codec

__all__ = [
    "MIGRATIONS",
    "SingleRead",
    "create_engine_for",
    "normalise_url",
    "read_transaction",
    "retry_on_conflict",
    "upgrade_database",
    "write_transaction",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
"""Alembic's script location, inside the package: no ``alembic.ini`` is needed at run time."""

_WRITE = "mcred_write"
_SQLITE_BUSY_TIMEOUT_S = 30.0
_MIGRATION_LOCK = 0x6D63726564  # "mcred": the PostgreSQL advisory lock held while upgrading
_CONFLICT_RETRIES = 8

T = TypeVar("T")


def normalise_url(url: str) -> str:
    """PostgreSQL URLs use psycopg 3 (``postgresql+psycopg://``); others are left alone."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


PING_AFTER_IDLE_S = 10.0
"""A pooled PostgreSQL connection that sat idle in the pool this long is pinged before it is
handed out, and replaced when the ping fails (a server restarted, a proxy or firewall dropped
the idle connection). A connection in steady use is not: pinging on every checkout (the pool's
``pre_ping``) cost one more round trip per transaction."""


def ping_idle_connections(engine: Engine, idle_s: float = PING_AFTER_IDLE_S) -> None:
    """Install :data:`PING_AFTER_IDLE_S`'s check on ``engine``'s pool (SQLAlchemy's custom
    pessimistic disconnect handling: a failed ping raises ``DisconnectionError``, and the pool
    discards that connection and checks out another, up to three times)."""

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < idle_s:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_connection.rollback()  # end the transaction the ping opened
        except Exception as exc:
            raise DisconnectionError("the pooled connection is gone") from exc

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)


def create_engine_for(url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL, configured for mcred's stores."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(
            parsed, json_serializer=json_codec.dumps, json_deserializer=json_codec.loads
        )
        ping_idle_connections(engine)
        return engine
    if parsed.get_backend_name() != "sqlite":
        raise ValueError(f"mcred stores data in SQLite or PostgreSQL, not {parsed.drivername}")
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)  # ./var on a fresh checkout
    engine = create_engine(
        parsed,
        connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_S},
        json_serializer=json_codec.dumps,
        json_deserializer=json_codec.loads,
    )
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN (see _sqlite_begin): the sqlite3 module's own transaction
    # handling would start write transactions lazily and then fail to upgrade their lock.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(_SQLITE_BUSY_TIMEOUT_S * 1000)}")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    write = connection.get_execution_options().get(_WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that commits when the block ends (rolls back if it raises).

    On SQLite it starts with ``BEGIN IMMEDIATE``: writers queue on the database lock (busy
    timeout) instead of failing when a read lock cannot be upgraded.
    """
    with engine.connect() as connection:
        connection.execution_options(**{_WRITE: True})
        with connection.begin():
            yield connection


@contextmanager
def read_transaction(engine: Engine, *, snapshot: bool = False) -> Iterator[Connection]:
    """A read-only transaction; ``snapshot`` makes every statement see the same state.

    (SQLite transactions are snapshots anyway; PostgreSQL needs ``REPEATABLE READ``.)
    """
    with engine.connect() as connection:
        if snapshot and engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


class SingleRead:
    """One ``SELECT`` of one value (``statement``, its parameters bound by name), run outside
    any transaction on the pooled driver connection: a single statement sees one consistent
    state on its own, so it needs no ``BEGIN``/``COMMIT``, and it is compiled once per dialect.

    SQLite connections already run without an implicit transaction (see
    :func:`_sqlite_connect`); a PostgreSQL connection is put in autocommit for the statement
    and back before it returns to the pool. Values come as the driver gives them (integers,
    strings): for columns that need no SQLAlchemy type processing.
    """

    def __init__(self, statement: Select[Any]) -> None:
        self._statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}

    def _sql(self, engine: Engine) -> tuple[str, tuple[str, ...] | None]:
        name = engine.dialect.name
        found = self._compiled.get(name)
        if found is None:
            compiled = self._statement.compile(dialect=engine.dialect)
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            found = self._compiled[name] = (str(compiled), order)
        return found

    def scalar(self, engine: Engine, parameters: Mapping[str, Any]) -> Any:
        """The first column of the first row, or None when there is no row.

        A driver error comes out as SQLAlchemy would raise it (:class:`~sqlalchemy.exc.DBAPIError`
        subclasses); a lost connection also invalidates the pool's older connections, as
        SQLAlchemy does, so that the next checkout connects afresh."""
        sql, order = self._sql(engine)
        arguments: Any = (
            tuple(parameters[n] for n in order) if order is not None else dict(parameters)
        )
        postgres = engine.dialect.name == "postgresql"
        connection = engine.raw_connection()
        try:
            return self._run(connection, sql, arguments, postgres=postgres)
        except engine.dialect.loaded_dbapi.Error as exc:
            lost = engine.dialect.is_disconnect(exc, connection.dbapi_connection, None)
            if lost:
                engine.pool._invalidate(connection, exc)  # what Connection does on a disconnect
            raise DBAPIError.instance(
                sql,
                arguments,
                exc,
                engine.dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=engine.dialect,
            ) from exc
        finally:
            connection.close()

    @staticmethod
    def _run(connection: Any, sql: str, arguments: Any, *, postgres: bool) -> Any:
        driver = connection.driver_connection
        if postgres:
            driver.autocommit = True
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(sql, arguments)
                row = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            if postgres and not driver.closed:
                driver.autocommit = False
        return None if row is None else row[0]


def retry_on_conflict(operation: Callable[[], T]) -> T:
    """Run ``operation`` (one whole transaction) again when a concurrent writer won a race.

    On PostgreSQL two workers may both decide to insert the same new row (the next status list,
    the first signing key); the unique constraint refuses the second, which starts over and
    then sees the winner's row.
    """
    for attempt in range(_CONFLICT_RETRIES):
        try:
            return operation()
        except IntegrityError:
            if attempt == _CONFLICT_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def upgrade_database(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (Alembic ``upgrade head``)."""
    engine = create_engine_for(url)
    try:
        with write_transaction(engine) as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
