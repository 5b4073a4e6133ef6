"""Unsecured credentials inside a presentation (VCDM 2.0 §4.12.4, §4.13), driven by
tests/data/verifier/unsecured_in_presentation.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.verifier.world import (
    CHALLENGE,
    DOMAIN,
    ISSUER,
    KEYS,
    make_verifier,
    sign_di,
    status_client,
    vcdm2_credential,
)
from vc_core.proofs.data_integrity import add_proof
from verifier.policy import VerificationOptions

CORPUS = json.loads(
    (Path(__file__).parents[1] / "data" / "verifier" / "unsecured_in_presentation.json").read_text()
)
PARTIES = {"holder": KEYS.holder_did, "issuer": ISSUER, "other": "did:example:issuer"}
PRESENTED = VerificationOptions(challenge=CHALLENGE, domain=DOMAIN)


def _unsecured(issuer: str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": "2026-03-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:subject"},
    }


def _presentation(credentials: list[dict[str, Any]], holder: str | None) -> dict[str, Any]:
    presentation: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": credentials,
    }
    if holder is not None:
        presentation["holder"] = holder
    return add_proof(
        presentation,
        KEYS.holder,
        verification_method=KEYS.holder_vm,
        proof_purpose="authentication",
        challenge=CHALLENGE,
        domain=DOMAIN,
        created="2026-03-02T09:29:00Z",
    )


@pytest.mark.parametrize("case", CORPUS["cases"], ids=[c["id"] for c in CORPUS["cases"]])
def test_an_unsecured_credential_in_a_presentation(case: dict[str, Any]) -> None:
    holder = PARTIES[case["holder"]] if case["holder"] else None
    credential = _unsecured(PARTIES[case["issuer"]])
    report = make_verifier(status_client()).verify_presentation(
        _presentation([credential], holder), options=PRESENTED
    )
    expect = case["expect"]
    assert report.check("proof").status == "passed", report.to_dict()
    inner = report.credentials[0]
    assert report.verified is expect["verified"], report.to_dict()
    proof = inner.check("proof")
    assert [str(proof.status), proof.code] == expect["proof"]
    assert inner.check("issuer_key").status == "skipped"
    assert inner.check("status").status == "skipped"
    assert inner.check("holder_binding").status == expect["holder_binding"]
    assert (inner.document is not None) is expect["document"]
    if "warning" in expect:
        assert expect["warning"] in {w.code for w in inner.warnings}
        assert any(w["code"] == expect["warning"] for w in report.to_vc_api()["warnings"])


def test_a_secured_credential_beside_a_self_asserted_one() -> None:
    credentials = [sign_di(vcdm2_credential()), _unsecured(KEYS.holder_did)]
    report = make_verifier(status_client()).verify_presentation(
        _presentation(credentials, KEYS.holder_did), options=PRESENTED
    )
    assert report.verified, report.to_dict()
    assert report.credentials[0].check("proof").status == "passed"
    assert report.credentials[1].check("proof").code == "secured_by_presentation"


def test_a_self_asserted_credential_is_covered_by_the_presentations_proof() -> None:
    presentation = _presentation([_unsecured(KEYS.holder_did)], KEYS.holder_did)
    presentation["verifiableCredential"][0]["validFrom"] = "2026-02-01T00:00:00Z"
    report = make_verifier(status_client()).verify_presentation(presentation, options=PRESENTED)
    assert not report.verified
    assert report.check("proof").status == "failed"
    assert report.credentials[0].document is None
