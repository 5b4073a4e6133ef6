"""One contract for the issuer's stores, asserted identically in memory, SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from issuer.memory import StatusListLayout
from issuer.ports import (
    ApiKey,
    AuditEvent,
    CredentialQuery,
    CredentialRecord,
    CredentialStore,
    IdempotencyConflict,
    NewRecord,
    StatusSlot,
    StatusSlotNotFound,
)
from tests.storage.conftest import Backend
from vc_core.keys import KeyType

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class StuckRandom(random.Random):
    """Always offers index 0 first: forces the fallback among the free indexes."""

    def randrange(self, *args: Any, **kwargs: Any) -> int:
        return 0


# --- status lists ----------------------------------------------------------------------------


def test_allocation_is_random_and_never_repeats(backend: Backend) -> None:
    store = backend.statuses(size=4096, rng=random.Random(7))
    slots = [store.allocate("revocation", 1, f"urn:uuid:{i}") for i in range(300)]
    indexes = [s.index for s in slots]
    assert len(set(indexes)) == 300
    assert {s.list_id for s in slots} == {"revocation-1"}
    assert all(0 <= i < 4096 for i in indexes)
    assert indexes != sorted(indexes)  # not handed out in order
    assert max(indexes) - min(indexes) > 2048  # spread over the whole list
    ascending_steps = sum(1 for a, b in itertools.pairwise(indexes) if b == a + 1)
    assert ascending_steps < 10


def test_allocation_uses_a_herd_sized_list_by_default(backend: Backend) -> None:
    store = backend.statuses()
    slots = [store.allocate("revocation", 1, f"c{i}") for i in range(20)]
    assert len({s.index for s in slots}) == 20
    assert max(s.index for s in slots) > 1000  # random over 131,072 entries, not 0, 1, 2…
    snapshot = store.snapshot("revocation-1")
    assert snapshot.size == 131_072
    assert snapshot.nonzero == ()


def test_lists_roll_over_at_the_fill_threshold(backend: Backend) -> None:
    store = backend.statuses(size=16, fill=0.5, rng=random.Random(1))
    slots = [store.allocate("revocation", 1, f"c{i}") for i in range(17)]
    assert [s.list_id for s in slots] == (
        ["revocation-1"] * 8 + ["revocation-2"] * 8 + ["revocation-3"]
    )
    for list_id in ("revocation-1", "revocation-2"):
        indexes = [s.index for s in slots if s.list_id == list_id]
        assert len(set(indexes)) == 8
        assert all(0 <= i < 16 for i in indexes)
    assert store.snapshot("revocation-3").size == 16


def test_lists_are_kept_apart_by_purpose_and_status_size(backend: Backend) -> None:
    store = backend.statuses(size=16)
    revocation = store.allocate("revocation", 1, "a")
    suspension = store.allocate("suspension", 1, "a")
    message = store.allocate("message", 2, "a")
    wide = store.allocate("message", 4, "a")
    again = store.allocate("message", 2, "b")
    assert revocation == StatusSlot("revocation-1", revocation.index, "revocation", 1)
    assert suspension.list_id == "suspension-1"
    assert (message.list_id, message.status_size) == ("message-1", 2)
    assert (wide.list_id, wide.status_size) == ("message-2", 4)
    assert again.list_id == "message-1"
    assert store.snapshot("message-2").status_size == 4


def test_a_full_list_is_filled_exactly_once(backend: Backend) -> None:
    store = backend.statuses(size=4, fill=1.0, rng=StuckRandom())
    slots = [store.allocate("revocation", 1, f"c{i}") for i in range(5)]
    assert sorted(s.index for s in slots[:4]) == [0, 1, 2, 3]
    assert {s.list_id for s in slots[:4]} == {"revocation-1"}
    assert (slots[4].list_id, slots[4].index) == ("revocation-2", 0)


def test_status_changes_bump_the_version(backend: Backend) -> None:
    store = backend.statuses(size=64, rng=random.Random(3))
    slot = store.allocate("revocation", 1, "c1")
    other = store.allocate("revocation", 1, "c2")
    assert store.version("revocation-1") == 0
    assert store.get_status(slot) == 0
    assert store.set_status(slot, 1) == 0
    assert store.version("revocation-1") == 1
    assert store.get_status(slot) == 1
    assert store.get_status(other) == 0
    assert store.set_status(slot, 1) == 1  # unchanged, still a new version
    assert store.version("revocation-1") == 2
    assert store.set_status(slot, 0) == 1
    assert store.version("revocation-1") == 3


def test_snapshot_lists_the_nonzero_entries(backend: Backend) -> None:
    store = backend.statuses(size=64, rng=random.Random(5))
    slots = [store.allocate("message", 2, f"c{i}") for i in range(6)]
    store.set_status(slots[0], 3)
    store.set_status(slots[3], 2)
    store.set_status(slots[5], 1)
    store.set_status(slots[5], 0)
    before = datetime.now(UTC)
    store.set_status(slots[1], 1)
    snapshot = store.snapshot("message-1")
    expected = sorted([(slots[0].index, 3), (slots[3].index, 2), (slots[1].index, 1)])
    assert snapshot.nonzero == tuple(expected)
    assert (snapshot.list_id, snapshot.purpose, snapshot.status_size, snapshot.size) == (
        "message-1",
        "message",
        2,
        64,
    )
    assert snapshot.version == 5 == store.version("message-1")
    assert snapshot.updated_at >= before - timedelta(seconds=1)
    assert snapshot.updated_at.tzinfo is not None


def test_unknown_slots_and_lists_are_not_found(backend: Backend) -> None:
    store = backend.statuses(size=64, rng=random.Random(9))
    slot = store.allocate("revocation", 1, "c1")
    free_index = next(i for i in range(64) if i != slot.index)
    unknown = [
        StatusSlot("revocation-9", 0, "revocation", 1),
        StatusSlot("revocation-1", free_index, "revocation", 1),
        StatusSlot("revocation-1", slot.index, "suspension", 1),
        StatusSlot("revocation-1", slot.index, "revocation", 2),
    ]
    for missing in unknown:
        with pytest.raises(StatusSlotNotFound):
            store.get_status(missing)
        with pytest.raises(StatusSlotNotFound):
            store.set_status(missing, 1)
    assert store.version("revocation-1") == 0  # failed changes leave no trace
    with pytest.raises(StatusSlotNotFound):
        store.snapshot("revocation-9")
    with pytest.raises(StatusSlotNotFound):
        store.version("revocation-9")


def test_statuses_are_read_together_in_order(backend: Backend) -> None:
    store = backend.statuses(size=4096, rng=random.Random(11))
    slots = [store.allocate("revocation", 1, f"c{i}") for i in range(5)]
    slots += [store.allocate("message", 2, f"c{i}") for i in range(3)]
    store.set_status(slots[1], 1)
    store.set_status(slots[6], 3)
    assert store.get_statuses(slots) == [0, 1, 0, 0, 0, 0, 3, 0]
    assert store.get_statuses(slots[::-1]) == [0, 3, 0, 0, 0, 0, 1, 0]
    assert store.get_statuses([slots[1], slots[1]]) == [1, 1]
    assert store.get_statuses([]) == []
    wrong_purpose = StatusSlot(slots[0].list_id, slots[0].index, "suspension", 1)
    with pytest.raises(StatusSlotNotFound):
        store.get_statuses([slots[2], wrong_purpose])


def test_malformed_requests_are_refused(backend: Backend) -> None:
    store = backend.statuses(size=64)
    for purpose, size in [("Revocation", 1), ("revocation-2", 1), ("", 1), ("message", 0)]:
        with pytest.raises(ValueError, match="status"):
            store.allocate(purpose, size, "c")
    with pytest.raises(ValueError, match="status size"):
        store.allocate("message", 9, "c")
    slot = store.allocate("message", 2, "c")
    for value in (-1, 4):
        with pytest.raises(ValueError, match="does not fit"):
            store.set_status(slot, value)
    assert store.get_status(slot) == 0


@pytest.mark.parametrize(("size", "fill"), [(0, 0.5), (16, 0.0), (16, 1.5)])
def test_layout_refuses_impossible_lists(size: int, fill: float) -> None:
    with pytest.raises(ValueError, match=r"status list|fill"):
        StatusListLayout(size, fill)


# --- credentials and idempotency -------------------------------------------------------------


def _record(n: int, **changes: Any) -> CredentialRecord:
    values: dict[str, Any] = {
        "id": f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
        "alliance_id": "alliance-a",
        "specification_id": "spec-1",
        "learner_ref": f"student-{n}",
        "issued_at": T0 + timedelta(minutes=n),
        "issued_by": "api-key:k1",
        "status_slots": (StatusSlot("revocation-1", 1000 + n, "revocation", 1),),
        "documents": {
            "ldp_vc": {"@context": ["https://www.w3.org/2018/credentials/v1"], "n": n},
            "vc+jwt": f"eyJ.{n}.sig",
        },
    }
    values.update(changes)
    return CredentialRecord(**values)


def test_records_round_trip(backend: Backend) -> None:
    store = backend.credentials()
    plain = _record(1)
    held = _record(
        2,
        holder_id="did:key:z6Mk",
        status_slots=(
            StatusSlot("revocation-1", 5, "revocation", 1),
            StatusSlot("message-1", 7, "message", 2),
        ),
        issued_at=datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2))),
    )
    store.add(plain)
    store.add(held)
    assert store.get(plain.id) == plain
    got = store.get(held.id)
    assert got == held
    assert got is not None
    assert got.issued_at.utcoffset() == timedelta(0)
    assert store.get("urn:uuid:missing") is None
    plain.documents["ldp_vc"]["n"] = 99  # the store holds its own copy
    assert store.get(plain.id) == _record(1)


def test_records_are_read_together(backend: Backend) -> None:
    store = backend.credentials()
    records = [_record(n) for n in range(1, 8)]
    for record in records:
        store.add(record)
    wanted = [records[4].id, "urn:uuid:missing", records[0].id, records[4].id]
    got = store.get_many(wanted)
    assert got == {records[4].id: records[4], records[0].id: records[0]}
    assert store.get_many([]) == {}
    got[records[0].id].documents["ldp_vc"]["n"] = 99  # the store keeps its own copy
    assert store.get(records[0].id) == records[0]


def test_documents_read_back_exactly_whatever_their_numbers(backend: Backend) -> None:
    # orjson reads the JSON columns; what it refuses (integers beyond 64 bits) json reads
    store = backend.credentials()
    documents = {
        "ldp_vc": {"big": 2**70, "negative": -(2**65), "float": 0.1, "text": "é ☃ \u0000"},
        "vc+jwt": "eyJ.x.y",
    }
    record = _record(9, documents=documents)
    store.add(record)
    got = store.get(record.id)
    assert got is not None
    assert got.documents == documents
    assert list(got.documents["ldp_vc"]) == ["big", "negative", "float", "text"]


def test_a_record_is_stored_once(backend: Backend) -> None:
    store = backend.credentials()
    store.add(_record(1))
    with pytest.raises(ValueError, match="already stored"):
        store.add(_record(1, learner_ref="someone-else"))
    assert store.get(_record(1).id) == _record(1)


def test_a_record_and_its_issued_event_are_stored_together(backend: Backend) -> None:
    store, log = backend.credentials(), backend.audit()
    record = _record(7)
    event = AuditEvent(record.id, "issued", "admin:k1", record.issued_at, None, {"via": "test"})
    store.add(record, issued=event)
    assert log.events(record.id) == [event]
    again = AuditEvent(record.id, "issued", "admin:k2", record.issued_at, None, None)
    with pytest.raises(ValueError, match="already stored"):
        store.add(_record(7, learner_ref="someone-else"), issued=again)
    assert log.events(record.id) == [event]  # the refused add left no event behind
    assert store.get(record.id) == record


def test_idempotency_key_lifecycle(backend: Backend) -> None:
    store = backend.credentials()
    assert store.claim_idempotency_key("key-1", "fp-a") is None
    with pytest.raises(IdempotencyConflict, match="running"):
        store.claim_idempotency_key("key-1", "fp-a")
    with pytest.raises(IdempotencyConflict, match="another request"):
        store.claim_idempotency_key("key-1", "fp-b")
    store.add(_record(1), idempotency_key="key-1")
    assert store.claim_idempotency_key("key-1", "fp-a") == _record(1).id  # replay
    assert store.claim_idempotency_key("key-1", "fp-a") == _record(1).id
    with pytest.raises(IdempotencyConflict, match="another request"):
        store.claim_idempotency_key("key-1", "fp-b")
    store.release_idempotency_key("key-1")  # a completed key is never released
    assert store.claim_idempotency_key("key-1", "fp-a") == _record(1).id


def test_keys_are_claimed_and_records_stored_in_batches(backend: Backend) -> None:
    store, log = backend.credentials(), backend.audit()
    assert store.claim_idempotency_key("done", "fp") is None
    store.add(_record(1), idempotency_key="done")
    assert store.claim_idempotency_key("running", "fp") is None
    outcomes = store.claim_idempotency_keys(
        [("new-a", "fp"), ("done", "fp"), ("running", "fp"), ("done", "other"), ("new-b", "fp")]
    )
    assert outcomes[0] is None
    assert outcomes[1] == _record(1).id
    assert outcomes[4] is None
    assert isinstance(outcomes[2], IdempotencyConflict)
    assert "running" in str(outcomes[2])
    assert isinstance(outcomes[3], IdempotencyConflict)
    assert "another request" in str(outcomes[3])
    assert store.claim_idempotency_keys([]) == []

    events = [AuditEvent(_record(n).id, "issued", "k", T0, None, None) for n in (2, 3)]
    store.add_many(
        [
            NewRecord(_record(2), "new-a", events[0]),
            NewRecord(_record(3), "new-b", events[1]),
        ]
    )
    assert store.get_many([_record(2).id, _record(3).id]) == {
        _record(2).id: _record(2),
        _record(3).id: _record(3),
    }
    assert log.events(_record(3).id) == [events[1]]
    assert store.claim_idempotency_keys([("new-a", "fp"), ("new-b", "fp")]) == [
        _record(2).id,
        _record(3).id,
    ]
    store.add_many([])


@pytest.mark.parametrize("failing", ["stored", "unclaimed"])
def test_a_batch_is_stored_whole_or_not_at_all(backend: Backend, failing: str) -> None:
    store, log = backend.credentials(), backend.audit()
    store.add(_record(1))
    assert store.claim_idempotency_key("key-4", "fp") is None
    bad = (
        NewRecord(_record(1, learner_ref="again"))
        if failing == "stored"
        else NewRecord(_record(5), "never-claimed")
    )
    event = AuditEvent(_record(4).id, "issued", "k", T0, None, None)
    with pytest.raises(ValueError if failing == "stored" else IdempotencyConflict):
        store.add_many([NewRecord(_record(4), "key-4", event), bad])
    assert store.get(_record(4).id) is None  # the good one was not stored either
    assert log.events(_record(4).id) == []
    assert store.get(_record(1).id) == _record(1)
    store.add(_record(4), idempotency_key="key-4")  # its key is still claimed, not completed


def test_an_abandoned_claim_is_taken_over(backend: Backend) -> None:
    """A claim whose holder died mid-issuance (nothing stored) does not block its key forever."""
    store = backend.credentials()
    assert store.claim_idempotency_key("key-9", "fp-a") is None
    with pytest.raises(IdempotencyConflict, match="running"):
        store.claim_idempotency_key("key-9", "fp-a")  # within the timeout: still running
    store.claim_timeout = timedelta(0)  # type: ignore[attr-defined]
    assert store.claim_idempotency_key("key-9", "fp-b") is None  # taken over, new fingerprint
    store.add(_record(9), idempotency_key="key-9")
    assert store.claim_idempotency_key("key-9", "fp-b") == _record(9).id
    with pytest.raises(IdempotencyConflict, match="another request"):
        store.claim_idempotency_key("key-9", "fp-a")  # a completed key is never taken over


def test_a_released_key_can_be_claimed_again(backend: Backend) -> None:
    store = backend.credentials()
    assert store.claim_idempotency_key("key-2", "fp-a") is None
    store.release_idempotency_key("key-2")
    store.release_idempotency_key("never-claimed")
    assert store.claim_idempotency_key("key-2", "fp-b") is None  # a new request owns it now
    store.add(_record(3), idempotency_key="key-2")
    assert store.claim_idempotency_key("key-2", "fp-b") == _record(3).id


def test_a_key_issues_at_most_once(backend: Backend) -> None:
    store = backend.credentials()
    with pytest.raises(IdempotencyConflict, match="not claimed"):
        store.add(_record(1), idempotency_key="unclaimed")
    assert store.get(_record(1).id) is None  # nothing half-stored
    store.claim_idempotency_key("key-3", "fp")
    store.add(_record(2), idempotency_key="key-3")
    with pytest.raises(IdempotencyConflict, match="not claimed"):
        store.add(_record(4), idempotency_key="key-3")
    assert store.get(_record(4).id) is None
    assert store.claim_idempotency_key("key-3", "fp") == _record(2).id


def _population(store: CredentialStore) -> list[CredentialRecord]:
    records = []
    for n in range(40):
        record = _record(
            n,
            alliance_id=("alliance-a", "alliance-b")[n % 2],
            specification_id=f"spec-{n % 3}",
            learner_ref=f"student-{n % 5}",
            # groups of four share an issue time: the id breaks the tie
            issued_at=T0 + timedelta(hours=n // 4),
            id=f"urn:uuid:{(n * 7919) % 1000:04d}-{n}",
        )
        store.add(record)
        records.append(record)
    return records


def _newest_first(records: list[CredentialRecord]) -> list[CredentialRecord]:
    return sorted(records, key=lambda r: (r.issued_at, r.id), reverse=True)


def _all_pages(store: CredentialStore, query: CredentialQuery) -> list[CredentialRecord]:
    found: list[CredentialRecord] = []
    after = query.after
    while True:
        page = store.search(CredentialQuery(**{**query.__dict__, "after": after}))
        assert len(page.items) <= query.limit
        found.extend(page.items)
        if page.next_cursor is None:
            return found
        assert len(page.items) == query.limit
        after = page.next_cursor


@pytest.mark.parametrize("limit", [1, 3, 8, 40, 41])
def test_search_pages_through_everything_once(backend: Backend, limit: int) -> None:
    store = backend.credentials()
    records = _population(store)
    found = _all_pages(store, CredentialQuery(limit=limit))
    assert [r.id for r in found] == [r.id for r in _newest_first(records)]
    assert found == _newest_first(records)


def test_search_filters(backend: Backend) -> None:
    store = backend.credentials()
    records = _population(store)
    queries: list[tuple[CredentialQuery, Callable[[CredentialRecord], bool]]] = [
        (CredentialQuery(alliance_id="alliance-b"), lambda r: r.alliance_id == "alliance-b"),
        (CredentialQuery(specification_id="spec-2"), lambda r: r.specification_id == "spec-2"),
        (CredentialQuery(learner_ref="student-3"), lambda r: r.learner_ref == "student-3"),
        (
            CredentialQuery(
                issued_from=T0 + timedelta(hours=2), issued_until=T0 + timedelta(hours=5)
            ),
            lambda r: T0 + timedelta(hours=2) <= r.issued_at <= T0 + timedelta(hours=5),
        ),
        (
            CredentialQuery(alliance_id="alliance-a", specification_id="spec-0", limit=2),
            lambda r: r.alliance_id == "alliance-a" and r.specification_id == "spec-0",
        ),
        (CredentialQuery(alliance_id="alliance-z"), lambda r: False),
    ]
    for query, wanted in queries:
        expected = _newest_first([r for r in records if wanted(r)])
        assert [r.id for r in _all_pages(store, query)] == [r.id for r in expected], query


def test_pages_stay_stable_when_newer_records_arrive(backend: Backend) -> None:
    store = backend.credentials()
    records = _population(store)
    first = store.search(CredentialQuery(limit=10))
    store.add(_record(100, issued_at=T0 + timedelta(days=30)))
    rest = _all_pages(store, CredentialQuery(limit=10, after=first.next_cursor))
    assert [r.id for r in (*first.items, *rest)] == [r.id for r in _newest_first(records)]


@pytest.mark.parametrize("cursor", ["not-a-cursor", "WzFd", "", "bnVsbA"])
def test_search_refuses_bad_cursors_and_limits(backend: Backend, cursor: str) -> None:
    store = backend.credentials()
    with pytest.raises(ValueError, match="cursor"):
        store.search(CredentialQuery(after=cursor))
    with pytest.raises(ValueError, match="limit"):
        store.search(CredentialQuery(limit=0))


# --- audit -----------------------------------------------------------------------------------


def test_audit_events_come_back_oldest_first(backend: Backend) -> None:
    log = backend.audit()
    issued = AuditEvent("c1", "issued", "api-key:k1", T0, details={"formats": ["ldp_vc"]})
    revoked = AuditEvent("c1", "revoked", "api-key:k2", T0 + timedelta(hours=2), "fraud")
    suspended = AuditEvent("c1", "suspended", "api-key:k2", T0 + timedelta(hours=1), "check")
    same_time = AuditEvent("c1", "notification", "wallet", T0 + timedelta(hours=2))
    for event in (issued, revoked, suspended, same_time):
        log.append(event)
    log.append(AuditEvent("c2", "issued", "api-key:k1", T0))
    assert log.events("c1") == [issued, suspended, revoked, same_time]
    assert [e.action for e in log.events("c2")] == ["issued"]
    assert log.events("c3") == []


def test_the_audit_log_is_append_only(backend: Backend) -> None:
    log = backend.audit()
    public = {name for name in dir(log) if not name.startswith("_")}
    assert public == {"append", "events"}
    details: dict[str, Any] = {"formats": ["ldp_vc"]}
    log.append(AuditEvent("c1", "issued", "k", T0, details=details))
    details["formats"].append("tampered")
    assert log.events("c1")[0].details == {"formats": ["ldp_vc"]}


# --- API keys --------------------------------------------------------------------------------


def _api_key(n: int, **changes: Any) -> ApiKey:
    values: dict[str, Any] = {
        "key_id": f"mk_{n:04d}",
        "secret_hash": f"sha256:{n:064x}",
        "role": "coordinator" if n % 2 else "admin",
        "alliance_id": "alliance-a" if n % 2 else None,
        "label": f"key {n}",
        "created_at": T0 + timedelta(days=10 - n),
    }
    values.update(changes)
    return ApiKey(**values)


def test_api_keys(backend: Backend) -> None:
    store = backend.api_keys()
    keys = [_api_key(n) for n in range(1, 5)]
    for key in keys:
        store.add(key)
    with pytest.raises(ValueError, match="already exists"):
        store.add(_api_key(1, label="again"))
    assert store.get("mk_0001") == keys[0]
    assert store.get("mk_9999") is None
    assert store.list_keys() == sorted(keys, key=lambda k: k.created_at)

    at = T0 + timedelta(days=20)
    assert store.revoke("mk_0002", at) is True
    assert store.revoke("mk_0002", at + timedelta(days=1)) is False  # already revoked
    assert store.revoke("mk_9999", at) is False
    revoked = store.get("mk_0002")
    assert revoked is not None
    assert revoked.revoked_at == at
    assert store.get("mk_0003") == keys[2]


# --- the catalogue ---------------------------------------------------------------------------


def test_catalogue(backend: Backend) -> None:
    store = backend.catalogue()
    beta: dict[str, Any] = {"id": "beta", "name": {"en": "Beta"}, "partners": ["p1", "p2"]}
    store.put("alliance", "beta", beta)
    store.put("alliance", "Alpha", {"id": "Alpha", "n": 1.5})
    store.put("alliance", "alpha-2", {"id": "alpha-2"})
    store.put("partner", "beta", {"id": "partner beta"})
    beta["name"]["en"] = "changed by the caller"
    assert store.get("alliance", "beta") == {
        "id": "beta",
        "name": {"en": "Beta"},
        "partners": ["p1", "p2"],
    }
    assert [d["id"] for d in store.list("alliance")] == ["Alpha", "alpha-2", "beta"]
    assert store.list("partner") == [{"id": "partner beta"}]
    assert store.list("mandate") == []

    store.put("alliance", "beta", {"id": "beta", "name": {"en": "Beta 2"}})
    assert store.get("alliance", "beta") == {"id": "beta", "name": {"en": "Beta 2"}}
    got = store.get("alliance", "beta")
    assert got is not None
    got["id"] = "mutated"
    assert store.get("alliance", "beta") == {"id": "beta", "name": {"en": "Beta 2"}}

    assert store.delete("alliance", "beta") is True
    assert store.delete("alliance", "beta") is False
    assert store.get("alliance", "beta") is None
    assert store.get("partner", "beta") == {"id": "partner beta"}


# --- signing keys ----------------------------------------------------------------------------


def test_signing_keys_are_made_once_and_rotated(backend: Backend) -> None:
    store = backend.signing_keys()
    assert store.list_keys() == []
    ed = store.active(KeyType.ED25519)
    assert store.active(KeyType.ED25519) == ed
    p256 = store.active(KeyType.P256)
    assert p256.key_type is KeyType.P256
    assert ed.active
    assert ed.created.tzinfo is not None

    new = store.rotate(KeyType.ED25519)
    assert new.fragment != ed.fragment
    assert store.active(KeyType.ED25519) == new
    assert store.active(KeyType.P256) == p256
    by_fragment = {k.fragment: k for k in store.list_keys()}
    assert set(by_fragment) == {ed.fragment, p256.fragment, new.fragment}
    assert by_fragment[ed.fragment].retired_at is not None
    assert by_fragment[ed.fragment].private_key.public_key == ed.private_key.public_key
    assert by_fragment[new.fragment].active
    created = [k.created for k in store.list_keys()]
    assert created == sorted(created)
    message = b"signed before and after a rotation"
    assert new.private_key.public_key.verify(new.private_key.sign(message), message)
