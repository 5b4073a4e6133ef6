"""Allocation under real concurrency: several OS processes (or threads) on one database.

Every worker allocates from the same lists at the same time, across list rollovers. No
(list, index) may be handed out twice, no list may go past its capacity, and the database
must hold exactly the slots that were handed out.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from issuer.memory import InMemoryStatusListStore
from issuer.ports import StatusSlot
from mcred.storage.sql import create_engine_for
from mcred.storage.sql_status import RESERVED
from mcred.storage.tables import StatusEntryRow, StatusListRow
from tests.storage import _workers
from tests.storage.conftest import SQL_BACKENDS, database_url

WORKERS = 4
PER_WORKER = 300
SIZE = 1024  # with fill 0.5: 512 slots a list, so 1,200 slots open three lists
FILL = 0.5
CAPACITY = 512


def _check(handed_out: list[tuple[str, int, str]], *, exact: bool = True) -> None:
    assert len(handed_out) == WORKERS * PER_WORKER
    pairs = [(list_id, index) for list_id, index, _ in handed_out]
    assert len(set(pairs)) == len(pairs), "an index was handed out twice"
    per_list = Counter(list_id for list_id, _ in pairs)
    if exact:
        assert per_list == {
            "revocation-1": CAPACITY,
            "revocation-2": CAPACITY,
            "revocation-3": 176,
        }
    else:  # reserved slots not handed out yet: no list past its capacity, none skipped
        assert set(per_list) <= {f"revocation-{n}" for n in range(1, 5)}
        assert all(count <= CAPACITY for count in per_list.values())
    assert all(0 <= index < SIZE for _, index in pairs)
    first = {holder.split("-")[0] for list_id, _, holder in handed_out if list_id == "revocation-1"}
    assert len(first) > 1, "the workers did not run at the same time"


@pytest.mark.parametrize("reserve", [1, 16], ids=["one-by-one", "reserving-16"])
@pytest.mark.parametrize("backend_name", SQL_BACKENDS)
def test_processes_never_share_an_index(
    backend_name: str, reserve: int, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = database_url(backend_name, request, tmp_path)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WORKERS)
    jobs = [
        _workers.AllocationJob(
            url, n, PER_WORKER, SIZE, FILL, tmp_path / f"worker-{n}.json", reserve
        )
        for n in range(WORKERS)
    ]
    processes = [context.Process(target=_workers.allocate_slots, args=(job, start)) for job in jobs]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * WORKERS

    handed_out = [
        (list_id, index, holder)
        for job in jobs
        for list_id, index, holder in json.loads(job.out.read_text(encoding="utf-8"))
    ]
    _check(handed_out, exact=reserve == 1)

    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                select(StatusEntryRow.list_id, StatusEntryRow.idx, StatusEntryRow.credential_id)
            ).all()
            allocated = dict(
                connection.execute(select(StatusListRow.id, StatusListRow.allocated)).all()
            )
    finally:
        engine.dispose()
    bound = [tuple(row) for row in stored if row.credential_id != RESERVED]
    assert sorted(bound) == sorted(handed_out)
    if reserve == 1:
        assert allocated == {
            "revocation-1": CAPACITY,
            "revocation-2": CAPACITY,
            "revocation-3": 176,
        }
    else:  # every counted slot is held by a row; lists fill in order and never overflow
        rows = Counter(row.list_id for row in stored)
        assert allocated == dict(rows)
        assert all(count <= CAPACITY for count in allocated.values())
        full = sorted(allocated, key=lambda list_id: int(list_id.rsplit("-", 1)[1]))[:-1]
        assert all(allocated[list_id] == CAPACITY for list_id in full)
        assert len(stored) - len(bound) <= WORKERS * reserve


def test_threads_never_share_an_index_in_memory() -> None:
    store = InMemoryStatusListStore(size=SIZE, fill=FILL)
    start = threading.Barrier(WORKERS)
    results: dict[int, list[StatusSlot]] = {}

    def work(worker: int) -> None:
        start.wait(timeout=30)
        results[worker] = [
            store.allocate("revocation", 1, f"w{worker}-{n}") for n in range(PER_WORKER)
        ]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    _check(
        [
            (slot.list_id, slot.index, f"w{worker}-{n}")
            for worker, slots in results.items()
            for n, slot in enumerate(slots)
        ]
    )
