"""Proof sets and chains through the verifier: other parties may countersign a credential, but
at least one verified proof must be the issuer's (else the key check reports key confusion)."""

from __future__ import annotations

from typing import Any

from tests.verifier.world import (
    KEYS,
    make_verifier,
    sign_di,
    status_client,
    vcdm2_credential,
)
from vc_core.dids.did_key import did_key_from_public_key, did_key_verification_method_id
from vc_core.proofs.data_integrity import add_proof
from verifier import CheckName

PASSED, FAILED = "passed", "failed"


def _countersign(document: dict[str, Any], *, key: Any, previous: str | None = None) -> Any:
    did = did_key_from_public_key(key.public_key)
    return add_proof(
        document,
        key,
        verification_method=did_key_verification_method_id(did),
        created="2026-03-01T13:00:00Z",
        proof_id=f"urn:uuid:proof-{did[-6:]}",
        previous_proof=previous,
    )


def _statuses(report: Any) -> dict[str, str]:
    return {str(c.name): str(c.status) for c in report.checks}


def test_an_issuer_proof_with_a_countersignature_verifies() -> None:
    signed = _countersign(sign_di(vcdm2_credential()), key=KEYS.stranger)
    assert len(signed["proof"]) == 2
    report = make_verifier(status_client()).verify_credential(signed)
    assert report.verified, report.to_dict(include_document=False)
    assert report.check(CheckName.ISSUER_KEY).status == PASSED


def test_a_chain_on_the_issuer_proof_verifies() -> None:
    first = add_proof(
        vcdm2_credential(),
        KEYS.issuer_ed,
        verification_method="did:web:credentials.arqus-alliance.eu#ed-2026-01",
        created="2026-03-01T12:00:00Z",
        proof_id="urn:uuid:issuer-proof",
    )
    chained = _countersign(first, key=KEYS.stranger, previous="urn:uuid:issuer-proof")
    report = make_verifier(status_client()).verify_credential(chained)
    assert report.verified, report.to_dict(include_document=False)


def test_a_set_without_any_issuer_proof_is_key_confusion() -> None:
    signed = _countersign(
        _countersign(vcdm2_credential(), key=KEYS.stranger), key=KEYS.other_holder
    )
    report = make_verifier(status_client()).verify_credential(signed)
    assert not report.verified
    key = report.check(CheckName.ISSUER_KEY)
    assert (key.status, key.code) == (FAILED, "key_confusion")


def test_a_single_foreign_proof_is_still_refused_before_resolution() -> None:
    signed = _countersign(vcdm2_credential(), key=KEYS.stranger)
    report = make_verifier(status_client()).verify_credential(signed)
    key = report.check(CheckName.ISSUER_KEY)
    assert (key.status, key.code) == (FAILED, "key_confusion")
