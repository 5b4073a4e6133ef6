"""did:jwk (specs.md §8.3), driven by tests/data/dids/did_jwk.json (spec examples, web5-js)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import DATA
from vc_core.dids.did_jwk import (
    MAX_DID_JWK_LENGTH,
    did_jwk_document,
    did_jwk_from_jwk,
    did_jwk_from_public_key,
    did_jwk_verification_method_id,
    jwk_from_did_jwk,
    public_key_from_did_jwk,
)
from vc_core.errors import DidError, DidResolutionError, DidSyntaxError
from vc_core.keys import KeyType, PrivateKey, b64url_encode

CASES = json.loads((DATA / "dids" / "did_jwk.json").read_text(encoding="utf-8"))
EXAMPLES = CASES["examples"]
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
ALL_RELATIONSHIPS = {
    "assertionMethod",
    "authentication",
    "capabilityInvocation",
    "capabilityDelegation",
    "keyAgreement",
}


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["name"] for e in EXAMPLES])
def test_decode_and_document(example: dict[str, Any]) -> None:
    assert jwk_from_did_jwk(example["did"]) == example["jwk"]
    assert did_jwk_document(example["did"]) == example["document"]
    assert did_jwk_verification_method_id(example["did"]) == example["did"] + "#0"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["name"] for e in EXAMPLES])
def test_encode_is_jcs(example: dict[str, Any]) -> None:
    """We write JCS; the spec's P-256 example happens to be JCS, the others are not."""
    encoded = did_jwk_from_jwk(example["jwk"])
    assert (encoded == example["did"]) is example["jcs"]
    assert jwk_from_did_jwk(encoded) == example["jwk"]  # same members, another serialization


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["name"] for e in EXAMPLES])
def test_public_key(example: dict[str, Any]) -> None:
    if example["key_type"] is None:
        with pytest.raises(DidResolutionError) as info:
            public_key_from_did_jwk(example["did"])
        assert info.value.details["error"] == "unsupportedPublicKeyType"
        return
    key = public_key_from_did_jwk(example["did"])
    assert key.key_type is KeyType(example["key_type"])
    assert key.to_jwk() == {k: example["jwk"][k] for k in key.to_jwk()}
    if "private_key_d" in example:
        private = PrivateKey.from_jwk({**example["jwk"], "d": example["private_key_d"]})
        assert private.public_key == key


@pytest.mark.parametrize(
    ("use", "expected"),
    [
        (None, ALL_RELATIONSHIPS),
        ("sig", ALL_RELATIONSHIPS - {"keyAgreement"}),
        ("enc", {"keyAgreement"}),
    ],
)
def test_use_decides_relationships(use: str | None, expected: set[str]) -> None:
    jwk: dict[str, Any] = PrivateKey.generate(KeyType.P256).public_key.to_jwk()
    if use is not None:
        jwk["use"] = use
    document = did_jwk_document(did_jwk_from_jwk(jwk))
    assert ALL_RELATIONSHIPS & set(document) == expected
    assert document["verificationMethod"][0]["publicKeyJwk"] == jwk


@pytest.mark.parametrize(
    "case", CASES["invalid_jwk_json"], ids=[c["why"] for c in CASES["invalid_jwk_json"]]
)
def test_invalid_jwks(case: dict[str, str]) -> None:
    did = "did:jwk:" + b64url_encode(case["json"].encode("utf-8"))
    for function in (jwk_from_did_jwk, did_jwk_document, public_key_from_did_jwk):
        with pytest.raises(DidSyntaxError) as info:
            function(did)
        assert info.value.details["error"] == case["error"]


@pytest.mark.parametrize(
    "case", CASES["invalid_dids"], ids=[c["why"] for c in CASES["invalid_dids"]]
)
def test_invalid_dids(case: dict[str, str]) -> None:
    with pytest.raises(DidSyntaxError) as info:
        jwk_from_did_jwk(case["did"])
    assert info.value.details["error"] == case["error"]


def test_private_jwk_refused_on_encode() -> None:
    private = PrivateKey.generate().to_jwk()
    with pytest.raises(DidSyntaxError, match="public JWK"):
        did_jwk_from_jwk(private)


def test_too_long_refused_before_decoding() -> None:
    with pytest.raises(DidSyntaxError, match="longer than"):
        jwk_from_did_jwk("did:jwk:" + "A" * (MAX_DID_JWK_LENGTH + 1))


def test_extra_members_are_kept_in_the_document() -> None:
    """Spec: "additional properties ... will be accessible only in the verificationMethod"."""
    jwk = {**PrivateKey.generate().public_key.to_jwk(), "kid": "k1", "alg": "EdDSA"}
    document = did_jwk_document(did_jwk_from_jwk(jwk))
    assert document["verificationMethod"][0]["publicKeyJwk"] == jwk


# -- properties ---------------------------------------------------------------------------------
_KEY_TYPES = st.sampled_from([KeyType.ED25519, KeyType.P256])


@given(seed=st.binary(min_size=32, max_size=32), key_type=_KEY_TYPES)
def test_round_trip(seed: bytes, key_type: KeyType) -> None:
    if key_type is KeyType.P256 and not 0 < int.from_bytes(seed, "big") < P256_ORDER:
        return  # not a P-256 private scalar
    key = PrivateKey.from_raw(key_type, seed).public_key
    did = did_jwk_from_public_key(key)
    assert public_key_from_did_jwk(did) == key
    assert did_jwk_from_jwk(jwk_from_did_jwk(did)) == did


@given(
    order=st.permutations(["kty", "crv", "x"]),
    extra=st.dictionaries(
        st.sampled_from(["kid", "alg", "use"]), st.sampled_from(["sig", "EdDSA", "k-1"])
    ),
)
def test_any_serialization_decodes_to_the_same_key(order: list[str], extra: dict[str, str]) -> None:
    key = PrivateKey.from_raw(KeyType.ED25519, bytes(range(32))).public_key
    jwk = key.to_jwk()
    text = json.dumps({**{name: jwk[name] for name in order}, **extra})
    did = "did:jwk:" + b64url_encode(text.encode())
    if extra.get("use", "sig") != "sig":
        with pytest.raises(DidSyntaxError):
            public_key_from_did_jwk(did)
        return
    assert public_key_from_did_jwk(did) == key


@given(st.text(max_size=80))
def test_arbitrary_text_raises_only_did_errors(text: str) -> None:
    for candidate in (text, "did:jwk:" + text, "did:jwk:" + b64url_encode(text.encode())):
        try:
            did_jwk_document(candidate)
        except DidError:
            continue
