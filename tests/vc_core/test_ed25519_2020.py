"""The legacy ``Ed25519Signature2020`` suite (VC-DI EdDSA 1.0 §4), verified only.

``vc_core`` never makes these proofs, so the credential checked here is signed by the suite's
algorithm written out in :func:`_sign_2020` (hash data of the rdfc suites, proof ``type``
``Ed25519Signature2020``, no ``cryptosuite``). The vc-di-eddsa vectors for the suite are checked
step by step when present (where: ``tests/data/data_integrity/ed25519_signature_2020.json``; the
tests needing them skip otherwise).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import base58
import pytest

from tests.conftest import DATA, REFERENCE
from vc_core.errors import MalformedInputError
from vc_core.jsonld.canonicalize import (
    Canonicalizer,
    OxigraphCanonicalizer,
    PyldCanonicalizer,
)
from vc_core.jsonld.loader import default_loader
from vc_core.keys import KeyType, PrivateKey, PublicKey
from vc_core.proofs.data_integrity import (
    ED25519_2020_CONTEXT,
    LEGACY_PROOF_TYPES,
    VERIFIABLE_SUITES,
    ProofVerification,
    add_proof,
    hash_data,
    verify_proofs,
)

CASE: dict[str, Any] = json.loads(
    (DATA / "data_integrity" / "ed25519_signature_2020.json").read_text(encoding="utf-8")
)
VECTORS = Path(os.environ.get("MCRED_VC_DI_EDDSA_VECTORS") or REFERENCE / "test-vectors" / "eddsa")
needs_vectors = pytest.mark.skipif(
    not (VECTORS / CASE["files"]["signed"]).is_file(),
    reason=f"the vc-di-eddsa Ed25519Signature2020 vectors are not in {VECTORS} "
    "(set MCRED_VC_DI_EDDSA_VECTORS to a vc-di-eddsa TestVectors folder)",
)
SUITE = LEGACY_PROOF_TYPES["Ed25519Signature2020"]
TEST_LOADER = default_loader(include_test_contexts=True)
ENGINES: dict[str, Canonicalizer] = {
    "pyld": PyldCanonicalizer(TEST_LOADER),
    "oxigraph": OxigraphCanonicalizer(TEST_LOADER),
}
FAST = ENGINES["oxigraph"]
KEY = PrivateKey.from_raw(KeyType.ED25519, bytes(range(32)))
DID = f"did:key:{KEY.public_key.multikey}"
CREDENTIAL: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        ED25519_2020_CONTEXT,
        {"@vocab": "https://example.org/vocab#"},
    ],
    "type": ["VerifiableCredential"],
    "issuer": DID,
    "validFrom": "2026-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:subject", "achievement": "Data Integrity"},
}


def _sign_2020(document: dict[str, Any], key: PrivateKey) -> dict[str, Any]:
    """VC-DI EdDSA 1.0 §4.2 "Add Proof (Ed25519Signature2020)", written out for the test."""
    mb = key.public_key.multikey
    proof = {
        "type": "Ed25519Signature2020",
        "created": "2026-11-24T12:00:00Z",
        "verificationMethod": f"did:key:{mb}#{mb}",
        "proofPurpose": "assertionMethod",
    }
    config = {**proof, "@context": document["@context"]}
    signature = key.sign(hash_data(document, config, SUITE, FAST))
    return {
        **document,
        "proof": {**proof, "proofValue": "z" + base58.b58encode(signature).decode()},
    }


SIGNED = _sign_2020(CREDENTIAL, KEY)


def _did_key(vm: str, purpose: str) -> PublicKey:
    assert purpose == "assertionMethod"
    return PublicKey.from_multikey(vm.split("#", 1)[1])


def _verify(document: Any, **kwargs: Any) -> ProofVerification:
    options: dict[str, Any] = {
        "resolve_key": _did_key,
        "allowed_cryptosuites": VERIFIABLE_SUITES,
        "canonicalizer": FAST,
    }
    return verify_proofs(document, **{**options, **kwargs})


def _code(verification: ProofVerification) -> str:
    assert not verification.verified
    return verification.proofs[0].problems[0].code


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_verifies(engine: str) -> None:
    verification = _verify(SIGNED, canonicalizer=ENGINES[engine])
    assert verification.verified
    (result,) = verification.proofs
    assert result.cryptosuite == "Ed25519Signature2020"
    assert result.verification_method == SIGNED["proof"]["verificationMethod"]
    assert result.created == "2026-11-24T12:00:00Z"


def test_only_when_allowed() -> None:
    assert "Ed25519Signature2020" in VERIFIABLE_SUITES
    verification = _verify(SIGNED, allowed_cryptosuites={"eddsa-rdfc-2022"})
    assert _code(verification) == "cryptosuite_not_allowed"


def test_not_a_data_integrity_proof_in_disguise() -> None:
    """The same signature under ``DataIntegrityProof``/``eddsa-rdfc-2022`` covers other bytes."""
    document = copy.deepcopy(SIGNED)
    document["proof"].update(type="DataIntegrityProof", cryptosuite="eddsa-rdfc-2022")
    assert _code(_verify(document)) == "invalid_signature"


TAMPERINGS: dict[str, tuple[str, str, Any]] = {
    "subject claim": ("credentialSubject", "achievement", "Forgery"),
    "validFrom": ("", "validFrom", "2020-01-01T00:00:00Z"),
    "created": ("proof", "created", "2026-11-24T12:00:01Z"),
    "a cryptosuite property": ("proof", "cryptosuite", "eddsa-rdfc-2022"),
}


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_tampering_is_caught(name: str) -> None:
    where, key, value = TAMPERINGS[name]
    document = copy.deepcopy(SIGNED)
    (document[where] if where else document)[key] = value
    assert _code(_verify(document)) == "invalid_signature"


def test_another_ed25519_key_does_not_verify() -> None:
    other = PrivateKey.generate(KeyType.ED25519).public_key
    assert _code(_verify(SIGNED, resolve_key=lambda vm, purpose: other)) == "invalid_signature"


def test_a_p256_key_is_refused() -> None:
    p256 = PrivateKey.generate(KeyType.P256).public_key
    assert _code(_verify(SIGNED, resolve_key=lambda vm, purpose: p256)) == "key_type_mismatch"


def test_another_proof_purpose_is_refused() -> None:
    document = copy.deepcopy(SIGNED)
    document["proof"]["proofPurpose"] = "authentication"
    assert _code(_verify(document)) == "proof_purpose_mismatch"


def test_the_suite_context_is_required() -> None:
    document = copy.deepcopy(SIGNED)
    document["@context"] = [c for c in document["@context"] if c != ED25519_2020_CONTEXT]
    assert _code(_verify(document)) == "suite_context_missing"


def test_not_signed_by_mcred() -> None:
    with pytest.raises(MalformedInputError):
        add_proof(
            CREDENTIAL,
            KEY,
            verification_method=SIGNED["proof"]["verificationMethod"],
            cryptosuite="Ed25519Signature2020",
        )


def test_in_a_proof_set_with_a_data_integrity_proof() -> None:
    both = add_proof(
        SIGNED, KEY, verification_method=SIGNED["proof"]["verificationMethod"], canonicalizer=FAST
    )
    verification = _verify(both)
    assert verification.verified
    assert [r.cryptosuite for r in verification.proofs] == [
        "Ed25519Signature2020",
        "eddsa-rdfc-2022",
    ]


def test_context_is_pinned_for_production() -> None:
    production = default_loader()
    assert CASE["context"]["url"] == ED25519_2020_CONTEXT
    entry = production.entry(ED25519_2020_CONTEXT)
    assert entry.sha256 == CASE["context"]["sha256"]
    assert hashlib.sha256(entry.path.read_bytes()).hexdigest() == CASE["context"]["sha256"]
    context = production.context(ED25519_2020_CONTEXT)["@context"]
    assert (
        context["Ed25519Signature2020"]["@id"] == "https://w3id.org/security#Ed25519Signature2020"
    )


# -- the vc-di-eddsa vectors --------------------------------------------------------------------


def _text(name: str) -> str:
    path: Path = VECTORS / CASE["files"][name]
    return path.read_text(encoding="utf-8")


def _json(name: str) -> Any:
    return json.loads(_text(name))


@needs_vectors
@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_spec_canonical_forms_and_hashes(engine: str) -> None:
    unsecured = {k: v for k, v in _json("signed").items() if k != "proof"}
    config = _json("proof_config")
    doc_nq, config_nq = ENGINES[engine].canonize_pair(unsecured, config)
    assert doc_nq == _text("canonical_document")
    assert config_nq == _text("canonical_proof_config")
    assert hashlib.sha256(doc_nq.encode()).hexdigest() == _text("document_hash").strip()
    assert hashlib.sha256(config_nq.encode()).hexdigest() == _text("proof_config_hash").strip()
    combined = hash_data(unsecured, config, SUITE, ENGINES[engine])
    assert combined.hex() == _text("combined_hash").strip()


@needs_vectors
def test_spec_signature_is_the_keys_signature_of_the_hash_data() -> None:
    signed = _json("signed")
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    key = PrivateKey.from_multikey(_json("key_pair")["privateKeyMultibase"])
    signature = key.sign(hash_data(unsecured, _json("proof_config"), SUITE, FAST))
    assert signature.hex() == _text("signature_hex").strip()
    assert "z" + base58.b58encode(signature).decode() == _text("signature_base58btc").strip()
    assert signed["proof"]["proofValue"] == _text("signature_base58btc").strip()


@needs_vectors
@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_spec_credential_verifies(engine: str) -> None:
    verification = _verify(_json("signed"), canonicalizer=ENGINES[engine])
    assert verification.verified
    assert verification.proofs[0].cryptosuite == "Ed25519Signature2020"
