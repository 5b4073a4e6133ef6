"""Start and stop a real ``mcred serve`` for the benchmarks, and throwaway PostgreSQL databases.

* :func:`running_server` runs ``python -m mcred.cli serve`` on a free loopback port with a
  temporary data directory (its own ``MCRED_*`` environment only, started in that directory
  so no ``.env`` of the caller's is read), waits for ``/healthz`` and stops it afterwards.
* :func:`postgres_database` creates a fresh database on a PostgreSQL server and drops it
  afterwards (``DROP DATABASE … WITH (FORCE)``); it yields ``None`` when the server cannot
  be reached, so callers can report a skip instead of failing.
* :class:`CpuSample`, :func:`latency_ms`, :func:`py_spy_recording` and
  :func:`summarise_py_spy` are the measuring helpers of ``wallet_bridge.py`` and
  ``verifier.py``: CPU from ``/proc`` (the server's whole process tree, so uvicorn's worker
  processes count), latency percentiles, and py-spy sampling of the server.
* :func:`complete_flow` is a wallet taking one credential through the OpenID4VCI 1.0
  pre-authorized flow (offer by the admin API → token with the PIN → nonce → ``jwt`` proof of
  a :class:`Holder` key → credential), each step timed, over an :class:`httpx.AsyncClient` or
  a :class:`KeepAliveClient`: a lean HTTP/1.1 client (one keep-alive connection, asyncio and
  httptools' C parser) for the benches whose client runs on the server's machine, where
  httpx's ~1 ms of Python per request would be measured along with the server.
  :func:`spread_over_workers` connects such clients evenly over ``mcred serve --workers N``'s
  processes (an idle server hands every new connection to the same worker).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast
from urllib.parse import parse_qs, urlencode, urlsplit

import httptools
import httpx
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vc_core.dids import did_key_from_public_key
from vc_core.keys import KeyType, PrivateKey, b64url_encode

__all__ = [
    "ADMIN",
    "STEPS",
    "CpuSample",
    "FlowFailed",
    "Holder",
    "KeepAliveClient",
    "McredServer",
    "complete_flow",
    "connection_holder",
    "free_port",
    "latency_ms",
    "machine_busy_s",
    "postgres_database",
    "process_cpu_s",
    "process_tree_cpu_s",
    "py_spy_recording",
    "running_server",
    "spread_over_workers",
    "start_with_workers",
    "summarise_py_spy",
]

DEV_ADMIN_TOKEN = "mcred_dev_admin_token_for_local_development_only"  # noqa: S105 - dev only
"""What mcred ensures in development (``mcred.app.DEV_ADMIN_TOKEN``)."""
ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class McredServer:
    """One ``mcred serve`` process (development settings, demo alliance ``arqus``)."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    workers: int = 1
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the server is not running")
        return self.process.pid

    @property
    def log(self) -> Path:
        return self.data_dir / "server.log"

    def environment(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("MCRED_")}
        return {
            **base,
            "MCRED_DATA_DIR": str(self.data_dir),
            "MCRED_PUBLIC_URL": self.base_url,
            **self.env,
        }

    def start(self, timeout: float = 90.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "mcred.cli", "serve"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--workers", str(self.workers)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                command,
                cwd=self.data_dir,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mcred serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"mcred serve did not answer /healthz in {timeout} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def cli(self, *args: str) -> str:
        """Run another ``mcred`` command against the same settings (data dir, database)."""
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "mcred.cli", *args],
            cwd=self.data_dir,
            env=self.environment(),
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout


@contextmanager
def running_server(
    data_dir: Path,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    workers: int = 1,
) -> Iterator[McredServer]:
    server = McredServer(data_dir, env=dict(env or {}), workers=workers)
    if port is not None:
        server.port = port
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def postgres_database(server_url: str) -> Iterator[str | None]:
    """A new empty database on ``server_url`` as an ``MCRED_DATABASE_URL``; dropped after."""
    maintenance = make_url(server_url).set(drivername="postgresql", database="postgres")
    try:
        admin = psycopg.connect(
            maintenance.render_as_string(hide_password=False), autocommit=True, connect_timeout=3
        )
    except psycopg.Error:
        yield None
        return
    name = f"mcred_bench_{secrets.token_hex(4)}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            url = make_url(server_url).set(drivername="postgresql+psycopg", database=name)
            yield url.render_as_string(hide_password=False)
        finally:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# -- shared by the HTTP benchmarks: CPU accounting, latency summaries, py-spy -------------------
def process_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) ``pid`` has used; ``None`` where ``/proc`` is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            continue
    return found


def process_tree_cpu_s(pid: int) -> float | None:
    """CPU seconds of ``pid`` and its living descendants (uvicorn's worker processes)."""
    total = process_cpu_s(pid)
    if total is None:
        return None
    pending = _children(pid)
    while pending:
        child = pending.pop()
        total += process_cpu_s(child) or 0.0
        pending += _children(child)
    return total


def machine_busy_s() -> float | None:
    """CPU seconds all cores of the machine spent not idle (``/proc/stat``)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    ticks = [int(f) for f in fields]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle


def _reaped_children_cpu_s() -> float:
    """CPU seconds of this process's finished (reaped) children: client worker processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class CpuSample:
    """Wall clock and CPU counters at one moment (server process tree, this client, machine)."""

    wall: float
    server: float | None
    client: float
    machine: float | None

    @classmethod
    def now(cls, server_pid: int) -> CpuSample:
        return cls(
            time.perf_counter(),
            process_tree_cpu_s(server_pid),
            time.process_time() + _reaped_children_cpu_s(),
            machine_busy_s(),
        )

    def since(self, start: CpuSample, done: int, unit: str) -> dict[str, float]:
        """Cores busy on average between ``start`` and this sample, and CPU ms per ``unit``
        (``done`` of them): ``server_cpu_ms_per_<unit>``, ``client_cpu_ms_per_<unit>``."""
        wall = self.wall - start.wall
        client = self.client - start.client
        out = {"client_cores": round(client / wall, 2)}
        if done:
            out[f"client_cpu_ms_per_{unit}"] = round(1000 * client / done, 2)
        if self.server is not None and start.server is not None:
            server = self.server - start.server
            out["server_cores"] = round(server / wall, 2)
            if done:
                out[f"server_cpu_ms_per_{unit}"] = round(1000 * server / done, 2)
            if server + client > 0:
                out["client_share_of_server_plus_client"] = round(client / (server + client), 2)
        if self.machine is not None and start.machine is not None:
            out["machine_busy_cores"] = round((self.machine - start.machine) / wall, 2)
        return out


def latency_ms(values: list[float]) -> dict[str, float] | None:
    """Median, p95, p99 and max of ``values`` (seconds) in milliseconds (nearest rank)."""
    if not values:
        return None
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(rank(0.95) * 1000, 2),
        "p99_ms": round(rank(0.99) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


@contextmanager
def py_spy_recording(py_spy: str | None, pid: int, output: Path) -> Iterator[None]:
    """``py-spy record`` of ``pid`` and its worker processes (GIL holders only) while the block
    runs, raw stacks to ``output``; nothing when ``py_spy`` is ``None``."""
    if py_spy is None:
        yield
        return
    command = [py_spy, "record", "--pid", str(pid), "--gil", "--rate", "250", "--nonblocking"]
    command += ["--subprocesses", "--format", "raw", "--output", str(output)]
    recorder = subprocess.Popen(  # noqa: S603 - the py-spy binary the caller named
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    time.sleep(1.0)  # attached
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        try:
            recorder.wait(timeout=30)
        except subprocess.TimeoutExpired:
            recorder.kill()
            recorder.wait()


def summarise_py_spy(raw: Path, stages: Mapping[str, str], top: int = 15) -> dict[str, Any]:
    """Shares of the samples in a py-spy raw file: by leaf function, and by stage — the first
    stage (outermost frame first) whose marker (a substring of a frame) the stack holds."""
    if not raw.exists():
        return {"error": "py-spy wrote no profile"}
    leaves: Counter[str] = Counter()
    by_stage: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        leaves[frames[-1]] += count
        stage = next(
            (name for frame in frames for name, mark in stages.items() if mark in frame), None
        )
        by_stage[stage or "other (uvicorn, starlette, asyncio, …)"] += count
    if total == 0:
        return {"error": "no samples"}

    def share(counter: Counter[str], limit: int | None) -> dict[str, float]:
        return {k: round(100 * v / total, 1) for k, v in counter.most_common(limit)}

    return {
        "samples": total,
        "stage_percent": share(by_stage, None),
        "top_leaf_percent": share(leaves, top),
        "raw": str(raw),
    }


def start_with_workers(
    data_dir: Path,
    env: Mapping[str, str],
    workers: int,
    notes: list[str],
    *,
    port: int | None = None,
) -> McredServer:
    """A started server with ``workers`` processes, or with one (and a note saying why) when
    ``mcred serve`` refuses more; on ``port`` if given, else a free one."""
    server = McredServer(data_dir, env=dict(env), workers=workers, port=port or free_port())
    try:
        server.start()
    except RuntimeError as exc:
        if workers == 1:
            raise
        reason = str(exc).strip().splitlines()
        notes.append(
            f"mcred serve --workers {workers} refused ({reason[-1] if reason else exc}); "
            "ran with --workers 1"
        )
        server = McredServer(data_dir, env=dict(env), workers=1, port=server.port)
        server.start()
    return server


# -- a lean HTTP/1.1 client ---------------------------------------------------------------------
@dataclass(frozen=True)
class LeanResponse:
    """A response of :class:`KeepAliveClient` (the part of :class:`httpx.Response` the benches
    read): status, headers (lower-case names), body."""

    status_code: int
    headers: list[tuple[str, str]]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class _Http11Connection(asyncio.Protocol):
    """One TCP connection: writes a request, parses the response with httptools (status line,
    headers, ``Content-Length`` or chunked body), one exchange at a time."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[tuple[LeanResponse, bool]] | None = None
        self._headers: list[tuple[str, str]] = []
        self._body: list[bytes] = []
        self.closed = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"unreadable HTTP response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc or ConnectionError("the server closed the connection"))

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._headers, self._body = [], []

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1").lower(), value.decode("latin-1")))

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        response = LeanResponse(self._parser.get_status_code(), self._headers, b"".join(self._body))
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((response, self._parser.should_keep_alive()))

    def _fail(self, exc: BaseException) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    async def exchange(self, request: bytes, timeout: float) -> tuple[LeanResponse, bool]:
        """The response to ``request`` and whether the connection stays open after it; after
        ``timeout`` seconds without one, :class:`TimeoutError` and the connection is closed."""
        if self._transport is None or self.closed or self._waiter is not None:
            raise ConnectionError("the connection is closed or busy")
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[tuple[LeanResponse, bool]] = loop.create_future()
        self._waiter = waiter
        self._transport.write(request)
        timer = loop.call_later(timeout, self._time_out, timeout)
        try:
            return await waiter
        finally:
            timer.cancel()

    def _time_out(self, timeout: float) -> None:
        self._fail(TimeoutError(f"no response within {timeout} s"))
        self.close()

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    @property
    def local_port(self) -> int | None:
        if self._transport is None or self.closed:
            return None
        sockname = self._transport.get_extra_info("sockname")
        return int(sockname[1]) if sockname else None


class KeepAliveClient:
    """A lean HTTP/1.1 client of one ``http://`` server over one keep-alive connection.

    ``get`` and ``post`` take the arguments of :class:`httpx.AsyncClient`'s that the benches
    use (``headers``, ``data`` form-encoded, ``json``). Requests go one at a time; the
    connection is opened on first use and again after the server closed it (``Connection:
    close``, or idle) — a request in flight when it drops raises :class:`ConnectionError`,
    never retried (POSTs are not idempotent). No redirects, cookies, proxies or TLS.
    """

    def __init__(self, base_url: str, *, timeout: float = 120.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"KeepAliveClient speaks plain http:// only, not {base_url!r}")
        self._address = (parts.hostname, parts.port or 80)
        self._host = parts.netloc.encode("ascii")
        self._prefix = parts.path.rstrip("/")
        self._timeout = timeout
        self._connection: _Http11Connection | None = None

    async def __aenter__(self) -> KeepAliveClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def local_port(self) -> int | None:
        """The client's TCP port of the open connection (None when there is none)."""
        return None if self._connection is None else self._connection.local_port

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes = b"",
        content_type: str | None = None,
    ) -> LeanResponse:
        lines = [f"{method} {self._prefix}{url} HTTP/1.1".encode("ascii"), b"Host: " + self._host]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}".encode("latin-1"))
        if content_type is not None:
            lines.append(f"Content-Type: {content_type}".encode("latin-1"))
        if content or method not in ("GET", "HEAD"):
            lines.append(b"Content-Length: %d" % len(content))
        request = b"\r\n".join(lines) + b"\r\n\r\n" + content
        connection = self._connection
        if connection is None or connection.closed:
            loop = asyncio.get_running_loop()
            _, connection = await loop.create_connection(_Http11Connection, *self._address)
            self._connection = connection
        response, keep_alive = await connection.exchange(request, self._timeout)
        if not keep_alive:
            connection.close()
            self._connection = None
        return response

    async def get(self, url: str, *, headers: Mapping[str, str] | None = None) -> LeanResponse:
        return await self.request("GET", url, headers=headers)

    async def post(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> LeanResponse:
        if data is not None:
            form = urlencode(data).encode("ascii")
            return await self.request(
                "POST",
                url,
                headers=headers,
                content=form,
                content_type="application/x-www-form-urlencoded",
            )
        if json is not None:
            body = _json_dumps(json, separators=(",", ":")).encode("utf-8")
            return await self.request(
                "POST", url, headers=headers, content=body, content_type="application/json"
            )
        return await self.request("POST", url, headers=headers)


_json_dumps = json.dumps  # ``post``'s ``json`` argument shadows the module there


def _socket_inodes(local_port: int, remote_port: int) -> set[str]:
    """``socket:[inode]`` of the TCP sockets from ``local_port`` to ``remote_port``."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if (
                inode != "0"
                and int(local.rpartition(":")[2], 16) == local_port
                and int(remote.rpartition(":")[2], 16) == remote_port
            ):
                found.add(f"socket:[{inode}]")
    return found


def connection_holder(server_pid: int, server_port: int, client_port: int) -> int | None:
    """The process of ``server_pid``'s tree (a uvicorn worker) holding the server's end of the
    TCP connection from ``client_port``; None when ``/proc`` does not say."""
    wanted = _socket_inodes(server_port, client_port)
    pending = [server_pid] if wanted else []
    while pending:
        pid = pending.pop()
        try:
            descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            descriptors = []
        for descriptor in descriptors:
            try:
                if os.readlink(descriptor) in wanted:
                    return pid
            except OSError:
                continue
        pending += _children(pid)
    return None


SPREAD_PROBE = "/.well-known/openid-credential-issuer"
"""What :func:`spread_over_workers` asks (a wallet's first request; answered in the event loop)."""


async def spread_over_workers(
    server_pid: int,
    server_port: int,
    workers: int,
    clients: Sequence[KeepAliveClient],
    *,
    attempts: int = 50,
) -> Counter[int | None]:
    """Connect ``clients`` so that each of the server's ``workers`` holds an even share of
    the connections; how many connections each process holds (by pid, None: not found).

    With ``mcred serve --workers N`` the worker processes share one listening socket and an
    idle server hands every new connection to the same worker, so N long-lived keep-alive
    clients would all be served by one process. A client on a worker holding more than its
    share reconnects while the other clients of that worker keep it busy (then another worker
    accepts), up to ``attempts`` times; which worker holds a connection is read from
    ``/proc`` (no spreading where it cannot be read).
    """
    for client in clients:
        await client.get(SPREAD_PROBE)

    def holder(client: KeepAliveClient) -> int | None:
        port = client.local_port
        return None if port is None else connection_holder(server_pid, server_port, port)

    holders = [holder(client) for client in clients]
    share = -(-len(clients) // max(1, workers))
    for _ in range(attempts if None not in holders else 0):
        crowded = [w for w, n in Counter(holders).items() if n > share]
        if not crowded:
            break
        on_it = [i for i, w in enumerate(holders) if w == crowded[0]]
        busy = [asyncio.ensure_future(clients[i].get(SPREAD_PROBE)) for i in on_it[1:]]
        moving = clients[on_it[0]]
        await moving.aclose()
        await moving.get(SPREAD_PROBE)
        await asyncio.gather(*busy)
        holders[on_it[0]] = holder(moving)
    return Counter(holders)


# -- the wallet's side of an OpenID4VCI pre-authorized flow ------------------------------------
PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
STEPS = ("offer", "offer_fetch", "token", "nonce", "proof_sign", "credential")
"""The timed steps of :func:`complete_flow`."""
PROOF_TYP = "openid4vci-proof+jwt"


@dataclass
class Holder:
    """A wallet's Ed25519 key and the ``kid`` of its proofs (``did:key`` DID URL)."""

    key: PrivateKey
    kid: str
    _header: str = field(init=False, repr=False)
    """base64url of the proofs' JOSE header: the same for every proof of this key."""

    def __post_init__(self) -> None:
        header = {"alg": self.key.key_type.jws_alg, "typ": PROOF_TYP, "kid": self.kid}
        self._header = b64url_encode(_compact_json(header))

    @classmethod
    def generate(cls) -> Holder:
        key = PrivateKey.generate(KeyType.ED25519)
        did = did_key_from_public_key(key.public_key)
        return cls(key, f"{did}#{did.removeprefix('did:key:')}")

    def proof(self, audience: str, nonce: str) -> str:
        """A fresh ``openid4vci-proof+jwt`` (OID4VCI 1.0 App. F.1) over ``nonce``: the compact
        JWS :func:`vc_core.jose.sign_jws` makes (header ``alg``, ``typ``, ``kid``; compact JSON
        payload ``aud``, ``iat``, ``nonce``), with the header encoded once per key."""
        payload = {"aud": audience, "iat": int(time.time()), "nonce": nonce}
        signing_input = f"{self._header}.{b64url_encode(_compact_json(payload))}"
        signature = self.key.sign(signing_input.encode("ascii"))
        return f"{signing_input}.{b64url_encode(signature)}"


def _compact_json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class FlowResponse(Protocol):
    """What :func:`complete_flow` reads of a response (:class:`httpx.Response`,
    :class:`LeanResponse`)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


class FlowFailed(Exception):
    """A step of :func:`complete_flow` was refused (``step``, HTTP ``status``)."""

    def __init__(self, step: str, response: FlowResponse) -> None:
        super().__init__(f"{step}: {response.status_code} {response.text[:300]}")
        self.step = step
        self.status = response.status_code


async def complete_flow(
    client: httpx.AsyncClient | KeepAliveClient,
    audience: str,
    credential_id: str,
    configuration: str,
    holder: Holder,
    *,
    steps: dict[str, list[float]] | None = None,
) -> dict[str, Any]:
    """Offer → offer fetch → token → nonce → proof → credential; the Credential Response.

    ``audience`` is the Credential Issuer Identifier (the server's public URL); each step's
    duration (seconds) is appended to ``steps[step]`` when ``steps`` is given."""
    mark = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        if steps is not None:
            steps[step].append(now - mark)
        mark = now

    offered: FlowResponse = await client.post(
        f"/api/v1/credentials/{credential_id}/offers", headers=ADMIN
    )
    if offered.status_code != 201:
        raise FlowFailed("offer", offered)
    created = offered.json()
    lap("offer")
    offer_uri = urlsplit(parse_qs(urlsplit(created["offer_url"]).query)["credential_offer_uri"][0])
    # from the server the client talks to (the public URL may name a TLS proxy in front of it)
    fetched: FlowResponse = await client.get(f"{offer_uri.path}?{offer_uri.query}")
    if fetched.status_code != 200:
        raise FlowFailed("offer_fetch", fetched)
    grant = fetched.json()["grants"][PRE_AUTHORIZED]
    lap("offer_fetch")
    token: FlowResponse = await client.post(
        "/oid4vci/token",
        data={
            "grant_type": PRE_AUTHORIZED,
            "pre-authorized_code": grant["pre-authorized_code"],
            "tx_code": created["tx_code"],
        },
    )
    if token.status_code != 200:
        raise FlowFailed("token", token)
    access = {"Authorization": f"Bearer {token.json()['access_token']}"}
    lap("token")
    nonce: FlowResponse = await client.post("/oid4vci/nonce")
    if nonce.status_code != 200:
        raise FlowFailed("nonce", nonce)
    lap("nonce")
    proof = holder.proof(audience, nonce.json()["c_nonce"])
    lap("proof_sign")
    credential: FlowResponse = await client.post(
        "/oid4vci/credential",
        json={"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}},
        headers=access,
    )
    if credential.status_code != 200:
        raise FlowFailed("credential", credential)
    lap("credential")
    body: dict[str, Any] = credential.json()
    return body
