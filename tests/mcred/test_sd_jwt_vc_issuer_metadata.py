"""mcred verifies the dc+sd-jwt credentials its wallet bridge issues (``iss`` = the public URL,
keys in ``/.well-known/jwt-vc-issuer``) through ``POST /api/v1/verify``: its own metadata is
answered locally, other issuers' through the guarded fetcher (mcred.verification)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from mcred.app import DEV_ADMIN_TOKEN, Services, create_app
from mcred.http import GuardedFetcher
from mcred.settings import Settings
from mcred.verification import (
    FetcherIssuerMetadataClient,
    LocalIssuerMetadataClient,
    build_verifier,
)
from vc_core.dids import LocalDidResolver
from vc_core.dids.did_key import did_key_from_public_key
from vc_core.jose import decode_unverified_header, sign_jws
from vc_core.keys import KeyType, PrivateKey, b64url_decode
from vc_core.sd_jwt import parse_sd_jwt
from vc_core.sd_jwt_vc import issue_sd_jwt_vc
from vc_core.status.token_status_list import TokenStatusList
from vc_core.status_token import sign_status_list_token
from verifier.issuer_metadata import IssuerMetadataUnavailable

BASE = "http://localhost:8000"
ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
ISSUANCE: dict[str, Any] = {
    "alliance": "arqus",
    "specification": "sustainable-urban-mobility",
    "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1815"},
    "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
}
SD_JWT = "MicroCredential_dc_sd_jwt"
PASSING = ("well_formed", "proof", "issuer_key", "validity", "status", "issuer_trust")


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    settings = Settings(_env_file=None, data_dir=tmp_path, public_url=BASE)
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client, app.state.services
    app.state.services.close()


async def _issue(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/v1/credentials", json=ISSUANCE, headers=ADMIN)
    assert response.status_code == 201, response.text
    credential_id: str = response.json()["id"]
    return credential_id


async def _wallet_takes_sd_jwt(client: httpx.AsyncClient, credential_id: str) -> str:
    """OpenID4VCI: offer → token (PIN) → nonce → a dc+sd-jwt bound to a fresh wallet key."""
    holder = PrivateKey.generate(KeyType.P256)
    offered = await client.post(f"/api/v1/credentials/{credential_id}/offers", headers=ADMIN)
    assert offered.status_code == 201, offered.text
    query = parse_qs(urlsplit(offered.json()["offer_url"]).query)
    offer = (await client.get(query["credential_offer_uri"][0])).json()
    grant = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    token = await client.post(
        "/oid4vci/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            "pre-authorized_code": grant["pre-authorized_code"],
            "tx_code": offered.json()["tx_code"],
        },
    )
    assert token.status_code == 200, token.text
    did = did_key_from_public_key(holder.public_key)
    nonce = (await client.post("/oid4vci/nonce")).json()["c_nonce"]
    proof = sign_jws(
        {"aud": BASE, "iat": int(time.time()), "nonce": nonce},
        holder,
        header={"typ": "openid4vci-proof+jwt", "kid": f"{did}#{did.removeprefix('did:key:')}"},
    )
    response = await client.post(
        "/oid4vci/credential",
        json={"credential_configuration_id": SD_JWT, "proofs": {"jwt": [proof]}},
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
    )
    assert response.status_code == 200, response.text
    credential: str = response.json()["credentials"][0]["credential"]
    return credential


async def _verify(client: httpx.AsyncClient, credential: str) -> dict[str, Any]:
    response = await client.post("/api/v1/verify", json={"credential": credential})
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def _check(report: dict[str, Any], name: str) -> tuple[str, str]:
    [check] = [c for c in report["checks"] if c["name"] == name]
    return check["status"], check["code"]


def _without_kid(jwt: str, key: PrivateKey) -> str:
    header, payload, _ = jwt.split(".")
    fields = {k: v for k, v in json.loads(b64url_decode(header)).items() if k != "kid"}
    return sign_jws(json.loads(b64url_decode(payload)), key, header=fields)


def _signed_by_mcred(services: Services, *, iss: str = BASE, kid: str | None = "") -> str:
    """An SD-JWT VC signed with mcred's active P-256 key; ``kid`` ``""``: the key's DID URL,
    ``None``: no kid at all."""
    signing = services.identity.signing_key(KeyType.P256)
    vm = services.identity.verification_method_id(signing)
    token = issue_sd_jwt_vc(
        {"title": "Sustainable Urban Mobility"},
        signing.private_key,
        vct=f"{BASE}/vct/micro-credential/1",
        iss=iss,
        kid=kid or vm,
        holder_jwk=None,
        iat=datetime.now(UTC) - timedelta(minutes=1),
        status_list=None,
    )
    if kid is None:
        token = _without_kid(parse_sd_jwt(token).issuer_jwt, signing.private_key) + "~"
    return token


async def test_a_bridge_issued_sd_jwt_vc_verifies_until_it_is_revoked(
    api: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = api
    credential_id = await _issue(client)
    sd_jwt = await _wallet_takes_sd_jwt(client, credential_id)
    assert parse_sd_jwt(sd_jwt).unverified_claims()["iss"] == BASE
    kid = decode_unverified_header(parse_sd_jwt(sd_jwt).issuer_jwt)["kid"]
    assert kid.startswith("did:web:")

    report = await _verify(client, sd_jwt)
    assert report["verified"], report
    assert report["format"] == "dc+sd-jwt"
    for name in PASSING:
        assert _check(report, name)[0] == "passed", (name, report)
    [key] = [c for c in report["checks"] if c["name"] == "issuer_key"]
    assert key["details"]["kid"] == kid
    assert key["details"]["keys_from"] == f"{BASE}/.well-known/jwt-vc-issuer"
    assert key["details"]["did"] == services.identity.did  # the same key: trusted as the DID
    assert report["document"]["credential_id"] == credential_id

    revoked = await client.post(
        f"/api/v1/credentials/{credential_id}/revoke", json={"reason": "test"}, headers=ADMIN
    )
    assert revoked.status_code == 200, revoked.text
    report = await _verify(client, sd_jwt)
    assert not report["verified"]
    assert _check(report, "status") == ("failed", "revoked")
    assert _check(report, "issuer_key")[0] == "passed"


async def test_a_rotated_key_keeps_verifying_what_it_signed(
    api: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = api
    before = await _wallet_takes_sd_jwt(client, await _issue(client))
    # one published key: a JWS without kid uses it
    report = await _verify(client, _signed_by_mcred(services, kid=None))
    assert _check(report, "proof")[0] == "passed", report
    assert _check(report, "issuer_key")[0] == "passed", report
    services.identity.rotate(KeyType.P256)
    after = await _wallet_takes_sd_jwt(client, await _issue(client))
    for token in (before, after):
        report = await _verify(client, token)
        assert report["verified"], report
    # two published keys: a JWS without kid no longer names one
    report = await _verify(client, _signed_by_mcred(services, kid=None))
    assert _check(report, "issuer_key") == ("failed", "unknown_key")


@pytest.mark.parametrize(
    ("iss", "kid", "code"),
    [
        # the metadata at the URL of iss says issuer "http://localhost:8000", without the "/"
        (f"{BASE}/", "", "issuer_metadata_mismatch"),
        (BASE, "did:web:localhost%3A8000#not-a-key", "unknown_key"),
        (f"{BASE}/tenant", "", "issuer_metadata_unavailable"),
        ("http://issuer.example", "", "invalid_issuer"),
    ],
    ids=["issuer-mismatch", "kid-missing", "no-metadata-at-that-path", "http-not-loopback"],
)
async def test_credentials_the_metadata_does_not_vouch_for(
    api: tuple[httpx.AsyncClient, Services], iss: str, kid: str, code: str
) -> None:
    client, services = api
    report = await _verify(client, _signed_by_mcred(services, iss=iss, kid=kid))
    assert not report["verified"]
    assert _check(report, "issuer_key") == ("failed", code)


# -- another issuer's metadata, over the guarded fetcher -----------------------------------------

ISSUER = "https://issuer.example/tenant"
METADATA_URL = "https://issuer.example/.well-known/jwt-vc-issuer/tenant"
JWKS_URL = "https://keys.issuer.example/jwks.json"
TOKEN_URL = "https://issuer.example/token-status/1"
KEY = PrivateKey.generate(KeyType.P256)
KID = "key-1"


def _dns(host: str, port: int) -> Sequence[str]:
    return ["93.184.216.34"]


Routes = dict[str, Callable[[], httpx.Response]]


class Web:
    """A MockTransport handler over a URL → response table; records every request."""

    def __init__(self, routes: Routes) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url)
        answer = self.routes.get(url)
        return answer() if answer else httpx.Response(404)

    def urls(self) -> list[str]:
        return [str(r.url) for r in self.requests]


def _json(document: Any, **headers: str) -> Callable[[], httpx.Response]:
    return lambda: httpx.Response(200, json=document, headers=headers)


def _status_token(value: int) -> str:
    statuses = TokenStatusList(16, bits=2)
    statuses.set(3, value)
    now = datetime.now(UTC)
    return sign_status_list_token(
        statuses, KEY, uri=TOKEN_URL, kid=KID, iat=now, exp=now + timedelta(hours=1)
    )


def _foreign_sd_jwt() -> str:
    return issue_sd_jwt_vc(
        {"title": "Urban Mobility"},
        KEY,
        vct="https://issuer.example/vct/1",
        iss=ISSUER,
        kid=KID,
        holder_jwk=None,
        iat=datetime.now(UTC) - timedelta(minutes=1),
        status_list=(3, TOKEN_URL),
    )


def _fetcher(web: Web) -> GuardedFetcher:
    return GuardedFetcher(transport=httpx.MockTransport(web), resolver=_dns)


def _routes(metadata: Any, *, status: int = 0) -> Routes:
    return {
        METADATA_URL: _json(metadata, **{"Cache-Control": "max-age=300"}),
        JWKS_URL: _json({"keys": [{**KEY.public_key.to_jwk(), "kid": KID}]}),
        TOKEN_URL: lambda: httpx.Response(
            200,
            content=_status_token(status).encode(),
            headers={"Content-Type": "application/statuslist+jwt"},
        ),
    }


@pytest.mark.parametrize("by_reference", [False, True], ids=["jwks", "jwks_uri"])
def test_another_issuers_metadata_is_fetched_and_cached(by_reference: bool) -> None:
    keys = {"keys": [{**KEY.public_key.to_jwk(), "kid": KID, "use": "sig"}]}
    metadata = (
        {"issuer": ISSUER, "jwks_uri": JWKS_URL}
        if by_reference
        else {"issuer": ISSUER, "jwks": keys}
    )
    web = Web(_routes(metadata))
    with _fetcher(web) as fetcher:
        verifier = build_verifier(fetcher, LocalDidResolver())
        report = verifier.verify_credential(_foreign_sd_jwt())
        assert report.verified, report.to_dict()
        assert web.requests[0].headers["accept"] == "application/json"
        expected = [METADATA_URL, *([JWKS_URL] if by_reference else []), TOKEN_URL]
        assert web.urls() == expected
        web.requests.clear()
        assert verifier.verify_credential(_foreign_sd_jwt()).verified
        # metadata within its max-age is not asked again (the JWK Set and the token have none)
        assert METADATA_URL not in web.urls()


def test_another_issuers_revoked_credential() -> None:
    web = Web(_routes({"issuer": ISSUER, "jwks_uri": JWKS_URL}, status=1))
    with _fetcher(web) as fetcher:
        report = build_verifier(fetcher, LocalDidResolver()).verify_credential(_foreign_sd_jwt())
    assert report.check("status").code == "revoked"


@pytest.mark.parametrize(
    ("answer", "fetch_error"),
    [
        (lambda: httpx.Response(404), "fetch_status"),
        (lambda: httpx.Response(200, content=b"<html>"), "not_json"),
        (_json(["not", "an", "object"]), "not_json_object"),
    ],
    ids=["404", "not-json", "not-an-object"],
)
def test_metadata_that_cannot_be_had(
    answer: Callable[[], httpx.Response], fetch_error: str
) -> None:
    web = Web({METADATA_URL: answer})
    with _fetcher(web) as fetcher:
        client = FetcherIssuerMetadataClient(fetcher)
        assert not client.allow_loopback_http
        with pytest.raises(IssuerMetadataUnavailable) as caught:
            client.fetch_jwt_vc_issuer_metadata(METADATA_URL)
        assert caught.value.details["fetch_error"] == fetch_error
        report = build_verifier(fetcher, LocalDidResolver()).verify_credential(_foreign_sd_jwt())
    assert report.check("issuer_key").code == "issuer_metadata_unavailable"
    assert TOKEN_URL not in web.urls()


def test_metadata_on_a_private_address_is_never_fetched() -> None:
    web = Web(_routes({"issuer": ISSUER, "jwks_uri": JWKS_URL}))
    fetcher = GuardedFetcher(transport=httpx.MockTransport(web), resolver=lambda h, p: ["10.0.0.7"])
    with fetcher:
        report = build_verifier(fetcher, LocalDidResolver()).verify_credential(_foreign_sd_jwt())
    check = report.check("issuer_key")
    assert check.code == "issuer_metadata_unavailable"
    assert check.details["fetch_error"] == "fetch_blocked"
    assert web.requests == []


class OwnIssuer:
    """A :class:`wallet_bridge.metadata.JwtVcIssuer` (what the wallet bridge serves)."""

    sd_jwt_vc_issuer = BASE

    def sd_jwt_vc_keys(self) -> list[dict[str, Any]]:
        return [{**KEY.public_key.to_jwk(), "kid": KID}]


def test_the_services_own_metadata_is_answered_without_http() -> None:
    web = Web(_routes({"issuer": ISSUER, "jwks_uri": JWKS_URL}))
    with _fetcher(web) as fetcher:
        client = LocalIssuerMetadataClient(OwnIssuer(), FetcherIssuerMetadataClient(fetcher))
        assert client.allow_loopback_http  # its own http development URL, never fetched
        own = client.fetch_jwt_vc_issuer_metadata(f"{BASE}/.well-known/jwt-vc-issuer")
        assert own == {"issuer": BASE, "jwks": {"keys": OwnIssuer().sd_jwt_vc_keys()}}
        assert web.requests == []
        assert client.fetch_jwt_vc_issuer_metadata(METADATA_URL)["issuer"] == ISSUER
        assert client.fetch_jwk_set(JWKS_URL)["keys"][0]["kid"] == KID
        assert web.urls() == [METADATA_URL, JWKS_URL]
        with pytest.raises(IssuerMetadataUnavailable):  # another path of the same host
            client.fetch_jwt_vc_issuer_metadata(f"{BASE}/.well-known/jwt-vc-issuer/other")
