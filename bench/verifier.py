"""Benchmark of mcred's verifier through ``POST /api/v1/verify``; prints JSON.

    .venv/bin/python bench/verifier.py [--requests 200] [--max-seconds 20] [--workers 1]
        [--formats ldp_vc dc+sd-jwt vc+jwt jwt_vc_json] [--clients 1 4 16]
        [--http-client lean|httpx] [--py-spy PATH] [--keep DIR]

Starts a real server (``mcred serve --workers N``, development settings, demo alliance
``arqus``, SQLite) on a free loopback port with a temporary data directory, and gets one
credential of each format from it first (not timed):

* ``ldp_vc`` — an ELM micro-credential with a Data Integrity proof (``eddsa-rdfc-2022``) and a
  Bitstring Status List entry, issued through ``POST /api/v1/credentials``;
* ``jwt_vc_json`` — the same issuance's VCDM 1.1 JWT (ES256);
* ``dc+sd-jwt`` — an SD-JWT VC (ES256, ``iss`` the public URL, Token Status List entry), taken by
  a wallet through the OpenID4VCI pre-authorized flow with a holder key; verified as a credential
  (no key binding JWT);
* ``vc+jwt`` — a VCDM 2.0 credential (VC-JOSE-COSE, EdDSA) signed here under a ``did:key``
  (mcred issues ``vc+jwt`` for nobody: ELM keeps VCDM 1.1), carrying the Bitstring Status List
  entries of a credential the service issued through ``POST /credentials/issue`` so that its
  status, too, is the service's own list.

Every status list is one of the service's own, answered in process (no HTTP to itself). Then,
per format and number of concurrent keep-alive clients (each sending up to ``--requests`` of the
same request within ``--max-seconds``, after a warm-up): verifications/s, latency
median/p95/p99/max, the report's ``verified`` and failed checks, and CPU from ``/proc`` (the
server's process tree in cores and ms per verification, this client, the whole machine).
Targets (the issue): >= 300/s Data Integrity, >= 1,500/s SD-JWT VC, p99 <= 50 ms at 16
clients. The client runs on the same machine and competes with the server for the CPUs, so
it is lean by default (``--http-client lean``: ``_server.KeepAliveClient`` on uvloop, about
0.1-0.2 ms of CPU per request; ``--http-client httpx``: ``httpx.AsyncClient``, 1.5-2 ms).
With ``--workers N`` the lean clients are spread evenly over the server's worker processes
(``_server.spread_over_workers``; reported as ``connections_per_server_process``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import (
    ADMIN,
    CpuSample,
    Holder,
    KeepAliveClient,
    McredServer,
    complete_flow,
    free_port,
    latency_ms,
    py_spy_recording,
    spread_over_workers,
    start_with_workers,
    summarise_py_spy,
)

from vc_core.dids import did_key_from_public_key
from vc_core.jose import sign_vc_jwt
from vc_core.keys import KeyType, PrivateKey

ISSUANCE: dict[str, Any] = {
    "alliance": "arqus",
    "specification": "sustainable-urban-mobility",
    "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1815"},
    "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
    "formats": ["ldp_vc", "jwt_vc_json"],
}
VCDM2_CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential"],
    "name": "Benchmark credential",
    "description": "A VCDM 2.0 credential for the verifier benchmark",
    "validFrom": "2026-11-20T10:00:00Z",
    "credentialSubject": {"id": "did:example:learner"},
}
FORMATS = ("ldp_vc", "dc+sd-jwt", "vc+jwt", "jwt_vc_json")
RATE_TARGETS_PER_S = {"ldp_vc": 300.0, "dc+sd-jwt": 1500.0}
P99_TARGET_MS = 50.0
P99_TARGET_CLIENTS = 16
STAGES = {  # where a sampled stack is, by the first of these frames found in it (outermost wins)
    "Data Integrity proof (canonicalize + hash + verify)": "verify_proofs (",
    "SD-JWT VC (signature, disclosures, claims)": "verify_sd_jwt_vc_input (",
    "JWT VC (signature, claims)": "_verify_jwt_credential (",
    "status list (own lists, in process)": "status",
    "issuer key resolution (DID, JWT VC Issuer Metadata)": "resolve",
    "issuer trust": "trust",
    "Annex I completeness": "check_completeness (",
    "request body validation": "request_body_to_args (",
    "response model / JSON encoding": "serialize_response (",
}


def _client(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=120.0,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )


async def _post(client: httpx.AsyncClient, url: str, body: Any, **kw: Any) -> Any:
    response = await client.post(url, json=body, **kw)
    if response.status_code not in {200, 201}:
        raise RuntimeError(f"{url}: {response.status_code} {response.text[:500]}")
    return response.json()


async def obtain_credentials(base_url: str, public_url: str) -> dict[str, Any]:
    """One credential of each format, from the running service (see the module docstring)."""
    async with _client(base_url) as client:
        issued = await _post(client, "/api/v1/credentials", ISSUANCE, headers=ADMIN)
        flow = await complete_flow(
            client, public_url, issued["id"], "MicroCredential_dc_sd_jwt", Holder.generate()
        )
        vc_api = await _post(
            client,
            "/credentials/issue",
            {
                "credential": VCDM2_CREDENTIAL,
                "options": {"credentialStatus": {"type": "BitstringStatusListEntry"}},
            },
            headers=ADMIN,
        )
    key = PrivateKey.generate(KeyType.ED25519)
    did = did_key_from_public_key(key.public_key)
    document = {k: v for k, v in vc_api["verifiableCredential"].items() if k != "proof"}
    document["issuer"] = did
    return {
        "ldp_vc": issued["credentials"]["ldp_vc"],
        "jwt_vc_json": issued["credentials"]["jwt_vc_json"],
        "dc+sd-jwt": flow["credentials"][0]["credential"],
        "vc+jwt": sign_vc_jwt(document, key, kid=f"{did}#{did.removeprefix('did:key:')}"),
    }


def _outcome(report: dict[str, Any]) -> dict[str, Any]:
    """``verified``, the report's format and its checks that did not pass."""
    checks = report.get("checks", [])
    return {
        "verified": report.get("verified"),
        "format": report.get("format"),
        "failed": [f"{c['name']}:{c['code']}" for c in checks if c.get("status") == "failed"],
        "skipped": [f"{c['name']}:{c['code']}" for c in checks if c.get("status") == "skipped"],
    }


async def verify_rate(
    server: McredServer,
    body: dict[str, Any],
    clients: int,
    *,
    requests: int,
    max_seconds: float,
    http_client: str = "lean",
) -> dict[str, Any]:
    """Verifications per second of ``body`` with ``clients`` concurrent keep-alive clients."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    verified: Counter[str] = Counter()
    payload = json.dumps(body).encode()
    spread: dict[str, int] | None = None
    lean = (
        [KeepAliveClient(server.base_url) for _ in range(clients)] if http_client == "lean" else []
    )
    if lean and server.workers > 1:  # else an idle server hands them all to one worker
        held = await spread_over_workers(server.pid, server.port, server.workers, lean)
        spread = {str(pid): count for pid, count in held.items()}
    deadline = time.perf_counter() + max_seconds

    async def run(number: int) -> None:
        client = lean[number] if lean else _client(server.base_url)
        async with client:
            for _ in range(requests):
                if time.perf_counter() > deadline:
                    return
                start = time.perf_counter()
                if isinstance(client, KeepAliveClient):
                    response: Any = await client.request(
                        "POST", "/api/v1/verify", content=payload, content_type="application/json"
                    )
                else:
                    response = await client.post(
                        "/api/v1/verify",
                        content=payload,
                        headers={"Content-Type": "application/json"},
                    )
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - start)
                    verified[str(response.json().get("verified"))] += 1
                else:
                    errors[str(response.status_code)] += 1

    mark = CpuSample.now(server.pid)
    await asyncio.gather(*(run(n) for n in range(clients)))
    end = CpuSample.now(server.pid)
    elapsed = end.wall - mark.wall
    return {
        "clients": clients,
        "http_client": http_client,
        "connections_per_server_process": spread,
        "verifications": len(latencies),
        "verified": dict(verified),
        "errors": dict(errors),
        "seconds": round(elapsed, 2),
        "verifications_per_s": round(len(latencies) / elapsed, 1),
        "latency": latency_ms(latencies),
        "cpu": end.since(mark, len(latencies), "verification"),
    }


async def run_format(
    server: McredServer,
    fmt: str,
    credential: Any,
    workdir: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    body = {"credential": credential}
    if args.keep:  # the request as sent, to replay it (e.g. in process, under a profiler)
        request_file = workdir / f"verify-{fmt.replace('+', '_')}.request.json"
        request_file.write_text(json.dumps(body), encoding="utf-8")
    async with _client(server.base_url) as client:
        report = await _post(client, "/api/v1/verify", body)
        for _ in range(args.warmup - 1):
            await _post(client, "/api/v1/verify", body)
    runs = []
    for clients in args.clients:
        profiled = args.py_spy if clients == max(args.clients) else None
        profile = workdir / f"verify-{fmt.replace('+', '_')}-{clients}.pyspy.txt"
        with py_spy_recording(profiled, server.pid, profile):
            run = await verify_rate(
                server,
                body,
                clients,
                requests=args.requests,
                max_seconds=args.max_seconds,
                http_client=args.http_client,
            )
        if profiled is not None:
            run["profile"] = summarise_py_spy(profile, STAGES)
        runs.append(run)
    best = max(r["verifications_per_s"] for r in runs)
    out: dict[str, Any] = {
        "report": _outcome(report),
        "request_bytes": len(json.dumps(body)),
        "runs": runs,
        "best_verifications_per_s": best,
    }
    if fmt in RATE_TARGETS_PER_S:
        out["target_per_s"] = RATE_TARGETS_PER_S[fmt]
        out["meets_target"] = best >= RATE_TARGETS_PER_S[fmt]
    at_target = [r for r in runs if r["clients"] == P99_TARGET_CLIENTS and r["latency"]]
    if at_target:
        p99 = at_target[0]["latency"]["p99_ms"]
        out["p99_target_ms_at_16_clients"] = P99_TARGET_MS
        out["meets_p99_target"] = p99 <= P99_TARGET_MS
    return out


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    if args.py_spy is not None and shutil.which(args.py_spy) is None:
        raise SystemExit(f"py-spy not found: {args.py_spy}")
    notes: list[str] = []
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="mcred-bench-verify-") as tmp:
        workdir = Path(args.keep) if args.keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        public_url = f"https://localhost:{port}" if args.https_public_url else ""
        env = {"MCRED_PUBLIC_URL": public_url} if public_url else {}
        if args.loopback_fetch:
            env["MCRED_ALLOW_LOOPBACK_FETCH"] = "true"
        server = start_with_workers(workdir / "server", env, args.workers, notes, port=port)
        try:
            credentials = await obtain_credentials(server.base_url, public_url or server.base_url)
            for fmt in args.formats:
                results[fmt] = await run_format(server, fmt, credentials[fmt], workdir, args)
                if not results[fmt]["report"]["verified"]:
                    notes.append(
                        f"{fmt}: the service's report says verified=false "
                        f"(failed: {', '.join(results[fmt]['report']['failed'])}; skipped: "
                        f"{', '.join(results[fmt]['report']['skipped'])}); measured anyway"
                    )
        finally:
            server.stop()
        return {"workers": server.workers, "results": results, "notes": notes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="per client and run")
    parser.add_argument("--max-seconds", type=float, default=20.0, help="per run")
    parser.add_argument("--warmup", type=int, default=20, help="untimed verifications per format")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--clients", nargs="+", type=int, default=[1, 4, 16])
    parser.add_argument(
        "--http-client",
        choices=("lean", "httpx"),
        default="lean",
        help="the timed runs' client: lean (KeepAliveClient, on uvloop) or httpx",
    )
    parser.add_argument(
        "--https-public-url",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="MCRED_PUBLIC_URL=https://localhost:PORT (as behind a TLS proxy; the server and the "
        "client still speak http)",
    )
    parser.add_argument(
        "--loopback-fetch",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="MCRED_ALLOW_LOOPBACK_FETCH=true: the verifier may fetch the service's own JWT VC "
        "Issuer Metadata over http from itself (SD-JWT VC issuer key; cached)",
    )
    parser.add_argument("--py-spy", default=None, help="py-spy binary: profile the server")
    parser.add_argument(
        "--keep", default=None, help="keep the data dir, profiles and request bodies here"
    )
    args = parser.parse_args()
    started = datetime.now(UTC)
    # the lean client on uvloop (as the other benches run it), httpx on asyncio's own loop
    runner = uvloop.run if args.http_client == "lean" else asyncio.run
    report = runner(main_async(args))
    print(
        json.dumps(
            {
                "bench": "verifier",
                "date": started.isoformat(timespec="seconds"),
                "python": platform.python_version(),
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "server": f"mcred serve --workers {args.workers}, development settings, SQLite",
                "public_url": "https://localhost:PORT" if args.https_public_url else "http",
                "loopback_fetch": args.loopback_fetch,
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
