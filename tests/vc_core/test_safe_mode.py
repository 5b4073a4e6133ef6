"""Safe mode: whatever would be left out of a signature is refused, by both engines."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest

from vc_core.errors import MalformedInputError, UnsafeJsonLdError, UnsafeValueError
from vc_core.jsonld.canonicalize import OxigraphCanonicalizer, PyldCanonicalizer
from vc_core.jsonld.loader import default_loader
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
    "@vocab null (pyld trips over it)": (
        {**BASE, "@context": [*BASE["@context"], {"@vocab": None}]},
        MalformedInputError,
        "cannot be processed",
    ),
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


# -- found in review: what must never sign alike, or sign at all --------------------------------

XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
REVIEW_UNSAFE: dict[str, tuple[dict[str, Any], type[Exception], str]] = {
    "unicode escape in an IRI": (
        {**BASE, "issuer": "did:web:uni\\u002eexample"},
        UnsafeJsonLdError,
        "cannot carry",
    ),
    "angle bracket in an IRI": (
        {**BASE, "issuer": "did:web:uni.example><did:example:graph"},
        UnsafeJsonLdError,
        "cannot carry",
    ),
    "blank-node property": ({**BASE, "_:admin": True}, UnsafeJsonLdError, "blank-node property"),
    "@index": (
        {**BASE, "credentialSubject": {"id": "did:example:l", "@index": "x"}},
        UnsafeJsonLdError,
        "@index",
    ),
    "@direction": (
        {**BASE, "name": {"@value": "Ada", "@language": "en", "@direction": "rtl"}},
        UnsafeJsonLdError,
        "@direction",
    ),
    "string typed xsd:double": (
        {
            **BASE,
            "@context": [*BASE["@context"], "https://www.w3.org/ns/credentials/examples/v2"],
            "credentialSubject": {
                "id": "did:example:l",
                "score": {"@value": "1", "@type": XSD_DOUBLE},
            },
        },
        UnsafeJsonLdError,
        "xsd:double",
    ),
    "lone surrogate": (
        {**BASE, "credentialSubject": {"id": "did:example:l", "name": "a\ud800"}},
        UnsafeValueError,
        r"U\+D800",
    ),
    "noncharacter U+FFFF": (
        {**BASE, "credentialSubject": {"id": "did:example:l", "name": "a\uffff"}},
        UnsafeValueError,
        r"U\+FFFF",
    ),
    "integer beyond 2^53": (
        {**BASE, "credentialSubject": {"id": "did:example:l", "name": 2**53 + 1}},
        UnsafeValueError,
        "2\\^53",
    ),
}


@pytest.mark.parametrize("engine", ["pyld", "fast-cold", "fast-warm"])
@pytest.mark.parametrize("case", sorted(REVIEW_UNSAFE))
def test_review_findings_are_refused(engine: str, case: str) -> None:
    document, error, fragment = REVIEW_UNSAFE[case]
    loader = default_loader(include_test_contexts=True)
    canonicalizer = PyldCanonicalizer(loader) if engine == "pyld" else OxigraphCanonicalizer(loader)
    if engine == "fast-warm":  # the same shape with harmless values is cached first
        harmless = json.loads(
            json.dumps(document).replace("\\\\u002e", ".").replace("><did:example:graph", "")
        )
        with contextlib.suppress(UnsafeJsonLdError, UnsafeValueError):
            canonicalizer.canonize(harmless)
    with pytest.raises(error, match=fragment):
        canonicalizer.canonize(document)


def test_poison_graph_is_refused_quickly() -> None:
    k = 8  # a clique of eight blank nodes: about a minute of RDFC-1.0 without a budget
    document = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            {"p": {"@id": "urn:example:p", "@type": "@id"}},
        ],
        "@graph": [
            {"@id": f"_:n{i}", "p": [f"_:n{j}" for j in range(k) if j != i]} for i in range(k)
        ],
    }
    for engine in (PyldCanonicalizer(), OxigraphCanonicalizer()):
        with pytest.raises(MalformedInputError, match="poison graph"):
            engine.canonize(document)


@pytest.mark.parametrize("space", ["\u00a0", "\u2028", "\u3000", " "])
def test_unicode_space_in_an_iri_slot_is_refused_after_caching(space: str) -> None:
    engine = OxigraphCanonicalizer()
    engine.canonize(BASE)
    spaced = {**BASE, "issuer": f"did:web:uni{space}example"}
    with pytest.raises(UnsafeJsonLdError):
        engine.canonize(spaced)
