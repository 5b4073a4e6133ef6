"""Benchmark of mcred's wallet bridge (OpenID4VCI 1.0 pre-authorized flow) over HTTP; prints JSON.

    .venv/bin/python bench/wallet_bridge.py [--requests 200] [--max-seconds 30] [--workers 1]
        [--formats dc+sd-jwt ldp_vc jwt_vc_json] [--clients 1 4]
        [--backends sqlite sqlite+redis postgresql postgresql+redis]
        [--postgres postgresql://127.0.0.1:5432] [--redis redis://127.0.0.1:6379/13]
        [--http-client lean|httpx] [--py-spy PATH] [--keep DIR]

Starts a real server (``mcred serve --workers N``, development settings, demo alliance
``arqus``) on a free loopback port with a temporary data directory per backend: the wallet
bridge's short-lived state (offers, pre-authorized codes, access tokens, nonces) in SQL —
SQLite (the embedded default) or a fresh PostgreSQL database (dropped afterwards) — or in Redis
(``MCRED_REDIS_URL``; the database named by ``--redis`` is flushed before and after, so give
one nothing else uses). When ``mcred serve`` refuses ``--workers N > 1`` the run uses one worker
and says so under ``notes``.

Credentials are issued through the admin API first (not timed: ``POST /api/v1/credentials``,
``ldp_vc``); one is offered per flow, reused round-robin across formats. A **complete flow**,
timed, is what a wallet and the coordinator do together:

1. ``POST /api/v1/credentials/{id}/offers`` (development admin key) → offer link + PIN;
2. ``GET`` the offer by reference (``credential_offer_uri``);
3. ``POST /oid4vci/token`` (pre-authorized code + ``tx_code``) → access token;
4. ``POST /oid4vci/nonce`` → ``c_nonce``;
5. the wallet signs a ``jwt`` key proof (``openid4vci-proof+jwt``, EdDSA, ``did:key`` kid) over
   that nonce with the flow's own holder key (keys are generated beforehand; the proof cannot
   be: it signs the fresh nonce) and ``POST /oid4vci/credential`` → the credential bound to it.

Per format (``dc+sd-jwt``, ``ldp_vc``, ``jwt_vc_json``) and number of concurrent keep-alive
clients (each running up to ``--requests`` flows within ``--max-seconds``; the holder keys are
made and the connections opened before the clock starts, spread evenly over the server's worker
processes — an idle ``mcred serve --workers N`` would hand them all to one worker; the
connections each process got are reported): complete flows/s,
flow latency median/p95/p99/max, the median of each step, and CPU from ``/proc`` — the server's
process tree (CPU ms per flow), this client (CPU ms per flow, of which signing proofs) and the
whole machine. Targets (the issue): >= 150 flows/s for ``dc+sd-jwt``, >= 80/s for ``ldp_vc``.
``--py-spy`` samples the server during the runs with the most clients and adds where its Python
time goes. The client runs on the same machine and competes with the server for the CPUs, so it
is kept lean by default (``--http-client lean``: :class:`_server.KeepAliveClient`, HTTP/1.1 over
one keep-alive connection per client, on uvloop); ``--http-client httpx`` runs the flows with
``httpx.AsyncClient`` on asyncio instead (about 1 ms more client CPU per request).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import redis
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import (
    ADMIN,
    STEPS,
    CpuSample,
    FlowFailed,
    Holder,
    KeepAliveClient,
    McredServer,
    complete_flow,
    latency_ms,
    postgres_database,
    py_spy_recording,
    spread_over_workers,
    start_with_workers,
    summarise_py_spy,
)

ISSUANCE: dict[str, Any] = {
    "alliance": "arqus",
    "specification": "sustainable-urban-mobility",
    "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1815"},
    "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
}
CONFIGURATIONS = {
    "dc+sd-jwt": "MicroCredential_dc_sd_jwt",
    "ldp_vc": "MicroCredential_ldp_vc",
    "jwt_vc_json": "MicroCredential_jwt_vc_json",
}
TARGETS_PER_S = {"dc+sd-jwt": 150.0, "ldp_vc": 80.0}
BACKENDS = ("sqlite", "sqlite+redis", "postgresql", "postgresql+redis")
STAGES = {  # where a sampled stack is, by the first of these frames found in it (outermost wins)
    "credential: sign ldp_vc (eddsa-rdfc-2022)": "add_proof (",
    "credential: issue SD-JWT VC": "issue_sd_jwt_vc (",
    "credential: sign jwt_vc_json": "sign_jwt_vc_json (",
    "credential: completeness check (Annex I)": "check_completeness (",
    "key proof verification": "verify_key_proof",
    "credential record lookup (issuer.get)": "Issuer.get (",
    "offer creation": "create_offer (",
    "token endpoint": "token (",
    "nonce endpoint": "nonce (",
    "bridge state (Redis)": "redis_bridge.py",
    "bridge state (SQL)": "sql_bridge.py",
    "API key authentication": "authenticate (",
    "request body validation": "request_body_to_args (",
}


@dataclass
class Timings:
    flows: list[float] = field(default_factory=list)
    steps: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    errors: Counter[str] = field(default_factory=Counter)
    first_error: str | None = None
    connections: Counter[str] = field(default_factory=Counter)
    """Keep-alive connections per server process (pid; ``?`` when not found)."""


HTTP_CLIENTS = ("lean", "httpx")


def _client(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=120.0,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )


def _flow_client(base_url: str, http_client: str) -> httpx.AsyncClient | KeepAliveClient:
    """The wallet's HTTP client of ``--http-client``: one keep-alive connection either way."""
    return KeepAliveClient(base_url) if http_client == "lean" else _client(base_url)


def _run(main: Coroutine[Any, Any, Any], http_client: str) -> Any:
    """``main`` on uvloop for the lean client, on asyncio's own loop for httpx."""
    if http_client == "lean":
        return uvloop.run(main)
    return asyncio.run(main)


@dataclass(frozen=True)
class ClientJob:
    """The clients ``numbers`` of one process; ``deadline`` is a ``time.time()``."""

    base_url: str
    credential_ids: list[str]
    fmt: str
    numbers: list[int]
    requests: int
    deadline: float
    http_client: str
    server_pid: int
    server_port: int
    workers: int


@dataclass
class Wallets:
    """A process's clients, ready: a fresh holder key per flow (a wallet has its key; what it
    cannot prepare is the proof over the server's fresh nonce) and an open connection each,
    spread over the server's workers (lean client only)."""

    holders: dict[int, list[Holder]]
    clients: dict[int, httpx.AsyncClient | KeepAliveClient]
    connections: Counter[str]

    @classmethod
    async def prepare(cls, job: ClientJob) -> Wallets:
        holders = {n: [Holder.generate() for _ in range(job.requests)] for n in job.numbers}
        clients = {n: _flow_client(job.base_url, job.http_client) for n in job.numbers}
        lean = [c for c in clients.values() if isinstance(c, KeepAliveClient)]
        spread = await spread_over_workers(job.server_pid, job.server_port, job.workers, lean)
        connections = Counter({str(pid or "?"): n for pid, n in spread.items()})
        return cls(holders, clients, connections)

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()


async def _run_clients(job: ClientJob, wallets: Wallets | None = None) -> Timings:
    """The flows of ``job``'s clients, in this process (prepared here unless given)."""
    base_url, credential_ids, numbers = job.base_url, job.credential_ids, job.numbers
    requests, deadline = job.requests, job.deadline
    configuration = CONFIGURATIONS[job.fmt]
    wallets = wallets or await Wallets.prepare(job)
    holders = wallets.holders
    timings = Timings(connections=wallets.connections)

    async def run(number: int) -> None:
        client = wallets.clients[number]
        for i in range(requests):
            if time.time() > deadline:
                return
            credential_id = credential_ids[(number * requests + i) % len(credential_ids)]
            start = time.perf_counter()
            try:
                await complete_flow(
                    client,
                    base_url,
                    credential_id,
                    configuration,
                    holders[number][i],
                    steps=timings.steps,
                )
            except FlowFailed as exc:
                timings.errors[f"{exc.step}:{exc.status}"] += 1
                timings.first_error = timings.first_error or str(exc)
                continue
            timings.flows.append(time.perf_counter() - start)

    try:
        await asyncio.gather(*(run(n) for n in numbers))
    finally:
        await wallets.close()
    return timings


def _client_process(job: ClientJob) -> Timings:
    """One client process of ``--client-processes`` (its share of the clients); its holder
    keys and connections are made on the clock (they cannot be handed over to the process)."""
    timings: Timings = _run(_run_clients(job), job.http_client)
    return timings


def _ready(_: int) -> int:
    return os.getpid()


async def flow_rate(
    server: McredServer,
    credential_ids: list[str],
    fmt: str,
    clients: int,
    *,
    requests: int,
    max_seconds: float,
    client_processes: int = 1,
    http_client: str = "lean",
) -> dict[str, Any]:
    """Complete flows per second for ``fmt`` with ``clients`` concurrent keep-alive clients,
    spread over ``client_processes`` processes (one Python client process tops out first)."""
    processes = max(1, min(client_processes, clients))
    shares = [list(range(clients))[p::processes] for p in range(processes)]

    def job(share: list[int], deadline: float) -> ClientJob:
        return ClientJob(
            server.base_url,
            credential_ids,
            fmt,
            share,
            requests,
            deadline,
            http_client,
            server.pid,
            server.port,
            server.workers,
        )

    if processes == 1:
        wallets = await Wallets.prepare(job(shares[0], 0.0))
        mark = CpuSample.now(server.pid)
        timings = await _run_clients(job(shares[0], time.time() + max_seconds), wallets)
        end = CpuSample.now(server.pid)
    else:
        with multiprocessing.get_context("spawn").Pool(processes) as workers:
            workers.map(_ready, range(processes))  # started and imported before the clock
            mark = CpuSample.now(server.pid)
            deadline = time.time() + max_seconds
            jobs = [job(share, deadline) for share in shares]
            parts = workers.map(_client_process, jobs)
            workers.close()
            workers.join()
            end = CpuSample.now(server.pid)  # the workers' CPU counts once they are reaped
        timings = Timings()
        for part in parts:
            timings.flows += part.flows
            for step, values in part.steps.items():
                timings.steps[step] += values
            timings.errors.update(part.errors)
            timings.first_error = timings.first_error or part.first_error
            timings.connections.update(part.connections)
    elapsed = end.wall - mark.wall
    done = len(timings.flows)
    cpu = end.since(mark, done, "flow")
    signing = sum(timings.steps["proof_sign"])
    if done:
        cpu["client_proof_sign_ms_per_flow"] = round(1000 * signing / done, 3)
    out: dict[str, Any] = {
        "format": fmt,
        "clients": clients,
        "client_processes": processes,
        "http_client": http_client,
        "connections_per_server_process": sorted(timings.connections.values(), reverse=True)
        or None,
        "flows": done,
        "errors": dict(timings.errors),
        "seconds": round(elapsed, 2),
        "flows_per_s": round(done / elapsed, 1),
        "flow_latency": latency_ms(timings.flows),
        "step_median_ms": {
            step: round(1000 * sorted(values)[len(values) // 2], 2)
            for step, values in timings.steps.items()
            if values
        },
        "cpu": cpu,
    }
    if timings.first_error:
        out["first_error"] = timings.first_error
    return out


async def issue_credentials(base_url: str, count: int, clients: int = 4) -> list[str]:
    """``count`` credentials (``ldp_vc``) through the admin API, ``clients`` at a time."""
    ids: list[str] = []

    async def run(number: int) -> None:
        async with _client(base_url) as client:
            for i in range(number, count, clients):
                body = {**ISSUANCE, "learner": {**ISSUANCE["learner"], "learner_ref": f"wb-{i}"}}
                response = await client.post("/api/v1/credentials", json=body, headers=ADMIN)
                if response.status_code != 201:
                    raise RuntimeError(
                        f"issue failed: {response.status_code} {response.text[:500]}"
                    )
                ids.append(response.json()["id"])

    await asyncio.gather(*(run(n) for n in range(clients)))
    return ids


def _redis_reachable(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


@contextmanager
def flushed_redis(url: str) -> Iterator[None]:
    """The Redis database of ``url`` emptied before and after the block."""
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
        yield
    finally:
        client.flushdb()
        client.close()


@contextmanager
def backend_environment(
    name: str, args: argparse.Namespace, notes: list[str]
) -> Iterator[dict[str, str] | None]:
    """The ``MCRED_*`` environment of backend ``name`` (``None``: skipped, with a note)."""
    env: dict[str, str] = {}
    if name.endswith("+redis"):
        if not _redis_reachable(args.redis):
            notes.append(f"{name} skipped: cannot connect to Redis at {args.redis}")
            yield None
            return
        env["MCRED_REDIS_URL"] = args.redis
    if name.startswith("postgresql"):
        with postgres_database(args.postgres) as database:
            if database is None:
                notes.append(f"{name} skipped: cannot connect to PostgreSQL at {args.postgres}")
                yield None
                return
            env["MCRED_DATABASE_URL"] = database
            if "MCRED_REDIS_URL" in env:
                with flushed_redis(args.redis):
                    yield env
            else:
                yield env
        return
    if "MCRED_REDIS_URL" in env:
        with flushed_redis(args.redis):
            yield env
    else:
        yield env


async def backend(
    name: str, env: dict[str, str], workdir: Path, args: argparse.Namespace, notes: list[str]
) -> dict[str, Any]:
    server = start_with_workers(workdir / name, env, args.workers, notes)
    try:
        started = time.perf_counter()
        pool = await issue_credentials(server.base_url, args.requests * max(args.clients))
        out: dict[str, Any] = {
            "workers": server.workers,
            "state": "redis" if "MCRED_REDIS_URL" in env else "sql",
            "credentials_issued_first": len(pool),
            "issue_seconds": round(time.perf_counter() - started, 1),
        }
        runs: dict[str, list[dict[str, Any]]] = {}
        for fmt in args.formats:
            async with _flow_client(server.base_url, args.http_client) as client:  # warm-up
                for i in range(args.warmup):
                    await complete_flow(
                        client,
                        server.base_url,
                        pool[i % len(pool)],
                        CONFIGURATIONS[fmt],
                        Holder.generate(),
                    )
            runs[fmt] = []
            for clients in args.clients:
                profiled = args.py_spy if clients == max(args.clients) else None
                profile = workdir / f"{name}-{fmt.replace('+', '_')}-{clients}.pyspy.txt"
                with py_spy_recording(profiled, server.pid, profile):
                    run = await flow_rate(
                        server,
                        pool,
                        fmt,
                        clients,
                        requests=args.requests,
                        max_seconds=args.max_seconds,
                        client_processes=args.client_processes,
                        http_client=args.http_client,
                    )
                if profiled is not None:
                    run["profile"] = summarise_py_spy(profile, STAGES)
                runs[fmt].append(run)
        out["formats"] = {}
        for fmt, fmt_runs in runs.items():
            best = max(r["flows_per_s"] for r in fmt_runs)
            entry: dict[str, Any] = {"runs": fmt_runs, "best_flows_per_s": best}
            if fmt in TARGETS_PER_S:
                entry["target_per_s"] = TARGETS_PER_S[fmt]
                entry["meets_target"] = best >= TARGETS_PER_S[fmt]
            out["formats"][fmt] = entry
        return out
    finally:
        server.stop()


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    if args.py_spy is not None and shutil.which(args.py_spy) is None:
        raise SystemExit(f"py-spy not found: {args.py_spy}")
    results: dict[str, Any] = {}
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="mcred-bench-wb-") as tmp:
        workdir = Path(args.keep) if args.keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for name in args.backends:
            with backend_environment(name, args, notes) as env:
                if env is not None:
                    results[name] = await backend(name, env, workdir, args, notes)
    return {"results": results, "notes": notes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="flows per client and run")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="per run")
    parser.add_argument("--warmup", type=int, default=10, help="untimed flows per format")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--formats", nargs="+", choices=list(CONFIGURATIONS), default=None)
    parser.add_argument("--clients", nargs="+", type=int, default=[1, 4])
    parser.add_argument(
        "--client-processes",
        type=int,
        default=1,
        help="spread the clients over this many processes (with --http-client httpx, one "
        "client process is the first bottleneck above ~130 flows/s)",
    )
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument(
        "--postgres",
        default=os.environ.get("MCRED_BENCH_POSTGRES", "postgresql://127.0.0.1:5432"),
        help="PostgreSQL server (a throwaway database is created and dropped)",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("MCRED_BENCH_REDIS", "redis://127.0.0.1:6379/13"),
        help="Redis database for the bridge's state (FLUSHED before and after)",
    )
    parser.add_argument(
        "--http-client",
        choices=HTTP_CLIENTS,
        default="lean",
        help="the wallets' HTTP client: lean (KeepAliveClient on uvloop) or httpx (asyncio)",
    )
    parser.add_argument("--py-spy", default=None, help="py-spy binary: profile the server")
    parser.add_argument("--keep", default=None, help="keep data dirs and profiles here")
    args = parser.parse_args()
    args.formats = args.formats or list(CONFIGURATIONS)
    started = datetime.now(UTC)
    report = _run(main_async(args), args.http_client)
    print(
        json.dumps(
            {
                "bench": "wallet_bridge",
                "date": started.isoformat(timespec="seconds"),
                "python": platform.python_version(),
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "server": f"mcred serve --workers {args.workers}, development settings",
                "http_client": args.http_client,
                "requests_per_client": args.requests,
                "max_seconds_per_run": args.max_seconds,
                **report,
            },
            indent=2,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
