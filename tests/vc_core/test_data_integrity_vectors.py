"""The W3C Data Integrity test vectors, reproduced step by step (canonical forms, hashes, proofs).

Cases are listed in ``tests/data/data_integrity/vectors.json``; the files are the W3C vectors in
``shared/reference/test-vectors``.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import rfc8785

from tests.conftest import DATA, REFERENCE
from vc_core.jsonld.canonicalize import OxigraphCanonicalizer, PyldCanonicalizer
from vc_core.jsonld.loader import default_loader
from vc_core.keys import PrivateKey, PublicKey
from vc_core.proofs.data_integrity import CRYPTOSUITES, add_proof, hash_data, verify_proofs

VECTORS = REFERENCE / "test-vectors"
CASES = json.loads((DATA / "data_integrity" / "vectors.json").read_text())["cases"]
TEST_LOADER = default_loader(include_test_contexts=True)
ENGINES = {"pyld": PyldCanonicalizer(TEST_LOADER), "oxigraph": OxigraphCanonicalizer(TEST_LOADER)}
FAST = ENGINES["oxigraph"]


def _read(case: dict[str, Any], stem: str) -> str:
    return (VECTORS / case["dir"] / f"{stem}{case['suffix']}.txt").read_text().strip()


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


def _key(case: dict[str, Any]) -> PrivateKey:
    pair = _json(VECTORS / case["key"])
    return PrivateKey.from_multikey(pair.get("privateKeyMultibase") or pair["secretKeyMultibase"])


def _did_key_resolver(vm: str, purpose: str) -> PublicKey:
    # did:key VM ids are did:key:<mb>#<mb>; the W3C vectors all use did:key.
    assert vm.startswith("did:key:")
    assert purpose in {"assertionMethod", "authentication"}
    return PublicKey.from_multikey(vm.split("#", 1)[1])


def _signed(case: dict[str, Any]) -> dict[str, Any]:
    directory = VECTORS / case["dir"]
    return _json(next(directory.glob("signed*.json")))


def _proof_config(case: dict[str, Any]) -> dict[str, Any]:
    directory = VECTORS / case["dir"]
    return _json(next(directory.glob("proofConfig*.json")))


@pytest.fixture(params=CASES, ids=[c["id"] for c in CASES])
def case(request: pytest.FixtureRequest) -> dict[str, Any]:
    return dict(request.param)


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_canonical_forms_and_hashes(case: dict[str, Any], engine: str) -> None:
    unsigned = _json(VECTORS / case["unsigned"])
    config = _proof_config(case)
    suite = CRYPTOSUITES[config["cryptosuite"]]
    if suite.canonicalization == "jcs":
        doc_c14n = rfc8785.dumps(unsigned).decode()
        config_c14n = rfc8785.dumps(config).decode()
    else:
        doc_c14n, config_c14n = ENGINES[engine].canonize_pair(unsigned, config)
    assert doc_c14n.strip() == _read(case, "canonDoc")
    assert config_c14n.strip() == _read(case, "proofCanon")
    assert hashlib.sha256(doc_c14n.encode()).hexdigest() == _read(case, "docHash")
    assert hashlib.sha256(config_c14n.encode()).hexdigest() == _read(case, "proofHash")
    combined = hash_data(unsigned, config, suite, ENGINES[engine])
    assert combined.hex() == _read(case, "combinedHash")


def test_sign_reproduces_vector(case: dict[str, Any]) -> None:
    unsigned = _json(VECTORS / case["unsigned"])
    config = _proof_config(case)
    key = _key(case)
    assert key.public_key.multikey in config["verificationMethod"]
    secured = add_proof(
        unsigned,
        key,
        verification_method=config["verificationMethod"],
        cryptosuite=config["cryptosuite"],
        proof_purpose=config["proofPurpose"],
        created=config["created"],
        canonicalizer=FAST,
    )
    result = verify_proofs(
        secured,
        resolve_key=_did_key_resolver,
        allowed_cryptosuites=[config["cryptosuite"]],
        canonicalizer=FAST,
    )
    assert result.verified, result
    if case["deterministic"]:
        assert secured["proof"]["proofValue"] == _read(case, "sigBTC58")
        assert secured == _signed(case)


def test_published_signed_document_verifies(case: dict[str, Any]) -> None:
    signed = _signed(case)
    suite = signed["proof"]["cryptosuite"]
    result = verify_proofs(
        signed, resolve_key=_did_key_resolver, allowed_cryptosuites=[suite], canonicalizer=FAST
    )
    assert result.verified, result
    assert result.proofs[0].verification_method == signed["proof"]["verificationMethod"]


TAMPERINGS = {
    "changed_claim": lambda d: d["credentialSubject"].__setitem__("id", "did:example:other"),
    "changed_proof_created": lambda d: d["proof"].__setitem__("created", "2024-01-01T00:00:00Z"),
    "changed_signature": lambda d: d["proof"].__setitem__(
        "proofValue",
        d["proof"]["proofValue"][:-2] + ("11" if d["proof"]["proofValue"][-2:] != "11" else "22"),
    ),
    "removed_claim": lambda d: d.pop("validFrom"),
}


@pytest.mark.parametrize("tamper", sorted(TAMPERINGS))
def test_tampering_is_caught(case: dict[str, Any], tamper: str) -> None:
    signed = copy.deepcopy(_signed(case))
    TAMPERINGS[tamper](signed)
    result = verify_proofs(
        signed,
        resolve_key=_did_key_resolver,
        allowed_cryptosuites=list(CRYPTOSUITES),
        canonicalizer=FAST,
    )
    assert not result.verified
    assert result.proofs[0].problems[0].code in {"invalid_signature", "malformed_proof"}


def test_suite_outside_allowlist_fails(case: dict[str, Any]) -> None:
    signed = _signed(case)
    others = [s for s in CRYPTOSUITES if s != signed["proof"]["cryptosuite"]]
    result = verify_proofs(
        signed, resolve_key=_did_key_resolver, allowed_cryptosuites=others, canonicalizer=FAST
    )
    assert not result.verified
    assert result.proofs[0].problems[0].code == "cryptosuite_not_allowed"
