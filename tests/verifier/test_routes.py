"""The verifier's HTTP API: mcred's full report and the W3C VC API endpoints."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.verifier.world import (
    CHALLENGE,
    DOMAIN,
    REVOCATION_LIST,
    di_presentation,
    elm_credential,
    envelope_credential,
    jwt_presentation,
    make_verifier,
    sign_di,
    sign_vc_jwt_credential,
    status_client,
    vcdm2_credential,
)
from verifier.routes import build_verifier_router

PROBLEM = "application/problem+json"


def client_for(*, revoked: bool = False, max_body_bytes: int | None = None) -> httpx.AsyncClient:
    lists = status_client({REVOCATION_LIST: {815: 1}} if revoked else None)
    app = FastAPI()
    kwargs = {"max_body_bytes": max_body_bytes} if max_body_bytes else {}
    app.include_router(build_verifier_router(make_verifier(lists), **kwargs))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://verifier")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with client_for() as client:
        yield client


# -- /api/v1/verify ---------------------------------------------------------------------------


async def test_verify_answers_the_full_report(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/v1/verify", json={"credential": sign_di(elm_credential())})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["verified"] is True
    assert (body["kind"], body["format"]) == ("credential", "data_integrity")
    assert [c["name"] for c in body["checks"]] == [
        "well_formed",
        "proof",
        "issuer_key",
        "validity",
        "status",
        "issuer_trust",
        "completeness",
    ]
    assert body["document"]["type"] == ["VerifiableCredential", "EuropeanDigitalCredential"]


async def test_a_credential_that_fails_is_still_a_200_whose_report_says_why() -> None:
    async with client_for(revoked=True) as revoked:
        response = await revoked.post(
            "/api/v1/verify", json={"credential": sign_di(vcdm2_credential())}
        )
    assert response.status_code == 200
    body = response.json()
    assert body["verified"] is False
    status = next(c for c in body["checks"] if c["name"] == "status")
    assert (status["status"], status["code"]) == ("failed", "revoked")


async def test_a_presentation_jwt_with_challenge_and_domain(http: httpx.AsyncClient) -> None:
    token = jwt_presentation([envelope_credential(sign_vc_jwt_credential(vcdm2_credential()))])
    body = {"jwt": token, "options": {"challenge": CHALLENGE, "domain": DOMAIN}}
    response = await http.post("/api/v1/verify", json=body)
    assert response.status_code == 200
    report = response.json()
    assert (report["verified"], report["kind"], report["format"]) == (
        True,
        "presentation",
        "vp+jwt",
    )
    assert report["credentials"][0]["checks"][-1]["name"] == "holder_binding"
    replayed = await http.post("/api/v1/verify", json={**body, "options": {"challenge": "old"}})
    assert replayed.status_code == 200
    assert replayed.json()["verified"] is False


async def test_a_credential_given_as_a_jwt_string(http: httpx.AsyncClient) -> None:
    token = sign_vc_jwt_credential(vcdm2_credential())
    for body in ({"credential": token}, {"jwt": token}):
        report = (await http.post("/api/v1/verify", json=body)).json()
        assert (report["verified"], report["format"]) == (True, "vc+jwt")


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"not json", "unverifiable_input"),
        (b'{"credential": {"a": 1, "a": 2}}', "unverifiable_input"),
        (b'{"credential": NaN}', "unverifiable_input"),
        (b"{}", "unverifiable_input"),
        (b'{"credential": {}, "jwt": "a.b.c"}', "unverifiable_input"),
        (b'{"credential": 42}', "unverifiable_input"),
        (b'{"credential": {}, "options": {"nonce": "x"}}', "unverifiable_input"),
        (b'{"jwt": "a.b.c"}', "unverifiable_input"),
        (b'{"credential": "eyJhbGciOiJFUzI1NiJ9.e30.AA~d~"}', "unsupported_format"),
    ],
)
async def test_unusable_input_is_a_400_problem(
    http: httpx.AsyncClient, content: bytes, code: str
) -> None:
    response = await http.post(
        "/api/v1/verify", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert (problem["code"], problem["status"]) == (code, 400)
    assert problem["type"].startswith("https://www.w3.org/TR/vc-data-model#")


async def test_a_body_over_the_cap_is_a_413_before_it_is_parsed() -> None:
    big = {"credential": {"padding": "x" * 4096}}

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while streaming
        yield b'{"credential": "'
        for _ in range(8):
            yield b"x" * 512
        yield b'"}'

    async with client_for(max_body_bytes=2048) as small:
        response = await small.post("/api/v1/verify", json=big)
        assert response.status_code == 413
        assert response.json()["code"] == "input_too_large"
        streamed = await small.post(
            "/api/v1/verify", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
        assert "content-length" not in streamed.request.headers


async def test_an_oversized_credential_inside_the_cap_fails_well_formed(
    http: httpx.AsyncClient,
) -> None:
    credential = sign_di(vcdm2_credential())
    credential["credentialSubject"]["padding"] = "x" * (256 * 1024)
    response = await http.post("/api/v1/verify", json={"credential": credential})
    assert response.status_code == 200  # under the body cap, over the verifier's input cap
    report = response.json()
    assert report["verified"] is False
    assert (report["checks"][0]["code"], report["format"]) == ("input_too_large", "unknown")


# -- the W3C VC API ---------------------------------------------------------------------------


async def test_vc_api_verified_credential_is_200(http: httpx.AsyncClient) -> None:
    body = {"verifiableCredential": sign_di(vcdm2_credential()), "options": {"checks": ["proof"]}}
    response = await http.post("/credentials/verify", json=body)
    assert response.status_code == 200
    result = response.json()
    assert result == {
        "verified": True,
        "checks": ["well_formed", "proof", "issuer_key", "validity"],
        "warnings": [],
        "errors": [],
    }


async def test_vc_api_enveloped_credential(http: httpx.AsyncClient) -> None:
    envelope = envelope_credential(sign_vc_jwt_credential(vcdm2_credential()))
    response = await http.post("/credentials/verify", json={"verifiableCredential": envelope})
    assert response.status_code == 200
    assert "status" in response.json()["checks"]


async def test_vc_api_failed_verification_is_400_with_problem_details(
    http: httpx.AsyncClient,
) -> None:
    credential = sign_di(vcdm2_credential())
    credential["credentialSubject"]["name"] = "Quantum Physics (PhD)"
    response = await http.post("/credentials/verify", json={"verifiableCredential": credential})
    assert response.status_code == 400
    result = response.json()
    assert result["verified"] is False
    assert result["errors"][0] == {
        "type": "https://w3id.org/security#PROOF_VERIFICATION_ERROR",
        "title": "proof check failed",
        "detail": "the signature does not verify",
        "code": "invalid_signature",
        "check": "proof",
    }


@pytest.mark.parametrize(
    "body",
    [
        {"credential": {}},
        {"verifiableCredential": 7},
        {"verifiableCredential": "not-a-jwt"},
        {"verifiableCredential": {}, "options": {"checks": "proof"}},
    ],
)
async def test_vc_api_invalid_input_is_400_in_the_same_shape(
    http: httpx.AsyncClient, body: Any
) -> None:
    response = await http.post("/credentials/verify", json=body)
    assert response.status_code == 400
    result = response.json()
    assert (result["verified"], result["checks"], result["warnings"]) == (False, [], [])
    assert result["errors"][0]["code"] == "unverifiable_input"


async def test_vc_api_credential_as_a_json_string_is_a_parsing_error(
    http: httpx.AsyncClient,
) -> None:
    """W3C VCDM 2.0 suite: a VC sent as a JSON string (not a compact JWT) is a PARSING_ERROR."""
    body = {"verifiableCredential": json.dumps(sign_di(vcdm2_credential()))}
    response = await http.post("/credentials/verify", json=body)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["type"].endswith("#PARSING_ERROR")


async def test_vc_api_presentation_with_challenge_and_domain(http: httpx.AsyncClient) -> None:
    presentation = di_presentation([sign_di(elm_credential())])
    body = {
        "verifiablePresentation": presentation,
        "options": {"challenge": CHALLENGE, "domain": DOMAIN, "unknownOption": True},
    }
    response = await http.post("/presentations/verify", json=body)
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == ["well_formed", "proof", "holder_key", "credentials"]
    body["options"] = {"challenge": "someone-elses", "domain": DOMAIN}
    refused = await http.post("/presentations/verify", json=body)
    assert refused.status_code == 400
    assert [e["code"] for e in refused.json()["errors"]] == ["challenge_mismatch"]


async def test_the_openapi_document_describes_the_bodies(http: httpx.AsyncClient) -> None:
    document = (await http.get("/openapi.json")).json()
    paths = document["paths"]
    for path, member in (
        ("/api/v1/verify", "credential"),
        ("/credentials/verify", "verifiableCredential"),
        ("/presentations/verify", "verifiablePresentation"),
    ):
        schema = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert member in schema["properties"]
        assert "$defs" not in json.dumps(schema)
    assert "VerificationReportOut" in document["components"]["schemas"]
