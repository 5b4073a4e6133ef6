"""The switch between skipping and failing when a real service is missing."""

from __future__ import annotations

import pytest

from tests.conftest import require_service, tcp_probe


def _down(url: str) -> str:
    return f"{url} refused the connection"


def test_missing_service_skips_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MCRED_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Redis is not available"):
        require_service("Redis", "redis://127.0.0.1:1/0", _down)


def test_missing_service_fails_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCRED_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="MCRED_REQUIRE_SERVICES=1"):
        require_service("PostgreSQL", "postgresql://127.0.0.1:1/test", _down)


def test_reachable_service_is_returned() -> None:
    assert require_service("X", "redis://h:1", lambda _: None) == "redis://h:1"


def test_tcp_probe_reports_a_closed_port() -> None:
    problem = tcp_probe("redis://127.0.0.1:1/0", timeout=0.5)
    assert problem is not None
    assert "127.0.0.1:1" in problem


@pytest.mark.services
def test_ci_services_answer(postgres_url: str, redis_url: str) -> None:
    """The machine's PostgreSQL and Redis, which the storage adapters' tests will use."""
    assert tcp_probe(postgres_url) is None
    assert tcp_probe(redis_url) is None
