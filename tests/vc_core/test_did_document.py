"""DID documents and resolution (specs.md §8.1, §8.4, §11 step 4).

Driven by tests/data/dids/documents.json: the builder's exact output for the §8.1 skeleton and a
rotated document, and resolution cases that patch the skeleton (key confusion, relationships,
key encodings, revocation).
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import DATA
from vc_core import dids, errors
from vc_core.dids import (
    DidDocument,
    KeyRepresentation,
    LocalDidResolver,
    PublishedKey,
    Relationship,
    StaticDidResolver,
    build_did_document,
    did_jwk_from_jwk,
    did_key_from_public_key,
    key_resolver,
    resolve_verification_method,
    split_did_url,
)
from vc_core.dids import resolver as resolver_module
from vc_core.errors import DidError, DidResolutionError, DidSyntaxError
from vc_core.keys import KeyType, PrivateKey, PublicKey
from vc_core.proofs.data_integrity import add_proof, verify_proofs
from vc_core.testing import apply_patch

CASES = json.loads((DATA / "dids" / "documents.json").read_text(encoding="utf-8"))
DID = CASES["did"]
KEYS = {name: PublicKey.from_multikey(k["multikey"]) for name, k in CASES["keys"].items()}
BASE = CASES["base_document"]


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _published(spec: dict[str, Any]) -> PublishedKey:
    return PublishedKey(
        fragment=spec["fragment"],
        public_key=KEYS[spec["key"]],
        representation=KeyRepresentation(spec.get("representation", "Multikey")),
        relationships=frozenset(
            Relationship(r) for r in spec.get("relationships", ["assertionMethod"])
        ),
        retired=_when(spec.get("retired")),
        expires=_when(spec.get("expires")),
        revoked=_when(spec.get("revoked")),
    )


# -- builder ------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES["builder"], ids=[c["name"] for c in CASES["builder"]])
def test_builder(case: dict[str, Any]) -> None:
    document = build_did_document(case["did"], [_published(k) for k in case["keys"]])
    assert document == case["expected"]
    assert json.loads(json.dumps(document)) == document  # plain JSON


@pytest.mark.parametrize(
    "case", CASES["builder_errors"], ids=[c["name"] for c in CASES["builder_errors"]]
)
def test_builder_errors(case: dict[str, Any]) -> None:
    with pytest.raises(getattr(errors, case["error"])):
        build_did_document(case["did"], [_published(k) for k in case["keys"]])


def test_jwk_key_in_builder_matches_the_independent_jwk() -> None:
    """The P-256 JWK in the data file was derived with cryptography alone."""
    assert KEYS["p256"].to_jwk() == CASES["keys"]["p256"]["jwk"]


def test_rotated_document_keeps_retired_keys_verifiable_for_assertions_only() -> None:
    rotation = CASES["builder"][1]
    resolver = StaticDidResolver.of(rotation["expected"])
    retired, revoked = f"{DID}#ed-2026-05", f"{DID}#p256-2026-02"
    assert resolve_verification_method(resolver, retired, "assertionMethod") == KEYS["ed_old"]
    for relationship in ("authentication", "capabilityInvocation"):
        with pytest.raises(DidResolutionError, match="not listed"):
            resolve_verification_method(resolver, retired, relationship)
    with pytest.raises(DidResolutionError, match="not listed"):
        resolve_verification_method(resolver, revoked, "assertionMethod")
    method = DidDocument.parse(rotation["expected"]).verification_method(revoked)
    assert method.revoked == datetime(2026, 10, 15, 8, 30, tzinfo=UTC)
    assert method.expires == datetime(2027, 2, 1, tzinfo=UTC)


# -- resolution cases ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES["resolution"], ids=[c["name"] for c in CASES["resolution"]])
def test_resolution(case: dict[str, Any]) -> None:
    document = apply_patch(BASE, case["patch"])
    resolver = StaticDidResolver({case.get("serve_as", DID): document})
    expect = case["expect"]
    if "key" in expect:
        key = resolve_verification_method(resolver, case["vm_id"], case["relationship"])
        assert key == KEYS[expect["key"]]
        return
    with pytest.raises(DidError) as info:
        resolve_verification_method(resolver, case["vm_id"], case["relationship"])
    assert type(info.value).__name__ == expect["class"]
    assert info.value.details["error"] == expect["error"], info.value.message


def test_unknown_relationship_is_refused_before_resolving() -> None:
    class Exploding:
        def resolve(self, did: str) -> dict[str, Any]:
            raise AssertionError("must not be called")

    with pytest.raises(DidResolutionError, match="not a verification relationship"):
        resolve_verification_method(Exploding(), f"{DID}#ed-2026-11", "verificationMethod")


# -- the reader directly ------------------------------------------------------------------------
def test_reader_resolves_relative_ids_and_reports_listing() -> None:
    document = DidDocument.parse(BASE, did=DID)
    method = document.verification_method("#p256-2026-11")
    assert method.id == f"{DID}#p256-2026-11"
    assert method.type == "JsonWebKey"
    assert method.controller == DID
    assert method.public_key == KEYS["p256"]
    assert document.is_listed("#p256-2026-11", Relationship.ASSERTION_METHOD)
    assert not document.is_listed("#p256-2026-11", "authentication")


def test_reader_refuses_a_method_of_another_did() -> None:
    """Key confusion: document A lists a method whose id is in DID B, controlled by B."""
    foreign = "did:web:attacker.example#k"
    patched = apply_patch(
        BASE,
        [
            {
                "op": "append",
                "path": "verificationMethod",
                "value": {
                    "id": foreign,
                    "type": "Multikey",
                    "controller": "did:web:attacker.example",
                    "publicKeyMultibase": CASES["keys"]["ed_old"]["multikey"],
                },
            },
            {"op": "append", "path": "assertionMethod", "value": foreign},
        ],
    )
    document = DidDocument.parse(patched, did=DID)
    with pytest.raises(DidResolutionError, match=r"belongs to did:web:attacker\.example"):
        document.verification_method_for(foreign, "assertionMethod")


def test_parse_copies_the_document() -> None:
    source = copy.deepcopy(BASE)
    document = DidDocument.parse(source)
    source["verificationMethod"][0]["publicKeyMultibase"] = CASES["keys"]["ed_old"]["multikey"]
    assert document.verification_method(f"{DID}#ed-2026-11").public_key == KEYS["ed"]


@pytest.mark.parametrize(
    ("did_url", "expected"),
    [
        ("did:web:example.com", ("did:web:example.com", None)),
        ("did:web:example.com#key-1", ("did:web:example.com", "key-1")),
        ("did:example:123:456#a/b?c", ("did:example:123:456", "a/b?c")),
        ("did:key:z6Mk%20x#z", ("did:key:z6Mk%20x", "z")),
    ],
)
def test_split_did_url(did_url: str, expected: tuple[str, str | None]) -> None:
    assert split_did_url(did_url) == expected


@pytest.mark.parametrize(
    "did_url",
    [
        "did:web:example.com#",
        "did:web:example.com/path#k",
        "did:Web:example.com#k",
        "did::x",
        "did:web:example.com#k#k",
        "did:web:example.com#a b",
        "https://example.com#k",
        "did:web:%zz",
    ],
)
def test_split_did_url_refuses(did_url: str) -> None:
    with pytest.raises(DidSyntaxError):
        split_did_url(did_url)


# -- resolvers ----------------------------------------------------------------------------------
def test_static_resolver_hands_out_copies() -> None:
    resolver = StaticDidResolver.of(BASE)
    first = resolver.resolve(DID)
    first["verificationMethod"].clear()
    assert resolver.resolve(DID) == BASE
    with pytest.raises(DidResolutionError) as info:
        resolver.resolve("did:web:unknown.example")
    assert info.value.details["error"] == "notFound"


def test_local_resolver_expands_did_key_and_did_jwk_without_fallback() -> None:
    key = PrivateKey.generate(KeyType.P256).public_key
    resolver = LocalDidResolver()
    did_key = did_key_from_public_key(key)
    did_jwk = did_jwk_from_jwk(key.to_jwk())
    assert (
        resolve_verification_method(resolver, f"{did_key}#{key.multikey}", "authentication") == key
    )
    assert resolve_verification_method(resolver, f"{did_jwk}#0", "assertionMethod") == key
    with pytest.raises(DidResolutionError) as info:
        resolver.resolve(DID)
    assert info.value.details["error"] == "methodNotSupported"
    with pytest.raises(DidSyntaxError):
        resolver.resolve("not a did")


def test_local_resolver_delegates_other_methods() -> None:
    resolver = LocalDidResolver(fallback=StaticDidResolver.of(BASE))
    assert resolver.resolve(DID) == BASE
    assert (
        resolve_verification_method(resolver, f"{DID}#ed-2026-11", "assertionMethod") == KEYS["ed"]
    )


def test_did_key_fragment_must_be_its_own_key() -> None:
    """did:key:A#B with B another key: the document of A has no such method."""
    a, b = KEYS["ed"], KEYS["ed_old"]
    with pytest.raises(DidResolutionError) as info:
        resolve_verification_method(
            LocalDidResolver(), f"{did_key_from_public_key(a)}#{b.multikey}", "assertionMethod"
        )
    assert info.value.details["error"] == "notFound"


def test_did_jwk_for_encryption_cannot_assert() -> None:
    jwk = {**PrivateKey.generate(KeyType.P256).public_key.to_jwk(), "use": "enc"}
    with pytest.raises(DidResolutionError) as info:
        resolve_verification_method(
            LocalDidResolver(), did_jwk_from_jwk(jwk) + "#0", "assertionMethod"
        )
    assert info.value.details["error"] == "notAuthorized"


# -- with Data Integrity proofs -----------------------------------------------------------------
CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "id": "urn:uuid:7b0b0f0e-2c57-4a8c-9d0b-6a4f3f6d1c2e",
    "type": ["VerifiableCredential"],
    "issuer": DID,
    "validFrom": "2026-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:learner"},
}


def test_proofs_verify_through_the_resolver_across_a_rotation() -> None:
    old, new = PrivateKey.generate(), PrivateKey.generate()
    document = build_did_document(
        DID,
        [
            PublishedKey(
                "ed-2026-11",
                new.public_key,
                relationships=frozenset(Relationship) - {Relationship.KEY_AGREEMENT},
            ),
            PublishedKey(
                "ed-2026-05",
                old.public_key,
                relationships=frozenset(
                    {Relationship.ASSERTION_METHOD, Relationship.AUTHENTICATION}
                ),
                retired=datetime(2026, 11, 1, tzinfo=UTC),
            ),
        ],
    )
    resolve_key = key_resolver(StaticDidResolver.of(document))
    suites = ["eddsa-jcs-2022"]
    signed_before = add_proof(
        CREDENTIAL, old, verification_method=f"{DID}#ed-2026-05", cryptosuite=suites[0]
    )
    assert verify_proofs(
        signed_before, resolve_key=resolve_key, allowed_cryptosuites=suites
    ).verified
    signed_after = add_proof(
        CREDENTIAL, new, verification_method=f"{DID}#ed-2026-11", cryptosuite=suites[0]
    )
    assert verify_proofs(
        signed_after, resolve_key=resolve_key, allowed_cryptosuites=suites
    ).verified
    # a retired key no longer authenticates, and a key cannot borrow another method's id
    auth = add_proof(
        CREDENTIAL,
        old,
        verification_method=f"{DID}#ed-2026-05",
        cryptosuite=suites[0],
        proof_purpose="authentication",
        challenge="c",
        domain="d",
    )
    result = verify_proofs(
        auth,
        resolve_key=resolve_key,
        allowed_cryptosuites=suites,
        expected_proof_purpose="authentication",
        challenge="c",
        domain="d",
    )
    assert not result.verified
    forged = add_proof(
        CREDENTIAL, old, verification_method=f"{DID}#ed-2026-11", cryptosuite=suites[0]
    )
    assert not verify_proofs(forged, resolve_key=resolve_key, allowed_cryptosuites=suites).verified


def test_public_surface() -> None:
    assert len(dids.__all__) == len(set(dids.__all__))
    for name in dids.__all__:
        assert getattr(dids, name) is not None, name


def test_expired_key_is_refused_after_its_expiry() -> None:
    did = "did:web:uni.example"
    key = PrivateKey.generate().public_key
    document = build_did_document(
        did,
        [
            PublishedKey(
                "ed-1",
                key,
                relationships=frozenset({Relationship.ASSERTION_METHOD}),
                expires=datetime(2027, 1, 1, tzinfo=UTC),
            )
        ],
    )
    resolver = StaticDidResolver({did: document})
    before = datetime(2026, 12, 31, tzinfo=UTC)
    assert (
        resolve_verification_method(resolver, f"{did}#ed-1", "assertionMethod", now=before) == key
    )
    with pytest.raises(DidResolutionError, match="expired"):
        resolve_verification_method(
            resolver, f"{did}#ed-1", "assertionMethod", now=datetime(2027, 1, 2, tzinfo=UTC)
        )


# -- verification methods remembered by their document's exact JSON ---------------------------
@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The documents (their ids) that DidDocument.parse read, from an empty memory."""
    resolver_module._METHODS.clear()
    seen: list[str] = []
    original = DidDocument.parse.__func__  # type: ignore[attr-defined]

    def counting(cls: type[DidDocument], document: Any, *, did: str | None = None) -> DidDocument:
        seen.append(str(document.get("id")) if isinstance(document, dict) else "?")
        return original(cls, document, did=did)  # type: ignore[no-any-return]

    monkeypatch.setattr(DidDocument, "parse", classmethod(counting))
    return seen


def test_every_resolution_case_answers_the_same_from_memory() -> None:
    for _ in range(2):  # the second pass meets the methods the first one kept
        for case in CASES["resolution"]:
            test_resolution(case)


def test_a_document_is_parsed_once_until_it_changes(parses: list[str]) -> None:
    did = "did:web:memo.example"
    first, second = PrivateKey.generate().public_key, PrivateKey.generate().public_key
    keys = [PublishedKey("ed-1", first, relationships=frozenset({Relationship.ASSERTION_METHOD}))]
    resolver = StaticDidResolver({did: build_did_document(did, keys)})
    for _ in range(3):
        assert resolve_verification_method(resolver, f"{did}#ed-1", "assertionMethod") == first
    assert parses == [did]
    # the same fragment now names another key (a rotation that reused the name)
    keys = [PublishedKey("ed-1", second, relationships=frozenset({Relationship.ASSERTION_METHOD}))]
    resolver = StaticDidResolver({did: build_did_document(did, keys)})
    assert resolve_verification_method(resolver, f"{did}#ed-1", "assertionMethod") == second
    # revoked in the document served now (the builder lists it nowhere then): refused, though
    # the same method id gave a key before
    revoked = [
        PublishedKey(
            "ed-1",
            second,
            relationships=frozenset({Relationship.ASSERTION_METHOD}),
            revoked=datetime(2026, 1, 1, tzinfo=UTC),
        )
    ]
    resolver = StaticDidResolver({did: build_did_document(did, revoked)})
    with pytest.raises(DidResolutionError, match="not listed"):
        resolve_verification_method(resolver, f"{did}#ed-1", "assertionMethod")
    assert parses == [did, did, did]


def test_the_same_document_under_another_did_or_relationship_is_checked_again(
    parses: list[str],
) -> None:
    resolver = StaticDidResolver({DID: BASE, "did:web:elsewhere.example": BASE})
    vm = f"{DID}#ed-2026-11"
    assert resolve_verification_method(resolver, vm, "assertionMethod") == KEYS["ed"]
    with pytest.raises(DidResolutionError) as info:
        resolve_verification_method(resolver, vm, "keyAgreement")
    assert info.value.details["error"] == "notAuthorized"
    with pytest.raises(DidResolutionError):  # the document's id is not this DID
        resolve_verification_method(
            resolver, "did:web:elsewhere.example#ed-2026-11", "assertionMethod"
        )
    assert len(parses) == 3


def test_failures_and_documents_that_are_not_json_are_never_kept(parses: list[str]) -> None:
    resolver = StaticDidResolver({DID: BASE})
    for _ in range(2):
        with pytest.raises(DidResolutionError):
            resolve_verification_method(resolver, f"{DID}#no-such-key", "assertionMethod")
    assert len(parses) == 2

    class NotJson:
        def resolve(self, did: str) -> dict[str, Any]:
            return {**copy.deepcopy(BASE), "created": datetime(2026, 1, 1, tzinfo=UTC)}

    for _ in range(2):
        key = resolve_verification_method(NotJson(), f"{DID}#ed-2026-11", "assertionMethod")
        assert key == KEYS["ed"]
    assert len(parses) == 4
