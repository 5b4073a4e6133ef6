"""Data Integrity behaviour beyond the vectors: presentations, proof sets, refusals."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vc_core.errors import DidResolutionError, KeyFormatError, MalformedInputError
from vc_core.jsonld.canonicalize import OxigraphCanonicalizer
from vc_core.keys import KeyType, PrivateKey, PublicKey
from vc_core.proofs.data_integrity import add_proof, verify_proofs

ED = PrivateKey.generate(KeyType.ED25519)
P256 = PrivateKey.generate(KeyType.P256)
KEYS = {"did:web:uni.example#ed": ED.public_key, "did:web:uni.example#p256": P256.public_key}
HOLDER = PrivateKey.generate()
HOLDER_VM = "did:key:" + HOLDER.public_key.multikey + "#" + HOLDER.public_key.multikey

CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "id": "urn:uuid:0f3d7a64-3a1e-4f0e-9d2b-8f5a3b3c9a01",
    "type": ["VerifiableCredential"],
    "issuer": "did:web:uni.example",
    "validFrom": "2026-01-01T00:00:00Z",
    "credentialSubject": {"id": HOLDER_VM.split("#")[0], "name": "Ada Lovelace"},
}


def resolve(vm: str, purpose: str) -> PublicKey:
    if vm == HOLDER_VM and purpose == "authentication":
        return HOLDER.public_key
    if vm in KEYS and purpose == "assertionMethod":
        return KEYS[vm]
    raise DidResolutionError(f"{vm} is not listed for {purpose}")


ALL = ["eddsa-rdfc-2022", "eddsa-jcs-2022", "ecdsa-rdfc-2019", "ecdsa-jcs-2019"]


@pytest.mark.parametrize("suite", ALL)
def test_round_trip(suite: str) -> None:
    key, vm = (
        (ED, "did:web:uni.example#ed")
        if suite.startswith("eddsa")
        else (P256, "did:web:uni.example#p256")
    )
    signed = add_proof(CREDENTIAL, key, verification_method=vm, cryptosuite=suite)
    assert "proof" not in CREDENTIAL, "the input is not modified"
    assert signed["proof"]["proofValue"].startswith("z")
    result = verify_proofs(signed, resolve_key=resolve, allowed_cryptosuites=[suite])
    assert result.verified, result
    assert result.proofs[0].cryptosuite == suite


def _presentation(challenge: str, domain: str) -> dict[str, Any]:
    credential = add_proof(CREDENTIAL, ED, verification_method="did:web:uni.example#ed")
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER_VM.split("#")[0],
        "verifiableCredential": [credential],
    }
    return add_proof(
        presentation,
        HOLDER,
        verification_method=HOLDER_VM,
        proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
    )


def test_presentation_with_challenge_and_domain() -> None:
    vp = _presentation("n-0S6_WzA2Mj", "https://verifier.example")
    ok = verify_proofs(
        vp,
        resolve_key=resolve,
        allowed_cryptosuites=["eddsa-rdfc-2022"],
        expected_proof_purpose="authentication",
        challenge="n-0S6_WzA2Mj",
        domain="https://verifier.example",
    )
    assert ok.verified, ok
    inner = verify_proofs(
        vp["verifiableCredential"][0], resolve_key=resolve, allowed_cryptosuites=["eddsa-rdfc-2022"]
    )
    assert inner.verified


@pytest.mark.parametrize(
    ("challenge", "domain", "code", "problem"),
    [
        ("other", "https://verifier.example", "challenge_mismatch", "INVALID_CHALLENGE_ERROR"),
        ("n-0S6_WzA2Mj", "https://evil.example", "domain_mismatch", "INVALID_DOMAIN_ERROR"),
    ],
)
def test_presentation_replayed_elsewhere_fails(
    challenge: str, domain: str, code: str, problem: str
) -> None:
    vp = _presentation("n-0S6_WzA2Mj", "https://verifier.example")
    result = verify_proofs(
        vp,
        resolve_key=resolve,
        allowed_cryptosuites=["eddsa-rdfc-2022"],
        expected_proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
    )
    assert not result.verified
    assert result.proofs[0].problems[0].code == code
    assert result.proofs[0].problems[0].problem_type.endswith(problem)


def test_assertion_proof_is_not_accepted_as_authentication() -> None:
    signed = add_proof(CREDENTIAL, ED, verification_method="did:web:uni.example#ed")
    result = verify_proofs(
        signed,
        resolve_key=resolve,
        allowed_cryptosuites=ALL,
        expected_proof_purpose="authentication",
    )
    assert result.proofs[0].problems[0].code == "proof_purpose_mismatch"


def test_proof_set_all_must_verify() -> None:
    both = add_proof(
        add_proof(CREDENTIAL, ED, verification_method="did:web:uni.example#ed"),
        P256,
        verification_method="did:web:uni.example#p256",
        cryptosuite="ecdsa-rdfc-2019",
    )
    assert len(both["proof"]) == 2
    assert verify_proofs(both, resolve_key=resolve, allowed_cryptosuites=ALL).verified
    only_eddsa = verify_proofs(both, resolve_key=resolve, allowed_cryptosuites=["eddsa-rdfc-2022"])
    assert not only_eddsa.verified
    assert [p.verified for p in only_eddsa.proofs] == [True, False]


def test_key_of_the_wrong_type_fails() -> None:
    signed = add_proof(CREDENTIAL, ED, verification_method="did:web:uni.example#ed")
    confused = copy.deepcopy(signed)
    confused["proof"]["verificationMethod"] = "did:web:uni.example#p256"
    result = verify_proofs(confused, resolve_key=resolve, allowed_cryptosuites=ALL)
    assert result.proofs[0].problems[0].code == "key_type_mismatch"


def test_other_key_of_the_same_type_fails() -> None:
    stranger = PrivateKey.generate()
    signed = add_proof(CREDENTIAL, stranger, verification_method="did:web:uni.example#ed")
    result = verify_proofs(signed, resolve_key=resolve, allowed_cryptosuites=ALL)
    assert result.proofs[0].problems[0].code == "invalid_signature"


def test_unresolvable_key_fails() -> None:
    signed = add_proof(CREDENTIAL, ED, verification_method="did:web:other.example#ed")
    result = verify_proofs(signed, resolve_key=resolve, allowed_cryptosuites=ALL)
    assert result.proofs[0].problems[0].code == "key_resolution_failed"


def test_expired_proof_fails() -> None:
    past = datetime.now(UTC) - timedelta(days=1)
    signed = add_proof(CREDENTIAL, ED, verification_method="did:web:uni.example#ed", expires=past)
    result = verify_proofs(signed, resolve_key=resolve, allowed_cryptosuites=ALL)
    assert result.proofs[0].problems[0].code == "proof_expired"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("created", "yesterday", "malformed_proof"),
        ("created", "2026-01-01T00:00:00", "malformed_proof"),
        ("type", "Ed25519Signature2018", "unsupported_proof_type"),
        ("cryptosuite", "bbs-2023", "unsupported_cryptosuite"),
        ("proofValue", "uAAAA", "malformed_proof"),
    ],
)
def test_malformed_proofs_fail_without_raising(field: str, value: str, code: str) -> None:
    signed = add_proof(CREDENTIAL, ED, verification_method="did:web:uni.example#ed")
    signed["proof"][field] = value
    result = verify_proofs(signed, resolve_key=resolve, allowed_cryptosuites=ALL)
    assert not result.verified
    assert result.proofs[0].problems[0].code == code


def test_undefined_term_added_after_signing_fails_as_transformation_error() -> None:
    signed = add_proof(CREDENTIAL, ED, verification_method="did:web:uni.example#ed")
    signed["grade"] = "A+"
    result = verify_proofs(signed, resolve_key=resolve, allowed_cryptosuites=ALL)
    problem = result.proofs[0].problems[0]
    assert problem.code == "unsafe_jsonld"
    assert problem.problem_type.endswith("PROOF_TRANSFORMATION_ERROR")


def test_no_proof() -> None:
    result = verify_proofs(CREDENTIAL, resolve_key=resolve, allowed_cryptosuites=ALL)
    assert not result.verified
    assert result.problems[0].code == "no_proof"


def test_signing_refuses_bad_input() -> None:
    with pytest.raises(KeyFormatError):
        add_proof(CREDENTIAL, P256, verification_method="x", cryptosuite="eddsa-rdfc-2022")
    with pytest.raises(MalformedInputError):
        add_proof(CREDENTIAL, ED, verification_method="x", cryptosuite="eddsa-2099")
    with pytest.raises(MalformedInputError):
        add_proof({**CREDENTIAL, "grade": "A"}, ED, verification_method="did:web:uni.example#ed")
    with pytest.raises(MalformedInputError):
        add_proof(CREDENTIAL, ED, verification_method="x", created=datetime(2026, 1, 1))


def test_allowlist_is_required() -> None:
    signed = add_proof(CREDENTIAL, ED, verification_method="did:web:uni.example#ed")
    with pytest.raises(ValueError, match="at least one"):
        verify_proofs(signed, resolve_key=resolve, allowed_cryptosuites=[])


def test_escaped_iri_does_not_verify_once_the_shape_is_cached() -> None:
    """Review finding: pyoxigraph decoded \\u escapes in IRIs that pyld keeps as text."""
    engine = OxigraphCanonicalizer()
    signed = add_proof(
        CREDENTIAL, ED, verification_method="did:web:uni.example#ed", canonicalizer=engine
    )
    assert verify_proofs(
        signed, resolve_key=resolve, allowed_cryptosuites=ALL, canonicalizer=engine
    ).verified
    forged = {**signed, "issuer": "did:web:uni\\u002eexample"}
    result = verify_proofs(
        forged, resolve_key=resolve, allowed_cryptosuites=ALL, canonicalizer=engine
    )
    assert not result.verified


@pytest.mark.parametrize("suite", ["eddsa-jcs-2022", "eddsa-rdfc-2022"])
@pytest.mark.parametrize("value", [2**60, "a\ud800"])
def test_unencodable_values_fail_without_raising(suite: str, value: object) -> None:
    signed = add_proof(
        CREDENTIAL, ED, verification_method="did:web:uni.example#ed", cryptosuite=suite
    )
    signed["credentialSubject"] = {**signed["credentialSubject"], "name": value}
    result = verify_proofs(signed, resolve_key=resolve, allowed_cryptosuites=ALL)
    assert not result.verified


def test_proof_context_is_a_prefix_of_the_document_context() -> None:
    """VC-DI "Verify Proof": a document whose @context starts with the proof's verifies with it."""
    signed = add_proof(
        CREDENTIAL, ED, verification_method="did:web:uni.example#ed", cryptosuite="eddsa-jcs-2022"
    )
    extended = {**signed, "@context": [*signed["@context"], "https://w3id.org/security/jwk/v1"]}
    result = verify_proofs(extended, resolve_key=resolve, allowed_cryptosuites=ALL)
    assert result.verified, result
    reordered = {**signed, "@context": ["https://w3id.org/security/jwk/v1", *signed["@context"]]}
    result = verify_proofs(reordered, resolve_key=resolve, allowed_cryptosuites=ALL)
    assert result.proofs[0].problems[0].code == "context_mismatch"
