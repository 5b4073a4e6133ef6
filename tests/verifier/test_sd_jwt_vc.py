"""SD-JWT VCs in the verifier (verifier.sd_jwt_vc), driven by tests/data/verifier/sd_jwt_vc.json."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.verifier.world import (
    ATTACKER_VM,
    CHALLENGE,
    DOMAIN,
    ISSUER,
    ISSUER_ED_VM,
    KEYS,
    NOW,
    di_presentation,
    make_verifier,
    status_client,
)
from vc_core.jose import sign_jws
from vc_core.keys import PrivateKey, b64url_decode, b64url_encode
from vc_core.sd_jwt import parse_sd_jwt, present
from vc_core.sd_jwt_vc import issue_sd_jwt_vc
from vc_core.status.token_status_list import TokenStatusList
from vc_core.status_token import sign_status_list_token
from verifier import VerificationReport
from verifier.errors import UnsupportedFormatError, UnverifiableInputError
from verifier.memory import InMemoryStatusListClient
from verifier.policy import VerificationOptions, VerifierPolicy

CORPUS = json.loads(
    (Path(__file__).parents[1] / "data" / "verifier" / "sd_jwt_vc.json").read_text()
)
TSL_URI = "https://credentials.arqus-alliance.eu/status/tsl-1"
TSL_INDEX = 17
VCT = "https://credentials.arqus-alliance.eu/vct/learning-achievement"
PRESENTED = VerificationOptions(challenge=CHALLENGE, domain=DOMAIN)
SIGNERS = {"issuer": KEYS.issuer_ed, "stranger": KEYS.stranger, "attacker": KEYS.attacker}
CLAIMS = {
    "given_name": "Ana",
    "family_name": "García",
    "achievement": "Sustainable Urban Mobility",
    "address": {"locality": "Granada", "country": "ES"},
}
DISCLOSABLE = (("given_name",), ("family_name",), ("address",), ("address", "locality"))


def _status_token(
    value: int = 0, *, key: PrivateKey = KEYS.issuer_ed, kid: str = ISSUER_ED_VM, uri: str = TSL_URI
) -> str:
    statuses = TokenStatusList(1024, bits=2)
    statuses.set(TSL_INDEX, value)
    return sign_status_list_token(
        statuses, key, uri=uri, kid=kid, iat=NOW - timedelta(hours=1), exp=NOW + timedelta(days=1)
    )


def _b64_json(part: str) -> dict[str, Any]:
    value = json.loads(b64url_decode(part))
    assert isinstance(value, dict)
    return value


def _issue(mutation: Mapping[str, Any]) -> str:
    key = SIGNERS[mutation.get("sign_key", "issuer")]
    token = issue_sd_jwt_vc(
        CLAIMS,
        key,
        vct=VCT,
        iss=mutation.get("iss", ISSUER),
        kid=mutation.get("kid", ISSUER_ED_VM),
        holder_jwk=KEYS.holder.public_key.to_jwk(),
        iat=NOW - timedelta(days=1),
        exp=NOW + timedelta(hours=mutation.get("exp_hours", 24 * 365)),
        status_list=(mutation.get("status_idx", TSL_INDEX), TSL_URI),
        disclosable=DISCLOSABLE,
    )
    parts = parse_sd_jwt(token)
    issuer_jwt = parts.issuer_jwt
    header_b64, payload_b64, signature = issuer_jwt.split(".")
    if "typ" in mutation:
        header = {**_b64_json(header_b64), "typ": mutation["typ"]}
        del header["alg"]
        issuer_jwt = sign_jws(_b64_json(payload_b64), key, header=header)
    if mutation.get("tamper_payload"):
        payload = {**_b64_json(payload_b64), "achievement": "Quantum Physics (PhD)"}
        forged = b64url_encode(json.dumps(payload).encode())
        issuer_jwt = f"{header_b64}.{forged}.{signature}"
    disclosures = list(parts.disclosures)
    if "tamper_disclosure" in mutation:
        for i, disclosure in enumerate(disclosures):
            salt, *rest = json.loads(b64url_decode(disclosure))
            if rest[0] == mutation["tamper_disclosure"]:
                forged_text = json.dumps([salt, rest[0], "Mallory"])
                disclosures[i] = b64url_encode(forged_text.encode())
    return "".join(part + "~" for part in (issuer_jwt, *disclosures))


def _present(sd_jwt: str, mutation: Mapping[str, Any]) -> str:
    wanted = mutation.get("disclose", [["given_name"], ["address", "locality"]])
    if mutation.get("no_kb"):
        return present(sd_jwt, disclose=[tuple(p) for p in wanted])
    token = present(
        sd_jwt,
        disclose=[tuple(p) for p in wanted],
        kb_key=KEYS.holder,
        aud=mutation.get("aud", DOMAIN),
        nonce=mutation.get("nonce", CHALLENGE),
        iat=NOW - timedelta(seconds=30),
    )
    if mutation.get("tamper_kb"):
        head, payload, signature = token.rsplit("~", 1)[1].split(".")
        claims = {**_b64_json(payload), "nonce": CHALLENGE + "x"}
        forged = f"{head}.{b64url_encode(json.dumps(claims).encode())}.{signature}"
        token = token.rsplit("~", 1)[0] + "~" + forged
    return token


def _client(mutation: Mapping[str, Any]) -> InMemoryStatusListClient:
    client = status_client()
    variant = mutation.get("status_token")
    if variant == "withdrawn":
        return client
    if variant == "attacker":
        token = _status_token(key=KEYS.attacker, kid=ATTACKER_VM)
    elif variant == "other_uri":
        token = _status_token(uri=TSL_URI + "-other")
    else:
        token = _status_token(mutation.get("status_value", 0))
    if variant == "tampered":
        head, _, signature = token.split(".")
        claims = _b64_json(token.split(".")[1])
        claims["ttl"] = 1
        token = f"{head}.{b64url_encode(json.dumps(claims).encode())}.{signature}"
    client.publish_token(TSL_URI, token)
    return client


def _verify(case: Mapping[str, Any]) -> tuple[VerificationReport, InMemoryStatusListClient]:
    mutation = case["mutation"]
    client = _client(mutation)
    policy = (
        VerifierPolicy(jws_algs=frozenset(mutation["policy_algs"]))
        if "policy_algs" in mutation
        else None
    )
    verifier = make_verifier(client, policy=policy)
    token = _issue(mutation)
    if case["mode"] == "presentation":
        return verifier.verify_presentation(_present(token, mutation), options=PRESENTED), client
    return verifier.verify_credential(token), client


@pytest.mark.parametrize("case", CORPUS["cases"], ids=[c["id"] for c in CORPUS["cases"]])
def test_sd_jwt_vc(case: Mapping[str, Any]) -> None:
    report, client = _verify(case)
    expect = case["expect"]
    assert report.format == "dc+sd-jwt"
    assert report.kind == case["mode"]
    json.dumps(report.to_dict())  # the report always renders
    if expect["check"] is None:
        assert report.verified, report.to_dict()
        credential = report.credentials[0] if report.kind == "presentation" else report
        assert credential.check("status").status == "passed"
        assert client.token_requests == [TSL_URI]
        return
    assert not report.verified
    target = report.credentials[expect["credential"]] if "credential" in expect else report
    check = target.check(expect["check"])
    assert (str(check.status), check.code) == ("failed", expect["code"]), check.to_dict()
    if expect["check"] in ("proof", "issuer_key"):
        assert client.token_requests == []  # nothing leaves the process for a forged credential


def test_the_report_holds_the_disclosed_claims_only() -> None:
    report, _ = _verify({"mode": "presentation", "mutation": {}})
    assert report.verified, report.to_dict()
    document = report.credentials[0].document
    assert document is not None
    assert report.document == document
    assert document["given_name"] == "Ana"
    assert document["address"] == {"locality": "Granada", "country": "ES"}
    assert "family_name" not in document
    assert document["iss"] == ISSUER
    assert report.check("holder_key").status == "passed"


def test_a_key_bound_presentation_without_challenge_is_verified_with_a_warning() -> None:
    token = _present(_issue({}), {})
    report = make_verifier(_client({})).verify_presentation(token)
    assert report.verified, report.to_dict()
    assert "no_challenge" in {w.code for w in report.warnings}


def test_verify_jwt_tells_a_presentation_by_its_kb_jwt() -> None:
    verifier = make_verifier(_client({}))
    sd_jwt = _issue({})
    assert verifier.verify_jwt(sd_jwt).kind == "credential"
    assert verifier.verify_jwt(_present(sd_jwt, {}), options=PRESENTED).kind == "presentation"


def test_an_enveloped_sd_jwt_vc_inside_a_presentation() -> None:
    presented = _present(_issue({}), {})
    envelope = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiableCredential",
        "id": "data:application/dc+sd-jwt," + presented,
    }
    report = make_verifier(_client({})).verify_presentation(
        di_presentation([envelope]), options=PRESENTED
    )
    assert report.verified, report.to_dict()
    inner = report.credentials[0]
    assert inner.enveloped
    assert inner.format == "dc+sd-jwt"
    assert inner.check("holder_binding").status == "passed"


def test_status_list_tokens_are_fetched_once_per_verification() -> None:
    client = _client({})
    sd_jwt = _issue({})
    envelope = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiableCredential",
        "id": "data:application/dc+sd-jwt," + sd_jwt,
    }
    report = make_verifier(client).verify_presentation(
        di_presentation([envelope, envelope]), options=PRESENTED
    )
    assert report.verified, report.to_dict()
    assert client.token_requests == [TSL_URI]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("e30.e30.sig~", UnverifiableInputError),
        ("~~", UnverifiableInputError),
    ],
)
def test_an_unreadable_sd_jwt_is_a_parsing_error(value: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        make_verifier(status_client()).verify_credential(value)


def test_an_sd_jwt_that_is_no_sd_jwt_vc_is_unsupported() -> None:
    token = _issue({"typ": "example+sd-jwt"})
    with pytest.raises(UnsupportedFormatError, match="SD-JWT VC"):
        make_verifier(status_client()).verify_credential(token)
