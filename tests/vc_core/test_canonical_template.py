"""The template's own RDFC-1.0 (``RdfTemplate.canonical_nquads``) against pyld, byte for byte.

A cached document shape is canonicalized without pyoxigraph: canonical N-Quads rendered from
the template, blank nodes labelled by their first-degree hashes. These tests hold that route
to pyld on credentials with blank nodes, repeated nodes (quads given twice) and literal text
that needs escaping, check that it is the route taken for mcred's own credentials, and that
it steps aside (``None``) where the full algorithm is needed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vc_core.jsonld.canonicalize import OxigraphCanonicalizer, PyldCanonicalizer
from vc_core.jsonld.loader import default_loader
from vc_core.jsonld.safe_mode import _CONTROL, has_control_character
from vc_core.jsonld.shapes import RdfTemplate, shape_of
from vc_core.model.elm import build_elm_credential
from vc_core.testing import sample_microcredential

LOADER = default_loader(include_test_contexts=True)
PYLD = PyldCanonicalizer(LOADER)
CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]
STATUS_ENTRY = {
    "id": "https://issuer.example/status/message-1#94567",
    "type": ["BitstringStatusListEntry", "CredentialStatus"],
    "statusPurpose": "message",
    "statusListIndex": "94567",
    "statusListCredential": "https://issuer.example/status/message-1",
    "statusSize": 2,
    "statusMessage": [
        {"status": "0x0", "message": "valid"},
        {"status": "0x1", "message": "revoked"},
        {"status": "0x2", "message": "suspended"},
        {"status": "0x3", "message": "unused"},
    ],
}


def _template(engine: OxigraphCanonicalizer, document: dict[str, Any]) -> RdfTemplate:
    shape = shape_of(document)
    assert shape is not None
    verdict = engine._shapes.get(shape.key)
    assert verdict is not None
    assert verdict.template is not None
    assert verdict.direct, "the template's own RDFC-1.0 was not trusted for this shape"
    return verdict.template


def _elm(learner: str) -> dict[str, Any]:
    credential = build_elm_credential(
        sample_microcredential(),
        credential_id="urn:uuid:3b0f8e3e-6a57-4d55-9f0c-2f1c0b8a7e11",
        issued=datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
        status_entry=dict(STATUS_ENTRY),
    )
    credential["credentialSubject"]["givenName"] = {"en": learner}
    return credential


def test_an_elm_credential_takes_the_template_route_with_blank_nodes_and_repeated_nodes() -> None:
    engine = OxigraphCanonicalizer(LOADER)
    first, second = _elm("Ada"), _elm('Grace "\\" \t\n\r\u2028 {0} _:b0 .')
    assert engine.canonize(first) == PYLD.canonize(first)  # first sight: judged by pyld
    template = _template(engine, first)
    shape = shape_of(second)
    assert shape is not None
    direct = template.canonical_nquads(shape.values)
    reference = PYLD.canonize(second)
    assert direct == reference
    assert engine.canonize(second) == reference
    # what makes the route worth having: blank nodes to label, and nodes the document
    # repeats (the dataset holds their quads once)
    assert re.search(r"_:c14n\d", reference)
    template_quads = template._plain.render([""] * template._fields).count("\n")
    template_quads += len(template._blank_quads)
    assert template_quads > reference.count("\n")


def _with_blank_nodes(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "id": "urn:uuid:8d1c0b6e-2f43-4a8e-9a55-5a3f6f0d6c21",
        "type": ["VerifiableCredential", "ExampleCredential"],
        "issuer": {"id": values["issuer"], "name": values["name"]},
        "name": values["name"],
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": values["subject"],
            # blank nodes (objects without id), one holding another
            "alumniOf": {"name": values["note"], "description": {"name": values["name"]}},
            "knows": {"name": values["other"]},
        },
        "credentialStatus": {**STATUS_ENTRY, "id": f"{values['issuer']}#7"},
    }


_tricky_text = st.one_of(
    st.text(
        alphabet=st.characters(
            codec="utf-8",  # no surrogates
            # what safe mode refuses in signed text (control characters but TAB, LF, CR; U+FFFE/F)
            blacklist_characters=[
                chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32), 127, 0xFFFE, 0xFFFF)
            ],
        ),
        max_size=30,
    ),
    st.sampled_from(
        ['"', "\\", "\t", "a\nb\r\nc\td", "{0}", "{}}", "_:c14n0", "x .\n_:a <p> _:z .", "🎓", ""]
    ),
)
_iri = st.one_of(
    st.from_regex(r"did:example:[a-z0-9]{1,12}", fullmatch=True),
    st.from_regex(r"https://[a-z]{1,8}\.example/[a-z0-9/]{0,12}", fullmatch=True),
)
ENGINE = OxigraphCanonicalizer(LOADER)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries(
        {
            "name": _tricky_text,
            "note": _tricky_text,
            "other": _tricky_text,
            "issuer": _iri,
            "subject": _iri,
        }
    )
)
def test_template_route_with_blank_nodes_matches_pyld(values: dict[str, Any]) -> None:
    """One engine across all examples: each shape is judged once, then the template's own
    RDFC-1.0 answers (or steps aside when two blank nodes hash alike)."""
    document = _with_blank_nodes(values)
    reference = PYLD.canonize(document)
    assert ENGINE.canonize(document) == reference
    assert ENGINE.canonize(document) == reference
    shape = shape_of(document)  # None for a value that looks like a blank node label
    verdict = ENGINE._shapes.get(shape.key) if shape is not None else None
    if shape is not None and verdict is not None and verdict.template is not None:
        assert verdict.template.canonical_nquads(shape.values) in (reference, None)


def _two_friends(first: str, second: str) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "type": ["VerifiableCredential", "ExampleCredential"],
        "issuer": "did:example:issuer",
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:s", "knows": [{"name": first}, {"name": second}]},
    }


def test_blank_nodes_that_hash_alike_step_aside_and_still_match_pyld() -> None:
    engine = OxigraphCanonicalizer(LOADER)
    distinct = _two_friends("Ada", "Grace")
    assert engine.canonize(distinct) == PYLD.canonize(distinct)
    template = _template(engine, distinct)
    # the same shape, but the two blank nodes are now alike: equal first-degree hashes, so
    # N-degree hashing (RDFC-1.0 §4.4.3 step 5) is needed and the template steps aside
    alike = _two_friends("Ada", "Ada")
    shape = shape_of(alike)
    assert shape is not None
    assert template.canonical_nquads(shape.values) is None
    assert engine.canonize(alike) == PYLD.canonize(alike)  # through pyoxigraph


def test_a_document_without_quads_is_empty() -> None:
    template = RdfTemplate([], 0)
    assert template.canonical_nquads(()) == ""
    with pytest.raises(ValueError, match="do not fit"):
        template.canonical_nquads(("x",))


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=50))
@pytest.mark.parametrize("prefix", ["", "Grüße ", "Ωμέγα ", "🎓 "])
def test_control_character_check_agrees_with_the_pattern(prefix: str, text: str) -> None:
    value = prefix + text
    assert has_control_character(value) == (_CONTROL.search(value) is not None)


REFUSED = [*range(0x00, 0x09), 0x0B, 0x0C, 0x0E, 0x1F, 0x7F, 0xD800, 0xDFFF, 0xFFFE, 0xFFFF]


@pytest.mark.parametrize("code", REFUSED, ids=[f"U+{c:04X}" for c in REFUSED])
@pytest.mark.parametrize("around", ["", "ascii", "é", "Ω", "\uffef", "\U0001f393"])
def test_control_character_check_finds_every_refused_character(code: int, around: str) -> None:
    character = chr(code)
    assert has_control_character(around + character + around)
    assert not has_control_character(around + "\t\n\r \u0085\u2028\ufffd" + around)
