"""A learner's wallet takes a credential end to end through mcred (OpenID4VCI 1.0): every
format, the deferred flow of a suspended credential, notifications in the audit trail, and what
an SD-JWT VC verifier fetches (JWT VC Issuer Metadata, Type Metadata)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from mcred.app import DEV_ADMIN_TOKEN, Services, create_app
from mcred.settings import Settings
from vc_core.dids.did_key import did_key_from_public_key
from vc_core.dids.document import DidDocument
from vc_core.jose import decode_unverified_header, sign_jws, verify_jwt_vc_json
from vc_core.keys import KeyType, PrivateKey, PublicKey
from vc_core.proofs.data_integrity import verify_proofs
from vc_core.sd_jwt import parse_sd_jwt
from vc_core.sd_jwt_vc import ISSUER_KEEPS_CLEAR, SdJwtVcResult, verify_sd_jwt_vc
from wallet_bridge.metadata import subresource_integrity

BASE = "http://localhost:8000"
ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
ISSUANCE: dict[str, Any] = {
    "alliance": "arqus",
    "specification": "sustainable-urban-mobility",
    "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1815"},
    "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
}
CONFIGURATIONS = (
    "MicroCredential_ldp_vc",
    "MicroCredential_jwt_vc_json",
    "MicroCredential_dc_sd_jwt",
)
SD_JWT = "MicroCredential_dc_sd_jwt"


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    settings = Settings(_env_file=None, data_dir=tmp_path, public_url=BASE)
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client, app.state.services
    app.state.services.close()


async def _issue(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/api/v1/credentials", json=ISSUANCE, headers=ADMIN)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


async def _status(client: httpx.AsyncClient, credential_id: str, action: str) -> None:
    response = await client.post(
        f"/api/v1/credentials/{credential_id}/{action}", json={"reason": "test"}, headers=ADMIN
    )
    assert response.status_code == 200, response.text


async def _access(client: httpx.AsyncClient, credential_id: str) -> tuple[dict[str, str], Any]:
    """Offer → token (with the PIN): the bearer header and the offer."""
    offered = await client.post(f"/api/v1/credentials/{credential_id}/offers", headers=ADMIN)
    assert offered.status_code == 201, offered.text
    body = offered.json()
    query = parse_qs(urlsplit(body["offer_url"]).query)
    offer = (await client.get(query["credential_offer_uri"][0])).json()
    grant = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    token = await client.post(
        "/oid4vci/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            "pre-authorized_code": grant["pre-authorized_code"],
            "tx_code": body["tx_code"],
        },
    )
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}, offer


async def _request(
    client: httpx.AsyncClient, access: dict[str, str], configuration: str, holder: PrivateKey
) -> httpx.Response:
    """nonce → a Credential Request with one ``jwt`` proof of ``holder`` (did:key kid)."""
    did = did_key_from_public_key(holder.public_key)
    nonce = (await client.post("/oid4vci/nonce")).json()["c_nonce"]
    proof = sign_jws(
        {"aud": BASE, "iat": int(time.time()), "nonce": nonce},
        holder,
        header={"typ": "openid4vci-proof+jwt", "kid": f"{did}#{did.removeprefix('did:key:')}"},
    )
    return await client.post(
        "/oid4vci/credential",
        json={"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}},
        headers=access,
    )


async def _take(
    client: httpx.AsyncClient, credential_id: str, holder: PrivateKey
) -> dict[str, Any]:
    """Offer → token (with the PIN) → nonce → one credential per configuration."""
    access, offer = await _access(client, credential_id)
    received: dict[str, Any] = {"did": did_key_from_public_key(holder.public_key), "access": access}
    for configuration in offer["credential_configuration_ids"]:
        response = await _request(client, access, configuration, holder)
        assert response.status_code == 200, response.text
        received[configuration] = response.json()["credentials"][0]["credential"]
        received[f"{configuration}.notification_id"] = response.json()["notification_id"]
    return received


async def _verify_by_jwt_vc_issuer(client: httpx.AsyncClient, sd_jwt: str) -> SdJwtVcResult:
    """What a verifier does (sd-jwt-vc §2.5, §3): ``iss`` → ``/.well-known/jwt-vc-issuer``
    inserted between host and path → ``issuer`` must be ``iss`` → the key named by ``kid``."""
    parts = parse_sd_jwt(sd_jwt)
    iss = parts.unverified_claims()["iss"]
    split = urlsplit(iss)
    well_known = (
        f"{split.scheme}://{split.netloc}/.well-known/jwt-vc-issuer{split.path.rstrip('/')}"
    )
    response = await client.get(well_known)
    assert response.status_code == 200, response.text
    metadata = response.json()
    assert metadata["issuer"] == iss
    assert "jwks_uri" not in metadata
    kid = decode_unverified_header(parts.issuer_jwt)["kid"]
    [jwk] = [key for key in metadata["jwks"]["keys"] if key["kid"] == kid]
    assert "d" not in jwk
    return verify_sd_jwt_vc(
        sd_jwt,
        issuer_key=PublicKey.from_jwk(jwk),
        allowed_algs=["ES256"],
        require_key_binding=False,
    )


async def test_a_wallet_receives_every_format_bound_to_its_key(
    api: tuple[httpx.AsyncClient, Services],
) -> None:
    client, _ = api
    issued = await _issue(client)
    holder = PrivateKey.generate(KeyType.ED25519)
    received = await _take(client, issued["id"], holder)
    assert set(received) >= set(CONFIGURATIONS)
    document = DidDocument.parse((await client.get("/.well-known/did.json")).json())

    ldp = received["MicroCredential_ldp_vc"]
    assert ldp["credentialSubject"]["id"] == received["did"]
    assert ldp["credentialStatus"] == issued["credentials"]["ldp_vc"]["credentialStatus"]
    assert verify_proofs(
        ldp,
        resolve_key=lambda vm, p: document.verification_method_for(vm, p).public_key,
        allowed_cryptosuites=["eddsa-rdfc-2022"],
    ).verified

    jwt = received["MicroCredential_jwt_vc_json"]
    key = document.verification_method_for(
        decode_unverified_header(jwt)["kid"], "assertionMethod"
    ).public_key
    checked = verify_jwt_vc_json(jwt, key, allowed_algs=["ES256"])
    assert checked.verified
    assert checked.document is not None
    assert checked.document["credentialSubject"]["id"] == received["did"]

    sd_jwt = received[SD_JWT]
    result = await _verify_by_jwt_vc_issuer(client, sd_jwt)
    assert result.verified, result.detail
    assert result.claims is not None
    assert result.claims["iss"] == BASE
    assert result.claims["cnf"]["jwk"] == holder.public_key.to_jwk()
    assert result.claims["learner"]
    assert result.status_list is not None
    # the kid is the key's DID URL: the DID document publishes the same key
    key = document.verification_method_for(
        decode_unverified_header(sd_jwt.split("~")[0])["kid"], "assertionMethod"
    ).public_key
    assert verify_sd_jwt_vc(
        sd_jwt, issuer_key=key, allowed_algs=["ES256"], require_key_binding=False
    ).verified

    # the verifier of the same service agrees, and revoking the record revokes every copy
    report = (await client.post("/api/v1/verify", json={"credential": ldp})).json()
    assert report["verified"], report
    await client.post(
        f"/api/v1/credentials/{issued['id']}/revoke", json={"reason": "test"}, headers=ADMIN
    )
    report = (await client.post("/api/v1/verify", json={"credential": ldp})).json()
    assert not report["verified"]
    assert any(c["name"] == "status" and c["status"] == "failed" for c in report["checks"])


async def test_offers_for_revoked_or_foreign_credentials_are_refused(
    api: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = api
    issued = (await client.post("/api/v1/credentials", json=ISSUANCE, headers=ADMIN)).json()
    await client.post(
        f"/api/v1/credentials/{issued['id']}/revoke", json={"reason": "test"}, headers=ADMIN
    )
    refused = await client.post(f"/api/v1/credentials/{issued['id']}/offers", headers=ADMIN)
    assert refused.status_code == 409
    _, other = services.api_keys.create("coordinator", alliance_id="una-europa")
    foreign = await client.post(
        f"/api/v1/credentials/{issued['id']}/offers", headers={"Authorization": f"Bearer {other}"}
    )
    assert foreign.status_code == 403
    assert (await client.post("/api/v1/credentials/nope/offers")).status_code == 401


async def _deferred(
    client: httpx.AsyncClient, access: dict[str, str], transaction_id: str
) -> httpx.Response:
    return await client.post(
        "/oid4vci/deferred", json={"transaction_id": transaction_id}, headers=access
    )


async def test_a_suspended_credential_is_delivered_once_reinstated(
    api: tuple[httpx.AsyncClient, Services],
) -> None:
    client, _ = api
    issued = await _issue(client)
    await _status(client, issued["id"], "suspend")
    access, offer = await _access(client, issued["id"])
    assert SD_JWT in offer["credential_configuration_ids"]
    holder = PrivateKey.generate(KeyType.P256)
    accepted = await _request(client, access, SD_JWT, holder)
    assert accepted.status_code == 202, accepted.text
    transaction_id = accepted.json()["transaction_id"]
    assert accepted.json()["interval"] > 0

    pending = await _deferred(client, access, transaction_id)
    assert pending.status_code == 202, pending.text
    assert pending.json()["transaction_id"] == transaction_id

    await _status(client, issued["id"], "reinstate")
    delivered = await _deferred(client, access, transaction_id)
    assert delivered.status_code == 200, delivered.text
    [credential] = delivered.json()["credentials"]
    result = await _verify_by_jwt_vc_issuer(client, credential["credential"])
    assert result.verified, result.detail
    assert result.claims is not None
    assert result.claims["cnf"]["jwk"] == holder.public_key.to_jwk()
    assert result.claims["credential_id"] == issued["id"]

    again = await _deferred(client, access, transaction_id)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_transaction_id")


async def test_a_credential_revoked_while_pending_is_denied(
    api: tuple[httpx.AsyncClient, Services],
) -> None:
    client, _ = api
    issued = await _issue(client)
    await _status(client, issued["id"], "suspend")
    access, _ = await _access(client, issued["id"])
    holder = PrivateKey.generate(KeyType.ED25519)
    accepted = await _request(client, access, "MicroCredential_ldp_vc", holder)
    assert accepted.status_code == 202, accepted.text
    await _status(client, issued["id"], "revoke")
    denied = await _deferred(client, access, accepted.json()["transaction_id"])
    assert (denied.status_code, denied.json()["error"]) == (400, "credential_request_denied")


async def test_wallet_notifications_are_in_the_audit_trail(
    api: tuple[httpx.AsyncClient, Services],
) -> None:
    client, _ = api
    issued = await _issue(client)
    received = await _take(client, issued["id"], PrivateKey.generate(KeyType.ED25519))
    notifications = [
        (received[f"{SD_JWT}.notification_id"], "credential_accepted", None),
        (received[f"{SD_JWT}.notification_id"], "credential_accepted", None),  # a repeat
        (received["MicroCredential_ldp_vc.notification_id"], "credential_failure", "no storage"),
    ]
    for notification_id, event, description in notifications:
        body = {"notification_id": notification_id, "event": event}
        if description is not None:
            body["event_description"] = description
        response = await client.post("/oid4vci/notification", json=body, headers=received["access"])
        assert response.status_code == 204, response.text
    events = await client.get(f"/api/v1/credentials/{issued['id']}/events", headers=ADMIN)
    assert events.status_code == 200
    recorded = [e for e in events.json() if e["action"] == "notification"]
    assert [(e["actor"], e["details"]["event"], e["reason"]) for e in recorded] == [
        ("wallet", "credential_accepted", None),
        ("wallet", "credential_failure", "no storage"),
    ]
    assert recorded[0]["details"]["notification_id"] == received[f"{SD_JWT}.notification_id"]


async def test_retired_keys_stay_in_the_jwt_vc_issuer_metadata(
    api: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = api
    issued = await _issue(client)
    before = (await _take(client, issued["id"], PrivateKey.generate(KeyType.ED25519)))[SD_JWT]
    services.identity.rotate(KeyType.P256)
    after = (await _take(client, issued["id"], PrivateKey.generate(KeyType.ED25519)))[SD_JWT]
    kids = {decode_unverified_header(token.split("~")[0])["kid"] for token in (before, after)}
    assert len(kids) == 2
    metadata = (await client.get("/.well-known/jwt-vc-issuer")).json()
    published = {key["kid"] for key in metadata["jwks"]["keys"]}
    assert kids <= published
    assert all(key["kty"] == "EC" and key["crv"] == "P-256" for key in metadata["jwks"]["keys"])
    for token in (before, after):
        assert (await _verify_by_jwt_vc_issuer(client, token)).verified


async def test_type_metadata_describes_exactly_the_issued_claims(
    api: tuple[httpx.AsyncClient, Services],
) -> None:
    client, _ = api
    issued = await _issue(client)
    sd_jwt = (await _take(client, issued["id"], PrivateKey.generate(KeyType.ED25519)))[SD_JWT]
    result = await _verify_by_jwt_vc_issuer(client, sd_jwt)
    assert result.verified, result.detail
    assert result.claims is not None
    vct = result.claims["vct"]
    assert vct == f"{BASE}/vct/micro-credential/1"

    response = await client.get(vct)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert result.claims["vct#integrity"] == subresource_integrity(response.content)
    metadata = json.loads(response.content)
    assert metadata["vct"] == vct
    assert metadata["name"]
    assert metadata["description"]
    for display in metadata["display"]:
        assert display["name"]
        assert display["description"]
        assert set(display["rendering"]["simple"]) == {"background_color", "text_color"}
    assert [d["locale"] for d in metadata["display"]] == ["en", "de", "fr"]

    described = {tuple(claim["path"]): claim for claim in metadata["claims"]}
    carried = {(name,) for name in result.claims if name not in ISSUER_KEEPS_CLEAR}
    assert set(described) == carried
    disclosed = {(d.name,) for d in result.disclosures}
    assert disclosed == {("learner",), ("grade",), ("supervision_and_id_verification",)}
    for path, claim in described.items():
        assert claim["sd"] == ("always" if path in disclosed else "never"), path
        assert [d["locale"] for d in claim["display"]] == ["en", "de", "fr"], path
        assert all(d["label"] for d in claim["display"]), path
        if claim["mandatory"]:
            assert path in carried
    assert described[("learner",)]["mandatory"] is True
    assert described[("grade",)]["mandatory"] is False

    # the OpenID4VCI metadata labels the dc+sd-jwt claims as the type metadata does
    issuer_metadata = (await client.get("/.well-known/openid-credential-issuer")).json()
    configuration = issuer_metadata["credential_configurations_supported"][SD_JWT]
    offered = {tuple(c["path"]): c for c in configuration["credential_metadata"]["claims"]}
    assert set(offered) == set(described)
    assert offered[("title",)]["display"][1] == {"name": "Titel", "locale": "de"}
