"""Deferred binding: a reserving status store leaves each slot reserved, and the credential
store binds it in the transaction that stores its credential (one write transaction fewer per
issuance); a slot is bound exactly when its credential is stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from issuer.ports import (
    AuditEvent,
    CredentialRecord,
    IdempotencyConflict,
    NewRecord,
    StatusSlot,
    StatusSlotNotFound,
)
from mcred.storage.sql_records import SqlAuditLog, SqlCredentialStore
from mcred.storage.sql_status import RESERVED, SqlStatusListStore
from mcred.storage.tables import StatusEntryRow
from tests.storage.conftest import Backend

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _record(credential_id: str, *slots: StatusSlot) -> CredentialRecord:
    return CredentialRecord(
        id=credential_id,
        alliance_id="arqus",
        specification_id="spec",
        learner_ref="s-1",
        issued_at=T0,
        issued_by="tests",
        status_slots=slots,
        documents={"ldp_vc": {"id": credential_id}},
    )


def _holders(backend: Backend) -> dict[int, str]:
    with backend.sql().connect() as connection:
        return dict(
            connection.execute(select(StatusEntryRow.idx, StatusEntryRow.credential_id)).all()
        )


def test_a_deferred_slot_is_bound_when_its_credential_is_stored(sql_backend: Backend) -> None:
    statuses = SqlStatusListStore(sql_backend.sql(), reserve=8, defer_binding=True)
    credentials = SqlCredentialStore(sql_backend.sql(), bind_status_slots=True)
    slots = [statuses.allocate("message", 2, f"c-{n}") for n in range(3)]
    assert len({s.index for s in slots}) == 3
    assert {_holders(sql_backend)[s.index] for s in slots} == {RESERVED}  # not bound yet
    for n, slot in enumerate(slots[:2]):
        credentials.add(_record(f"c-{n}", slot), issued=AuditEvent(f"c-{n}", "issued", "tests", T0))
    holders = _holders(sql_backend)
    assert [holders[s.index] for s in slots] == ["c-0", "c-1", RESERVED]
    assert statuses.get_status(slots[0]) == 0
    assert statuses.set_status(slots[0], 1) == 0


def test_a_slot_not_reserved_for_the_record_stores_nothing(sql_backend: Backend) -> None:
    statuses = SqlStatusListStore(sql_backend.sql(), reserve=8, defer_binding=True)
    credentials = SqlCredentialStore(sql_backend.sql(), bind_status_slots=True)
    audit = SqlAuditLog(sql_backend.sql())
    slot = statuses.allocate("message", 2, "c-1")
    credentials.add(_record("c-1", slot))
    with pytest.raises(StatusSlotNotFound, match="not reserved"):  # held by c-1
        credentials.add(_record("c-2", slot), issued=AuditEvent("c-2", "issued", "tests", T0))
    foreign = StatusSlot(slot.list_id, (slot.index + 1) % 8192, "message", 2)
    if foreign.index not in _holders(sql_backend):
        with pytest.raises(StatusSlotNotFound):  # never allocated
            credentials.add(_record("c-3", foreign))
    assert credentials.get("c-2") is None
    assert credentials.get("c-3") is None
    assert audit.events("c-2") == []
    assert _holders(sql_backend)[slot.index] == "c-1"


def test_binding_again_to_the_same_credential_is_allowed(sql_backend: Backend) -> None:
    """Slots bound at allocation (no deferral) may be given to a binding credential store."""
    statuses = SqlStatusListStore(sql_backend.sql(), reserve=8)
    credentials = SqlCredentialStore(sql_backend.sql(), bind_status_slots=True)
    slot = statuses.allocate("message", 2, "c-1")
    credentials.add(_record("c-1", slot))
    assert _holders(sql_backend)[slot.index] == "c-1"
    assert credentials.get("c-1") is not None


def test_deferral_needs_a_reservation(sql_backend: Backend) -> None:
    with pytest.raises(ValueError, match="reserve > 1"):
        SqlStatusListStore(sql_backend.sql(), defer_binding=True)


def test_a_key_not_claimed_stores_nothing_and_leaves_the_slot_reserved(
    sql_backend: Backend,
) -> None:
    """The key's completion, the record, its slot and its audit event are stored together or
    not at all (on PostgreSQL one statement, which fails whole; the store then says why)."""
    statuses = SqlStatusListStore(sql_backend.sql(), reserve=8, defer_binding=True)
    credentials = SqlCredentialStore(sql_backend.sql(), bind_status_slots=True)
    audit = SqlAuditLog(sql_backend.sql())
    slot = statuses.allocate("message", 2, "c-1")
    issued = AuditEvent("c-1", "issued", "tests", T0)
    with pytest.raises(IdempotencyConflict, match="not claimed"):
        credentials.add(_record("c-1", slot), "never-claimed", issued=issued)
    assert credentials.get("c-1") is None
    assert audit.events("c-1") == []
    assert _holders(sql_backend)[slot.index] == RESERVED
    assert credentials.claim_idempotency_key("key-1", "fp") is None
    credentials.add(_record("c-1", slot), "key-1", issued=issued)
    assert _holders(sql_backend)[slot.index] == "c-1"
    assert credentials.claim_idempotency_key("key-1", "fp") == "c-1"
    assert audit.events("c-1") == [issued]


def test_a_batch_with_one_slot_taken_stores_none_of_it(sql_backend: Backend) -> None:
    statuses = SqlStatusListStore(sql_backend.sql(), reserve=8, defer_binding=True)
    credentials = SqlCredentialStore(sql_backend.sql(), bind_status_slots=True)
    first, second = (statuses.allocate("message", 2, f"c-{n}") for n in range(2))
    credentials.add(_record("c-0", first))
    with pytest.raises(ValueError, match="already stored"):  # (a duplicate id)
        credentials.add_many([NewRecord(_record("c-2", second)), NewRecord(_record("c-0"))])
    assert credentials.get("c-2") is None
    assert _holders(sql_backend)[second.index] == RESERVED
