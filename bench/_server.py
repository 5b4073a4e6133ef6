"""Start and stop a real ``mcred serve`` for the benchmarks, and throwaway PostgreSQL databases.

* :func:`running_server` runs ``python -m mcred.cli serve`` on a free loopback port with a
  temporary data directory (its own ``MCRED_*`` environment only, started in that directory
  so no ``.env`` of the caller's is read), waits for ``/healthz`` and stops it afterwards.
* :func:`postgres_database` creates a fresh database on a PostgreSQL server and drops it
  afterwards (``DROP DATABASE … WITH (FORCE)``); it yields ``None`` when the server cannot
  be reached, so callers can report a skip instead of failing.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

__all__ = ["McredServer", "free_port", "postgres_database", "running_server"]

DEV_ADMIN_TOKEN = "mcred_dev_admin_token_for_local_development_only"  # noqa: S105 - dev only
"""What mcred ensures in development (``mcred.app.DEV_ADMIN_TOKEN``)."""


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
