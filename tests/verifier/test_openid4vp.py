"""OpenID4VP 1.0 presentation requests end to end: the HR API, the Request Object, a wallet's
``direct_post`` response, and what the verifier must refuse (verifier.openid4vp, routes)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from issuer.api_keys import ApiKeyService
from issuer.memory import InMemoryApiKeyStore
from mcred.problems import install_problem_handlers
from tests.verifier.vp_wallet import HeldCredential, VpWallet, WalletRefusal
from tests.verifier.world import (
    ATTACKER_VM,
    ISSUER,
    ISSUER_ED_VM,
    ISSUER_P256_VM,
    KEYS,
    NOW,
    elm_credential,
    join_jwt,
    resolver,
    sign_di,
    sign_jwt_vc_json_credential,
    split_jwt,
    status_client,
    vcdm2_credential,
)
from vc_core.jose import sign_jws
from vc_core.sd_jwt_vc import issue_sd_jwt_vc
from vc_core.testing import FixedClock
from verifier.openid4vp import (
    ClientIdentifier,
    CredentialDescription,
    InMemoryPresentationRequestStore,
    JwsRequestSigner,
    PresentationRequests,
    PresentationRequestSettings,
    StaticCredentialCatalogue,
)
from verifier.openid4vp.dcql import (
    ClaimsPathError,
    DcqlQuery,
    credential_query,
    select_claims,
)
from verifier.openid4vp.errors import InvalidRequest, VpFormatsNotSupported
from verifier.openid4vp.ports import Answer, AnswerOutcome, PresentationRequestRecord
from verifier.routes import build_presentation_request_router
from verifier.service import Verifier

PUBLIC_URL = "https://verifier.example"
VCT = "https://credentials.arqus-alliance.eu/vct/micro-credential/1"
ELM_TYPES = (
    "https://www.w3.org/2018/credentials#VerifiableCredential",
    "http://data.europa.eu/snb/model/elm/EuropeanDigitalCredential",
)
CATALOGUE = StaticCredentialCatalogue(
    {
        ("arqus", "micro-credential"): CredentialDescription(
            "Arqus micro-credential",
            vct_values=(VCT,),
            type_values=(ELM_TYPES,),
            claims={
                "learner": {
                    "dc+sd-jwt": ("learner",),
                    "ldp_vc": ("credentialSubject", "fullName"),
                    "jwt_vc_json": ("credentialSubject", "fullName"),
                },
                "title": {
                    "dc+sd-jwt": ("title",),
                    "ldp_vc": ("credentialSubject", "hasClaim", None, "title"),
                    "jwt_vc_json": ("credentialSubject", "hasClaim", None, "title"),
                },
                "grade": {"dc+sd-jwt": ("grade",)},
            },
        )
    }
)
SD_JWT_CLAIMS = {
    "learner": ["Ada Lovelace"],
    "title": ["Sustainable Urban Mobility"],
    "grade": ["A"],
    "credential_id": "c-1",
}
CLIENT_ID = f"decentralized_identifier:{ISSUER}"
FORMATS = ("dc+sd-jwt", "ldp_vc", "jwt_vc_json")


def _sd_jwt() -> str:
    return issue_sd_jwt_vc(
        SD_JWT_CLAIMS,
        KEYS.issuer_p256,
        vct=VCT,
        iss=ISSUER,
        kid=ISSUER_P256_VM,
        holder_jwk=KEYS.holder.public_key.to_jwk(),
        iat=NOW - timedelta(days=1),
        status_list=None,
        disclosable=[("learner",), ("grade",)],
    )


def _held() -> list[HeldCredential]:
    return [
        HeldCredential("dc+sd-jwt", _sd_jwt()),
        HeldCredential("ldp_vc", sign_di(elm_credential())),
        HeldCredential("jwt_vc_json", sign_jwt_vc_json_credential(elm_credential())),
    ]


@dataclass
class World:
    clock: FixedClock
    service: PresentationRequests
    http: TestClient
    wallet: VpWallet
    api_key: str

    def create(self, **body: Any) -> dict[str, Any]:
        response = self.http.post(
            "/api/v1/presentation-requests",
            json={"alliance": "arqus", **body},
            headers={"Authorization": f"Bearer {self.api_key}"},
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def status(self, request_id: str, **params: str) -> Any:
        return self.http.get(
            f"/api/v1/presentation-requests/{request_id}",
            params=params,
            headers={"Authorization": f"Bearer {self.api_key}"},
        )


@contextmanager
def open_world(client: ClientIdentifier | None = None, *, ttl_minutes: int = 10) -> Iterator[World]:
    clock = FixedClock(NOW)
    settings = PresentationRequestSettings(PUBLIC_URL, request_ttl=timedelta(minutes=ttl_minutes))
    dids = resolver()
    service = PresentationRequests(
        verifier=Verifier(dids, status_client(), clock=clock),
        resolver=dids,
        client=client or ClientIdentifier.for_did(ISSUER),
        catalogue=CATALOGUE,
        store=InMemoryPresentationRequestStore(),
        settings=settings,
        signer=JwsRequestSigner(lambda: (KEYS.issuer_p256, ISSUER_P256_VM)),
        clock=clock.now,
    )
    api_keys = ApiKeyService(InMemoryApiKeyStore())
    _, token = api_keys.create("admin", label="hr-system")
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(
        build_presentation_request_router(
            service, authenticate=lambda header: api_keys.authenticate(header).key_id
        )
    )
    with TestClient(app) as http:
        wallet = VpWallet(http, dids, KEYS.holder, _held(), clock.now)
        yield World(clock, service, http, wallet, token)


@pytest.fixture
def world() -> Iterator[World]:
    with open_world() as opened:
        yield opened


def _report(world: World, request_id: str, **params: str) -> dict[str, Any]:
    response = world.status(request_id, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- the full flows ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_cross_device_flow_per_format(world: World, fmt: str) -> None:
    claims = ["learner", "title"]
    created = world.create(formats=[fmt], claims=claims)
    link = urlsplit(created["request_url"])
    assert link.scheme == "openid4vp"
    params = {k: v[0] for k, v in parse_qs(link.query).items()}
    assert params["client_id"] == CLIENT_ID
    assert params["request_uri"] == created["request_uri"]
    assert params["request_uri"].startswith(f"{PUBLIC_URL}/oid4vp/requests/")
    assert params["request_uri_method"] == "post"
    assert set(params) == {"client_id", "request_uri", "request_uri_method"}  # a small QR
    assert _report(world, created["id"])["status"] == "pending"

    response = world.wallet.run(created["request_url"])
    assert response.status_code == 200, response.text
    assert response.json() == {}
    body = _report(world, created["id"])
    assert body["status"] == "answered"
    assert body["verified"] is True, json.dumps(body["report"], indent=1)[:4000]
    ((query_id, outcome),) = body["report"]["credential_queries"].items()
    assert outcome["format"] == fmt
    assert outcome["accepted"]
    (presentation,) = outcome["presentations"]
    match = presentation["query_match"]
    assert match["matches"]
    assert [c["path"][0] for c in match["claims"]] == (
        ["learner", "title"] if fmt == "dc+sd-jwt" else ["credentialSubject"] * 2
    )
    if fmt == "dc+sd-jwt":
        assert match["claims"][0]["values"] == [["Ada Lovelace"]]
        disclosed = presentation["verification"]["credentials"][0]["document"]
        assert "grade" not in disclosed  # not asked, not disclosed
    assert query_id in created["dcql_query"]["credentials"][0]["id"]


def test_every_format_is_offered_and_any_one_answers(world: World) -> None:
    created = world.create(claims=["learner"])
    query = created["dcql_query"]
    assert [c["format"] for c in query["credentials"]] == list(FORMATS)
    assert query["credential_sets"] == [{"options": [[c["id"]] for c in query["credentials"]]}]
    ldp_only = VpWallet(world.http, resolver(), KEYS.holder, _held()[1:2], world.clock.now)
    assert ldp_only.run(created["request_url"]).status_code == 200
    body = _report(world, created["id"])
    assert body["verified"] is True
    assert list(body["report"]["credential_queries"]) == ["micro-credential_ldp_vc"]


def test_a_claim_one_format_lacks_leaves_that_format_out(world: World) -> None:
    created = world.create(claims=["grade"])
    assert [c["format"] for c in created["dcql_query"]["credentials"]] == ["dc+sd-jwt"]
    assert "credential_sets" not in created["dcql_query"]


def test_the_request_object_is_signed_under_the_verifier_did(world: World) -> None:
    created = world.create(claims=["learner"], formats=["dc+sd-jwt"])
    request = world.wallet.fetch(created["request_url"], wallet_nonce="wallet-nonce-1")
    header, claims, _ = split_jwt(request.request_object)
    assert header == {"alg": "ES256", "typ": "oauth-authz-req+jwt", "kid": ISSUER_P256_VM}
    assert claims["client_id"] == CLIENT_ID
    assert claims["aud"] == "https://self-issued.me/v2"
    assert claims["response_type"] == "vp_token"
    assert claims["response_mode"] == "direct_post"
    assert claims["response_uri"] == f"{PUBLIC_URL}/oid4vp/response"
    assert claims["wallet_nonce"] == "wallet-nonce-1"
    assert len(claims["nonce"]) >= 43
    assert len(claims["state"]) >= 43
    assert claims["dcql_query"] == created["dcql_query"]
    assert claims["client_metadata"]["vp_formats_supported"] == {
        "dc+sd-jwt": {
            "sd-jwt_alg_values": ["ES256", "EdDSA"],
            "kb-jwt_alg_values": ["ES256", "EdDSA"],
        }
    }
    assert claims["exp"] - claims["iat"] == 600
    assert "redirect_uri" not in claims
    again = world.wallet.fetch(created["request_url"])  # GET works too, without wallet_nonce
    assert split_jwt(again.request_object)[1]["nonce"] == claims["nonce"]
    other = world.create(claims=["learner"], formats=["dc+sd-jwt"])
    assert world.wallet.fetch(other["request_url"]).nonce != claims["nonce"]  # fresh each time


def test_same_device_redirects_with_a_response_code(world: World) -> None:
    created = world.create(formats=["dc+sd-jwt"], redirect_uri="https://hr.example/done?x=1")
    response = world.wallet.run(created["request_url"])
    assert response.status_code == 200
    redirect = urlsplit(response.json()["redirect_uri"])
    assert redirect.netloc == "hr.example"
    assert redirect.path == "/done"
    code = parse_qs(redirect.query)["response_code"][0]
    assert len(code) >= 43
    without = world.status(created["id"])
    assert without.status_code == 403
    assert without.json()["code"] == "access_denied"
    assert world.status(created["id"], response_code="guess").status_code == 403
    body = _report(world, created["id"], response_code=code)
    assert body["status"] == "answered"
    assert body["verified"] is True


def test_a_redirect_uri_client_sends_an_unsigned_request_object() -> None:
    client = ClientIdentifier.for_response_uri(f"{PUBLIC_URL}/oid4vp/response")
    with open_world(client) as world:
        created = world.create(formats=["ldp_vc"])
        request = world.wallet.fetch(created["request_url"])
        assert split_jwt(request.request_object)[0]["alg"] == "none"
        assert world.wallet.answer(request, world.wallet.vp_token(request)).status_code == 200
        body = _report(world, created["id"])
    assert body["verified"] is True
    proof = body["report"]["credential_queries"]["micro-credential_ldp_vc"]["presentations"][0]
    assert proof["verification"]["document"]["proof"]["domain"] == (
        f"redirect_uri:{PUBLIC_URL}/oid4vp/response"
    )


# -- what must fail ---------------------------------------------------------------------------


def _failed_checks(report: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for outcome in report["credential_queries"].values():
        for presentation in outcome["presentations"]:
            verification = presentation.get("verification") or {}
            for check in verification.get("checks", []):
                if check["status"] == "failed":
                    found.append((check["name"], check["code"]))
            for credential in verification.get("credentials", []):
                found.extend(
                    (c["name"], c["code"]) for c in credential["checks"] if c["status"] == "failed"
                )
    return found


@pytest.mark.parametrize(
    ("fmt", "code"),
    [
        ("dc+sd-jwt", "nonce_mismatch"),
        ("ldp_vc", "challenge_mismatch"),
        ("jwt_vc_json", "nonce_mismatch"),
    ],
)
def test_a_wrong_nonce_fails(world: World, fmt: str, code: str) -> None:
    created = world.create(formats=[fmt])
    assert world.wallet.run(created["request_url"], nonce="an-old-nonce").status_code == 200
    body = _report(world, created["id"])
    assert body["status"] == "answered"
    assert body["verified"] is False
    assert _failed_checks(body["report"])[0] == ("proof", code)


@pytest.mark.parametrize(
    ("fmt", "code"),
    [
        ("dc+sd-jwt", "audience_mismatch"),
        ("ldp_vc", "domain_mismatch"),
        ("jwt_vc_json", "audience_mismatch"),
    ],
)
def test_a_wrong_audience_or_domain_fails(world: World, fmt: str, code: str) -> None:
    created = world.create(formats=[fmt])
    # the DID without its prefix is not the client_id (OID4VP §14.8: always the full one)
    assert world.wallet.run(created["request_url"], audience=ISSUER).status_code == 200
    body = _report(world, created["id"])
    assert body["verified"] is False
    assert _failed_checks(body["report"])[0] == ("proof", code)


def test_a_stale_jwt_presentation_fails() -> None:
    with open_world(ttl_minutes=30) as world:
        created = world.create(formats=["jwt_vc_json"])
        request = world.wallet.fetch(created["request_url"])
        vp_token = world.wallet.vp_token(request)  # exp: 5 minutes
        world.clock.advance(timedelta(minutes=11))  # past exp and the 5-minute clock skew
        assert world.wallet.answer(request, vp_token).status_code == 200
        body = _report(world, created["id"])
    assert body["verified"] is False
    assert _failed_checks(body["report"])[0] == ("proof", "expired")


def test_a_replayed_response_is_refused_and_changes_nothing(world: World) -> None:
    created = world.create(formats=["dc+sd-jwt"])
    request = world.wallet.fetch(created["request_url"])
    vp_token = world.wallet.vp_token(request)
    assert world.wallet.answer(request, vp_token).status_code == 200
    first = _report(world, created["id"])
    world.clock.advance(5)
    replay = world.wallet.answer(request, vp_token)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_request"
    assert _report(world, created["id"]) == first
    # the request object is no longer served either
    with pytest.raises(WalletRefusal, match="404"):
        world.wallet.fetch(created["request_url"])


def test_an_expired_request_is_refused(world: World) -> None:
    created = world.create(formats=["dc+sd-jwt"])
    request = world.wallet.fetch(created["request_url"])
    vp_token = world.wallet.vp_token(request)
    world.clock.advance(timedelta(minutes=10))
    assert _report(world, created["id"])["status"] == "expired"
    late = world.wallet.answer(request, vp_token)
    assert late.status_code == 400
    assert late.json()["error"] == "invalid_request"
    assert "expired" in late.json()["error_description"]
    with pytest.raises(WalletRefusal, match="404"):
        world.wallet.fetch(created["request_url"])
    assert _report(world, created["id"])["status"] == "expired"


@pytest.mark.parametrize(
    "vp_token",
    [{}, {"someone_else": ["x"]}, {"micro-credential_dc_sd_jwt": []}, ["not", "an object"]],
)
def test_a_vp_token_missing_the_required_credential_is_refused(world: World, vp_token: Any) -> None:
    created = world.create(formats=["dc+sd-jwt"])
    request = world.wallet.fetch(created["request_url"])
    response = world.wallet.answer(request, vp_token)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert _report(world, created["id"])["status"] == "pending"  # a bad token is no answer


def test_two_presentations_for_a_single_query_are_refused(world: World) -> None:
    created = world.create(formats=["dc+sd-jwt"])
    request = world.wallet.fetch(created["request_url"])
    ((query_id, [one]),) = world.wallet.vp_token(request).items()
    response = world.wallet.answer(request, {query_id: [one, one]})
    assert response.status_code == 400


def test_an_undisclosed_requested_claim_fails(world: World) -> None:
    created = world.create(formats=["dc+sd-jwt"], claims=["learner", "grade"])
    response = world.wallet.run(created["request_url"], withhold=[("grade",)])
    assert response.status_code == 200
    body = _report(world, created["id"])
    assert body["verified"] is False
    (presentation,) = body["report"]["credential_queries"]["micro-credential_dc_sd_jwt"][
        "presentations"
    ]
    assert presentation["verification"]["verified"] is True  # the SD-JWT itself is fine
    assert presentation["query_match"]["code"] == "claims_missing"
    assert "grade" in presentation["query_match"]["message"]


def test_a_credential_of_another_type_does_not_match(world: World) -> None:
    created = world.create(formats=["ldp_vc"])
    other = VpWallet(
        world.http,
        resolver(),
        KEYS.holder,
        [HeldCredential("ldp_vc", sign_di(vcdm2_credential()))],
        world.clock.now,
    )
    assert other.run(created["request_url"]).status_code == 200
    body = _report(world, created["id"])
    assert body["verified"] is False
    (presentation,) = body["report"]["credential_queries"]["micro-credential_ldp_vc"][
        "presentations"
    ]
    assert presentation["query_match"]["code"] == "type_mismatch"


def test_an_unknown_state_is_refused(world: World) -> None:
    response = world.http.post(
        f"{PUBLIC_URL}/oid4vp/response", data={"vp_token": "{}", "state": "no-such-state"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    missing = world.http.post(f"{PUBLIC_URL}/oid4vp/response", data={"vp_token": "{}"})
    assert missing.status_code == 400
    not_a_form = world.http.post(f"{PUBLIC_URL}/oid4vp/response", json={"state": "x"})
    assert not_a_form.status_code == 400
    assert world.http.get(f"{PUBLIC_URL}/oid4vp/requests/no-such-state").status_code == 404


def test_the_wallet_detects_a_tampered_request_object(world: World) -> None:
    created = world.create(formats=["dc+sd-jwt"])
    request = world.wallet.fetch(created["request_url"])
    header, claims, signature = split_jwt(request.request_object)
    tampered = join_jwt(header, {**claims, "response_uri": "https://attacker.example/"}, signature)
    with pytest.raises(WalletRefusal, match="signature"):
        world.wallet.check_request_object(request.link, tampered)
    forged = sign_jws(claims, KEYS.attacker, header={"typ": header["typ"], "kid": ATTACKER_VM})
    with pytest.raises(WalletRefusal, match="is not a key of"):
        world.wallet.check_request_object(request.link, forged)
    mixed = sign_jws(claims, KEYS.issuer_ed, header={"typ": "JWT", "kid": ISSUER_ED_VM})
    with pytest.raises(WalletRefusal, match="typ"):
        world.wallet.check_request_object(request.link, mixed)
    relinked = {**request.link, "client_id": "decentralized_identifier:did:web:other.example"}
    with pytest.raises(WalletRefusal):
        world.wallet.check_request_object(relinked, request.request_object)


def test_a_wallet_error_response_is_the_answer(world: World) -> None:
    created = world.create(formats=["ldp_vc"])
    request = world.wallet.fetch(created["request_url"])
    form = {"error": "access_denied", "error_description": "the user said no", "state": ""}
    form["state"] = request.params["state"]
    assert world.wallet.post(request, form).json() == {}
    body = _report(world, created["id"])
    assert body["status"] == "answered"
    assert body["verified"] is False
    assert body["wallet_error"] == {
        "error": "access_denied",
        "error_description": "the user said no",
    }


def test_wallet_metadata_without_our_formats_is_refused(world: World) -> None:
    created = world.create(formats=["ldp_vc"])
    with pytest.raises(WalletRefusal, match="vp_formats_not_supported"):
        world.wallet.fetch(
            created["request_url"], wallet_metadata={"vp_formats_supported": {"mso_mdoc": {}}}
        )


# -- the HR API -------------------------------------------------------------------------------


def test_the_api_needs_a_key(world: World) -> None:
    body = {"alliance": "arqus"}
    refused = world.http.post("/api/v1/presentation-requests", json=body)
    assert refused.status_code == 401
    wrong = world.http.post(
        "/api/v1/presentation-requests", json=body, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401
    created = world.create()
    assert world.http.get(f"/api/v1/presentation-requests/{created['id']}").status_code == 401


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"alliance": "unknown"}, "invalid_request"),
        ({"alliance": "arqus", "claims": ["shoe_size"]}, "invalid_request"),
        ({"alliance": "arqus", "formats": ["mso_mdoc"]}, "vp_formats_not_supported"),
        ({"alliance": "arqus", "formats": []}, "vp_formats_not_supported"),
        ({"alliance": "arqus", "request_uri_method": "put"}, "invalid_request_uri_method"),
        ({"alliance": "arqus", "redirect_uri": "http://hr.example/"}, "invalid_request"),
        ({"alliance": "arqus", "color": "blue"}, "invalid_request"),
        ({}, "invalid_request"),
    ],
)
def test_bad_requests_get_oauth_codes(world: World, body: dict[str, Any], code: str) -> None:
    response = world.http.post(
        "/api/v1/presentation-requests",
        json=body,
        headers={"Authorization": f"Bearer {world.api_key}"},
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def test_an_unknown_request_id_is_not_found(world: World) -> None:
    assert world.status("no-such-request").status_code == 404


def test_the_endpoints_are_documented(world: World) -> None:
    paths = world.http.get("/openapi.json").json()["paths"]
    assert set(paths["/api/v1/presentation-requests"]) == {"post"}
    assert set(paths["/oid4vp/requests/{state}"]) == {"get", "post"}
    assert "requestBody" in paths["/oid4vp/response"]["post"]


# -- DCQL and the store -----------------------------------------------------------------------


def test_claims_path_pointers_follow_section_7() -> None:
    document = {"a": [{"b": 1}, {"b": 2}, {"c": 3}], "d": {"e": "x"}}
    assert select_claims(document, ["a", None, "b"]) == [1, 2]
    assert select_claims(document, ["a", 1, "b"]) == [2]
    assert select_claims(document, ["d", "e"]) == ["x"]
    refused: list[list[str | int | None]] = [["a", "b"], ["d", None], ["missing"], ["a", 9]]
    for path in refused:
        with pytest.raises(ClaimsPathError):
            select_claims(document, path)


def test_credential_sets_decide_what_is_required() -> None:
    both = DcqlQuery.parse(
        {
            "credentials": [
                credential_query("a", "dc+sd-jwt", vct_values=[VCT]).to_json(),
                credential_query("b", "ldp_vc", type_values=[ELM_TYPES]).to_json(),
            ]
        }
    )
    assert not both.satisfied_by(["a"])
    assert both.satisfied_by(["a", "b"])
    either = DcqlQuery.parse({**both.to_json(), "credential_sets": [{"options": [["a"], ["b"]]}]})
    assert either.satisfied_by(["b"])
    assert not either.satisfied_by([])


@pytest.mark.parametrize(
    "query",
    [
        {"credentials": []},
        {"credentials": [{"id": "a b", "format": "dc+sd-jwt", "meta": {"vct_values": [VCT]}}]},
        {"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {}}]},
        {"credentials": [{"id": "a", "format": "ldp_vc", "meta": {"type_values": ["x"]}}]},
        {
            "credentials": [
                {
                    "id": "a",
                    "format": "dc+sd-jwt",
                    "meta": {"vct_values": [VCT]},
                    "claims": [{"path": ["x", -1]}],
                }
            ]
        },
        {
            "credentials": [
                {
                    "id": "a",
                    "format": "dc+sd-jwt",
                    "meta": {"vct_values": [VCT]},
                    "claims": [{"id": "x", "path": ["x"]}],
                    "claim_sets": [["y"]],
                }
            ]
        },
        {
            "credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": [VCT]}}],
            "credential_sets": [{"options": [["b"]]}],
        },
    ],
)
def test_malformed_dcql_queries_are_refused(query: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest):
        DcqlQuery.parse(query)


def test_a_format_we_do_not_verify_is_refused() -> None:
    with pytest.raises(VpFormatsNotSupported):
        DcqlQuery.parse({"credentials": [{"id": "a", "format": "mso_mdoc", "meta": {}}]})


def test_answer_once_lets_exactly_one_answer_through() -> None:
    store = InMemoryPresentationRequestStore()
    record = PresentationRequestRecord(
        id="r1",
        state="s1",
        nonce="n1",
        client_id=CLIENT_ID,
        response_uri=f"{PUBLIC_URL}/oid4vp/response",
        dcql_query={},
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=5),
        alliance="arqus",
        credential="micro-credential",
    )
    store.put(record)
    outcomes: list[AnswerOutcome] = []
    barrier = threading.Barrier(8)

    def answer(index: int) -> None:
        barrier.wait()
        outcomes.append(store.answer_once("r1", Answer(NOW, index % 2 == 0), now=NOW))

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes).count(AnswerOutcome.ANSWERED) == 1
    assert outcomes.count(AnswerOutcome.ALREADY_ANSWERED) == 7
    later = datetime(2030, 1, 1, tzinfo=UTC)
    assert store.answer_once("nope", Answer(NOW, True), now=NOW) is AnswerOutcome.UNKNOWN
    store.put(PresentationRequestRecord(**{**record.__dict__, "id": "r2", "state": "s2"}))
    assert store.answer_once("r2", Answer(later, True), now=later) is AnswerOutcome.EXPIRED
