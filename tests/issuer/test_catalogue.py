"""The alliance file and issuances (issuer.catalogue; specs.md §9.4, §9.5)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from issuer.catalogue import (
    KIND_ALLIANCE,
    KIND_MANDATE,
    KIND_PARTNER,
    KIND_SPECIFICATION,
    AllianceFile,
    Issuance,
    Partner,
    alliance_from_catalogue,
    alliance_iri,
    catalogue_documents,
    hosted_partner_did,
    load_alliance_file,
    microcredential_for,
    partner_did,
    partner_dids,
    specification_iri,
)
from vc_core.dids.did_web import did_web_to_url
from vc_core.errors import MalformedInputError, ModelValidationError
from vc_core.jsonld.canonicalize import PyldCanonicalizer
from vc_core.model import build_elm_credential, vocab
from vc_core.testing import SAMPLE_COORDINATOR_DID, SAMPLE_HOLDER_DID, apply_patch

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "mcred" / "demo" / "alliance.yaml"
DATA = ROOT / "tests" / "data" / "issuer"
ISSUER_DID = SAMPLE_COORDINATOR_DID
SPEC = "sustainable-urban-mobility"
INVALID = json.loads((DATA / "invalid_alliances.json").read_text(encoding="utf-8"))["cases"]


def demo_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def demo() -> AllianceFile:
    return load_alliance_file(DEMO)


def issuance_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "specification": SPEC,
        "learner": {
            "given_name": "Ana",
            "family_name": "Andromeda",
            "date_of_birth": "1999-10-02",
            "identifiers": [{"scheme_name": "Student ID", "notation": "UGR-2026-004711"}],
            "email": "ana.andromeda@example.org",
            "learner_ref": "UGR-2026-004711",
        },
        "result": {"date_of_issue": "2026-07-10T12:00:00+02:00", "grade": "9.1"},
        "holder_did": SAMPLE_HOLDER_DID,
    }
    data.update(overrides)
    return data


def hosted(partner: Partner) -> str:
    return partner_did(partner, ISSUER_DID)


def error_locs(exc: pytest.ExceptionInfo[ModelValidationError]) -> set[str]:
    return {error.loc for error in exc.value.errors}


# --------------------------------------------------------------------------- the demo file


def test_demo_file_loads(demo: AllianceFile) -> None:
    assert demo.alliance.id == "arqus"
    assert demo.coordinator == "granada"
    assert [p.id for p in demo.partners] == ["granada", "leipzig", "bordeaux"]
    assert all(p.hosted for p in demo.partners)
    spec = demo.specification(SPEC)
    assert spec.awarding_bodies == ("granada", "leipzig", "bordeaux")
    assert spec.workload.ects_point == "5"
    assert spec.eqf_level == 6
    assert set(spec.title) == {"en", "de", "fr"}
    assert len(spec.learning_outcomes) == 5
    assert spec.form_of_participation.uri == vocab.BLENDED.uri
    assert spec.assessment.type.uri == vocab.WRITTEN_EXAMINATION.uri
    assert spec.quality_assurance[0].type.uri == vocab.EQAR_INSTITUTIONAL_ACCREDITATION.uri
    assert {m.partner for m in demo.mandates_for(SPEC)} == {"granada", "leipzig", "bordeaux"}
    for mandate in demo.mandates:
        assert mandate.valid_from == datetime(2026, 1, 1, tzinfo=UTC)
        assert mandate.valid_until == datetime(2028, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_json_and_yaml_load_the_same_file(demo: AllianceFile) -> None:
    as_json = json.dumps(demo.model_dump(mode="json"), ensure_ascii=False)
    assert load_alliance_file(as_json) == demo
    assert load_alliance_file(as_json, format="yaml") == demo  # JSON is YAML too
    assert load_alliance_file(DEMO.read_text(encoding="utf-8")) == demo


def test_path_suffix_chooses_the_format(tmp_path: Path, demo: AllianceFile) -> None:
    path = tmp_path / "alliance.json"
    path.write_text(json.dumps(demo.model_dump(mode="json")), encoding="utf-8")
    assert load_alliance_file(path) == demo


# --------------------------------------------------------------------------- invalid files


@pytest.mark.parametrize("case", INVALID, ids=[c["name"] for c in INVALID])
def test_invalid_alliance_files_name_the_fields(case: dict[str, Any]) -> None:
    data = apply_patch(demo_data(), case["patch"])
    if not case["errors"]:
        AllianceFile.parse(data)
        return
    with pytest.raises(ModelValidationError) as exc:
        AllianceFile.parse(data)
    assert error_locs(exc) == set(case["errors"])
    assert all(error.message for error in exc.value.errors)


def test_duplicate_specification_id() -> None:
    data = demo_data()
    data["specifications"].append(dict(data["specifications"][0]))
    with pytest.raises(ModelValidationError) as exc:
        AllianceFile.parse(data)
    assert error_locs(exc) == {"specifications.1.id"}


def test_model_validate_alone_also_refuses_broken_references() -> None:
    data = apply_patch(demo_data(), [{"op": "set", "path": "coordinator", "value": "graz"}])
    with pytest.raises(ValueError, match="coordinator: the coordinator 'graz'"):
        AllianceFile.model_validate(data)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("alliance: [unclosed", "not valid YAML"),
        ("- just\n- a list\n", "must be an object"),
        ('{"alliance": {}, "alliance": {}}', "given twice"),
        ("alliance: {id: a}\nalliance: {id: b}\n", "given twice"),
        ("base: &b {id: x}\nalliance: *b\n", "aliases"),
        ("{not json", "not valid JSON"),
    ],
)
def test_syntax_errors_are_model_errors(text: str, fragment: str) -> None:
    with pytest.raises(ModelValidationError) as exc:
        load_alliance_file(text)
    assert [e.loc for e in exc.value.errors] == [""]
    assert fragment in exc.value.errors[0].message


def test_oversized_files_are_refused_unread() -> None:
    with pytest.raises(ModelValidationError, match="at most"):
        load_alliance_file("#" * (1024 * 1024 + 1))


# --------------------------------------------------------------------------- DIDs and IRIs


def test_hosted_partner_dids(demo: AllianceFile) -> None:
    dids = partner_dids(demo, ISSUER_DID)
    assert dids == {
        "granada": ISSUER_DID,
        "leipzig": f"{ISSUER_DID}:partners:leipzig",
        "bordeaux": f"{ISSUER_DID}:partners:bordeaux",
    }
    assert did_web_to_url(dids["leipzig"]) == (
        "https://credentials.arqus-alliance.eu/partners/leipzig/did.json"
    )


def test_partner_with_its_own_did_is_not_hosted(demo: AllianceFile) -> None:
    external = demo.partner("leipzig").model_copy(update={"did": "did:web:uni-leipzig.de"})
    assert not external.hosted
    assert partner_did(external, ISSUER_DID) == "did:web:uni-leipzig.de"


def test_coordinator_did_must_be_the_issuers() -> None:
    data = apply_patch(
        demo_data(), [{"op": "set", "path": "partners.0.did", "value": "did:web:ugr.es"}]
    )
    alliance_file = AllianceFile.parse(data)
    with pytest.raises(MalformedInputError, match="not the issuer's"):
        partner_dids(alliance_file, ISSUER_DID)


def test_partners_are_hosted_only_under_did_web() -> None:
    with pytest.raises(MalformedInputError, match="did:web"):
        hosted_partner_did("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "leipzig")


@given(st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True))
def test_hosted_did_maps_to_the_partner_document(slug: str) -> None:
    did = hosted_partner_did("did:web:credentials.example.eu", slug)
    assert did_web_to_url(did) == f"https://credentials.example.eu/partners/{slug}/did.json"


def test_iris() -> None:
    assert alliance_iri("arqus") == "urn:mcred:arqus"
    assert specification_iri("arqus", SPEC) == f"urn:mcred:arqus:specification:{SPEC}"
    with pytest.raises(MalformedInputError, match="not an id"):
        specification_iri("arqus", "Not A Slug")
    with pytest.raises(MalformedInputError, match="not an id"):
        hosted_partner_did(ISSUER_DID, "../../etc")


# --------------------------------------------------------------------------- issuance


def test_microcredential_for_composes_a_joint_award(demo: AllianceFile) -> None:
    issuance = Issuance.parse(issuance_data())
    mc = microcredential_for(demo, issuance, coordinator_did=ISSUER_DID, partner_did_of=hosted)
    assert mc.coordinating_provider.did == ISSUER_DID
    assert mc.coordinating_provider.legal_identifier == "Q1818002F"
    assert mc.coordinating_provider.alliance is not None
    assert mc.coordinating_provider.alliance.homepage == "https://www.arqus-alliance.eu"
    assert [b.did for b in mc.awarding_bodies] == [
        ISSUER_DID,
        f"{ISSUER_DID}:partners:leipzig",
        f"{ISSUER_DID}:partners:bordeaux",
    ]
    assert mc.is_joint
    assert mc.learner.holder_did == SAMPLE_HOLDER_DID
    assert mc.grade is not None
    assert mc.grade.value == "9.1"
    assert mc.grade.grading_scheme is not None
    assert mc.supervision is not None
    assert mc.supervision.uri == vocab.SUPERVISED_WITH_ID_VERIFICATION.uri
    # a QA organisation given as a partner id becomes the partner's Erasmus code
    assert mc.quality_assurance[0].organisation == "E  GRANADA01"
    assert mc.valid_from == mc.date_of_issue == datetime(2026, 7, 10, 10, tzinfo=UTC)
    assert "learner_ref" not in mc.learner.model_dump()


def test_result_supervision_overrides_the_specification(demo: AllianceFile) -> None:
    data = issuance_data(
        result={
            "date_of_issue": "2026-07-10",
            "supervision": "unsupervised_without_id_verification",
        }
    )
    mc = microcredential_for(
        demo, Issuance.parse(data), coordinator_did=ISSUER_DID, partner_did_of=hosted
    )
    assert mc.supervision is not None
    assert mc.supervision.uri == vocab.UNSUPERVISED_WITHOUT_ID_VERIFICATION.uri
    assert mc.grade is None


def test_elm_credential_of_an_issuance_expands_in_safe_mode(demo: AllianceFile) -> None:
    mc = microcredential_for(
        demo, Issuance.parse(issuance_data()), coordinator_did=ISSUER_DID, partner_did_of=hosted
    )
    doc = build_elm_credential(
        mc,
        credential_id="urn:uuid:0e1f8a3c-1d2b-4c5d-9e6f-7a8b9c0d1e2f",
        issued=datetime(2026, 7, 10, 12, tzinfo=UTC),
    )
    PyldCanonicalizer().check(doc)  # raises UnsafeJsonLdError on any dropped term
    assert doc["issuer"]["id"] == ISSUER_DID
    bodies = doc["credentialSubject"]["hasClaim"][0]["awardedBy"]["awardingBody"]
    assert {body["id"] for body in bodies} == set(partner_dids(demo, ISSUER_DID).values())


def test_unknown_specification_is_a_field_error(demo: AllianceFile) -> None:
    issuance = Issuance.parse(issuance_data(specification="data-science"))
    with pytest.raises(ModelValidationError) as exc:
        microcredential_for(demo, issuance, coordinator_did=ISSUER_DID, partner_did_of=hosted)
    assert error_locs(exc) == {"specification"}


@pytest.mark.parametrize(
    ("patch", "locs"),
    [
        ([{"op": "delete", "path": "learner.learner_ref"}], {"learner.learner_ref"}),
        ([{"op": "delete", "path": "learner.given_name"}], {"learner.given_name"}),
        ([{"op": "set", "path": "learner.email", "value": "ana"}], {"learner.email"}),
        (
            [{"op": "set", "path": "result.date_of_issue", "value": "soon"}],
            {"result.date_of_issue"},
        ),
        (
            [{"op": "set", "path": "result.supervision", "value": "proctored"}],
            {"result.supervision"},
        ),
        ([{"op": "set", "path": "holder_did", "value": "ana"}], {"holder_did"}),
        ([{"op": "set", "path": "specification", "value": "Bad Id"}], {"specification"}),
        ([{"op": "set", "path": "valid_until", "value": "2026-07-01"}], {"valid_until"}),
        (
            [{"op": "set", "path": "learner.holder_did", "value": "did:web:someone.example"}],
            {"holder_did"},
        ),
    ],
)
def test_invalid_issuances_name_the_fields(patch: list[dict[str, Any]], locs: set[str]) -> None:
    with pytest.raises(ModelValidationError) as exc:
        Issuance.parse(apply_patch(issuance_data(), patch))
    assert error_locs(exc) == locs


# --------------------------------------------------------------------------- the catalogue store


class DictCatalogueStore:
    """A :class:`~issuer.ports.CatalogueStore` over a dict (these tests only)."""

    def __init__(self) -> None:
        self.documents: dict[tuple[str, str], dict[str, Any]] = {}

    def put(self, kind: str, doc_id: str, document: dict[str, Any]) -> None:
        self.documents[(kind, doc_id)] = json.loads(json.dumps(document))

    def get(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        return self.documents.get((kind, doc_id))

    def list(self, kind: str) -> list[dict[str, Any]]:
        # reversed: a store keeps no order
        return [d for (k, _), d in reversed(self.documents.items()) if k == kind]

    def delete(self, kind: str, doc_id: str) -> bool:
        return self.documents.pop((kind, doc_id), None) is not None

    def load(self, alliance_file: AllianceFile) -> None:
        for kind, doc_id, document in catalogue_documents(alliance_file):
            self.put(kind, doc_id, document)


@pytest.fixture
def store(demo: AllianceFile) -> DictCatalogueStore:
    store = DictCatalogueStore()
    store.load(demo)
    return store


def test_catalogue_documents(demo: AllianceFile) -> None:
    documents = catalogue_documents(demo)
    ids = {(kind, doc_id) for kind, doc_id, _ in documents}
    assert (KIND_ALLIANCE, "arqus") in ids
    assert (KIND_PARTNER, "arqus:leipzig") in ids
    assert (KIND_SPECIFICATION, f"arqus:{SPEC}") in ids
    assert (KIND_MANDATE, f"arqus:{SPEC}:bordeaux:20260101T000000Z") in ids
    assert len(ids) == len(documents) == 1 + 3 + 1 + 3
    for kind, _, document in documents:
        json.dumps(document)  # plain JSON
        if kind != KIND_ALLIANCE:
            assert document["alliance"] == "arqus"


def test_catalogue_round_trip(store: DictCatalogueStore, demo: AllianceFile) -> None:
    restored = alliance_from_catalogue(store, "arqus")
    assert restored is not None
    assert restored.alliance == demo.alliance
    assert restored.coordinator == demo.coordinator
    assert sorted(restored.partners, key=lambda p: p.id) == list(restored.partners)
    assert restored.partners == tuple(sorted(demo.partners, key=lambda p: p.id))
    assert restored.specifications == demo.specifications
    assert restored.mandates == tuple(sorted(demo.mandates, key=lambda m: m.partner))
    assert alliance_from_catalogue(store, "enlight") is None


def test_catalogue_ignores_uploaded_mandates_and_other_alliances(
    store: DictCatalogueStore, demo: AllianceFile
) -> None:
    store.put(
        KIND_MANDATE,
        "arqus:upload-1",
        {"alliance": "arqus", "origin": "uploaded", "credential": {"id": "urn:uuid:1"}},
    )
    store.put(KIND_PARTNER, "enlight:ghent", {"alliance": "enlight", "id": "ghent"})
    restored = alliance_from_catalogue(store, "arqus")
    assert restored is not None
    assert len(restored.mandates) == len(demo.mandates)
    assert len(restored.partners) == len(demo.partners)


def test_catalogue_revalidates_what_it_reads(store: DictCatalogueStore) -> None:
    assert store.delete(KIND_PARTNER, "arqus:bordeaux")
    with pytest.raises(ModelValidationError) as exc:
        alliance_from_catalogue(store, "arqus")
    assert any(e.loc.startswith("specifications.0.awarding_bodies.") for e in exc.value.errors)


def test_unquoted_norway_gets_a_yaml_hint() -> None:
    text = DEMO.read_text(encoding="utf-8").replace("country: FR", "country: NO")
    with pytest.raises(ModelValidationError) as exc:
        load_alliance_file(text)
    assert error_locs(exc) == {"partners.2.country"}
    assert 'write "NO"' in exc.value.errors[0].message
    quoted = load_alliance_file(text.replace("country: NO", 'country: "NO"'))
    assert quoted.partner("bordeaux").country == "NO"


def test_the_documented_example_loads() -> None:
    doc = (ROOT / "docs" / "alliance-file.md").read_text(encoding="utf-8")
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    alliance_file = load_alliance_file(example)
    assert not alliance_file.partner("bordeaux").hosted
    assert {m.partner for m in alliance_file.mandates} == {"granada", "leipzig"}
