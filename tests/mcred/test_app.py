"""The service through its ASGI app: health, the issuer's DID document, errors as problems."""

from __future__ import annotations

import gc
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.routing import Match

import mcred.app
from mcred.app import create_app, create_worker_app, freeze_start_up_objects
from mcred.settings import Settings
from vc_core.dids.document import DidDocument
from vc_core.keys import KeyType, PrivateKey
from vc_core.proofs.data_integrity import add_proof, verify_proofs


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, public_url="http://localhost:8000"
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as c:
        yield c


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["did"] == "did:web:localhost%3A8000"


async def test_did_document_lists_both_keys_for_assertion(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/did.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/did+ld+json")
    assert response.headers["access-control-allow-origin"] == "*"
    document = response.json()
    assert document["id"] == "did:web:localhost%3A8000"
    types = sorted(vm["type"] for vm in document["verificationMethod"])
    assert types == ["JsonWebKey", "Multikey"]
    for vm in document["verificationMethod"]:
        assert vm["id"].startswith("did:web:localhost%3A8000#")
        assert vm["controller"] == document["id"]
        assert vm["id"] in document["assertionMethod"]
    assert "privateKeyMultibase" not in response.text
    assert '"d"' not in response.text


async def test_credentials_signed_before_a_rotation_still_verify(settings: Settings) -> None:
    app = create_app(settings)
    services = app.state.services
    old = services.identity.signing_key(KeyType.ED25519)
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": services.identity.did,
        "credentialSubject": {"id": "did:example:learner"},
    }
    signed = add_proof(
        credential,
        old.private_key,
        verification_method=services.identity.verification_method_id(old),
    )
    services.identity.rotate(KeyType.ED25519)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as c:
        document = DidDocument.parse((await c.get("/.well-known/did.json")).json())
    result = verify_proofs(
        signed,
        resolve_key=lambda vm, purpose: document.verification_method_for(vm, purpose).public_key,
        allowed_cryptosuites=["eddsa-rdfc-2022"],
    )
    assert result.verified, result
    assert services.identity.signing_key(KeyType.ED25519).fragment != old.fragment


async def test_keys_persist_across_restarts(settings: Settings) -> None:
    first = create_app(settings).state.services.identity.did_document()
    second = create_app(settings).state.services.identity.did_document()
    assert first == second


async def test_unknown_route_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/nope")).status_code == 404


def test_signing_key_is_never_in_repr() -> None:
    key = PrivateKey.generate()
    assert key.to_multikey() not in repr(key)


def test_worker_apps_skip_the_start_up_chores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``mcred serve --workers N``: the parent seeds; workers only migrate and serve (and
    freeze what they built out of the garbage collector)."""
    monkeypatch.setenv("MCRED_DATA_DIR", str(tmp_path))
    frozen: list[bool] = []
    monkeypatch.setattr(mcred.app, "freeze_start_up_objects", lambda: frozen.append(True))
    worker = create_worker_app()
    assert frozen == [True]
    services = worker.state.services
    assert services.issuer.alliance_ids() == []
    assert services.api_key_store.list_keys() == []
    services.close()
    seeded = create_app(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    assert seeded.state.services.issuer.alliance_ids() == ["arqus"]
    seeded.state.services.close()


def test_every_endpoint_is_matched_by_exactly_one_router(settings: Settings) -> None:
    """The routers are included hot ones first (mcred/app.py): speed only, because no path and
    method is matched by two of them; a new route that shadows another fails here."""
    app = create_app(settings)
    paths = app.openapi()["paths"]
    pages = ["/admin", "/verify", "/v/x1", "/offers/x1", "/.well-known/did.json", "/docs"]
    cases = [
        (method.upper(), re.sub(r"\{[^}]+\}", "x1", path))
        for path, operations in paths.items()
        for method in operations
    ] + [("GET", page) for page in pages]
    assert len(cases) > 60
    for method, path in cases:
        scope = {"type": "http", "path": path, "method": method, "root_path": ""}
        full = [r for r in app.router.routes if r.matches(dict(scope))[0] is Match.FULL]
        assert len(full) == 1, (method, path, full)


def test_start_up_objects_are_frozen_out_of_the_collector() -> None:
    assert gc.get_freeze_count() == 0
    try:
        freeze_start_up_objects()
        assert gc.get_freeze_count() > 1000  # every object alive now
    finally:
        gc.unfreeze()  # this test process builds many apps: hand everything back
