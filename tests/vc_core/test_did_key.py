"""did:key for Ed25519 and P-256 (specs.md §8.2), driven by tests/data/dids/did_key.json.

The vectors come from the W3C Data Integrity suites and the did:key spec (see each "source").
Each DID is checked against an independent statement of its key: a secret multikey, an Ed25519
seed, the base58 raw key (decoded with ``base58``, not multiformats), or a JWK with its ``d``.
"""

from __future__ import annotations

import json
from typing import Any

import base58
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import DATA
from vc_core.dids.did_key import (
    did_key_document,
    did_key_from_public_key,
    did_key_verification_method_id,
    public_key_from_did_key,
)
from vc_core.errors import DidError, DidResolutionError, DidSyntaxError
from vc_core.keys import KeyType, PrivateKey, PublicKey

CASES = json.loads((DATA / "dids" / "did_key.json").read_text(encoding="utf-8"))
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


_KEY_STATEMENTS = ("secret_key_multibase", "seed_hex", "public_key_base58", "public_key_jwk")


def _expected_key(vector: dict[str, Any]) -> PublicKey:
    key_type = KeyType(vector["key_type"])
    if "secret_key_multibase" in vector:
        return PrivateKey.from_multikey(vector["secret_key_multibase"]).public_key
    if "seed_hex" in vector:
        return PrivateKey.from_raw(key_type, bytes.fromhex(vector["seed_hex"])).public_key
    if "public_key_base58" in vector:
        return PublicKey.from_raw(key_type, base58.b58decode(vector["public_key_base58"]))
    return PublicKey.from_jwk(vector["public_key_jwk"])


@pytest.mark.parametrize("vector", CASES["vectors"], ids=[v["name"] for v in CASES["vectors"]])
def test_vectors(vector: dict[str, Any]) -> None:
    key = public_key_from_did_key(vector["did"])
    assert key.key_type is KeyType(vector["key_type"])
    if any(name in vector for name in _KEY_STATEMENTS):
        assert key == _expected_key(vector)
    if "public_key_jwk" in vector:
        assert key.to_jwk() == {
            k: v for k, v in vector["public_key_jwk"].items() if k in {"kty", "crv", "x", "y"}
        }
    if "private_key_d" in vector:
        private = PrivateKey.from_jwk({**vector["public_key_jwk"], "d": vector["private_key_d"]})
        assert private.public_key == key
    assert did_key_from_public_key(key) == vector["did"]


@pytest.mark.parametrize("vector", CASES["vectors"], ids=[v["name"] for v in CASES["vectors"]])
def test_document_shape(vector: dict[str, Any]) -> None:
    did = vector["did"]
    mb = did.removeprefix("did:key:")
    document = did_key_document(did)
    vm_id = f"{did}#{mb}"
    assert document["id"] == did
    assert document["verificationMethod"] == [
        {"id": vm_id, "type": "Multikey", "controller": did, "publicKeyMultibase": mb}
    ]
    for relationship in (
        "authentication",
        "assertionMethod",
        "capabilityInvocation",
        "capabilityDelegation",
    ):
        assert document[relationship] == [vm_id]
    assert "keyAgreement" not in document
    assert did_key_verification_method_id(did) == vm_id


def test_spec_document_example() -> None:
    example = CASES["document_example"]
    assert did_key_document(example["did"]) == example["document"]


@pytest.mark.parametrize(
    "case", CASES["unsupported"], ids=[c["codec"] for c in CASES["unsupported"]]
)
def test_unsupported_key_types(case: dict[str, str]) -> None:
    with pytest.raises(DidResolutionError) as info:
        public_key_from_did_key(case["did"])
    assert info.value.details["error"] == "unsupportedPublicKeyType"
    assert info.value.details["codec"] == case["codec"]
    with pytest.raises(DidResolutionError):
        did_key_document(case["did"])


@pytest.mark.parametrize("case", CASES["invalid"], ids=[c["why"] for c in CASES["invalid"]])
def test_invalid(case: dict[str, str]) -> None:
    with pytest.raises(DidSyntaxError) as info:
        public_key_from_did_key(case["did"])
    assert info.value.details["error"] == case["error"]
    with pytest.raises(DidSyntaxError):
        did_key_document(case["did"])
    with pytest.raises(DidSyntaxError):
        did_key_verification_method_id(case["did"])


# -- properties ---------------------------------------------------------------------------------
@given(seed=st.binary(min_size=32, max_size=32))
def test_ed25519_round_trip(seed: bytes) -> None:
    key = PrivateKey.from_raw(KeyType.ED25519, seed).public_key
    did = did_key_from_public_key(key)
    assert did.startswith("did:key:z6Mk")
    assert public_key_from_did_key(did) == key


@given(scalar=st.integers(min_value=1, max_value=P256_ORDER - 1))
def test_p256_round_trip(scalar: int) -> None:
    key = PrivateKey.from_raw(KeyType.P256, scalar.to_bytes(32, "big")).public_key
    did = did_key_from_public_key(key)
    assert did.startswith("did:key:zDn")
    assert public_key_from_did_key(did) == key


@given(st.text(max_size=80))
def test_arbitrary_text_raises_only_did_errors(text: str) -> None:
    for candidate in (text, "did:key:" + text, "did:key:z" + text):
        try:
            key = public_key_from_did_key(candidate)
        except DidError:
            continue
        assert did_key_from_public_key(key) == candidate


@given(position=st.integers(min_value=9, max_value=55), replacement=st.sampled_from("123abcXYZ"))
def test_one_character_changed_is_refused_or_another_key(position: int, replacement: str) -> None:
    did = CASES["vectors"][0]["did"]
    mutated = did[:position] + replacement + did[position + 1 :]
    try:
        key = public_key_from_did_key(mutated)
    except DidError:
        return
    assert (key == public_key_from_did_key(did)) is (mutated == did)


def test_private_multikey_bytes_are_not_a_public_key() -> None:
    secret = PrivateKey.generate().to_multikey()
    with pytest.raises(DidSyntaxError, match="private key"):
        public_key_from_did_key("did:key:" + secret)
