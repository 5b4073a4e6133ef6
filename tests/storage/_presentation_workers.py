"""Code run in child processes by the presentation-request race tests (spawned: importable, no
pytest)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mcred.storage.bridge_stores import build_bridge_stores
from mcred.storage.sql import create_engine_for
from verifier.openid4vp.ports import Answer


@dataclass(frozen=True)
class AnswerJob:
    """One worker: the shared backend (a SQL URL, plus a Redis URL and key prefix for Redis), the
    requests every worker answers, in the same order, the time it answers at, its name (its
    answers carry it as their ``response_code``) and where to write its outcomes."""

    sql_url: str
    redis_url: str | None
    key_prefix: str
    request_ids: tuple[str, ...]
    now: datetime
    name: str
    out: Path


def answer_all(job: AnswerJob, start: Any) -> None:
    """Answer every request once, all workers starting each one together (``start`` is a
    barrier of every worker); record the outcomes."""
    engine = create_engine_for(job.sql_url)
    stores = build_bridge_stores(job.redis_url, engine, key_prefix=job.key_prefix)
    outcomes: dict[str, str] = {}
    for request_id in job.request_ids:
        answer = Answer(job.now, verified=True, report={"by": job.name}, response_code=job.name)
        start.wait(timeout=120)
        outcome = stores.presentation_requests.answer_once(request_id, answer, now=job.now)
        outcomes[request_id] = str(outcome)
    job.out.write_text(json.dumps(outcomes), encoding="utf-8")
    stores.close()
    engine.dispose()
