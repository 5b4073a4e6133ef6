"""Properties of the in-memory stores' shared pieces (the SQL stores share them or mirror them)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from issuer.memory import (
    InMemoryCredentialStore,
    InMemoryStatusListStore,
    StatusListLayout,
    decode_cursor,
    encode_cursor,
)
from issuer.ports import CredentialQuery, CredentialRecord

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _record(credential_id: str, minutes: int, offset_hours: int = 0) -> CredentialRecord:
    zone = timezone(timedelta(hours=offset_hours))
    return CredentialRecord(
        id=credential_id,
        alliance_id="a",
        specification_id="s",
        learner_ref="l",
        issued_at=(T0 + timedelta(minutes=minutes)).astimezone(zone),
        issued_by="k",
        status_slots=(),
        documents={},
    )


@given(
    credential_id=st.text(min_size=1, max_size=40),
    minutes=st.integers(0, 10**6),
    offset=st.integers(-12, 14),
)
def test_cursors_round_trip(credential_id: str, minutes: int, offset: int) -> None:
    record = _record(credential_id, minutes, offset)
    assert decode_cursor(encode_cursor(record)) == (record.issued_at, credential_id)


@settings(max_examples=50)
@given(
    issued=st.lists(st.integers(0, 5), min_size=0, max_size=25),
    limit=st.integers(1, 7),
)
def test_pages_cover_every_record_once_in_order(issued: list[int], limit: int) -> None:
    store = InMemoryCredentialStore()
    records = [_record(f"c{n:02d}", minutes) for n, minutes in enumerate(issued)]
    for record in records:
        store.add(record)
    found: list[str] = []
    after = None
    while True:
        page = store.search(CredentialQuery(limit=limit, after=after))
        found.extend(r.id for r in page.items)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    newest_first = sorted(records, key=lambda r: (r.issued_at, r.id), reverse=True)
    assert found == [r.id for r in newest_first]


@settings(max_examples=30)
@given(size=st.integers(1, 64), fill=st.floats(0.05, 1.0), seed=st.integers(0, 2**32))
def test_lists_fill_to_capacity_without_repeats(size: int, fill: float, seed: int) -> None:
    store = InMemoryStatusListStore(size, fill, random.Random(seed))
    capacity = StatusListLayout(size, fill).capacity
    slots = [store.allocate("revocation", 1, f"c{n}") for n in range(2 * capacity + 1)]
    assert len({(s.list_id, s.index) for s in slots}) == len(slots)
    assert [s.list_id for s in slots] == (
        ["revocation-1"] * capacity + ["revocation-2"] * capacity + ["revocation-3"]
    )
    assert all(0 <= s.index < size for s in slots)
