"""What only the SQL stores have: the migration, the engines, keys sealed at rest, triggers."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from issuer.ports import AuditEvent, SigningKey
from mcred.storage import migrations
from mcred.storage.key_cipher import KeyEncryptionError
from mcred.storage.sql import create_engine_for, normalise_url, upgrade_database
from mcred.storage.sql_keys import SqlSigningKeyStore
from mcred.storage.sql_status import RESERVED, SqlStatusListStore
from mcred.storage.tables import SigningKeyRow, StatusEntryRow, StatusListRow, metadata
from tests.storage.conftest import KEK, Backend
from vc_core.keys import KeyType, b64url_encode

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _same(a: SigningKey, b: SigningKey) -> bool:
    """The same stored key (private keys compare by their public halves)."""
    return (a.fragment, a.private_key.public_key, a.created, a.retired_at) == (
        b.fragment,
        b.private_key.public_key,
        b.created,
        b.retired_at,
    )


def _head_revision() -> str:
    """The newest migration (file names ``rNNNN_*.py``)."""
    versions = Path(migrations.__file__).parent / "versions"
    return max(path.name[1:5] for path in versions.glob("r[0-9][0-9][0-9][0-9]_*.py"))


def test_the_migration_creates_exactly_the_mapped_schema(sql_backend: Backend) -> None:
    with sql_backend.sql().connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        assert context.get_current_revision() == _head_revision()


def test_upgrading_twice_changes_nothing(sql_backend: Backend) -> None:
    assert sql_backend.url is not None
    sql_backend.catalogue().put("alliance", "a", {"id": "a"})
    upgrade_database(sql_backend.url)
    assert sql_backend.catalogue().get("alliance", "a") == {"id": "a"}


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deep' / 'dir' / 'mcred.db'}"
    upgrade_database(url)  # makes the directory
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://db:5432/mcred", "postgresql+psycopg://db:5432/mcred"),
        ("postgres://u:p@db/mcred", "postgresql+psycopg://u:p@db/mcred"),
        ("postgresql+psycopg://db/mcred", "postgresql+psycopg://db/mcred"),
        ("sqlite:///var/mcred.db", "sqlite:///var/mcred.db"),
    ],
)
def test_postgresql_urls_use_psycopg_3(given: str, used: str) -> None:
    assert normalise_url(given) == used


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="SQLite or PostgreSQL"):
        create_engine_for("mysql://db/mcred")


def test_the_database_refuses_to_rewrite_the_audit_log(sql_backend: Backend) -> None:
    sql_backend.audit().append(AuditEvent("c1", "revoked", "api-key:k1", T0, "fraud"))
    engine = sql_backend.sql()
    for statement in (
        "UPDATE audit_events SET reason = 'nothing happened'",
        "DELETE FROM audit_events",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    assert [e.reason for e in sql_backend.audit().events("c1")] == ["fraud"]


# --- signing keys at rest --------------------------------------------------------------------


def test_signing_keys_persist_sealed(sql_backend: Backend) -> None:
    engine = sql_backend.sql()
    store = SqlSigningKeyStore(engine, "coordinator", KEK)
    keys = [store.active(KeyType.ED25519), store.active(KeyType.P256)]
    with engine.connect() as connection:
        rows = connection.execute(select(SigningKeyRow.ciphertext, SigningKeyRow.nonce)).all()
    stored = b"".join(ciphertext + nonce for ciphertext, nonce in rows)
    for key in keys:
        raw = key.private_key.private_bytes()
        assert raw not in stored
        assert b64url_encode(raw).encode() not in stored

    again = SqlSigningKeyStore(engine, "coordinator", KEK)  # another worker, or a restart
    assert len(again.list_keys()) == 2
    assert all(map(_same, again.list_keys(), store.list_keys()))
    assert again.active(KeyType.ED25519).private_key.public_key == keys[0].private_key.public_key


def test_a_rotation_is_seen_by_every_worker(sql_backend: Backend) -> None:
    engine = sql_backend.sql()
    first = SqlSigningKeyStore(engine, "coordinator", KEK, active_key_ttl=0.2)
    second = SqlSigningKeyStore(engine, "coordinator", KEK, active_key_ttl=0.2)
    old = first.active(KeyType.ED25519)
    assert _same(second.active(KeyType.ED25519), old)  # not a second key
    new = second.rotate(KeyType.ED25519)
    assert _same(second.active(KeyType.ED25519), new)  # the rotating worker at once
    assert _same(first.active(KeyType.ED25519), old)  # the other one within the ttl
    time.sleep(0.25)
    assert _same(first.active(KeyType.ED25519), new)
    assert [k.fragment for k in first.list_keys() if not k.active] == [old.fragment]


def test_owners_keep_their_own_keys(sql_backend: Backend) -> None:
    engine = sql_backend.sql()
    coordinator = SqlSigningKeyStore(engine, "coordinator", KEK)
    partner = SqlSigningKeyStore(engine, "partner:uni-x", KEK)
    mine = coordinator.active(KeyType.ED25519)
    theirs = partner.active(KeyType.ED25519)
    assert mine.fragment != theirs.fragment
    assert [k.fragment for k in coordinator.list_keys()] == [mine.fragment]
    assert [k.fragment for k in partner.list_keys()] == [theirs.fragment]


def test_a_wrong_kek_is_refused_at_start(sql_backend: Backend) -> None:
    engine = sql_backend.sql()
    SqlSigningKeyStore(engine, "coordinator", KEK).active(KeyType.ED25519)
    with pytest.raises(KeyEncryptionError, match="wrong key-encryption key"):
        SqlSigningKeyStore(engine, "coordinator", bytes(32))
    SqlSigningKeyStore(engine, "nobody-yet", bytes(32))  # no keys: nothing to refuse


def test_a_key_moved_to_another_owner_does_not_open(sql_backend: Backend) -> None:
    engine = sql_backend.sql()
    SqlSigningKeyStore(engine, "partner:uni-x", KEK).active(KeyType.ED25519)
    with engine.begin() as connection:
        connection.execute(update(SigningKeyRow).values(owner="coordinator"))
    with pytest.raises(KeyEncryptionError):
        SqlSigningKeyStore(engine, "coordinator", KEK)


def test_reserved_slots_behave_as_allocated_ones(sql_backend: Backend) -> None:
    """A reserving store hands out distinct random slots from one reservation, binds each to its
    credential, and statuses work on them as on slots allocated one by one."""
    store = SqlStatusListStore(sql_backend.sql(), reserve=8)
    slots = [store.allocate("revocation", 1, f"c-{n}") for n in range(20)]
    assert len({(s.list_id, s.index) for s in slots}) == 20
    with sql_backend.sql().connect() as connection:
        rows = dict(
            connection.execute(select(StatusEntryRow.idx, StatusEntryRow.credential_id)).all()
        )
        allocated = connection.execute(select(StatusListRow.allocated)).scalar_one()
    assert allocated == 24 == len(rows)  # three reservations of eight
    assert sorted(rows[s.index] for s in slots) == sorted(f"c-{n}" for n in range(20))
    assert sum(1 for holder in rows.values() if holder == RESERVED) == 4
    assert store.set_status(slots[3], 1) == 0
    assert store.get_status(slots[3]) == 1
    assert store.snapshot(slots[3].list_id).nonzero == ((slots[3].index, 1),)
    with pytest.raises(ValueError, match="at least 1"):
        SqlStatusListStore(sql_backend.sql(), reserve=0)


@pytest.mark.services
def test_an_idle_connection_killed_by_the_server_is_replaced(
    pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pooled connection idle for PING_AFTER_IDLE_S is pinged before use and replaced when
    the server dropped it; one in steady use is handed out without a round trip."""
    engine = create_engine_for(pg_database)
    admin = create_engine_for(pg_database)
    try:
        with engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with admin.connect() as connection:  # the server drops the pooled connection
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        time.sleep(0.2)
        monkeypatch.setattr(time, "monotonic", lambda: 1e12)  # it has been idle for ages
        with engine.connect() as connection:
            again = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert again != pid  # a new connection, and no error
        monkeypatch.undo()
        # a connection checked in a moment ago is handed out without a ping: had the server
        # dropped it meanwhile, the statement fails (and the pool discards that connection)
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": again})
        time.sleep(0.2)
        with pytest.raises(DBAPIError), engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 2")).scalar_one() == 2
    finally:
        engine.dispose()
        admin.dispose()
