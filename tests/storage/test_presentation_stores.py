"""One contract for the OpenID4VP presentation request store, in memory, SQLite, PostgreSQL and
Redis.

The SQL and Redis stores are built by :func:`mcred.storage.bridge_stores.build_bridge_stores`,
as the application builds them, on a fake clock: ``answer_once`` takes its ``now`` from the
caller, reads and retention follow the clock, so expiry is tested without sleeping. "Answer
once" is tested under thread contention here and across OS processes (one database or one Redis,
several workers) at the end.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from redis import Redis
from sqlalchemy import Engine, func, select

from mcred.settings import Settings
from mcred.storage.bridge_stores import build_bridge_stores
from mcred.storage.redis_presentations import DEFAULT_KEY_PREFIX, SUB_PREFIX
from mcred.storage.sql import create_engine_for
from mcred.storage.tables import Oid4vpRequestRow
from tests.storage import _presentation_workers
from tests.storage.conftest import SQL_BACKENDS, database_url
from tests.wallet_bridge.wallet import FakeClock
from verifier.openid4vp.memory import InMemoryPresentationRequestStore
from verifier.openid4vp.ports import (
    Answer,
    AnswerOutcome,
    PresentationRequestRecord,
    PresentationRequestStore,
    StoredRequest,
)

T = TypeVar("T")

BACKENDS = [
    "memory",
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.services),
    pytest.param("redis", marks=pytest.mark.services),
]
RETENTION = timedelta(minutes=30)
TTL = timedelta(minutes=5)
THREADS = 8
ROUNDS = 10
US = timedelta(microseconds=1)

QUERY: dict[str, Any] = {
    "credentials": [
        {
            "id": "micro-credential",
            "format": "dc+sd-jwt",
            "meta": {"vct_values": ["https://mcred.example/vct/micro-credential"]},
            "claims": [{"path": ["title"]}, {"path": ["ects", None]}],
        }
    ]
}
REPORT: dict[str, Any] = {
    "verified": False,
    "checks": [{"name": "proof", "ok": True}, {"name": "status", "ok": False, "detail": "é"}],
    "credentials": [{"claims": {"title": "Urban mobility", "ects": 2.5, "eqf": 6}}],
}


@dataclass
class Requests:
    name: str
    store: PresentationRequestStore
    clock: FakeClock
    engine: Engine | None = None
    redis: Redis | None = None
    prefix: str = ""


def _requests(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Requests]:
    clock = FakeClock()
    if name == "memory":
        yield Requests(name, InMemoryPresentationRequestStore(retention=RETENTION), clock)
        return
    redis_url = None
    client, prefix = None, ""
    if name == "redis":
        client, prefix = request.getfixturevalue("redis_prefix")
        redis_url = request.getfixturevalue("redis_url")
        url = "sqlite://"  # unused: the requests are in Redis
    else:
        url = database_url(name, request, tmp_path)
    engine = create_engine_for(url)
    stores = build_bridge_stores(
        redis_url, engine, key_prefix=prefix, clock=clock, presentation_retention=RETENTION
    )
    try:
        yield Requests(name, stores.presentation_requests, clock, engine, client, prefix)
    finally:
        stores.close()
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def requests(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Requests]:
    yield from _requests(request.param, request, tmp_path)


@pytest.fixture(params=SQL_BACKENDS)
def sql_requests(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Requests]:
    yield from _requests(request.param, request, tmp_path)


@pytest.fixture
def redis_requests(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Requests]:
    yield from _requests("redis", request, tmp_path)


def _record(
    clock: FakeClock, n: int = 1, *, ttl: timedelta = TTL, same_device: bool = True
) -> PresentationRequestRecord:
    now = clock()
    return PresentationRequestRecord(
        id=f"request-{n}",
        state=f"state-{n}",
        nonce=f"nonce-{n}",
        client_id="decentralized_identifier:did:web:verifier.example",
        response_uri="https://verifier.example/oid4vp/response",
        dcql_query=QUERY,
        created_at=now,
        expires_at=now + ttl,
        alliance="arqus",
        credential="micro-credential",
        redirect_uri="https://employer.example/done?x=1" if same_device else None,
        requested_by="api-key:k1" if same_device else None,
    )


def _answer(clock: FakeClock, code: str | None = "code-1") -> Answer:
    return Answer(clock(), verified=False, report=REPORT, response_code=code)


def _contend(operation: Callable[[int], T]) -> list[T]:
    """``operation(i)`` run by THREADS threads at once (they start together at a barrier)."""
    start = threading.Barrier(THREADS)

    def run(index: int) -> T:
        start.wait(timeout=30)
        return operation(index)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(run, index) for index in range(THREADS)]
        return [future.result() for future in futures]


def _answering(
    store: PresentationRequestStore, request_id: str, answers: list[Answer]
) -> Callable[[int], AnswerOutcome]:
    """Thread ``i`` answers ``request_id`` with ``answers[i]``, at its ``answered_at``."""
    return lambda i: store.answer_once(request_id, answers[i], now=answers[i].answered_at)


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("same_device", [True, False])
def test_a_request_is_found_by_its_id_and_by_its_state(
    requests: Requests, same_device: bool
) -> None:
    store = requests.store
    record = _record(requests.clock, same_device=same_device)
    store.put(record)
    assert store.get("request-1") == StoredRequest(record)
    assert store.find_by_state("state-1") == StoredRequest(record)
    assert store.get("state-1") is None  # ids and states are not interchangeable
    assert store.find_by_state("request-1") is None
    assert store.get("request-2") is None
    assert store.find_by_state("state-2") is None


def test_an_id_or_a_state_used_twice_is_refused(requests: Requests) -> None:
    store, clock = requests.store, requests.clock
    first = _record(clock)
    store.put(first)
    with pytest.raises(ValueError, match="used twice"):
        store.put(replace(first, state="state-2"))
    with pytest.raises(ValueError, match="used twice"):
        store.put(replace(first, id="request-2", nonce="other"))
    assert store.get("request-1") == StoredRequest(first)
    assert store.find_by_state("state-1") == StoredRequest(first)
    assert store.get("request-2") is None
    assert store.find_by_state("state-2") is None


# --- answering once --------------------------------------------------------------------------


def test_the_first_answer_is_kept_and_a_second_refused(requests: Requests) -> None:
    store, clock = requests.store, requests.clock
    record = _record(clock)
    store.put(record)
    store.put(_record(clock, 2))
    answer = _answer(clock)
    assert store.answer_once("request-1", answer, now=clock()) is AnswerOutcome.ANSWERED
    assert store.get("request-1") == StoredRequest(record, answer)
    assert store.find_by_state("state-1") == StoredRequest(record, answer)

    other = Answer(clock(), verified=True, report={"verified": True})
    assert store.answer_once("request-1", other, now=clock()) is AnswerOutcome.ALREADY_ANSWERED
    assert store.get("request-1") == StoredRequest(record, answer)
    assert store.get("request-2") == StoredRequest(_record(clock, 2))  # untouched


def test_a_wallet_error_is_an_answer_too(requests: Requests) -> None:
    store, clock = requests.store, requests.clock
    store.put(_record(clock, same_device=False))
    error = {"error": "access_denied", "error_description": "the holder declined"}
    answer = Answer(clock(), verified=False, wallet_error=error)
    assert store.answer_once("request-1", answer, now=clock()) is AnswerOutcome.ANSWERED
    found = store.get("request-1")
    assert found is not None
    assert found.answer == answer
    assert found.answer.report is None
    assert found.answer.response_code is None


def test_an_unknown_request_cannot_be_answered(requests: Requests) -> None:
    clock = requests.clock
    outcome = requests.store.answer_once("request-1", _answer(clock), now=clock())
    assert outcome is AnswerOutcome.UNKNOWN
    assert requests.store.get("request-1") is None


# --- expiry and retention --------------------------------------------------------------------


def test_a_request_can_be_answered_until_its_expiry_instant(requests: Requests) -> None:
    store, clock = requests.store, requests.clock
    store.put(_record(clock, 1))
    second = _record(clock, 2)
    store.put(second)
    expires = clock() + TTL
    late = _answer(clock)

    assert store.answer_once("request-1", late, now=expires - US) is AnswerOutcome.ANSWERED
    assert store.answer_once("request-2", late, now=expires) is AnswerOutcome.EXPIRED
    clock.advance(TTL)
    # an expired request is still there, unanswered, so its status can say "expired"
    assert store.get("request-2") == StoredRequest(second)
    assert store.find_by_state("state-2") is not None
    # an answered request stays answered, even once expired
    assert store.answer_once("request-1", late, now=expires) is AnswerOutcome.ALREADY_ANSWERED
    assert store.answer_once("request-2", late, now=expires + US) is AnswerOutcome.EXPIRED


def test_a_request_is_kept_for_the_retention_then_dropped(requests: Requests) -> None:
    store, clock = requests.store, requests.clock
    first = _record(clock, 1)
    store.put(first)
    store.answer_once("request-1", _answer(clock), now=clock())
    store.put(_record(clock, 2))

    clock.advance(TTL + RETENTION - US)
    store.put(_record(clock, 3))
    assert store.get("request-1") is not None
    assert store.find_by_state("state-2") is not None
    assert store.answer_once("request-2", _answer(clock), now=clock()) is AnswerOutcome.EXPIRED

    clock.advance(US)
    store.put(_record(clock, 4))  # the in-memory store drops them when a request is put
    for n in (1, 2):
        assert store.get(f"request-{n}") is None
        assert store.find_by_state(f"state-{n}") is None
        outcome = store.answer_once(f"request-{n}", _answer(clock), now=clock())
        assert outcome is AnswerOutcome.UNKNOWN
    assert store.get("request-3") is not None

    again = replace(_record(clock, 1), nonce="fresh")  # a dropped id and state are free again
    store.put(again)
    assert store.get("request-1") == StoredRequest(again)
    assert store.find_by_state("state-1") == StoredRequest(again)


# --- under thread contention -----------------------------------------------------------------


def test_exactly_one_concurrent_answer_wins(requests: Requests) -> None:
    store, clock = requests.store, requests.clock
    for n in range(ROUNDS):
        store.put(_record(clock, n))
        answers = [_answer(clock, f"code-{n}-{i}") for i in range(THREADS)]
        outcomes = _contend(_answering(store, f"request-{n}", answers))
        assert Counter(outcomes) == {
            AnswerOutcome.ANSWERED: 1,
            AnswerOutcome.ALREADY_ANSWERED: THREADS - 1,
        }
        found = store.get(f"request-{n}")
        assert found is not None
        assert found.answer == answers[outcomes.index(AnswerOutcome.ANSWERED)]


def test_exactly_one_concurrent_put_of_an_id_wins(requests: Requests) -> None:
    store, clock = requests.store, requests.clock
    records = [replace(_record(clock), state=f"state-{i}") for i in range(THREADS)]

    def put(i: int) -> bool:
        try:
            store.put(records[i])
        except ValueError:
            return False
        return True

    stored = _contend(put)
    assert stored.count(True) == 1
    winner = records[stored.index(True)]
    assert store.get("request-1") == StoredRequest(winner)
    assert [store.find_by_state(r.state) is not None for r in records] == stored


# --- what only one backend has ---------------------------------------------------------------


def _rows(engine: Engine) -> int:
    with engine.connect() as connection:
        counted: int = connection.execute(
            select(func.count()).select_from(Oid4vpRequestRow)
        ).scalar_one()
    return counted


def test_sql_puts_prune_requests_past_their_retention(sql_requests: Requests) -> None:
    engine, store, clock = sql_requests.engine, sql_requests.store, sql_requests.clock
    assert engine is not None
    for n in range(3):
        store.put(_record(clock, n))
    clock.advance(TTL + RETENTION - US)
    store.put(_record(clock, 3))
    assert _rows(engine) == 4
    clock.advance(US)
    # past the retention, a request is gone for readers before any put prunes it
    assert store.get("request-0") is None
    store.put(_record(clock, 4))
    assert _rows(engine) == 2


@pytest.mark.services
def test_redis_keys_carry_the_sub_prefix_and_expire_with_the_retention(
    redis_requests: Requests,
) -> None:
    client, prefix, store, clock = (
        redis_requests.redis,
        redis_requests.prefix,
        redis_requests.store,
        redis_requests.clock,
    )
    assert client is not None
    store.put(_record(clock))
    keys = sorted(key.decode() for key in client.scan_iter(match=f"{prefix}*"))
    assert keys == [f"{prefix}{SUB_PREFIX}request:request-1", f"{prefix}{SUB_PREFIX}state:state-1"]
    kept_ms = (TTL + RETENTION) / timedelta(milliseconds=1)
    for key in keys:
        assert kept_ms - 60_000 < client.pttl(key) <= kept_ms
    store.answer_once("request-1", _answer(clock), now=clock())
    assert kept_ms - 60_000 < client.pttl(keys[0]) <= kept_ms  # answering keeps the expiry


@pytest.mark.services
def test_a_request_put_past_its_retention_leaves_no_redis_key(redis_requests: Requests) -> None:
    client, store, clock = redis_requests.redis, redis_requests.store, redis_requests.clock
    assert client is not None
    store.put(_record(clock, ttl=-RETENTION))
    assert store.get("request-1") is None
    assert list(client.scan_iter(match=f"{redis_requests.prefix}*")) == []


def test_the_default_redis_prefix_follows_the_settings_default() -> None:
    settings = Settings(_env_file=None)
    assert settings.redis_key_prefix + SUB_PREFIX == DEFAULT_KEY_PREFIX == "mcred:oid4vp:"


# --- answer once across OS processes ---------------------------------------------------------

WORKERS = 4
REQUESTS = 20


def _race(tmp_path: Path, sql_url: str, redis_url: str | None, prefix: str) -> None:
    """WORKERS processes answer the same requests: each is answered exactly once, by the
    worker that was told so."""
    clock = FakeClock()
    engine = create_engine_for(sql_url)
    stores = build_bridge_stores(redis_url, engine, key_prefix=prefix, clock=clock)
    try:
        for n in range(REQUESTS):
            stores.presentation_requests.put(_record(clock, n))

        context = multiprocessing.get_context("spawn")
        start = context.Barrier(WORKERS)
        jobs = [
            _presentation_workers.AnswerJob(
                sql_url,
                redis_url,
                prefix,
                tuple(f"request-{n}" for n in range(REQUESTS)),
                clock(),
                f"worker-{w}",
                tmp_path / f"worker-{w}.json",
            )
            for w in range(WORKERS)
        ]
        processes = [
            context.Process(target=_presentation_workers.answer_all, args=(job, start))
            for job in jobs
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=120)
        assert [p.exitcode for p in processes] == [0] * WORKERS

        results = {job.name: json.loads(job.out.read_text(encoding="utf-8")) for job in jobs}
        for n in range(REQUESTS):
            request_id = f"request-{n}"
            outcomes = {name: result[request_id] for name, result in results.items()}
            assert Counter(outcomes.values()) == {
                "answered": 1,
                "already_answered": WORKERS - 1,
            }, request_id
            found = stores.presentation_requests.get(request_id)
            assert found is not None
            assert found.answer is not None
            assert outcomes[str(found.answer.response_code)] == "answered"
    finally:
        stores.close()
        engine.dispose()


@pytest.mark.parametrize("backend_name", SQL_BACKENDS)
def test_processes_answer_each_request_once_in_sql(
    backend_name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    _race(tmp_path, database_url(backend_name, request, tmp_path), None, "")


@pytest.mark.services
def test_processes_answer_each_request_once_in_redis(
    redis_url: str, redis_prefix: tuple[Redis, str], tmp_path: Path
) -> None:
    _race(tmp_path, "sqlite://", redis_url, redis_prefix[1])
