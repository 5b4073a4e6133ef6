"""Safe mode: whatever would be left out of a signature is refused, by both engines."""

from __future__ import annotations

from typing import Any

import pytest

from vc_core.errors import UnsafeJsonLdError, UnsafeValueError
from vc_core.jsonld.canonicalize import OxigraphCanonicalizer, PyldCanonicalizer
from vc_core.jsonld.shapes import shape_of

BASE: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "id": "urn:uuid:6a1e3c1e-0d6e-4b0f-8d5f-3c0e1f6f1a11",
    "type": ["VerifiableCredential"],
    "issuer": "did:web:uni.example",
    "validFrom": "2026-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:learner", "name": "Ada"},
}

UNSAFE: dict[str, tuple[dict[str, Any], type[Exception], str]] = {
    "undefined top-level term": ({**BASE, "grade": "A"}, UnsafeJsonLdError, "grade"),
    "undefined nested term": (
        {**BASE, "credentialSubject": {"id": "did:example:l", "nickname": "x"}},
        UnsafeJsonLdError,
        "nickname",
    ),
    "undefined type": (
        {**BASE, "type": ["VerifiableCredential", "MicroCredential"]},
        UnsafeJsonLdError,
        "MicroCredential",
    ),
    "relative id": ({**BASE, "id": "credential-1"}, UnsafeJsonLdError, "credential-1"),
    "relative issuer": ({**BASE, "issuer": "uni-a"}, UnsafeJsonLdError, "uni-a"),
    "float that does not round-trip": (
        {**BASE, "credentialSubject": {"id": "did:example:l", "name": 0.1 + 0.2}},
        UnsafeValueError,
        "round-trip",
    ),
    "NaN": (
        {**BASE, "credentialSubject": {"id": "did:example:l", "name": float("nan")}},
        UnsafeValueError,
        "non-finite",
    ),
    "control character": (
        {**BASE, "credentialSubject": {"id": "did:example:l", "name": "Ada\x07"}},
        UnsafeValueError,
        "U+0007",
    ),
    "control character in a key": ({**BASE, "name\x00": "x"}, UnsafeValueError, "U+0000"),
}


@pytest.mark.parametrize("engine", [PyldCanonicalizer, OxigraphCanonicalizer])
@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_documents_are_refused(engine: type[PyldCanonicalizer], case: str) -> None:
    document, error, fragment = UNSAFE[case]
    canonicalizer = engine()
    canonicalizer.canonize(BASE)  # the safe shape is cached first: it must not let this pass
    with pytest.raises(error, match=fragment.replace("+", r"\+")):
        canonicalizer.canonize(document)


@pytest.mark.parametrize("engine", [PyldCanonicalizer, OxigraphCanonicalizer])
def test_safe_text_with_newlines_and_unicode(engine: type[PyldCanonicalizer]) -> None:
    text = 'Line 1\nLine 2\ttabbed "quoted" \\ back \u2013 Größe 漢字 🎓'
    document = {**BASE, "credentialSubject": {"id": "did:example:l", "name": text}}
    assert '"Line 1\\nLine 2\\ttabbed \\"quoted\\" \\\\ back' in engine().canonize(document)


def _key(document: dict[str, Any]) -> str | None:
    shape = shape_of(document)
    return None if shape is None else shape.key


def test_shape_ignores_literal_values_but_not_structure() -> None:
    other_name = {**BASE, "credentialSubject": {"id": "did:example:m", "name": "Grace"}}
    assert _key(BASE) == _key(other_name)
    assert _key(BASE) != _key({**BASE, "type": ["VerifiableCredential", "X"]})
    assert _key(BASE) != _key({**BASE, "issuer": "not an IRI"})
    assert _key(BASE) != _key({**BASE, "issuer": "urn:uuid:1"}), "the scheme or prefix counts"
    assert _key(BASE) != _key({**BASE, "extra": "x"})
    inline = {**BASE, "@context": [*BASE["@context"], {"x": "urn:x"}]}
    assert _key(inline) is None


def test_same_shape_with_text_in_an_iri_slot_is_still_refused() -> None:
    engine = OxigraphCanonicalizer()
    engine.canonize(BASE)
    relative_subject = {**BASE, "credentialSubject": {"id": "learner-7", "name": "Ada"}}
    with pytest.raises(UnsafeJsonLdError, match="learner-7"):
        engine.canonize(relative_subject)
