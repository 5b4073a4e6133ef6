"""The storage backends under test: in memory, SQLite (a file per test), PostgreSQL.

PostgreSQL tests get one throwaway database per session, created on the server of the
``postgres_url`` fixture (which skips, or fails under ``MCRED_REQUIRE_SERVICES=1``, when the
server is not there), emptied before each test and dropped at the end.
"""

from __future__ import annotations

import random
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from issuer.memory import (
    MINIMUM_STATUS_LIST_SIZE,
    InMemoryApiKeyStore,
    InMemoryAuditLog,
    InMemoryCatalogueStore,
    InMemoryCredentialStore,
    InMemorySigningKeyStore,
    InMemoryStatusListStore,
)
from issuer.ports import (
    ApiKeyStore,
    AuditLog,
    CatalogueStore,
    CredentialStore,
    SigningKeyStore,
    StatusListStore,
)
from mcred.storage.sql import create_engine_for, normalise_url, upgrade_database
from mcred.storage.sql_keys import SqlSigningKeyStore
from mcred.storage.sql_records import (
    SqlApiKeyStore,
    SqlAuditLog,
    SqlCatalogueStore,
    SqlCredentialStore,
)
from mcred.storage.sql_status import SqlStatusListStore
from mcred.storage.tables import metadata
from tests.storage import _bridge_workers

KEK = bytes(range(32))

BACKENDS = ["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.services)]
SQL_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]


@dataclass
class Backend:
    """Makes each store on one backend; SQL stores of one test share one database."""

    name: str
    url: str | None = None
    engine: Engine | None = None
    _memory: dict[str, Any] = field(default_factory=dict)

    def sql(self) -> Engine:
        assert self.engine is not None, f"{self.name} has no database"
        return self.engine

    def _once(self, kind: str, make: Any) -> Any:
        if kind not in self._memory:
            self._memory[kind] = make()
        return self._memory[kind]

    def statuses(
        self,
        size: int = MINIMUM_STATUS_LIST_SIZE,
        fill: float = 0.5,
        rng: random.Random | None = None,
    ) -> StatusListStore:
        if self.engine is None:
            return InMemoryStatusListStore(size, fill, rng)
        return SqlStatusListStore(self.engine, size, fill, rng)

    def credentials(self) -> CredentialStore:
        if self.engine is None:
            log = self._once("audit", InMemoryAuditLog)
            store: CredentialStore = self._once("credentials", lambda: InMemoryCredentialStore(log))
            return store
        return SqlCredentialStore(self.engine)

    def audit(self) -> AuditLog:
        if self.engine is None:
            log: AuditLog = self._once("audit", InMemoryAuditLog)
            return log
        return SqlAuditLog(self.engine)

    def api_keys(self) -> ApiKeyStore:
        if self.engine is None:
            keys: ApiKeyStore = self._once("api_keys", InMemoryApiKeyStore)
            return keys
        return SqlApiKeyStore(self.engine)

    def catalogue(self) -> CatalogueStore:
        if self.engine is None:
            catalogue: CatalogueStore = self._once("catalogue", InMemoryCatalogueStore)
            return catalogue
        return SqlCatalogueStore(self.engine)

    def signing_keys(self, owner: str = "coordinator", kek: bytes = KEK) -> SigningKeyStore:
        if self.engine is None:
            store: SigningKeyStore = self._once(f"keys:{owner}", InMemorySigningKeyStore)
            return store
        return SqlSigningKeyStore(self.engine, owner, kek)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test works on a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "mcred.db"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database(postgres_url: str) -> Iterator[str]:
    """The URL of a migrated throwaway database on the test server, dropped at the end."""
    server = make_url(normalise_url(postgres_url))
    name = f"mcred_storage_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        # a throwaway database need not wait for the disk at each commit (locks and
        # visibility are unchanged: only crash durability is given up)
        connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_database(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def sqlite_copy(template: Path, directory: Path) -> str:
    path = directory / "mcred.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


def emptied(url: str) -> str:
    """The PostgreSQL database at ``url`` with every table emptied (and sequences reset)."""
    engine = create_engine_for(url)
    try:
        with engine.begin() as connection:
            tables = ", ".join(table.name for table in metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()
    return url


def database_url(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database of the backend ``name`` for one test."""
    if name == "sqlite":
        return sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
    return emptied(request.getfixturevalue("pg_database"))


def _sql(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    url = database_url(name, request, tmp_path)
    engine = create_engine_for(url)
    try:
        yield Backend(name, url, engine)
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "memory":
        yield Backend("memory")
    else:
        yield from _sql(request.param, request, tmp_path)


@pytest.fixture(params=SQL_BACKENDS)
def sql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _sql(request.param, request, tmp_path)


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[tuple[Redis, str]]:
    """A Redis client and a key prefix of this test's own; its keys are deleted at the end."""
    client = Redis.from_url(redis_url)
    prefix = f"mcred-test:{secrets.token_hex(6)}:"
    try:
        yield client, prefix
    finally:
        _bridge_workers.clear_prefix(client, prefix)
        client.close()
