"""Benchmark of mcred's issuer service through its HTTP API; prints JSON.

    .venv/bin/python bench/issuer.py [--requests 200] [--max-seconds 30] [--revocations 50]
        [--postgres postgresql://127.0.0.1:5432 | --no-postgres] [--py-spy PATH]
        [--issuance-only] [--http-client lean|httpx] [--workers N] [--clients 1 4] [--keep DIR]

Starts real servers (``mcred serve``: one uvicorn process, development settings, demo alliance
``arqus``) on free loopback ports with temporary data directories, on SQLite and on a fresh
PostgreSQL database (dropped afterwards; skipped with a note when PostgreSQL is unreachable):

* **issuance** — credentials issued per second through ``POST /api/v1/credentials`` (validate,
  check mandates, allocate a status slot, sign ``eddsa-rdfc-2022``, store, audit) with each
  number of concurrent keep-alive clients in ``--clients`` (1 and 4 by default), each sending
  up to ``--requests`` requests within ``--max-seconds``; CPU ms per credential of the server
  (its process tree), of this client and of PostgreSQL (the benchmark database's backend
  processes, read from ``/proc``). Target (the issue): >= 300 issued/s on PostgreSQL. The
  clients share the server's machine, so they are lean by default (``--http-client lean``:
  ``_server.KeepAliveClient`` on uvloop, about 0.2 ms of CPU per request); ``--http-client
  httpx`` uses ``httpx.AsyncClient`` (about 2 ms). With ``--workers N`` the lean clients are
  spread evenly over the server's worker processes (``_server.spread_over_workers``;
  reported as ``connections_per_server_process``).
* **revocation** — after ``POST …/revoke`` returns, the time until ``GET /status/{list}``
  serves the flipped entry (median, p95, max over ``--revocations``), on lists of 131,072 and
  1,048,576 entries (``MCRED_STATUS_LIST_SIZE``), both with only the benchmark's credentials in
  the list and with the list filled to its capacity (half its entries; 1 % of them revoked),
  the fill written straight into the throwaway database. Target: <= 10 ms. Skipped with
  ``--issuance-only``.
* ``--py-spy`` samples the server (``py-spy record --gil``) during the run with the most clients
  and adds where the server's Python time goes (by leaf function and by selected stages).

The client runs on the same machine, so it competes with the server for the CPUs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvloop
from sqlalchemy import text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import (
    DEV_ADMIN_TOKEN,
    CpuSample,
    KeepAliveClient,
    McredServer,
    postgres_database,
    process_cpu_s,
    py_spy_recording,
    running_server,
    spread_over_workers,
    summarise_py_spy,
)

from mcred.storage.sql import create_engine_for, write_transaction
from vc_core.status import BitstringStatusList

ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
ISSUANCE: dict[str, Any] = {
    "alliance": "arqus",
    "specification": "sustainable-urban-mobility",
    "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1815"},
    "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
}
HTTP_CLIENTS = ("lean", "httpx")
ISSUE_TARGET_PER_S = 300.0
REVOKE_TARGET_MS = 10.0
LIST_SIZES = (131_072, 1_048_576)
PREFILL_REVOKED_EVERY = 100  # 1 % of the prefilled entries are revoked
STAGES = {  # where a sampled stack is, by the first of these frames found in it (outermost wins)
    "sign: eddsa-rdfc-2022 (canonicalize + hash + sign)": "add_proof (",
    "mandate coverage check (verify mandate proofs)": "check_mandate_coverage (",
    "build ELM credential": "build_elm_credential (",
    "MicroCredential from the catalogue": "microcredential_for (",
    "status slot allocation (SQL)": "allocate_elm (",
    "store credential + audit (SQL)": "SqlCredentialStore.add (",
    "audit append (SQL)": "SqlAuditLog.append (",
    "catalogue reads (alliance, mandates)": "SqlCatalogueStore.",
    "signing key lookup (SQL + decrypt)": "SqlSigningKeyStore.",
    "API key authentication": "authenticate (",
    "response JSON (CredentialOut.json_bytes)": "CredentialOut.json_bytes (",
    "request body validation": "request_body_to_args (",
    "thread pool hand-offs (event loop side)": "run_in_threadpool (",
}


@dataclass(frozen=True)
class Slot:
    credential_id: str
    list_id: str
    index: int
    status_size: int


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def _body(tag: str, formats: list[str]) -> dict[str, Any]:
    learner = {**ISSUANCE["learner"], "learner_ref": f"bench-{tag}"}
    return {**ISSUANCE, "learner": learner, "formats": formats}


def _client(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        headers=ADMIN,
        timeout=120.0,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )


async def _issue(client: httpx.AsyncClient, tag: str, formats: list[str]) -> dict[str, Any]:
    response = await client.post("/api/v1/credentials", json=_body(tag, formats))
    if response.status_code != 201:
        raise RuntimeError(f"issue failed: {response.status_code} {response.text[:500]}")
    body: dict[str, Any] = response.json()
    return body


# -- CPU accounting (Linux /proc; empty elsewhere) ------------------------------------------
def database_backends(database_url: str | None) -> list[int]:
    """The PostgreSQL backend processes serving ``database_url``'s database (``[]`` for SQLite,
    or when they cannot be listed): their CPU is the database's share of an issuance."""
    if not database_url or not database_url.startswith("postgresql"):
        return []
    url = make_url(database_url)
    maintenance = url.set(drivername="postgresql", database="postgres")
    try:
        with psycopg.connect(
            maintenance.render_as_string(hide_password=False), connect_timeout=3
        ) as connection:
            rows = connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (url.database,)
            ).fetchall()
    except psycopg.Error:
        return []
    return [int(pid) for (pid,) in rows]


class DatabaseCpu:
    """CPU seconds the database's backend processes used between :meth:`start` and
    :meth:`stop` (backends seen at either moment; PostgreSQL on this machine only)."""

    def __init__(self, database_url: str | None) -> None:
        self._url = database_url
        self._before: dict[int, float] = {}

    def start(self) -> None:
        self._before = self._sample(database_backends(self._url))

    def stop(self) -> float | None:
        if not self._url or not self._url.startswith("postgresql"):
            return None
        after = self._sample(database_backends(self._url) + list(self._before))
        return sum(cpu - self._before.get(pid, 0.0) for pid, cpu in after.items())

    @staticmethod
    def _sample(pids: list[int]) -> dict[int, float]:
        found = {pid: process_cpu_s(pid) for pid in pids}
        return {pid: cpu for pid, cpu in found.items() if cpu is not None}


# -- issuance -----------------------------------------------------------------------------------
async def issuance_rate(
    base_url: str,
    server_pid: int,
    clients: int,
    *,
    requests: int,
    max_seconds: float,
    formats: list[str],
    database_url: str | None = None,
    http_client: str = "lean",
    workers: int = 1,
    server_port: int | None = None,
) -> dict[str, Any]:
    """Credentials issued per second with ``clients`` concurrent keep-alive clients, and the
    CPU each credential cost the server, this client and the database (PostgreSQL)."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    spread: dict[str, int] | None = None
    lean = [KeepAliveClient(base_url) for _ in range(clients)] if http_client == "lean" else []
    if lean and workers > 1 and server_port is not None:  # else all on one worker
        held = await spread_over_workers(server_pid, server_port, workers, lean)
        spread = {str(pid): count for pid, count in held.items()}
    deadline = time.perf_counter() + max_seconds

    async def run(number: int) -> None:
        client = lean[number] if lean else _client(base_url)
        async with client:
            for i in range(requests):
                if time.perf_counter() > deadline:
                    return
                start = time.perf_counter()
                body = _body(f"{clients}-{number}-{i}", formats)
                response = await client.post("/api/v1/credentials", json=body, headers=ADMIN)
                if response.status_code == 201:
                    latencies.append(time.perf_counter() - start)
                else:
                    errors[str(response.status_code)] += 1

    database = DatabaseCpu(database_url)
    database.start()
    mark = CpuSample.now(server_pid)
    await asyncio.gather(*(run(n) for n in range(clients)))
    end = CpuSample.now(server_pid)
    database_s = database.stop()
    elapsed = end.wall - mark.wall
    rate = len(latencies) / elapsed
    cpu = end.since(mark, len(latencies), "credential")
    if database_s is not None and latencies:
        cpu["database_cpu_ms_per_credential"] = round(1000 * database_s / len(latencies), 2)
    return {
        "clients": clients,
        "http_client": http_client,
        "connections_per_server_process": spread,
        "issued": len(latencies),
        "errors": dict(errors),
        "seconds": round(elapsed, 2),
        "issued_per_s": round(rate, 1),
        "latency": _ms(latencies) if latencies else None,
        "cpu": cpu,
    }


# -- revocation -----------------------------------------------------------------------------
def _status_of(document: dict[str, Any], slot: Slot) -> int:
    bits = BitstringStatusList.from_credential_subject(
        document["credentialSubject"], status_size=slot.status_size
    )
    return bits.get(slot.index)


async def revocation_latency(
    client: httpx.AsyncClient, slots: list[Slot], timeout: float = 10.0
) -> dict[str, Any]:
    """For each slot: revoke, then poll the served list until it shows the entry revoked."""
    visible: list[float] = []
    revoke: list[float] = []
    cached: list[float] = []
    polls: list[int] = []
    list_bytes = 0
    for slot in slots:
        url = f"/status/{slot.list_id}"
        await client.get(url)  # the current version is rendered and cached
        start = time.perf_counter()
        response = await client.get(url)
        cached.append(time.perf_counter() - start)
        assert _status_of(response.json(), slot) == 0
        start = time.perf_counter()
        revoked = await client.post(
            f"/api/v1/credentials/{slot.credential_id}/revoke", json={"reason": "benchmark"}
        )
        returned = time.perf_counter()
        if revoked.status_code != 200:
            raise RuntimeError(f"revoke failed: {revoked.status_code} {revoked.text[:500]}")
        revoke.append(returned - start)
        for attempt in range(1, 10_000):
            response = await client.get(url)
            seen = time.perf_counter()
            document = response.json()
            if _status_of(document, slot) == 1:
                visible.append(seen - returned)
                polls.append(attempt)
                list_bytes = len(response.content)
                break
            if seen - returned > timeout:
                raise RuntimeError(f"{slot.list_id}#{slot.index} not revoked after {timeout} s")
    median = statistics.median(visible) * 1000
    return {
        "revocations": len(visible),
        "revoke_to_served_list": _ms(visible),
        "polls_max": max(polls),
        "revoke_request": _ms(revoke),
        "status_list_get_unchanged": _ms(cached),
        "status_list_credential_bytes": list_bytes,
        "target_ms": REVOKE_TARGET_MS,
        "meets_target": median <= REVOKE_TARGET_MS,
    }


async def issue_slots(base_url: str, count: int) -> list[Slot]:
    slots = []
    async with _client(base_url) as client:
        for i in range(count):
            body = await _issue(client, f"revoke-{i}", ["ldp_vc"])
            slot = body["status"][0]
            slots.append(Slot(body["id"], slot["list"], slot["index"], slot["status_size"]))
    return slots


def prefill(database_url: str, list_id: str) -> dict[str, int]:
    """Fill ``list_id`` to its capacity (half its entries) straight in SQL; 1 % revoked.

    The benchmark's throwaway database only: entries at odd indexes for made-up credentials,
    the list's ``allocated`` count and ``version`` bumped as an allocation would.
    """
    engine = create_engine_for(database_url)
    try:
        with write_transaction(engine) as connection:
            size = connection.execute(
                text("SELECT size FROM status_lists WHERE id = :id"), {"id": list_id}
            ).scalar_one()
            values = {"list": list_id, "n": size // 2, "every": PREFILL_REVOKED_EVERY}
            if engine.dialect.name == "postgresql":
                fill = """
                    INSERT INTO status_entries (list_id, idx, credential_id, status)
                    SELECT :list, 2 * i + 1, 'urn:bench:prefill:' || i,
                           CASE WHEN i % :every = 0 THEN 1 ELSE 0 END
                    FROM generate_series(0, :n - 1) AS i
                    ON CONFLICT DO NOTHING"""
            else:
                fill = """
                    WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq
                                              WHERE i < :n - 1)
                    INSERT INTO status_entries (list_id, idx, credential_id, status)
                    SELECT :list, 2 * i + 1, 'urn:bench:prefill:' || i,
                           CASE WHEN i % :every = 0 THEN 1 ELSE 0 END
                    FROM seq WHERE true
                    ON CONFLICT DO NOTHING"""
            connection.execute(text(fill), values)
            connection.execute(
                text(
                    "UPDATE status_lists SET version = version + 1, allocated = "
                    "(SELECT count(*) FROM status_entries WHERE list_id = :list) WHERE id = :list"
                ),
                values,
            )
            allocated, revoked = connection.execute(
                text(
                    "SELECT count(*), sum(CASE WHEN status <> 0 THEN 1 ELSE 0 END) "
                    "FROM status_entries WHERE list_id = :list"
                ),
                values,
            ).one()
    finally:
        engine.dispose()
    return {"list_size": size, "allocated": int(allocated), "nonzero": int(revoked)}


async def revocation_suite(server: McredServer, database_url: str, count: int) -> dict[str, Any]:
    """Revocation latency on a list holding only ``count`` credentials, then on a full list."""
    slots = await issue_slots(server.base_url, 2 * count)
    lists = {s.list_id for s in slots}
    if len(lists) != 1:
        raise RuntimeError(f"benchmark credentials spread over lists {sorted(lists)}")
    out: dict[str, Any] = {}
    async with _client(server.base_url) as client:
        out["sparse_list"] = await revocation_latency(client, slots[:count])
        fill = await asyncio.to_thread(prefill, database_url, slots[0].list_id)
        out["full_list"] = {"fill": fill, **await revocation_latency(client, slots[count:])}
    return out


# -- profiling ------------------------------------------------------------------------------
# -- one backend ----------------------------------------------------------------------------
async def backend(
    name: str,
    database: str | None,
    workdir: Path,
    args: argparse.Namespace,
    py_spy: str | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    env = {"MCRED_DATABASE_URL": database} if database else {}
    data_dir = workdir / f"{name}-issue"
    with running_server(data_dir, env, workers=args.workers) as server:
        database_url = database or f"sqlite:///{data_dir / 'mcred.db'}"
        async with _client(server.base_url) as client:
            for i in range(args.warmup):
                await _issue(client, f"warmup-{i}", args.formats)
        runs = []
        for clients in args.clients:
            profile = workdir / f"{name}-{clients}.pyspy.txt"
            profiled = clients == max(args.clients)
            with py_spy_recording(py_spy if profiled else None, server.pid, profile):
                run = await issuance_rate(
                    server.base_url,
                    server.pid,
                    clients,
                    requests=args.requests,
                    max_seconds=args.max_seconds,
                    formats=args.formats,
                    database_url=database,
                    http_client=args.http_client,
                    workers=args.workers,
                    server_port=server.port,
                )
            if py_spy is not None and profiled:
                run["profile"] = summarise_py_spy(profile, STAGES)
            runs.append(run)
        out["issuance"] = {
            "formats": args.formats,
            "runs": runs,
            "target_per_s": ISSUE_TARGET_PER_S,
            "meets_target": max(r["issued_per_s"] for r in runs) >= ISSUE_TARGET_PER_S,
        }
        if not args.issuance_only:
            out["revocation_131072"] = await revocation_suite(
                server, database_url, args.revocations
            )
    return out


async def big_list(
    name: str, database: str | None, workdir: Path, args: argparse.Namespace
) -> dict[str, Any]:
    env = {"MCRED_STATUS_LIST_SIZE": str(LIST_SIZES[1])}
    if database:
        env["MCRED_DATABASE_URL"] = database
    data_dir = workdir / f"{name}-1m"
    with running_server(data_dir, env) as server:
        database_url = database or f"sqlite:///{data_dir / 'mcred.db'}"
        return await revocation_suite(server, database_url, args.revocations)


@contextmanager
def database_for(name: str, postgres: str) -> Iterator[str | None]:
    """``""`` for SQLite (the server's default file), else a fresh PostgreSQL database's URL
    (``None`` when the server cannot be reached)."""
    if name == "sqlite":
        yield ""
        return
    with postgres_database(postgres) as url:
        yield url


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    py_spy = args.py_spy or None
    if py_spy is not None and shutil.which(py_spy) is None:
        raise SystemExit(f"py-spy not found: {py_spy}")
    results: dict[str, Any] = {}
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="mcred-bench-") as tmp:
        workdir = Path(args.keep) if args.keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        backends: list[str] = ["sqlite"] + ([] if args.no_postgres else ["postgresql"])
        for name in backends:
            with database_for(name, args.postgres) as database:
                if database is None:
                    notes.append(f"PostgreSQL skipped: cannot connect to {args.postgres}")
                    continue
                results[name] = await backend(name, database or None, workdir, args, py_spy)
            if args.issuance_only:
                continue
            with database_for(name, args.postgres) as database:
                if database is not None:
                    results[name]["revocation_1048576"] = await big_list(
                        name, database or None, workdir, args
                    )
    return {"results": results, "notes": notes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="per client and run")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="per run")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument(
        "--clients", type=int, nargs="+", default=[1, 4], help="concurrent clients, one run each"
    )
    parser.add_argument("--revocations", type=int, default=50)
    parser.add_argument("--formats", nargs="+", default=["ldp_vc"])
    parser.add_argument(
        "--postgres",
        default=os.environ.get("MCRED_BENCH_POSTGRES", "postgresql://127.0.0.1:5432"),
        help="PostgreSQL server (a throwaway database is created and dropped)",
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--issuance-only", action="store_true", help="skip the revocation measurements"
    )
    parser.add_argument(
        "--http-client",
        choices=HTTP_CLIENTS,
        default="lean",
        help="the issuance runs' client: lean (KeepAliveClient, on uvloop) or httpx",
    )
    parser.add_argument("--py-spy", default=None, help="py-spy binary: profile the server")
    parser.add_argument("--keep", default=None, help="keep data dirs and profiles here")
    args = parser.parse_args()
    started = datetime.now(UTC)
    # the lean client on uvloop (as the wallet bridge bench runs it), httpx on asyncio's loop
    runner = uvloop.run if args.http_client == "lean" else asyncio.run
    report = runner(main_async(args))
    print(
        json.dumps(
            {
                "bench": "issuer",
                "date": started.isoformat(timespec="seconds"),
                "python": platform.python_version(),
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "server": f"mcred serve --workers {args.workers}, development settings",
                "requests_per_client": args.requests,
                "http_client": args.http_client,
                **report,
            },
            indent=2,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
