"""A learner's wallet takes a credential end to end through mcred (OpenID4VCI 1.0)."""

from __future__ import annotations

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
from vc_core.keys import KeyType, PrivateKey
from vc_core.proofs.data_integrity import verify_proofs
from vc_core.sd_jwt_vc import verify_sd_jwt_vc

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


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    settings = Settings(_env_file=None, data_dir=tmp_path, public_url=BASE)  # type: ignore[call-arg]
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client, app.state.services
    app.state.services.close()


async def _take(
    client: httpx.AsyncClient, credential_id: str, holder: PrivateKey
) -> dict[str, Any]:
    """Offer → token (with the PIN) → nonce → one credential per configuration."""
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
    access = {"Authorization": f"Bearer {token.json()['access_token']}"}
    did = did_key_from_public_key(holder.public_key)
    kid = f"{did}#{did.removeprefix('did:key:')}"
    received: dict[str, Any] = {"did": did}
    for configuration in offer["credential_configuration_ids"]:
        nonce = (await client.post("/oid4vci/nonce")).json()["c_nonce"]
        proof = sign_jws(
            {"aud": BASE, "iat": int(time.time()), "nonce": nonce},
            holder,
            header={"typ": "openid4vci-proof+jwt", "kid": kid},
        )
        response = await client.post(
            "/oid4vci/credential",
            json={"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}},
            headers=access,
        )
        assert response.status_code == 200, response.text
        received[configuration] = response.json()["credentials"][0]["credential"]
    return received


async def test_a_wallet_receives_every_format_bound_to_its_key(
    api: tuple[httpx.AsyncClient, Services],
) -> None:
    client, _ = api
    issued = (await client.post("/api/v1/credentials", json=ISSUANCE, headers=ADMIN)).json()
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

    sd_jwt = received["MicroCredential_dc_sd_jwt"]
    key = document.verification_method_for(
        decode_unverified_header(sd_jwt.split("~")[0])["kid"], "assertionMethod"
    ).public_key
    result = verify_sd_jwt_vc(
        sd_jwt, issuer_key=key, allowed_algs=["ES256"], require_key_binding=False
    )
    assert result.verified, result.detail
    assert result.claims["cnf"]["jwk"] == holder.public_key.to_jwk()
    assert result.claims["learner"]
    assert result.status_list is not None

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
