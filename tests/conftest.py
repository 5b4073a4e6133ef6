"""Shared fixtures: where the reference data lives, and the real services (PostgreSQL, Redis).

Service fixtures skip with the reason when the service cannot be reached, unless
``MCRED_REQUIRE_SERVICES=1`` (CI), which turns a missing service into a failure.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def _reference_dir() -> Path:
    configured = os.environ.get("MCRED_REFERENCE_DIR")
    return Path(configured) if configured else ROOT.parent / "shared" / "reference"


REFERENCE = _reference_dir()


def pytest_configure(config: pytest.Config) -> None:
    if not REFERENCE.is_dir():
        raise pytest.UsageError(
            f"the reference data (W3C vectors, ELM samples) is not at {REFERENCE}: "
            "check out shared/ beside the repository or set MCRED_REFERENCE_DIR"
        )


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE


POSTGRES_URL = os.environ.get("MCRED_TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MCRED_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def tcp_probe(url: str, timeout: float = 1.0) -> str | None:
    """``None`` when something listens at the URL's host and port, else why not."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port
    if port is None:
        return f"{url} has no port"
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"{host}:{port} is unreachable ({exc.strerror or exc})"


def require_service(name: str, url: str, probe: Callable[[str], str | None] = tcp_probe) -> str:
    """The URL of a reachable service; skip (or, with MCRED_REQUIRE_SERVICES=1, fail) if not."""
    problem = probe(url)
    if problem is None:
        return url
    message = f"{name} is not available: {problem}"
    if os.environ.get("MCRED_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} (MCRED_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return require_service("PostgreSQL", POSTGRES_URL)


@pytest.fixture(scope="session")
def redis_url() -> str:
    return require_service("Redis", REDIS_URL)
