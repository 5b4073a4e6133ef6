"""Credential records, idempotency keys, the audit log, API keys and the catalogue in SQL.

* Idempotency (``Idempotency-Key``): claiming inserts the key with ``ON CONFLICT DO NOTHING``
  in its own transaction, so of two workers claiming one key exactly one gets it; the record
  and the key's completion are written in one transaction, so a key never points at a
  credential that was not stored, and the same key never issues twice.
* Storing a record (the key's completion, the record, its status slots' binding, the
  ``issued`` audit event) is one statement on PostgreSQL (data-modifying CTEs: atomic without
  a transaction around it, one round trip instead of five), and one transaction of a statement
  each on SQLite, where a statement costs no round trip.
* Search is keyset-paginated on (issued_at, id), newest first: pages neither repeat nor skip
  records when new ones are issued in between. The cursor is :func:`issuer.memory.encode_cursor`.
* The audit log has no update or delete here, and the database refuses them too (triggers).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Select,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError

from issuer.memory import CLAIM_TIMEOUT, decode_cursor, encode_cursor
from issuer.ports import (
    ApiKey,
    AuditEvent,
    CredentialPage,
    CredentialQuery,
    CredentialRecord,
    IdempotencyConflict,
    NewRecord,
    StatusSlot,
    StatusSlotNotFound,
    sole_claim,
)
from mcred.storage.sql import read_transaction, write_transaction
from mcred.storage.sql_status import READ_BATCH, RESERVED
from mcred.storage.tables import (
    ApiKeyRow,
    AuditEventRow,
    CatalogueRow,
    CredentialRow,
    IdempotencyKeyRow,
    StatusEntryRow,
)

__all__ = ["SqlApiKeyStore", "SqlAuditLog", "SqlCatalogueStore", "SqlCredentialStore"]


def _dialect_insert(connection: Connection) -> Any:
    return pg_insert if connection.dialect.name == "postgresql" else sqlite_insert


# --- credentials and idempotency -------------------------------------------------------------


def _slots_to_json(slots: tuple[StatusSlot, ...]) -> list[dict[str, Any]]:
    return [
        {
            "list_id": s.list_id,
            "index": s.index,
            "purpose": s.purpose,
            "status_size": s.status_size,
        }
        for s in slots
    ]


def _slots_from_json(value: list[dict[str, Any]]) -> tuple[StatusSlot, ...]:
    return tuple(
        StatusSlot(s["list_id"], int(s["index"]), s["purpose"], int(s["status_size"]))
        for s in value
    )


_RECORD_COLUMNS = (
    CredentialRow.id,
    CredentialRow.alliance_id,
    CredentialRow.specification_id,
    CredentialRow.learner_ref,
    CredentialRow.issued_at,
    CredentialRow.issued_by,
    CredentialRow.status_slots,
    CredentialRow.documents,
    CredentialRow.holder_id,
)


def _record(row: tuple[Any, ...]) -> CredentialRecord:
    cid, alliance, spec, learner, issued_at, issued_by, slots, documents, holder = row
    return CredentialRecord(
        id=cid,
        alliance_id=alliance,
        specification_id=spec,
        learner_ref=learner,
        issued_at=issued_at,
        issued_by=issued_by,
        status_slots=_slots_from_json(slots),
        documents=documents,
        holder_id=holder,
    )


def _claim_outcome(
    key: str, fingerprint: str, holder: tuple[str, str | None] | None
) -> str | IdempotencyConflict | None:
    if holder is None:
        return None
    held_fingerprint, credential_id = holder
    if held_fingerprint != fingerprint:
        return IdempotencyConflict(f"idempotency key {key!r} was used for another request")
    if credential_id is None:
        return IdempotencyConflict(f"the request with idempotency key {key!r} is running")
    return credential_id


_INSERT_RECORD = insert(CredentialRow)
_INSERT_EVENT = insert(AuditEventRow)
_COMPLETE_KEY = (
    update(IdempotencyKeyRow)
    .where(
        IdempotencyKeyRow.key == bindparam("claimed_key"),
        IdempotencyKeyRow.credential_id.is_(None),
    )
    .values(credential_id=bindparam("completed_by"))
)
_BIND_SLOT = (
    update(StatusEntryRow)
    .where(
        StatusEntryRow.list_id == bindparam("slot_list"),
        StatusEntryRow.idx == bindparam("slot_index"),
        or_(
            StatusEntryRow.credential_id == RESERVED,
            StatusEntryRow.credential_id == bindparam("holder"),
        ),
    )
    .values(credential_id=bindparam("holder"))
)


_ONE_STATEMENT: dict[tuple[bool, int, bool], Select[int]] = {}


def _one_statement(keyed: bool, slots: int, logged: bool) -> Select[int]:
    """PostgreSQL: what :meth:`SqlCredentialStore._add` does for one record, as one statement
    (data-modifying CTEs): complete the idempotency key (``keyed``), insert the record, bind
    its ``slots`` status slots, append the audit event (``logged``).

    A statement is atomic, so it needs no transaction of its own: one round trip to the server
    instead of five (``BEGIN``, three or four statements, ``COMMIT``). It returns 1 when the key
    was completed and every slot bound; when either matched fewer rows the statement fails
    on purpose (division by zero, SQLSTATE 22012, computed from the rows the updates matched)
    and nothing of it is kept: :func:`_precondition_failed` recognises that failure and the
    store runs the statements one by one to raise the precise error. Built once per shape.
    """
    shape = (keyed, slots, logged)
    found = _ONE_STATEMENT.get(shape)
    if found is not None:
        return found
    checks: list[ColumnElement[bool]] = []
    ctes: list[Any] = []
    if keyed:
        completed = (
            update(IdempotencyKeyRow)
            .where(
                IdempotencyKeyRow.key == bindparam("claimed_key"),
                IdempotencyKeyRow.credential_id.is_(None),
            )
            .values(credential_id=bindparam("record_id"))
            .returning(IdempotencyKeyRow.key)
            .cte("completed")
        )
        checks.append(select(func.count()).select_from(completed).scalar_subquery() == 1)
        ctes.append(completed)
    ctes.append(
        insert(CredentialRow)
        .values({column: bindparam(f"record_{column}") for column in _RECORD_VALUES})
        .returning(CredentialRow.id)
        .cte("stored")
    )
    if slots:
        bound = (
            update(StatusEntryRow)
            .where(
                or_(
                    *(
                        and_(
                            StatusEntryRow.list_id == bindparam(f"slot_list_{n}"),
                            StatusEntryRow.idx == bindparam(f"slot_index_{n}"),
                        )
                        for n in range(slots)
                    )
                ),
                or_(
                    StatusEntryRow.credential_id == RESERVED,
                    StatusEntryRow.credential_id == bindparam("record_id"),
                ),
            )
            .values(credential_id=bindparam("record_id"))
            .returning(StatusEntryRow.idx)
            .cte("bound")
        )
        checks.append(select(func.count()).select_from(bound).scalar_subquery() == slots)
        ctes.append(bound)
    if logged:
        ctes.append(
            insert(AuditEventRow)
            .values({column: bindparam(f"event_{column}") for column in _EVENT_VALUES})
            .returning(AuditEventRow.id)
            .cte("logged")
        )
    outcome: ColumnElement[int] = literal(1, Integer)
    if checks:
        outcome = outcome // cast(and_(*checks), Integer)
    statement = select(outcome).add_cte(*ctes)
    _ONE_STATEMENT[shape] = statement
    return statement


_RECORD_VALUES = (
    "id",
    "alliance_id",
    "specification_id",
    "learner_ref",
    "issued_at",
    "issued_by",
    "holder_id",
    "status_slots",
    "documents",
)
_EVENT_VALUES = ("credential_id", "action", "actor", "at", "reason", "details")
_DIVISION_BY_ZERO = "22012"


def _one_statement_values(entry: NewRecord, slots: int) -> dict[str, Any]:
    """The values of :func:`_one_statement` for ``entry`` (binding its first ``slots`` slots)."""
    record = entry.record
    values: dict[str, Any] = {
        "record_id": record.id,
        "record_alliance_id": record.alliance_id,
        "record_specification_id": record.specification_id,
        "record_learner_ref": record.learner_ref,
        "record_issued_at": record.issued_at,
        "record_issued_by": record.issued_by,
        "record_holder_id": record.holder_id,
        "record_status_slots": _slots_to_json(record.status_slots),
        "record_documents": record.documents,
    }
    if entry.idempotency_key is not None:
        values["claimed_key"] = entry.idempotency_key
    for n, slot in enumerate(record.status_slots[:slots]):
        values[f"slot_list_{n}"] = slot.list_id
        values[f"slot_index_{n}"] = slot.index
    if entry.issued is not None:
        values.update({f"event_{k}": v for k, v in _event_values(entry.issued).items()})
    return values


def _precondition_failed(error: DBAPIError) -> bool:
    """Whether ``error`` is :func:`_one_statement`'s deliberate failure."""
    return getattr(error.orig, "sqlstate", None) == _DIVISION_BY_ZERO


def _bind_slot(connection: Connection, slot: StatusSlot, credential_id: str) -> None:
    """Bind a reserved slot to its credential (see ``SqlCredentialStore.bind_status_slots``)."""
    bound = connection.execute(
        _BIND_SLOT,
        {"slot_list": slot.list_id, "slot_index": slot.index, "holder": credential_id},
    )
    if bound.rowcount != 1:
        raise StatusSlotNotFound(  # (nothing of the record is stored)
            f"status slot {slot.list_id}#{slot.index} is not reserved for {credential_id!r}"
        )


class SqlCredentialStore:
    """A :class:`issuer.ports.CredentialStore` in SQLite or PostgreSQL."""

    def __init__(
        self,
        engine: Engine,
        *,
        claim_timeout: timedelta = CLAIM_TIMEOUT,
        bind_status_slots: bool = False,
    ) -> None:
        self._engine = engine
        self.claim_timeout = claim_timeout
        self.bind_status_slots = bind_status_slots
        """``add`` binds the record's status slots to it in its own transaction: the partner
        of a :class:`~mcred.storage.sql_status.SqlStatusListStore` with ``defer_binding``.
        Each slot must be reserved (or already bound to this record), else nothing is stored."""

    def claim_idempotency_key(self, key: str, fingerprint: str) -> str | None:
        return sole_claim(self.claim_idempotency_keys([(key, fingerprint)]))

    def claim_idempotency_keys(
        self, claims: Sequence[tuple[str, str]]
    ) -> list[str | IdempotencyConflict | None]:
        with write_transaction(self._engine) as connection:
            held = [self._claim(connection, key, fingerprint) for key, fingerprint in claims]
        return [
            _claim_outcome(key, fingerprint, holder)
            for (key, fingerprint), holder in zip(claims, held, strict=True)
        ]

    def _claim(
        self, connection: Connection, key: str, fingerprint: str
    ) -> tuple[str, str | None] | None:
        """None when claimed now; else the holder's fingerprint and credential id."""
        while True:
            claimed = connection.execute(
                _dialect_insert(connection)(IdempotencyKeyRow)
                .values(key=key, fingerprint=fingerprint, created_at=datetime.now(UTC))
                .on_conflict_do_nothing()
                .returning(IdempotencyKeyRow.key)
            ).first()
            if claimed is not None:
                return None
            taken_over = connection.execute(  # an abandoned claim (its holder died)
                update(IdempotencyKeyRow)
                .where(
                    IdempotencyKeyRow.key == key,
                    IdempotencyKeyRow.credential_id.is_(None),
                    IdempotencyKeyRow.created_at <= datetime.now(UTC) - self.claim_timeout,
                )
                .values(fingerprint=fingerprint, created_at=datetime.now(UTC))
            )
            if taken_over.rowcount == 1:
                return None
            held = connection.execute(
                select(IdempotencyKeyRow.fingerprint, IdempotencyKeyRow.credential_id).where(
                    IdempotencyKeyRow.key == key
                )
            ).one_or_none()
            if held is not None:  # (else its holder released it meanwhile: claim again)
                return held[0], held[1]

    def add(
        self,
        record: CredentialRecord,
        idempotency_key: str | None = None,
        *,
        issued: AuditEvent | None = None,
    ) -> None:
        self.add_many([NewRecord(record, idempotency_key, issued)])

    def add_many(self, entries: Sequence[NewRecord]) -> None:
        # all or nothing, no look-before: the primary key refuses a second record with the id
        if entries and self._engine.dialect.name == "postgresql":
            try:
                self._add_in_one_statement_each(entries)
                return
            except DBAPIError as exc:
                if not _precondition_failed(exc):
                    raise
            # (nothing was stored) a key not claimed, a slot not reserved: which one, below
        current = None
        try:
            with write_transaction(self._engine) as connection:
                for entry in entries:
                    current = entry.record
                    self._add(connection, entry)
        except IntegrityError:
            if current is None:  # pragma: no cover - nothing was written
                raise
            raise ValueError(f"credential {current.id!r} is already stored") from None

    def _add_in_one_statement_each(self, entries: Sequence[NewRecord]) -> None:
        """PostgreSQL: each record in one statement (:func:`_one_statement`); a single record
        without a transaction around it (the statement is atomic), several in one."""
        current = None
        try:
            if len(entries) == 1:
                with self._engine.connect() as connection:
                    autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
                    current = entries[0].record
                    self._add_in_one_statement(autocommit, entries[0])
                return
            with write_transaction(self._engine) as connection:
                for entry in entries:
                    current = entry.record
                    self._add_in_one_statement(connection, entry)
        except IntegrityError:
            if current is None:  # pragma: no cover - nothing was written
                raise
            raise ValueError(f"credential {current.id!r} is already stored") from None

    def _add_in_one_statement(self, connection: Connection, entry: NewRecord) -> None:
        slots = len(entry.record.status_slots) if self.bind_status_slots else 0
        statement = _one_statement(
            entry.idempotency_key is not None, slots, entry.issued is not None
        )
        connection.execute(statement, _one_statement_values(entry, slots))

    def _add(self, connection: Connection, entry: NewRecord) -> None:
        # statements built once (module level), each execution binds its values
        record, idempotency_key = entry.record, entry.idempotency_key
        if idempotency_key is not None:
            completed = connection.execute(
                _COMPLETE_KEY, {"claimed_key": idempotency_key, "completed_by": record.id}
            )
            if completed.rowcount != 1:
                raise IdempotencyConflict(
                    f"idempotency key {idempotency_key!r} is not claimed by this request"
                )
        connection.execute(
            _INSERT_RECORD,
            {
                "id": record.id,
                "alliance_id": record.alliance_id,
                "specification_id": record.specification_id,
                "learner_ref": record.learner_ref,
                "issued_at": record.issued_at,
                "issued_by": record.issued_by,
                "holder_id": record.holder_id,
                "status_slots": _slots_to_json(record.status_slots),
                "documents": record.documents,
            },
        )
        if self.bind_status_slots:
            for slot in record.status_slots:
                _bind_slot(connection, slot, record.id)
        if entry.issued is not None:
            connection.execute(_INSERT_EVENT, _event_values(entry.issued))

    def release_idempotency_key(self, key: str) -> None:
        with write_transaction(self._engine) as connection:
            connection.execute(
                delete(IdempotencyKeyRow).where(
                    IdempotencyKeyRow.key == key, IdempotencyKeyRow.credential_id.is_(None)
                )
            )

    def get(self, credential_id: str) -> CredentialRecord | None:
        with read_transaction(self._engine) as connection:
            row = connection.execute(
                select(*_RECORD_COLUMNS).where(CredentialRow.id == credential_id)
            ).one_or_none()
        return None if row is None else _record(tuple(row))

    def get_many(self, credential_ids: Sequence[str]) -> dict[str, CredentialRecord]:
        """One ``SELECT … WHERE id IN (…)`` per :data:`READ_BATCH` ids."""
        found: dict[str, CredentialRecord] = {}
        with read_transaction(self._engine) as connection:
            for start in range(0, len(credential_ids), READ_BATCH):
                wanted = set(credential_ids[start : start + READ_BATCH])
                for row in connection.execute(
                    select(*_RECORD_COLUMNS).where(CredentialRow.id.in_(wanted))
                ):
                    record = _record(tuple(row))
                    found[record.id] = record
        return found

    def search(self, query: CredentialQuery) -> CredentialPage:
        if query.limit < 1:
            raise ValueError(f"limit must be at least 1, not {query.limit}")
        conditions: list[ColumnElement[bool]] = []
        if query.alliance_id is not None:
            conditions.append(CredentialRow.alliance_id == query.alliance_id)
        if query.specification_id is not None:
            conditions.append(CredentialRow.specification_id == query.specification_id)
        if query.learner_ref is not None:
            conditions.append(CredentialRow.learner_ref == query.learner_ref)
        if query.issued_from is not None:
            conditions.append(CredentialRow.issued_at >= query.issued_from)
        if query.issued_until is not None:
            conditions.append(CredentialRow.issued_at <= query.issued_until)
        if query.after is not None:
            at, cid = decode_cursor(query.after)
            conditions.append(
                or_(
                    CredentialRow.issued_at < at,
                    and_(CredentialRow.issued_at == at, CredentialRow.id < cid),
                )
            )
        with read_transaction(self._engine) as connection:
            rows = connection.execute(
                select(*_RECORD_COLUMNS)
                .where(*conditions)
                .order_by(CredentialRow.issued_at.desc(), CredentialRow.id.desc())
                .limit(query.limit + 1)
            ).all()
        items = tuple(_record(tuple(row)) for row in rows[: query.limit])
        next_cursor = encode_cursor(items[-1]) if len(rows) > query.limit else None
        return CredentialPage(items, next_cursor)


# --- audit -----------------------------------------------------------------------------------


def _event_values(event: AuditEvent) -> dict[str, Any]:
    return {
        "credential_id": event.credential_id,
        "action": event.action,
        "actor": event.actor,
        "at": event.at,
        "reason": event.reason,
        "details": event.details,
    }


class SqlAuditLog:
    """A :class:`issuer.ports.AuditLog` in SQL: append and read, nothing else."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append(self, event: AuditEvent) -> None:
        with write_transaction(self._engine) as connection:
            connection.execute(_INSERT_EVENT, _event_values(event))

    def events(self, credential_id: str) -> list[AuditEvent]:
        with read_transaction(self._engine) as connection:
            rows = connection.execute(
                select(
                    AuditEventRow.credential_id,
                    AuditEventRow.action,
                    AuditEventRow.actor,
                    AuditEventRow.at,
                    AuditEventRow.reason,
                    AuditEventRow.details,
                )
                .where(AuditEventRow.credential_id == credential_id)
                .order_by(AuditEventRow.at, AuditEventRow.id)
            ).all()
        return [AuditEvent(*row) for row in rows]


# --- API keys --------------------------------------------------------------------------------


class SqlApiKeyStore:
    """A :class:`issuer.ports.ApiKeyStore` in SQL (it keeps only secret hashes, as given)."""

    _COLUMNS = (
        ApiKeyRow.key_id,
        ApiKeyRow.secret_hash,
        ApiKeyRow.role,
        ApiKeyRow.alliance_id,
        ApiKeyRow.label,
        ApiKeyRow.created_at,
        ApiKeyRow.revoked_at,
    )

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, key: ApiKey) -> None:
        with write_transaction(self._engine) as connection:
            added = connection.execute(
                _dialect_insert(connection)(ApiKeyRow)
                .values(
                    key_id=key.key_id,
                    secret_hash=key.secret_hash,
                    role=key.role,
                    alliance_id=key.alliance_id,
                    label=key.label,
                    created_at=key.created_at,
                    revoked_at=key.revoked_at,
                )
                .on_conflict_do_nothing()
                .returning(ApiKeyRow.key_id)
            ).first()
            if added is None:
                raise ValueError(f"API key {key.key_id!r} already exists")

    def get(self, key_id: str) -> ApiKey | None:
        with read_transaction(self._engine) as connection:
            row = connection.execute(
                select(*self._COLUMNS).where(ApiKeyRow.key_id == key_id)
            ).one_or_none()
        return None if row is None else ApiKey(*row)

    def list_keys(self) -> list[ApiKey]:
        with read_transaction(self._engine) as connection:
            rows = connection.execute(
                select(*self._COLUMNS).order_by(ApiKeyRow.created_at, ApiKeyRow.key_id)
            ).all()
        return [ApiKey(*row) for row in rows]

    def revoke(self, key_id: str, at: datetime) -> bool:
        with write_transaction(self._engine) as connection:
            revoked = connection.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.key_id == key_id, ApiKeyRow.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            return revoked.rowcount == 1


# --- the catalogue ---------------------------------------------------------------------------


class SqlCatalogueStore:
    """A :class:`issuer.ports.CatalogueStore` in SQL; ``list`` orders by document id."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def put(self, kind: str, doc_id: str, document: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        with write_transaction(self._engine) as connection:
            statement = _dialect_insert(connection)(CatalogueRow).values(
                kind=kind, doc_id=doc_id, document=document, updated_at=now
            )
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[CatalogueRow.kind, CatalogueRow.doc_id],
                    set_={"document": statement.excluded.document, "updated_at": now},
                )
            )

    def get(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        with read_transaction(self._engine) as connection:
            return connection.execute(
                select(CatalogueRow.document).where(
                    CatalogueRow.kind == kind, CatalogueRow.doc_id == doc_id
                )
            ).scalar_one_or_none()

    def list(self, kind: str) -> list[dict[str, Any]]:
        with read_transaction(self._engine) as connection:
            return list(
                connection.execute(
                    select(CatalogueRow.document)
                    .where(CatalogueRow.kind == kind)
                    .order_by(CatalogueRow.doc_id)
                ).scalars()
            )

    def delete(self, kind: str, doc_id: str) -> bool:
        with write_transaction(self._engine) as connection:
            deleted = connection.execute(
                delete(CatalogueRow).where(CatalogueRow.kind == kind, CatalogueRow.doc_id == doc_id)
            )
            return deleted.rowcount == 1
