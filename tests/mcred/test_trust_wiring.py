"""The service's verifier trusts the alliances it coordinates: a demo credential is reported as
"issued by X on behalf of A, B, C (members of alliance N)", and the alliance's signed registry is
served for other verifiers to pin."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mcred.app import DEV_ADMIN_TOKEN, create_app
from mcred.http import NetworkNeeded, offline
from mcred.settings import Settings
from vc_core.jose import decode_unverified_header
from verifier.trust import SignedRegistryClient, TrustRegistryError

ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
ISSUANCE: dict[str, Any] = {
    "alliance": "arqus",
    "specification": "sustainable-urban-mobility",
    "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1815"},
    "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
}


async def _client(tmp_path: Path, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        Settings(  # type: ignore[call-arg]
            _env_file=None, data_dir=tmp_path, public_url="http://localhost:8000", **settings
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
        yield client
    app.state.services.close()


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(tmp_path):
        yield c


def _check(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in report["checks"] if c["name"] == name)
    return found


async def _issue_and_verify(client: httpx.AsyncClient) -> dict[str, Any]:
    issued = await client.post("/api/v1/credentials", json=ISSUANCE, headers=ADMIN)
    assert issued.status_code == 201, issued.text
    credential = issued.json()["credentials"]["ldp_vc"]
    response = await client.post("/api/v1/verify", json={"credential": credential})
    report: dict[str, Any] = response.json()
    return report


async def test_a_demo_credential_is_issued_on_behalf_of_its_awarding_bodies(
    client: httpx.AsyncClient,
) -> None:
    report = await _issue_and_verify(client)
    trust = _check(report, "issuer_trust")
    assert trust["status"] == "passed", trust
    assert "on behalf of" in trust["message"]
    assert "Arqus" in trust["message"]
    assert report["verified"] is True


async def test_without_any_registry_issuer_trust_is_skipped(tmp_path: Path) -> None:
    async for client in _client(tmp_path, trust_local_alliances=False):
        report = await _issue_and_verify(client)
        trust = _check(report, "issuer_trust")
        assert trust["status"] == "skipped"
        assert trust["code"] == "no_trust_registry"


async def test_the_alliance_registry_is_published_signed(client: httpx.AsyncClient) -> None:
    response = await client.get("/alliances/arqus/registry")
    assert response.status_code == 200
    header = decode_unverified_header(response.text.strip())
    assert header["kid"].startswith("did:web:localhost%3A8000#")
    again = await client.get(
        "/alliances/arqus/registry", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
    assert (await client.get("/alliances/nowhere/registry")).status_code == 404


def test_a_registry_fetch_in_progress_never_holds_up_an_offline_verification() -> None:
    """The signed registry is fetched outside its lock: a verification on the event loop
    (mcred.http.offline) asks the fetcher itself, which says NetworkNeeded at once, instead of
    waiting for another thread's slow fetch."""
    started, release = threading.Event(), threading.Event()

    def fetch(url: str) -> str:
        if threading.current_thread() is threading.main_thread():  # the offline attempt
            raise NetworkNeeded(url)  # (as the fetcher answers under offline() on a miss)
        started.set()
        release.wait(5)
        raise TrustRegistryError("unavailable")

    class NoDids:
        def resolve(self, did: str) -> dict[str, Any]:
            raise AssertionError("nothing to resolve")

    client = SignedRegistryClient(
        "https://registry.example/r", fetch, resolver=NoDids(), trust_anchors=["did:web:a.example"]
    )
    worker = threading.Thread(target=lambda: client.is_trusted_issuer("did:web:x.example"))
    worker.start()
    assert started.wait(5)
    begun = time.monotonic()
    with pytest.raises(NetworkNeeded), offline():
        client.alliances()
    assert time.monotonic() - begun < 1.0
    release.set()
    worker.join()
