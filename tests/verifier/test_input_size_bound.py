"""``REENCODED_GROWTH``: the request body's length bounds the input's size as compact JSON, so
``POST /api/v1/verify`` measures the input again only when that bound passes the cap."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.verifier.world import make_verifier, sign_di, status_client, vcdm2_credential
from verifier.formats import REENCODED_GROWTH, input_size, load_json
from verifier.policy import VerifierPolicy
from verifier.routes import build_verifier_router

# JSON texts that grow most when encoded again (numbers) and that shrink (escapes, spaces).
GROWING = [
    "1e15",
    "9E15",
    "-1e15",
    "1e+15",
    "1e9",
    "1e-4",
    "2e-5",
    "0e0",
    "-0",
    "1.5e15",
    '"\\u0041\\/"',
    '"\\ud83d\\ude00"',
    '{ "a" : [ 1e15 , true , null ] }',
    "[1e15,1e15,1e15]",
]


@pytest.mark.parametrize("text", GROWING)
def test_the_growth_bound_holds(text: str) -> None:
    assert input_size(load_json(text)) <= REENCODED_GROWTH * len(text.encode())


def test_the_bound_is_tight_enough_to_matter() -> None:
    # 4 bytes of "1e15" become 18: a bound of 4 would let an oversized input through.
    assert input_size(load_json("1e15")) > 4 * len("1e15")


def _client(max_input_bytes: int) -> httpx.AsyncClient:
    app = FastAPI()
    verifier = make_verifier(
        status_client(), policy=VerifierPolicy(max_input_bytes=max_input_bytes)
    )
    app.include_router(build_verifier_router(verifier))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://verifier")


async def test_a_body_under_the_cap_that_grows_past_it_still_fails_well_formed() -> None:
    credential = sign_di(vcdm2_credential())
    credential["credentialSubject"]["numbers"] = "NUMBERS"
    numbers = ("[" + ",".join(["1e15"] * 200) + "]").encode()
    encoded = httpx.Request("POST", "/", json={"credential": credential}).content
    body = encoded.replace(b'"NUMBERS"', numbers)
    document = load_json(body)["credential"]
    size = input_size(document)
    cap = size - 1
    assert len(body) <= cap < size  # the body fits; the credential encoded again does not
    async with _client(cap) as http:
        response = await http.post(
            "/api/v1/verify", content=body, headers={"content-type": "application/json"}
        )
    report = response.json()
    assert (report["checks"][0]["code"], report["format"]) == ("input_too_large", "unknown")
    assert report["checks"][0]["details"]["size"] == size


async def test_a_body_well_under_the_cap_is_verified_without_measuring() -> None:
    credential = sign_di(vcdm2_credential())
    async with _client(256 * 1024) as http:
        response = await http.post("/api/v1/verify", json={"credential": credential})
    assert response.json()["checks"][0]["name"] == "well_formed"
    assert response.json()["checks"][0]["status"] == "passed"
