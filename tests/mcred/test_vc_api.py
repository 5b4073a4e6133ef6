"""The VC-API issuer end to end: issue with every cryptosuite, status changes, refusals."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from mcred.app import DEV_ADMIN_TOKEN, Services, create_app
from mcred.settings import Settings
from vc_core.dids.document import DidDocument
from vc_core.dids.resolver import LocalDidResolver, key_resolver
from vc_core.jsonld.canonicalize import OxigraphCanonicalizer
from vc_core.jsonld.loader import default_loader
from vc_core.keys import PublicKey
from vc_core.proofs.data_integrity import CRYPTOSUITES, verify_proofs
from vc_core.status import BitstringStatusList

ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
V2 = "https://www.w3.org/ns/credentials/v2"
V1 = "https://www.w3.org/2018/credentials/v1"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
CREDENTIAL: dict[str, Any] = {
    "@context": [V2],
    "type": ["VerifiableCredential"],
    "name": "Certificate of participation",
    "credentialSubject": {"id": "did:example:learner"},
}
TEST_CANONICALIZER = OxigraphCanonicalizer(default_loader(include_test_contexts=True))

Api = tuple[httpx.AsyncClient, Services]
MakeApi = Callable[..., Any]


def _settings(**values: Any) -> Settings:
    """Settings from these values only (no environment file)."""
    return Settings(_env_file=None, **values)


@pytest.fixture
async def make_api(tmp_path: Path) -> AsyncIterator[MakeApi]:
    """Build an app with extra settings; every app built is closed at the end."""
    made: list[tuple[httpx.AsyncClient, Services]] = []

    async def make(**overrides: Any) -> Api:
        settings = _settings(
            data_dir=tmp_path / str(len(made)), public_url="http://localhost:8000", **overrides
        )
        app = create_app(settings)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000"
        )
        made.append((client, app.state.services))
        return client, app.state.services

    yield make
    for client, services in made:
        await client.aclose()
        services.close()


@pytest.fixture
async def api(make_api: MakeApi) -> Api:
    result: Api = await make_api()
    return result


async def _issue(
    client: httpx.AsyncClient, credential: dict[str, Any], **options: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"credential": credential, "options": options}
    response = await client.post("/credentials/issue", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()["verifiableCredential"]
    return issued


async def _did_web_keys(client: httpx.AsyncClient) -> Callable[[str, str], PublicKey]:
    document = DidDocument.parse((await client.get("/.well-known/did.json")).json())

    def resolve(vm: str, purpose: str) -> PublicKey:
        return document.verification_method_for(vm, purpose).public_key

    return resolve


@pytest.mark.parametrize("cryptosuite", sorted(CRYPTOSUITES))
async def test_issue_with_each_cryptosuite_verifies(api: Api, cryptosuite: str) -> None:
    client, services = api
    issued = await _issue(client, copy.deepcopy(CREDENTIAL), cryptosuite=cryptosuite)
    assert issued["issuer"] == services.identity.did  # set when absent
    assert issued["proof"]["cryptosuite"] == cryptosuite
    assert issued["proof"]["verificationMethod"].startswith(services.identity.did + "#")
    unsigned = {k: v for k, v in issued.items() if k not in ("proof", "issuer")}
    assert unsigned == CREDENTIAL  # signed as sent
    result = verify_proofs(
        issued, resolve_key=await _did_web_keys(client), allowed_cryptosuites=[cryptosuite]
    )
    assert result.verified, result
    tampered = {**issued, "name": "Certificate of excellence"}
    assert not verify_proofs(
        tampered, resolve_key=await _did_web_keys(client), allowed_cryptosuites=[cryptosuite]
    ).verified


@pytest.mark.parametrize("cryptosuite", sorted(CRYPTOSUITES))
async def test_did_key_issuers_sign_with_their_key(make_api: MakeApi, cryptosuite: str) -> None:
    client, services = await make_api(vc_api_issuer_did_key=True, allow_test_contexts=True)
    did_web, ed25519, p256 = services.vc_api.issuer_dids()
    assert did_web == services.identity.did
    assert ed25519.startswith("did:key:z6Mk")
    assert p256.startswith("did:key:zDn")
    did = ed25519 if cryptosuite.startswith("eddsa") else p256
    credential = {**copy.deepcopy(CREDENTIAL), "@context": [V2, EXAMPLES], "issuer": did}
    credential["credentialSubject"]["alumniOf"] = "Example University"  # an examples term
    issued = await _issue(client, credential, cryptosuite=cryptosuite)
    assert issued["proof"]["verificationMethod"] == f"{did}#{did.removeprefix('did:key:')}"
    result = verify_proofs(
        issued,
        resolve_key=key_resolver(LocalDidResolver()),
        allowed_cryptosuites=[cryptosuite],
        canonicalizer=TEST_CANONICALIZER,
    )
    assert result.verified, result
    health = (await client.get("/healthz")).json()
    assert health["vc_api_issuers"] == [did_web, ed25519, p256]


async def test_did_key_issuer_without_cryptosuite_picks_its_key_type(make_api: MakeApi) -> None:
    client, services = await make_api(vc_api_issuer_did_key=True)
    p256 = services.vc_api.issuer_dids()[2]
    issued = await _issue(client, {**copy.deepcopy(CREDENTIAL), "issuer": p256})
    assert issued["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
    response = await client.post(
        "/credentials/issue",
        json={
            "credential": {**CREDENTIAL, "issuer": p256},
            "options": {"cryptosuite": "eddsa-rdfc-2022"},
        },
        headers=ADMIN,
    )
    assert response.status_code == 400
    assert "P-256" in response.json()["detail"]


async def test_did_key_issuers_get_no_status_entries(make_api: MakeApi) -> None:
    """The lists are the did:web identity's, and a list's issuer must be the credential's."""
    client, services = await make_api(vc_api_issuer_did_key=True, vc_api_status=True)
    did_key = services.vc_api.issuer_dids()[1]
    issued = await _issue(client, {**copy.deepcopy(CREDENTIAL), "issuer": did_key})
    assert "credentialStatus" not in issued
    body = {
        "credential": {**CREDENTIAL, "issuer": did_key},
        "options": {"credentialStatus": {"type": "BitstringStatusListEntry"}},
    }
    response = await client.post("/credentials/issue", json=body, headers=ADMIN)
    assert response.status_code == 400
    assert response.json()["details"]["status_list_issuer"] == services.identity.did


async def test_did_key_issuer_is_foreign_unless_enabled(api: Api, make_api: MakeApi) -> None:
    client, _ = api
    other_client, other = await make_api(vc_api_issuer_did_key=True)
    did_key = other.vc_api.issuer_dids()[1]
    response = await client.post(
        "/credentials/issue",
        json={"credential": {**CREDENTIAL, "issuer": did_key}},
        headers=ADMIN,
    )
    assert response.status_code == 400  # this instance does not sign as did:key
    response = await other_client.post(
        "/credentials/issue",
        json={"credential": {**CREDENTIAL, "issuer": did_key.replace("z6Mk", "z6Mj")}},
        headers=ADMIN,
    )
    assert response.status_code == 400  # another did:key is another issuer


async def test_vcdm_1_1_credential_gets_the_contexts_it_needs(api: Api) -> None:
    client, services = api
    credential = {
        "@context": [V1],
        "id": "urn:uuid:6f1c0d0e-3a59-4bd0-9b1c-0b2d1c6f2a10",
        "type": ["VerifiableCredential"],
        "issuer": {"id": services.identity.did},
        "issuanceDate": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner"},
    }
    issued = await _issue(client, credential, credentialStatus={"type": "BitstringStatusListEntry"})
    assert issued["@context"] == [
        V1,
        "https://w3id.org/security/data-integrity/v2",
        "https://www.w3.org/ns/credentials/status/v1",
    ]
    assert issued["issuer"] == credential["issuer"]
    result = verify_proofs(
        issued, resolve_key=await _did_web_keys(client), allowed_cryptosuites=["eddsa-rdfc-2022"]
    )
    assert result.verified, result


async def _status_bit(client: httpx.AsyncClient, entry: dict[str, Any]) -> int:
    url = str(entry["statusListCredential"]).removeprefix("http://localhost:8000")
    response = await client.get(url)
    assert response.status_code == 200
    bits = BitstringStatusList.from_credential_subject(response.json()["credentialSubject"])
    return bits.get(int(entry["statusListIndex"]))


def _update(credential_id: str, purpose: str, status: bool) -> dict[str, Any]:
    return {
        "credentialId": credential_id,
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": purpose},
        "status": status,
    }


async def test_status_entries_and_updates_flip_the_served_bits(api: Api) -> None:
    client, _ = api
    cid = "urn:uuid:0d1c6b43-5d1b-4d4e-8a55-1f1f9e0c1a01"
    credential = {**copy.deepcopy(CREDENTIAL), "id": cid}
    issued = await _issue(client, credential, credentialStatus={"type": "BitstringStatusListEntry"})
    entries = {e["statusPurpose"]: e for e in issued["credentialStatus"]}
    assert set(entries) == {"revocation", "suspension"}
    for entry in entries.values():
        assert entry["type"] == "BitstringStatusListEntry"
        assert entry["id"] != entry["statusListCredential"]
        assert await _status_bit(client, entry) == 0

    async def update(body: dict[str, Any]) -> httpx.Response:
        return await client.post("/credentials/status", json=body, headers=ADMIN)

    response = await update(_update(cid, "suspension", True))
    assert response.status_code == 200
    assert response.json()["state"] == "suspended"
    assert await _status_bit(client, entries["suspension"]) == 1
    assert (await update(_update(cid, "suspension", True))).status_code == 200  # no-op
    assert (await update(_update(cid, "suspension", False))).json()["state"] == "active"
    assert await _status_bit(client, entries["suspension"]) == 0
    array_form = {
        "credentialId": cid,
        "credentialStatus": [
            {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "status": True}
        ],
    }
    assert (await update(array_form)).json()["state"] == "revoked"
    assert await _status_bit(client, entries["revocation"]) == 1
    response = await update(_update(cid, "revocation", False))
    assert response.status_code == 409  # revocation is final
    assert (await update(_update(cid, "suspension", True))).status_code == 409
    events = await client.get(f"/api/v1/credentials/{cid}/events", headers=ADMIN)
    assert [e["action"] for e in events.json()] == ["issued", "suspended", "reinstated", "revoked"]


async def test_status_update_refusals(api: Api) -> None:
    client, _ = api
    plain = {**copy.deepcopy(CREDENTIAL), "id": "urn:uuid:8d9a8f52-3b9f-4c65-a8f5-5a8c2b1d0e02"}
    await _issue(client, plain)

    async def update(body: Any) -> int:
        response = await client.post("/credentials/status", json=body, headers=ADMIN)
        assert response.headers["content-type"] == "application/problem+json"
        return response.status_code

    assert await update(_update("urn:uuid:unknown", "revocation", True)) == 404
    assert await update(_update(plain["id"], "revocation", True)) == 400  # has no status
    assert await update({"credentialId": plain["id"]}) == 400
    assert await update({**_update(plain["id"], "revocation", True), "status": "yes"}) == 400
    assert await update({**_update(plain["id"], "refresh", True)}) == 400
    assert await update({**_update(plain["id"], "revocation", True), "extra": 1}) == 400
    assert await update(["not", "an", "object"]) == 400
    response = await client.post("/credentials/status", json=_update(plain["id"], "x", True))
    assert response.status_code == 401


def _without(key: str) -> dict[str, Any]:
    return {k: v for k, v in CREDENTIAL.items() if k != key}


INVALID_CREDENTIALS: list[tuple[str, Any]] = [
    ("no @context", _without("@context")),
    ("@context not an array", {**CREDENTIAL, "@context": 4}),
    ("@context item not a URL or object", {**CREDENTIAL, "@context": [V2, 4]}),
    ("base context not first", {**CREDENTIAL, "@context": [EXAMPLES, V2]}),
    ("two base contexts", {**CREDENTIAL, "@context": [V2, V1]}),
    ("no type", _without("type")),
    ("type without VerifiableCredential", {**CREDENTIAL, "type": ["Other"]}),
    ("empty type", {**CREDENTIAL, "type": []}),
    ("id not a URL", {**CREDENTIAL, "id": "not a url"}),
    ("issuer not a URL", {**CREDENTIAL, "issuer": "fake-issuer"}),
    ("issuer id null", {**CREDENTIAL, "issuer": {"id": None}}),
    ("issuer a number", {**CREDENTIAL, "issuer": 4}),
    ("no credentialSubject", _without("credentialSubject")),
    ("credentialSubject a string", {**CREDENTIAL, "credentialSubject": "did:example:1"}),
    ("credentialSubject empty", {**CREDENTIAL, "credentialSubject": {}}),
    ("undefined term", {**CREDENTIAL, "favouriteColour": "green"}),
    ("undefined type", {**CREDENTIAL, "type": ["VerifiableCredential", "UnknownCredential"]}),
    ("validFrom without a timezone", {**CREDENTIAL, "validFrom": "2026-01-01T00:00:00"}),
    (
        "validUntil before validFrom",
        {**CREDENTIAL, "validFrom": "2026-01-02T00:00:00Z", "validUntil": "2026-01-01T00:00:00Z"},
    ),
    ("credentialSchema without id", {**CREDENTIAL, "credentialSchema": {"type": "JsonSchema"}}),
    ("evidence without type", {**CREDENTIAL, "evidence": [{"id": "https://example.org/e/1"}]}),
    (
        "bad status entry index",
        {
            **CREDENTIAL,
            "credentialStatus": {
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "-1",
                "statusListCredential": "https://example.org/status/1",
            },
        },
    ),
    ("relatedResource without digest", {**CREDENTIAL, "relatedResource": [{"id": V2}]}),
    ("name with a bad value", {**CREDENTIAL, "name": {"en": "a language map"}}),
    ("VCDM 1.1 without issuanceDate", {**CREDENTIAL, "@context": [V1]}),
]


@pytest.mark.parametrize(
    "credential", [c for _, c in INVALID_CREDENTIALS], ids=[n for n, _ in INVALID_CREDENTIALS]
)
async def test_invalid_credentials_are_refused(api: Api, credential: Any) -> None:
    client, _ = api
    response = await client.post(
        "/credentials/issue", json={"credential": credential}, headers=ADMIN
    )
    assert response.status_code in (400, 422), response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert {"type", "title", "detail"} <= set(problem)


async def test_undefined_term_is_refused_for_jcs_too(api: Api) -> None:
    client, _ = api
    body = {
        "credential": {**CREDENTIAL, "favouriteColour": "green"},
        "options": {"cryptosuite": "eddsa-jcs-2022"},
    }
    response = await client.post("/credentials/issue", json=body, headers=ADMIN)
    assert response.status_code == 400
    assert response.json()["code"] == "unsafe_jsonld"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"verifiableCredential": CREDENTIAL}, 400),
        ({"credential": CREDENTIAL, "options": {"cryptosuite": "rsa-2025"}}, 400),
        ({"credential": CREDENTIAL, "options": {"proofPurpose": "x"}}, 400),
        ({"credential": CREDENTIAL, "options": {"credentialStatus": {"type": "Other"}}}, 400),
        ({"credential": {**CREDENTIAL, "issuer": "did:example:someone-else"}}, 400),
        ({"credential": {**CREDENTIAL, "@context": [V2, EXAMPLES]}}, 422),  # test contexts off
        ([CREDENTIAL], 400),
    ],
    ids=[
        "missing credential",
        "bad cryptosuite",
        "unknown option",
        "unknown status type",
        "foreign issuer",
        "unpinned context",
        "not an object",
    ],
)
async def test_bad_requests_are_refused(api: Api, body: Any, status: int) -> None:
    client, _ = api
    response = await client.post("/credentials/issue", json=body, headers=ADMIN)
    assert response.status_code == status, response.text


async def test_an_id_is_issued_once(api: Api) -> None:
    client, _ = api
    credential = {**CREDENTIAL, "id": "urn:uuid:2b6c7a4e-9f3d-4f0a-b1e2-3c4d5e6f7a80"}
    await _issue(client, credential)
    response = await client.post(
        "/credentials/issue", json={"credential": credential}, headers=ADMIN
    )
    assert response.status_code == 409


async def test_issuing_needs_an_api_key(api: Api) -> None:
    client, _ = api
    response = await client.post("/credentials/issue", json={"credential": CREDENTIAL})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    response = await client.post(
        "/credentials/issue",
        json={"credential": CREDENTIAL},
        headers={"Authorization": "Bearer mcred_not_a_key"},
    )
    assert response.status_code == 401


async def test_open_on_loopback_admits_direct_local_callers_only(make_api: MakeApi) -> None:
    client, _ = await make_api(vc_api_open_on_loopback=True)
    response = await client.post("/credentials/issue", json={"credential": CREDENTIAL})
    assert response.status_code == 201  # httpx's ASGI transport connects from 127.0.0.1
    proxied = await client.post(
        "/credentials/issue",
        json={"credential": CREDENTIAL},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )
    assert proxied.status_code == 401
    wrong_key = await client.post(
        "/credentials/issue",
        json={"credential": CREDENTIAL},
        headers={"Authorization": "Bearer mcred_not_a_key"},
    )
    assert wrong_key.status_code == 401  # a key that is sent is checked


async def test_status_by_default(make_api: MakeApi) -> None:
    client, _ = await make_api(vc_api_status=True)
    issued = await _issue(client, copy.deepcopy(CREDENTIAL))
    assert {e["statusPurpose"] for e in issued["credentialStatus"]} == {"revocation", "suspension"}
    body = {"credential": CREDENTIAL, "options": {"credentialStatus": None}}
    response = await client.post("/credentials/issue", json=body, headers=ADMIN)
    assert "credentialStatus" not in response.json()["verifiableCredential"]


async def test_status_list_media_type_follows_accept(api: Api) -> None:
    client, _ = api
    issued = await _issue(
        client, copy.deepcopy(CREDENTIAL), credentialStatus={"type": "BitstringStatusListEntry"}
    )
    url = issued["credentialStatus"][0]["statusListCredential"].removeprefix(
        "http://localhost:8000"
    )
    default = await client.get(url)
    assert default.headers["content-type"] == "application/vc"
    as_json = await client.get(url, headers={"Accept": "application/ld+json, application/json"})
    assert as_json.headers["content-type"] == "application/ld+json"
    assert as_json.json() == default.json()
    assert as_json.headers["etag"] != default.headers["etag"]
    assert as_json.headers["vary"] == "Accept"
    cached = await client.get(
        url, headers={"Accept": "application/json", "If-None-Match": as_json.headers["etag"]}
    )
    assert cached.status_code == 304


@pytest.mark.parametrize("flag", ["vc_api_issuer_did_key", "vc_api_open_on_loopback"])
def test_production_refuses_test_suite_switches(flag: str) -> None:
    with pytest.raises(ValueError, match="test suites"):
        _settings(
            env="production",
            public_url="https://credentials.example.org",
            key_encryption_key="A" * 43,
            **{flag: True},
        )


def test_unknown_default_cryptosuite_is_refused() -> None:
    with pytest.raises(ValueError, match="vc_api_cryptosuite"):
        _settings(vc_api_cryptosuite="rsa-2025")


async def test_issued_credentials_verify_and_revocation_shows(api: Api) -> None:
    """The VC-API verifier is wired: it reads this instance's own lists without HTTP."""
    client, _ = api
    cid = "urn:uuid:5e0b4a9c-7d8e-4f21-9a3b-6c5d4e3f2a11"
    issued = await _issue(
        client,
        {**copy.deepcopy(CREDENTIAL), "id": cid},
        credentialStatus={"type": "BitstringStatusListEntry"},
    )
    body = {"verifiableCredential": issued, "options": {"checks": ["proof", "credentialStatus"]}}
    verified = await client.post("/credentials/verify", json=body)
    assert verified.status_code == 200, verified.text
    assert verified.json()["verified"] is True
    response = await client.post(
        "/credentials/status", json=_update(cid, "revocation", True), headers=ADMIN
    )
    assert response.status_code == 200
    refused = await client.post("/credentials/verify", json=body)
    assert refused.status_code == 400
    assert refused.json()["verified"] is False
    assert any(e["check"] == "status" for e in refused.json()["errors"])
