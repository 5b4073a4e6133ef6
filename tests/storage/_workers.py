"""Code run in child processes by the concurrency tests (spawned: importable, no pytest)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcred.storage.sql import create_engine_for
from mcred.storage.sql_status import SqlStatusListStore


@dataclass(frozen=True)
class AllocationJob:
    url: str
    worker: int
    count: int
    size: int
    fill: float
    out: Path
    reserve: int = 1


def allocate_slots(job: AllocationJob, start: Any) -> None:
    """Wait for every worker, allocate ``count`` slots, write what was handed out to ``out``."""
    engine = create_engine_for(job.url)
    store = SqlStatusListStore(engine, size=job.size, fill=job.fill, reserve=job.reserve)
    start.wait(timeout=120)
    handed_out = []
    for n in range(job.count):
        credential_id = f"w{job.worker}-{n}"
        slot = store.allocate("revocation", 1, credential_id)
        handed_out.append([slot.list_id, slot.index, credential_id])
    job.out.write_text(json.dumps(handed_out), encoding="utf-8")
    engine.dispose()
