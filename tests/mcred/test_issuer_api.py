"""The issuer end to end through the HTTP API: issue, verify, revoke, status lists, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mcred.app import DEV_ADMIN_TOKEN, Services, create_app
from mcred.settings import Settings
from vc_core.dids.document import DidDocument
from vc_core.jose import decode_unverified_header, verify_jwt_vc_json
from vc_core.proofs.data_integrity import verify_proofs
from vc_core.status import BitstringStatusList
from vc_core.status_token import verify_status_list_token

ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
ISSUANCE: dict[str, Any] = {
    "alliance": "arqus",
    "specification": "sustainable-urban-mobility",
    "learner": {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "learner_ref": "s-1815",
    },
    "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
}


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, public_url="http://localhost:8000"
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
        yield client, app.state.services
    app.state.services.close()


async def _issue(client: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/credentials", json={**ISSUANCE, **extra}, headers=ADMIN)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _status_value(client: httpx.AsyncClient, slot: dict[str, Any]) -> int:
    response = await client.get(f"/status/{slot['list']}")
    assert response.status_code == 200
    subject = response.json()["credentialSubject"]
    bits = BitstringStatusList.from_credential_subject(subject, status_size=slot["status_size"])
    return bits.get(slot["index"])


async def test_issue_verify_revoke(api: tuple[httpx.AsyncClient, Services]) -> None:
    client, _ = api
    issued = await _issue(client, formats=["ldp_vc", "jwt_vc_json"])
    assert issued["state"] == "active"
    credential = issued["credentials"]["ldp_vc"]
    assert credential["issuer"]["id"] == "did:web:localhost%3A8000"
    bodies = credential["credentialSubject"]["hasClaim"][0]["awardedBy"]["awardingBody"]
    assert len(bodies) == 3
    assert "mandate" in credential["evidence"][0]["evidenceStatement"]

    document = DidDocument.parse((await client.get("/.well-known/did.json")).json())

    def resolve(vm: str, purpose: str) -> Any:
        return document.verification_method_for(vm, purpose).public_key

    assert verify_proofs(
        credential, resolve_key=resolve, allowed_cryptosuites=["eddsa-rdfc-2022"]
    ).verified
    token = issued["credentials"]["jwt_vc_json"]
    kid = decode_unverified_header(token)["kid"]
    key = document.verification_method_for(kid, "assertionMethod").public_key
    assert verify_jwt_vc_json(token, key, allowed_algs=["ES256"]).verified

    slot = issued["status"][0]
    assert credential["credentialStatus"]["statusListIndex"] == str(slot["index"])
    assert await _status_value(client, slot) == 0
    first = await client.get(f"/status/{slot['list']}")
    etag = first.headers["etag"]
    assert (
        await client.get(f"/status/{slot['list']}", headers={"If-None-Match": etag})
    ).status_code == 304

    revoked = await client.post(
        f"/api/v1/credentials/{issued['id']}/revoke", json={"reason": "fraud"}, headers=ADMIN
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["state"] == "revoked"
    assert await _status_value(client, slot) == 1
    after = await client.get(f"/status/{slot['list']}", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag

    events = (await client.get(f"/api/v1/credentials/{issued['id']}/events", headers=ADMIN)).json()
    assert [e["action"] for e in events] == ["issued", "revoked"]
    assert events[1]["reason"] == "fraud"


async def test_status_transitions(api: tuple[httpx.AsyncClient, Services]) -> None:
    client, _ = api
    issued = await _issue(client)
    path = f"/api/v1/credentials/{issued['id']}"
    slot = issued["status"][0]

    async def post(action: str) -> httpx.Response:
        return await client.post(f"{path}/{action}", json={"reason": "test"}, headers=ADMIN)

    assert (await post("reinstate")).status_code == 409  # not suspended
    assert (await post("suspend")).json()["state"] == "suspended"
    assert await _status_value(client, slot) == 2
    assert (await post("suspend")).status_code == 409
    assert (await post("reinstate")).json()["state"] == "active"
    assert await _status_value(client, slot) == 0
    assert (await post("revoke")).json()["state"] == "revoked"
    for action in ("revoke", "suspend", "reinstate"):
        response = await post(action)
        assert response.status_code == 409
        assert response.json()["code"] == "conflict"
    assert (await client.get(path, headers=ADMIN)).json()["state"] == "revoked"
    missing = await client.post(
        "/api/v1/credentials/urn:uuid:00000000-0000-4000-8000-000000000000/revoke",
        json={"reason": "x"},
        headers=ADMIN,
    )
    assert missing.status_code == 404


async def test_idempotency_key(api: tuple[httpx.AsyncClient, Services]) -> None:
    client, _ = api
    headers = {**ADMIN, "Idempotency-Key": "batch-7-row-12"}
    first = await client.post("/api/v1/credentials", json=ISSUANCE, headers=headers)
    again = await client.post("/api/v1/credentials", json=ISSUANCE, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    other = {**ISSUANCE, "result": {**ISSUANCE["result"], "grade": "B"}}
    conflict = await client.post("/api/v1/credentials", json=other, headers=headers)
    assert conflict.status_code == 409
    page = (await client.get("/api/v1/credentials?learner=s-1815", headers=ADMIN)).json()
    assert len(page["items"]) == 1


async def test_authentication_and_roles(api: tuple[httpx.AsyncClient, Services]) -> None:
    client, services = api
    anonymous = await client.post("/api/v1/credentials", json=ISSUANCE)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert (
        await client.get("/api/v1/credentials", headers={"Authorization": "Bearer nope"})
    ).status_code == 401
    _, other = services.api_keys.create("coordinator", alliance_id="una-europa")
    foreign = {"Authorization": f"Bearer {other}"}
    assert (
        await client.post("/api/v1/credentials", json=ISSUANCE, headers=foreign)
    ).status_code == 403
    assert (await client.get("/api/v1/api-keys", headers=foreign)).status_code == 403
    created = await client.post(
        "/api/v1/api-keys", json={"role": "coordinator", "alliance": "arqus"}, headers=ADMIN
    )
    assert created.status_code == 201
    coordinator = {"Authorization": f"Bearer {created.json()['token']}"}
    assert (
        await client.post("/api/v1/credentials", json=ISSUANCE, headers=coordinator)
    ).status_code == 201
    stored = (await client.get("/api/v1/api-keys", headers=ADMIN)).json()
    assert created.json()["token"] not in str(stored)


async def test_bad_input_changes_nothing(api: tuple[httpx.AsyncClient, Services]) -> None:
    client, _ = api
    bad = {**ISSUANCE, "specification": "no-such-course"}
    assert (await client.post("/api/v1/credentials", json=bad, headers=ADMIN)).status_code == 404
    invalid = {**ISSUANCE, "learner": {"learner_ref": "x"}}
    response = await client.post("/api/v1/credentials", json=invalid, headers=ADMIN)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert any("learner" in e["loc"] for e in response.json()["errors"])
    page = (await client.get("/api/v1/credentials", headers=ADMIN)).json()
    assert page["items"] == []


async def test_mandate_missing_is_refused(api: tuple[httpx.AsyncClient, Services]) -> None:
    client, _ = api
    alliance = (await client.get("/api/v1/alliances/arqus", headers=ADMIN)).json()
    alliance["alliance"]["id"] = "arqus-2"
    alliance["mandates"] = [m for m in alliance["mandates"] if m["partner"] != "bordeaux"]
    loaded = await client.post("/api/v1/alliances", json=alliance, headers=ADMIN)
    assert loaded.status_code == 201, loaded.text
    response = await client.post(
        "/api/v1/credentials", json={**ISSUANCE, "alliance": "arqus-2"}, headers=ADMIN
    )
    assert response.status_code == 422
    assert response.json()["code"] == "mandate_missing"
    assert any("bordeaux" in did for did in response.json()["details"]["missing"])


async def test_hosted_partner_did_documents(api: tuple[httpx.AsyncClient, Services]) -> None:
    client, _ = api
    response = await client.get("/partners/leipzig/did.json")
    assert response.status_code == 200
    assert response.json()["id"] == "did:web:localhost%3A8000:partners:leipzig"
    assert (await client.get("/partners/granada/did.json")).status_code == 404  # the coordinator
    assert (await client.get("/partners/nobody/did.json")).status_code == 404
    assert (await client.get("/status/no-such-list")).status_code == 404


async def test_status_list_token_serves_the_same_bits(
    api: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = api
    issued = await _issue(client)
    slot = issued["status"][0]
    await client.post(
        f"/api/v1/credentials/{issued['id']}/suspend", json={"reason": "check"}, headers=ADMIN
    )
    response = await client.get(f"/token-status/{slot['list']}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/statuslist+jwt")
    document = DidDocument.parse((await client.get("/.well-known/did.json")).json())
    kid = decode_unverified_header(response.text)["kid"]
    key = document.verification_method_for(kid, "assertionMethod").public_key
    result = verify_status_list_token(
        response.text,
        key,
        allowed_algs=["ES256"],
        expected_uri=f"http://localhost:8000/token-status/{slot['list']}",
    )
    assert result.verified, result.detail
    assert result.status_list is not None
    assert result.status_list.get(slot["index"]) == 2  # SUSPENDED, as in the Bitstring list
    etag = response.headers["etag"]
    again = await client.get(f"/token-status/{slot['list']}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert services.verifier is not None


async def test_a_held_credential_is_issued_suspended_until_approved(
    api: tuple[httpx.AsyncClient, Services],
) -> None:
    client, _ = api
    held = await _issue(client, hold=True)
    assert held["state"] == "suspended"
    events = (await client.get(f"/api/v1/credentials/{held['id']}/events", headers=ADMIN)).json()
    assert [e["action"] for e in events] == ["issued", "suspended"]
    assert "approval" in events[1]["reason"]
    assert await _status_value(client, held["status"][0]) == 2  # ELM two-bit: 2 = suspended
    approved = await client.post(
        f"/api/v1/credentials/{held['id']}/reinstate",
        json={"reason": "approved by the board"},
        headers=ADMIN,
    )
    assert approved.status_code == 200
    assert approved.json()["state"] == "active"
    assert await _status_value(client, held["status"][0]) == 0
    # hold is part of what an idempotency key promises
    headers = {**ADMIN, "Idempotency-Key": "held-1"}
    first = await client.post(
        "/api/v1/credentials", json={**ISSUANCE, "hold": True}, headers=headers
    )
    assert first.status_code == 201
    other = await client.post("/api/v1/credentials", json=ISSUANCE, headers=headers)
    assert other.status_code == 409


async def test_a_served_list_is_signed_again_at_the_change_not_at_the_next_read(
    api: tuple[httpx.AsyncClient, Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, services = api
    issued = await _issue(client)
    slot = issued["status"][0]
    assert await _status_value(client, slot) == 0  # the list is now served (and cached)
    status = services.issuer.status
    renders: list[str] = []
    render = status._render

    def counted(list_id: str) -> Any:
        renders.append(list_id)
        return render(list_id)

    monkeypatch.setattr(status, "_render", counted)
    revoked = await client.post(
        f"/api/v1/credentials/{issued['id']}/revoke", json={"reason": "fraud"}, headers=ADMIN
    )
    assert revoked.status_code == 200
    assert renders == [slot["list"]]  # signed during the revocation
    assert await _status_value(client, slot) == 1
    assert renders == [slot["list"]]  # and served from that signature
