"""Proof sets and proof chains (VC Data Integrity 1.0 §4.3, §4.5).

The chain algorithm is exercised on chains made here; the vc-di-eddsa proof-set/chain vectors and
the W3C eddsa suite's proof-chain fixtures are checked when they are present (where:
``tests/data/data_integrity/proof_chains.json``; the tests needing them skip otherwise).
"""

from __future__ import annotations

import copy
import json
import os
import random
from pathlib import Path
from typing import Any

import base58
import pytest

from tests.conftest import DATA, REFERENCE
from vc_core.errors import DidResolutionError, MalformedInputError
from vc_core.jsonld.canonicalize import (
    Canonicalizer,
    OxigraphCanonicalizer,
    PyldCanonicalizer,
)
from vc_core.jsonld.loader import default_loader
from vc_core.keys import KeyType, PrivateKey, PublicKey
from vc_core.proofs.data_integrity import (
    CRYPTOSUITES,
    VERIFIABLE_SUITES,
    ProofGenerationError,
    ProofVerification,
    add_proof,
    hash_data,
    verify_proofs,
)

CASES: dict[str, Any] = json.loads(
    (DATA / "data_integrity" / "proof_chains.json").read_text(encoding="utf-8")
)
SPEC_DIR = (
    Path(os.environ.get("MCRED_VC_DI_EDDSA_VECTORS") or REFERENCE / "test-vectors" / "eddsa")
    / "proof-set-chain"
)
SUITE_DIR = Path(
    os.environ.get("MCRED_DI_ASSERTION_FIXTURES")
    or REFERENCE / "w3c-test-suites" / "data-integrity-test-suite-assertion" / "eddsa-rdfc-2022"
)
needs_spec = pytest.mark.skipif(
    not (SPEC_DIR / "multiKeyPairs.json").is_file(),
    reason=f"the vc-di-eddsa proof-set-chain vectors are not in {SPEC_DIR} "
    "(set MCRED_VC_DI_EDDSA_VECTORS to a vc-di-eddsa TestVectors folder)",
)
needs_suite = pytest.mark.skipif(
    not SUITE_DIR.is_dir(),
    reason=f"the eddsa suite's proof-chain fixtures are not in {SUITE_DIR} "
    "(set MCRED_DI_ASSERTION_FIXTURES to data-integrity-test-suite-assertion's "
    "inputs/eddsa-rdfc-2022)",
)

TEST_LOADER = default_loader(include_test_contexts=True)
ENGINES: dict[str, Canonicalizer] = {
    "pyld": PyldCanonicalizer(TEST_LOADER),
    "oxigraph": OxigraphCanonicalizer(TEST_LOADER),
}
FAST = ENGINES["oxigraph"]
CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2", {"@vocab": "https://example.org/vocab#"}],
    "type": ["VerifiableCredential"],
    "issuer": "did:example:issuer",
    "credentialSubject": {"id": "did:example:subject", "name": "Ada"},
}
KEYS = [PrivateKey.from_raw(KeyType.ED25519, bytes([n]) * 32) for n in range(1, 5)]
CREATED = "2026-11-24T12:00:00Z"


def _vm(key: PrivateKey) -> str:
    mb = key.public_key.multikey
    return f"did:key:{mb}#{mb}"


def _did_key(vm: str, purpose: str) -> PublicKey:
    assert purpose == "assertionMethod"
    return PublicKey.from_multikey(vm.split("#", 1)[1])


def _sign(document: dict[str, Any], key: PrivateKey, **options: Any) -> dict[str, Any]:
    options.setdefault("created", CREATED)
    return add_proof(document, key, verification_method=_vm(key), canonicalizer=FAST, **options)


def _chain() -> dict[str, Any]:
    """The spec's shape: a set of two, a proof naming both, a proof naming that one."""
    document = _sign(CREDENTIAL, KEYS[0], proof_id="urn:p1")
    document = _sign(document, KEYS[1], proof_id="urn:p2")
    document = _sign(document, KEYS[2], proof_id="urn:p3", previous_proof=["urn:p1", "urn:p2"])
    return _sign(document, KEYS[3], previous_proof="urn:p3")


CHAIN = _chain()


def _verify(document: Any, **kwargs: Any) -> ProofVerification:
    options: dict[str, Any] = {
        "resolve_key": _did_key,
        "allowed_cryptosuites": VERIFIABLE_SUITES,
        "canonicalizer": FAST,
    }
    return verify_proofs(document, **{**options, **kwargs})


def _codes(verification: ProofVerification) -> list[list[str]]:
    return [[p.code for p in r.problems] for r in verification.proofs]


# -- chains made here ---------------------------------------------------------------------------


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_chain_verifies(engine: str) -> None:
    verification = _verify(CHAIN, canonicalizer=ENGINES[engine])
    assert verification.verified, _codes(verification)
    assert [r.id for r in verification.proofs] == ["urn:p1", "urn:p2", "urn:p3", None]
    assert [r.previous_proof for r in verification.proofs] == [
        (),
        (),
        ("urn:p1", "urn:p2"),
        ("urn:p3",),
    ]
    assert CHAIN["proof"][2]["previousProof"] == ["urn:p1", "urn:p2"]
    assert CHAIN["proof"][3]["previousProof"] == "urn:p3"


def test_a_chained_proof_signs_the_document_with_the_proofs_it_names() -> None:
    proof = CHAIN["proof"][3]
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = CREDENTIAL["@context"]
    signature = base58.b58decode(proof["proofValue"][1:])
    suite = CRYPTOSUITES["eddsa-rdfc-2022"]
    key = KEYS[3].public_key
    with_named = {**CREDENTIAL, "proof": [CHAIN["proof"][2]]}
    assert key.verify(signature, hash_data(with_named, config, suite, FAST))
    assert not key.verify(signature, hash_data(CREDENTIAL, config, suite, FAST))
    assert not key.verify(
        signature, hash_data({**CREDENTIAL, "proof": CHAIN["proof"][:3]}, config, suite, FAST)
    )


def test_proof_order_does_not_matter() -> None:
    document = copy.deepcopy(CHAIN)
    random.Random(7).shuffle(document["proof"])
    assert _verify(document).verified


def test_a_failing_previous_proof_fails_every_proof_after_it() -> None:
    refused = KEYS[0].public_key.multikey

    def resolve(vm: str, purpose: str) -> PublicKey:
        if refused in vm:
            raise DidResolutionError("refused for the test", details={"error": "notAuthorized"})
        return _did_key(vm, purpose)

    verification = _verify(CHAIN, resolve_key=resolve)
    assert not verification.verified
    assert _codes(verification) == [
        ["key_resolution_failed"],
        [],
        ["previous_proof_not_verified"],
        ["previous_proof_not_verified"],
    ]


def test_a_changed_previous_proof_breaks_the_proof_that_names_it() -> None:
    document = copy.deepcopy(CHAIN)
    document["proof"][1]["created"] = "2026-11-24T12:00:01Z"
    assert _codes(_verify(document)) == [
        [],
        ["invalid_signature"],
        ["invalid_signature"],
        ["previous_proof_not_verified"],
    ]


def test_a_re_signed_previous_proof_still_breaks_the_chain() -> None:
    """The link covers the named proof itself, not just its signer: a new valid proof with the
    same id does not stand in for it."""
    replaced = _sign(CREDENTIAL, KEYS[0], proof_id="urn:p1", created="2020-01-01T00:00:00Z")
    document = copy.deepcopy(CHAIN)
    document["proof"][0] = replaced["proof"]
    assert _codes(_verify(document)) == [
        [],
        [],
        ["invalid_signature"],
        ["previous_proof_not_verified"],
    ]


def test_dropping_a_named_proof_is_refused() -> None:
    document = copy.deepcopy(CHAIN)
    del document["proof"][2]
    assert _codes(_verify(document))[-1] == ["previous_proof_not_found"]


def test_dropping_the_last_link_leaves_a_valid_document() -> None:
    """previousProof binds forward only: earlier proofs do not depend on later ones."""
    document = copy.deepcopy(CHAIN)
    document["proof"] = document["proof"][:3]
    assert _verify(document).verified


def test_two_proofs_with_the_same_id_are_ambiguous() -> None:
    document = copy.deepcopy(CHAIN)
    document["proof"].append(copy.deepcopy(document["proof"][0]))
    codes = _codes(_verify(document))
    assert codes[2] == ["previous_proof_ambiguous"]
    assert codes[4] == []


def test_a_cycle_never_verifies() -> None:
    document = copy.deepcopy(CHAIN)
    document["proof"][0]["previousProof"] = "urn:p3"
    codes = _codes(_verify(document))
    assert not _verify(document).verified
    assert any("previous_proof_cycle" in c for c in codes), codes


@pytest.mark.parametrize("value", ["", [], [""], [1], {"id": "urn:p3"}, 456321, None])
def test_malformed_previous_proof(value: Any) -> None:
    document = copy.deepcopy(CHAIN)
    document["proof"][3]["previousProof"] = value
    assert _codes(_verify(document))[3] == ["malformed_proof"]


@pytest.mark.parametrize(
    ("first_suite", "second_suite"),
    [
        ("eddsa-jcs-2022", "eddsa-jcs-2022"),
        ("eddsa-rdfc-2022", "ecdsa-rdfc-2019"),
        ("ecdsa-jcs-2019", "eddsa-rdfc-2022"),
    ],
)
def test_chain_across_suites(first_suite: str, second_suite: str) -> None:
    keys = {KeyType.ED25519: KEYS[0], KeyType.P256: PrivateKey.generate(KeyType.P256)}
    k1, k2 = keys[CRYPTOSUITES[first_suite].key_type], keys[CRYPTOSUITES[second_suite].key_type]
    first = _sign(CREDENTIAL, k1, cryptosuite=first_suite, proof_id="urn:p1")
    chained = _sign(first, k2, cryptosuite=second_suite, previous_proof=["urn:p1"])
    assert _verify(chained).verified
    replaced = _sign(
        CREDENTIAL, k1, cryptosuite=first_suite, proof_id="urn:p1", created="2020-01-01T00:00:00Z"
    )
    forged = {**chained, "proof": [replaced["proof"], chained["proof"][1]]}
    assert _codes(_verify(forged)) == [[], ["invalid_signature"]]
    # the allowlist applies to every link
    assert _verify(chained, allowed_cryptosuites={first_suite}).verified is (
        first_suite == second_suite
    )


def test_add_proof_refuses_a_missing_previous_proof() -> None:
    with pytest.raises(ProofGenerationError) as info:
        _sign(CHAIN, KEYS[0], previous_proof=["urn:p1", "urn:x"])
    assert info.value.code == "proof_generation"
    assert info.value.to_problem()["type"] == "https://w3id.org/security#PROOF_GENERATION_ERROR"
    assert info.value.details == {"missing": ["urn:x"]}


def test_add_proof_refuses_a_duplicate_id() -> None:
    with pytest.raises(ProofGenerationError):
        _sign(CHAIN, KEYS[0], proof_id="urn:p2")


@pytest.mark.parametrize("value", ["", [], [""]])
def test_add_proof_refuses_a_malformed_previous_proof(value: Any) -> None:
    with pytest.raises(MalformedInputError):
        _sign(CHAIN, KEYS[0], previous_proof=value)


# -- the vc-di-eddsa vectors --------------------------------------------------------------------


def _spec(name: str) -> Any:
    return json.loads((SPEC_DIR / f"{name}.json").read_text(encoding="utf-8"))


def _spec_key(name: str) -> PrivateKey:
    pairs = json.loads((SPEC_DIR.parent / CASES["spec"]["keys"]).read_text(encoding="utf-8"))
    return PrivateKey.from_multikey(pairs[name]["privateKeyMultibase"])


@needs_spec
@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("name", CASES["spec"]["verify"])
def test_spec_proof_sets_and_chains_verify(name: str, engine: str) -> None:
    document = _spec(name)
    verification = _verify(document, canonicalizer=ENGINES[engine])
    assert verification.verified, _codes(verification)
    assert len(verification.proofs) == len(document["proof"])


@needs_spec
@pytest.mark.parametrize("case", CASES["spec"]["add"], ids=lambda c: c["expected"])
def test_add_proof_reproduces_spec_vectors(case: dict[str, str]) -> None:
    """Ed25519 is deterministic: the same options and key give the published proofValue."""
    expected = _spec(case["expected"])
    options = _spec(case["options"])
    secured = add_proof(
        _spec(case["start"]),
        _spec_key(case["key"]),
        verification_method=options["verificationMethod"],
        cryptosuite=options["cryptosuite"],
        created=options["created"],
        proof_id=expected["proof"][-1].get("id"),  # the id a later link names
        previous_proof=options.get("previousProof"),
        canonicalizer=FAST,
    )
    assert secured == expected


@needs_spec
@pytest.mark.parametrize(
    "case", CASES["spec"]["temporary_documents"], ids=lambda c: str(c["document"])
)
def test_spec_temporary_document_is_what_the_chained_proof_signs(case: dict[str, str]) -> None:
    proof = _spec(case["signed_proof"])
    document = _spec(case["document"])
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = document["@context"]
    signature = base58.b58decode(proof["proofValue"][1:])
    data = hash_data(document, config, CRYPTOSUITES["eddsa-rdfc-2022"], FAST)
    assert _did_key(proof["verificationMethod"], "assertionMethod").verify(signature, data)


# -- the W3C eddsa suite's fixtures -------------------------------------------------------------


def _fixture(name: str) -> Any:
    return json.loads((SUITE_DIR / f"{name}-SimpleSigned2.json").read_text(encoding="utf-8"))


@needs_suite
@pytest.mark.parametrize("name", CASES["suite"]["verified"])
def test_suite_fixtures_that_verify(name: str) -> None:
    verification = _verify(_fixture(name))
    assert verification.verified, _codes(verification)


@needs_suite
@pytest.mark.parametrize("name", sorted(CASES["suite"]["refused"]))
def test_suite_fixtures_that_do_not(name: str) -> None:
    verification = _verify(_fixture(name))
    assert not verification.verified
    assert _codes(verification)[-1] == [CASES["suite"]["refused"][name]]
