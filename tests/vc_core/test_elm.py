"""The ELM 3.2 / EDC builder (specs.md §9.1, §9.2, §9.5, §9.6): envelope, JSON-LD safety, shape."""

from __future__ import annotations

import base64
import json
import re
import struct
import subprocess
import sys
import zlib
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pyld import jsonld

from vc_core.errors import MalformedInputError
from vc_core.jsonld.loader import default_loader
from vc_core.model import build_elm_credential, vocab
from vc_core.model.elm import (
    EDC_GENERIC_FULL,
    EDC_ISSUED_BY_MANDATE,
    ELM_CONTEXT,
    PLACEHOLDER_PNG_BASE64,
    STATUS_LIST_CONTEXT,
    format_datetime,
)
from vc_core.testing import (
    SAMPLE_COORDINATOR_DID,
    SAMPLE_HOLDER_DID,
    FixedClock,
    sample_microcredential,
    sample_microcredential_data,
)

CREDENTIAL_ID = "urn:uuid:2b7e1c4e-4c5a-4f0e-9d55-7c1c8b1d9a01"
ISSUED = FixedClock().now()
STATUS_ENTRY = {
    "id": "https://credentials.arqus-alliance.eu/status/1#94567",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "94567",
    "statusListCredential": "https://credentials.arqus-alliance.eu/status/1",
}
LANGUAGE_MAP_TERMS = {
    "title",
    "description",
    "legalName",
    "prefLabel",
    "altLabel",
    "noteLiteral",
    "givenName",
    "familyName",
    "fullName",
}


def _build(**overrides: Any) -> dict[str, Any]:
    return build_elm_credential(
        sample_microcredential(**overrides), credential_id=CREDENTIAL_ID, issued=ISSUED
    )


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _nodes(child)
    elif isinstance(value, list):
        for child in value:
            yield from _nodes(child)


def _expand_safely(doc: dict[str, Any]) -> list[Any]:
    """pyld expansion that fails on any dropped property (safe mode, VC-DI §2.4.3)."""
    dropped: list[str | None] = []
    processor = jsonld.JsonLdProcessor(on_property_dropped=dropped.append)
    # base None: pyld would otherwise resolve relative IRIs against http://example.org/base/
    options = {"documentLoader": default_loader(), "base": None}
    expanded: list[Any] = processor.expand(doc, options)
    assert dropped == []
    return expanded


_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+\-.]*:[^\s]*$")


def _relative_iris(expanded: Any) -> list[str]:
    """Every ``@id``, node ``@type`` and literal datatype that is not an absolute IRI."""
    found: list[str] = []
    for node in _nodes(expanded):
        ids = [node["@id"]] if isinstance(node.get("@id"), str) else []
        types = node.get("@type", [])
        for iri in [*ids, *(types if isinstance(types, list) else [types])]:
            if not _ABSOLUTE.match(iri):
                found.append(iri)
    return found


# -- envelope ------------------------------------------------------------------------------


def test_envelope_follows_the_ec_samples() -> None:
    doc = _build()
    assert doc["@context"] == [
        "https://www.w3.org/2018/credentials/v1",
        "http://data.europa.eu/snb/model/context/edc-ap",
        "https://w3id.org/security/data-integrity/v2",
    ]
    assert list(ELM_CONTEXT) == doc["@context"]
    assert doc["id"] == CREDENTIAL_ID
    assert doc["type"] == ["VerifiableCredential", "EuropeanDigitalCredential"]
    assert doc["credentialSchema"] == [
        {"id": EDC_GENERIC_FULL, "type": "ShaclValidator2017"},
        {"id": EDC_ISSUED_BY_MANDATE, "type": "ShaclValidator2017"},
    ]
    assert [p["id"] for p in doc["credentialProfiles"]] == [vocab.GENERIC_PROFILE.uri]
    assert doc["issued"] == doc["issuanceDate"] == "2026-03-02T09:30:00Z"
    assert doc["validFrom"] == "2026-03-01T00:00:00Z"
    assert "validUntil" not in doc
    assert "credentialStatus" not in doc
    assert "proof" not in doc


def test_status_entry_adds_its_context_before_data_integrity() -> None:
    doc = build_elm_credential(
        sample_microcredential(),
        credential_id=CREDENTIAL_ID,
        issued=ISSUED,
        status_entry=STATUS_ENTRY,
    )
    assert doc["@context"] == [
        "https://www.w3.org/2018/credentials/v1",
        "http://data.europa.eu/snb/model/context/edc-ap",
        STATUS_LIST_CONTEXT,
        "https://w3id.org/security/data-integrity/v2",
    ]
    assert doc["credentialStatus"] == STATUS_ENTRY
    assert doc["credentialStatus"] is not STATUS_ENTRY


def test_valid_until_is_written_twice_for_vcdm_1_1() -> None:
    doc = _build(valid_until="2031-03-01T00:00:00+01:00")
    assert doc["validUntil"] == doc["expirationDate"] == "2031-02-28T23:00:00Z"


@pytest.mark.parametrize("with_status", [False, True], ids=["plain", "with-status"])
def test_expands_in_safe_mode_without_relative_iris(with_status: bool) -> None:
    doc = build_elm_credential(
        sample_microcredential(),
        credential_id=CREDENTIAL_ID,
        issued=ISSUED,
        status_entry=STATUS_ENTRY if with_status else None,
    )
    expanded = _expand_safely(doc)
    assert _relative_iris(expanded) == []
    (credential,) = expanded
    assert "http://data.europa.eu/snb/model/elm/EuropeanDigitalCredential" in credential["@type"]


def test_relative_iri_check_catches_a_relative_id() -> None:
    doc = _build()
    doc["credentialSubject"]["hasClaim"][0]["id"] = "claims/1"
    expanded = jsonld.expand(doc, {"documentLoader": default_loader(), "base": None})
    assert _relative_iris(expanded) == ["claims/1"]


def test_safe_mode_check_catches_an_undefined_term() -> None:
    doc = _build()
    doc["credentialSubject"]["hasClaim"][0]["ects"] = "5"
    with pytest.raises(AssertionError):
        _expand_safely(doc)


def test_to_rdf_gives_the_expected_statements() -> None:
    nquads = jsonld.to_rdf(
        _build(), {"documentLoader": default_loader(), "format": "application/n-quads"}
    )
    lines = set(nquads.splitlines())
    elm = "http://data.europa.eu/snb/model/elm/"
    assert (
        f"<{SAMPLE_HOLDER_DID}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{elm}Person> ."
        in lines
    )
    points = [line for line in lines if f"<{elm}point>" in line]
    assert len(points) == 1
    assert points[0].endswith('"5" .')  # xsd:string is written as a plain literal
    assert any(f"<{elm}EQFLevel> <http://data.europa.eu/snb/eqf/6>" in line for line in lines)
    titles = [line for line in lines if "<http://purl.org/dc/terms/title>" in line]
    assert any('"Nachhaltige urbane Mobilität"@de' in line for line in titles)


# -- determinism and ids -------------------------------------------------------------------


def test_build_is_reproducible() -> None:
    assert json.dumps(_build()) == json.dumps(_build())


def test_node_ids_depend_on_the_credential_id() -> None:
    mc = sample_microcredential()
    first = build_elm_credential(mc, credential_id=CREDENTIAL_ID, issued=ISSUED)
    second = build_elm_credential(mc, credential_id="urn:uuid:other", issued=ISSUED)

    def node_ids(doc: dict[str, Any]) -> set[str]:
        # Concepts (including the local note-subject concepts) are shared on purpose.
        return {
            n["id"]
            for n in _nodes(doc)
            if str(n.get("id", "")).startswith("urn:epass:")
            and n.get("type") not in ("Concept", "ConceptScheme")
        }

    assert len(node_ids(first)) > 30
    assert node_ids(first).isdisjoint(node_ids(second))


def test_each_node_id_names_one_node() -> None:
    """An id that occurs twice must describe the same node (so the RDF graph is consistent)."""
    full_nodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for node in _nodes(_build()):
        if "id" in node and set(node) - {"id", "type"}:
            full_nodes[node["id"]].append(node)
    for ident, nodes in full_nodes.items():
        assert all(n == nodes[0] for n in nodes), ident
    epass = [i for i in full_nodes if i.startswith("urn:epass:")]
    assert all(i.count(":") == 3 for i in epass)


# -- content -------------------------------------------------------------------------------


def test_issuer_is_the_coordinating_provider() -> None:
    doc = _build()
    issuer = doc["issuer"]
    assert issuer["id"] == SAMPLE_COORDINATOR_DID
    assert issuer["type"] == "Organisation"
    assert issuer["legalName"] == {
        "en": ["University of Granada"],
        "es": ["Universidad de Granada"],
    }
    assert issuer["eIDASIdentifier"]["notation"] == "Q1818002F"
    country = issuer["location"][0]["address"][0]["countryCode"]
    assert country["id"] == "http://publications.europa.eu/resource/authority/country/ESP"
    assert issuer["groupMemberOf"][0]["prefLabel"] == {"en": ["Arqus European University Alliance"]}


def test_every_awarding_body_is_in_the_awarding_process() -> None:
    doc = _build()
    claim = doc["credentialSubject"]["hasClaim"][0]
    bodies = claim["awardedBy"]["awardingBody"]
    assert [b["legalName"]["en"] for b in bodies] == [
        ["University of Granada"],
        ["Leipzig University"],
        ["University of Bordeaux"],
    ]
    countries = [b["location"][0]["address"][0]["countryCode"]["id"][-3:] for b in bodies]
    assert countries == ["ESP", "DEU", "FRA"]
    for body in bodies:
        schemes = {i["schemeName"] for i in body["identifier"]}
        assert schemes == {"Erasmus code", "SCHAC home organisation"}
        assert body["groupMemberOf"][0]["type"] == "Group"
    assert bodies[0] == doc["issuer"]  # the coordinator is also an awarding body
    assert claim["awardedBy"]["awardingDate"] == "2026-02-27T11:00:00Z"
    assessment = claim["provenBy"][0]
    assert assessment["awardedBy"] == {"id": claim["awardedBy"]["id"], "type": "AwardingProcess"}


def test_coordinator_that_does_not_award_is_a_separate_node() -> None:
    data = sample_microcredential_data()
    del data["awarding_bodies"][0]["did"]
    doc = build_elm_credential(
        sample_microcredential(awarding_bodies=data["awarding_bodies"]),
        credential_id=CREDENTIAL_ID,
        issued=ISSUED,
    )
    body = doc["credentialSubject"]["hasClaim"][0]["awardedBy"]["awardingBody"][0]
    assert body["id"].startswith("urn:epass:org:")
    assert "eIDASIdentifier" not in body
    assert doc["issuer"]["id"] == SAMPLE_COORDINATOR_DID


def test_qualification_carries_the_annex_elements() -> None:
    spec = _build()["credentialSubject"]["hasClaim"][0]["specifiedBy"]
    assert spec["type"] == "Qualification"
    assert len(spec["learningOutcome"]) == 5
    assert set(spec["learningOutcome"][0]["title"]) == {"en", "de", "fr"}
    assert spec["creditPoint"] == [
        {
            "id": spec["creditPoint"][0]["id"],
            "type": "CreditPoint",
            "framework": spec["creditPoint"][0]["framework"],
            "point": "5",
        }
    ]
    assert spec["creditPoint"][0]["framework"]["id"] == vocab.ECTS.uri
    assert spec["volumeOfLearning"] == "PT125H"
    assert spec["eqfLevel"]["id"] == "http://data.europa.eu/snb/eqf/6"
    assert [m["id"] for m in spec["mode"]] == [vocab.BLENDED.uri]
    assert spec["isPartialQualification"] is True
    assert spec["accreditation"][0]["dcType"]["id"] == vocab.EQAR_INSTITUTIONAL_ACCREDITATION.uri
    assert spec["accreditation"][0]["organisation"] == [
        {"id": SAMPLE_COORDINATOR_DID, "type": "Organisation"}
    ]


@pytest.mark.parametrize(("ects", "point"), [("2.5", "2.5"), ("7.50", "7.5"), (60, "60")])
def test_credit_point_is_a_string(ects: Any, point: str) -> None:
    spec = _build(workload={"ects": ects})["credentialSubject"]["hasClaim"][0]["specifiedBy"]
    assert spec["creditPoint"][0]["point"] == point
    assert "volumeOfLearning" not in spec


def test_assessment() -> None:
    assessment = _build()["credentialSubject"]["hasClaim"][0]["provenBy"][0]
    assert assessment["type"] == "LearningAssessment"
    assert assessment["grade"]["noteLiteral"] == {"en": ["9.1"]}
    assert assessment["idVerification"]["id"] == vocab.SUPERVISED_WITH_ID_VERIFICATION.uri
    spec = assessment["specifiedBy"]
    assert [t["id"] for t in spec["dcType"]] == [vocab.ARTEFACT_ASSESSMENT.uri]
    assert spec["gradingScheme"]["title"] == {"en": ["Spanish university grading scale (0-10)"]}


def test_assessment_without_grade_is_passed() -> None:
    assessment = _build(grade=None)["credentialSubject"]["hasClaim"][0]["provenBy"][0]
    assert assessment["grade"]["noteLiteral"] == {"en": ["Pass"]}
    assert "gradingScheme" not in assessment["specifiedBy"]


def test_evidence_states_the_mandate() -> None:
    (evidence,) = _build()["evidence"]
    assert evidence["dcType"]["id"] == vocab.EVIDENCE_TYPE_MANDATE.uri
    statement = evidence["evidenceStatement"]
    for name in ("University of Granada", "Leipzig University", "University of Bordeaux"):
        assert name in statement
    assert "Arqus European University Alliance" in statement


def test_subject_is_bound_to_the_holder() -> None:
    doc = _build()
    assert doc["credentialSubject"]["id"] == SAMPLE_HOLDER_DID
    assert doc["credentialSubject"]["dateOfBirth"] == "1999-10-02T00:00:00Z"
    learner = sample_microcredential_data()["learner"]
    del learner["holder_did"]
    unbound = _build(learner=learner)
    assert unbound["credentialSubject"]["id"].startswith("urn:epass:person:")


def test_every_concept_names_its_scheme() -> None:
    concepts = [n for n in _nodes(_build()) if n.get("type") == "Concept"]
    assert len(concepts) > 10
    for concept in concepts:
        assert concept["inScheme"]["type"] == "ConceptScheme"
        assert concept["inScheme"]["id"]
        if concept["inScheme"]["id"] != vocab.ESCO_SKILLS_SCHEME:  # ESCO labels are optional
            assert concept["prefLabel"]


def test_language_maps_use_the_3_2_array_form() -> None:
    seen = 0
    for node in _nodes(_build()):
        for term in LANGUAGE_MAP_TERMS & set(node):
            value = node[term]
            assert isinstance(value, dict), term
            for tag, texts in value.items():
                assert tag in vocab.LANGUAGES
                assert isinstance(texts, list)
                assert len(texts) == 1
                assert isinstance(texts[0], str)
            seen += 1
    assert seen > 20


def test_display_parameter_is_small() -> None:
    display = _build()["displayParameter"]
    assert display["title"]["de"] == ["Nachhaltige urbane Mobilität"]
    assert display["primaryLanguage"]["id"].endswith("/ENG")
    assert [lang["id"][-3:] for lang in display["language"]] == ["ENG", "DEU", "FRA"]
    image = display["individualDisplay"][0]["displayDetail"][0]["image"]
    assert image["content"] == PLACEHOLDER_PNG_BASE64
    assert image["contentType"]["id"] == vocab.FILE_TYPE_PNG.uri
    assert len(json.dumps(_build())) < 40_000


def test_display_image_is_used_when_given() -> None:
    jpeg = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(64)).decode()
    doc = _build(display_image={"content_base64": jpeg, "media_type": "image/jpeg"})
    image = doc["displayParameter"]["individualDisplay"][0]["displayDetail"][0]["image"]
    assert image["content"] == jpeg
    assert image["contentType"]["id"] == vocab.FILE_TYPE_JPEG.uri


def test_placeholder_png_is_a_valid_png() -> None:
    raw = base64.b64decode(PLACEHOLDER_PNG_BASE64)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, []
    while offset < len(raw):
        (length,) = struct.unpack(">I", raw[offset : offset + 4])
        kind, body = raw[offset + 4 : offset + 8], raw[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", raw[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) == crc
        chunks.append(kind)
        offset += 12 + length
    assert chunks == [b"IHDR", b"IDAT", b"IEND"]


def test_optional_elements_are_left_out_when_absent() -> None:
    doc = _build(
        prerequisites=None,
        supervision=None,
        stackability=None,
        further_information=None,
        description=None,
        learning_setting=None,
    )
    claim = doc["credentialSubject"]["hasClaim"][0]
    spec = claim["specifiedBy"]
    for key in ("entryRequirement", "isPartialQualification", "isPartOf", "additionalNote"):
        assert key not in spec
    assert "idVerification" not in claim["provenBy"][0]
    assert "description" not in claim
    _expand_safely(doc)


# -- dates and arguments -------------------------------------------------------------------


def test_dates_are_utc() -> None:
    cet = timezone(timedelta(hours=1))
    assert format_datetime(datetime(2026, 2, 27, 12, 0, 5, 999, tzinfo=cet)) == (
        "2026-02-27T11:00:05Z"
    )
    doc = build_elm_credential(
        sample_microcredential(),
        credential_id=CREDENTIAL_ID,
        issued=datetime(2026, 3, 2, 10, 30, tzinfo=cet),
    )
    assert doc["issued"] == "2026-03-02T09:30:00Z"


@pytest.mark.parametrize(
    ("credential_id", "issued", "status"),
    [
        ("credential-1", ISSUED, None),
        (CREDENTIAL_ID, datetime(2026, 3, 2), None),
        (CREDENTIAL_ID, ISSUED, {"type": "BitstringStatusListEntry"}),
        (CREDENTIAL_ID, ISSUED, {"id": "#94567", "type": "BitstringStatusListEntry"}),
        (CREDENTIAL_ID, ISSUED, {"id": "https://example.org/s#1"}),
    ],
    ids=[
        "relative-id",
        "naive-issued",
        "status-without-id",
        "status-relative-id",
        "status-no-type",
    ],
)
def test_builder_refuses_bad_arguments(
    credential_id: str, issued: datetime, status: dict[str, Any] | None
) -> None:
    with pytest.raises(MalformedInputError):
        build_elm_credential(
            sample_microcredential(),
            credential_id=credential_id,
            issued=issued,
            status_entry=status,
        )


def test_fixed_clock() -> None:
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    assert clock.advance(90) == datetime(2026, 1, 1, 0, 1, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="time-zone-aware"):
        FixedClock(datetime(2026, 1, 1))


def test_runtime_modules_do_not_import_shacl_tooling() -> None:
    """pyshacl and rdflib are dev dependencies: the model must work without them."""
    code = (
        "import sys, vc_core.model, vc_core.testing; "
        "bad = {'rdflib', 'pyshacl'} & set(sys.modules); "
        "sys.exit(f'imported: {sorted(bad)}' if bad else 0)"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, a fixed command
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
