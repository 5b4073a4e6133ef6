"""Modules of a course in the credential (vc_core.model): ``MicroCredential.module_achievements``
validated by field, written by the ELM builder as achievements stated in place in the claim's
``hasPart`` (beside stacked parts), read back by ``module_achievements``; the EC's joint-degree
sample, whose courses are stated the same way, is the reference reading."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from tests.conftest import REFERENCE
from tests.vc_core.test_elm import _expand_safely, _nodes, _relative_iris
from vc_core.errors import ModelValidationError
from vc_core.model import MicroCredential, build_elm_credential
from vc_core.model.completeness import AnnexElement, check_completeness, has_part_item
from vc_core.model.elm import (
    MODULE_ID_SCHEME,
    PART_ID_SCHEME,
    module_achievements,
    stacked_parts,
)
from vc_core.testing import (
    SAMPLE_COORDINATOR_DID,
    FixedClock,
    apply_patch,
    sample_microcredential_data,
)

CREDENTIAL_ID = "urn:uuid:5d0c1b5e-7f55-4a47-9c1e-3b1d2c9e8f10"
ISSUED = FixedClock().now()
MODULES: list[dict[str, Any]] = [
    {"module": "mobility-data", "awarding_body": SAMPLE_COORDINATOR_DID, "grade": "9.0"},
    {
        "module": "sump-design",
        "awarding_body": "uni-leipzig.de",
        "grade": "9.5",
        "title": {"en": "Designing a SUMP", "de": "Einen SUMP entwerfen"},
    },
    {"module": "active-travel", "awarding_body": "F  BORDEAU58", "grade": "sehr gut (1,3)"},
]
PART: dict[str, Any] = {
    "credential_id": "urn:uuid:0c3b5f6e-1d2a-4b7c-9e8f-a1b2c3d4e5f6",
    "digest": "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    "issuer": "did:web:modules.example.org",
    "title": {"en": "Urban data literacy"},
    "awarding_bodies": [
        {"legal_name": {"en": "Leipzig University"}, "country": "DE", "did": "did:web:x.org"}
    ],
    "date_of_issue": "2025-12-01",
    "ects": "2",
}
JOINT_DEGREE = REFERENCE / "elm" / "ec-elm-support" / "Sample-JointDegree-unsigned.json"


def _build(**overrides: Any) -> dict[str, Any]:
    mc = MicroCredential.parse(sample_microcredential_data(**overrides))
    return build_elm_credential(mc, credential_id=CREDENTIAL_ID, issued=ISSUED)


def _claim(doc: dict[str, Any]) -> dict[str, Any]:
    claim: dict[str, Any] = doc["credentialSubject"]["hasClaim"][0]
    return claim


# -- the model -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "loc", "message"),
    [
        ("module_achievements.1.awarding_body", "oxford.ac.uk", "module_achievements", "names no"),
        ("module_achievements.2.module", "sump-design", "module_achievements", "listed twice"),
        ("module_achievements.0.module", "a b", "module_achievements.0.module", "module id"),
        ("module_achievements.0.grade", "", "module_achievements.0.grade", "at least 1"),
        ("module_achievements.0.grade", "x" * 201, "module_achievements.0.grade", "at most 200"),
        ("module_achievements.1.title", {}, "module_achievements.1.title", "language"),
    ],
)
def test_invalid_modules_name_the_field(path: str, value: Any, loc: str, message: str) -> None:
    data = apply_patch(
        sample_microcredential_data(module_achievements=MODULES),
        [{"op": "set", "path": path, "value": value}],
    )
    with pytest.raises(ModelValidationError) as exc:
        MicroCredential.parse(data)
    assert [e.loc for e in exc.value.errors] == [loc]
    assert message in exc.value.errors[0].message


def test_modules_are_optional_and_limited() -> None:
    assert MicroCredential.parse(sample_microcredential_data()).module_achievements == ()
    many = [{"module": f"m{i}", "awarding_body": "ugr.es", "grade": "1"} for i in range(51)]
    with pytest.raises(ModelValidationError) as exc:
        MicroCredential.parse(sample_microcredential_data(module_achievements=many))
    assert [e.loc for e in exc.value.errors] == ["module_achievements"]


# -- the ELM credential --------------------------------------------------------------------------


def test_each_module_is_an_achievement_stated_in_place() -> None:
    doc = _build(module_achievements=MODULES)
    claim = _claim(doc)
    bodies = {b["id"]: b for b in claim["awardedBy"]["awardingBody"]}
    leipzig = next(i for i, b in bodies.items() if b["legalName"]["en"] == ["Leipzig University"])
    sump = claim["hasPart"][1]
    assert sump["type"] == "LearningAchievement"
    assert sump["title"] == {"en": ["Designing a SUMP"], "de": ["Einen SUMP entwerfen"]}
    assert [(i["schemeName"], i["notation"]) for i in sump["identifier"]] == [
        (MODULE_ID_SCHEME, "sump-design")
    ]
    process = sump["awardedBy"]
    assert process["type"] == "AwardingProcess"
    assert "awardingDate" not in process  # the module's own date is not known
    # the body is the organisation the credential describes already, by reference
    assert process["awardingBody"] == [{"id": leipzig, "type": "Organisation"}]
    (assessment,) = sump["provenBy"]
    assert assessment["type"] == "LearningAssessment"
    assert assessment["title"] == sump["title"]
    assert assessment["grade"]["type"] == "Note"
    assert assessment["grade"]["noteLiteral"] == {"en": ["9.5"]}
    assert assessment["assessedBy"] == [{"id": leipzig, "type": "Organisation"}]
    assert assessment["awardedBy"] == {"id": process["id"], "type": "AwardingProcess"}
    # without a title, the module id is the title; the coordinator is the issuer's node
    first = claim["hasPart"][0]
    assert first["title"] == {"en": ["mobility-data"]}
    assert (
        first["awardedBy"]["awardingBody"][0]["id"] == SAMPLE_COORDINATOR_DID == doc["issuer"]["id"]
    )


def test_modules_follow_the_stacked_parts_and_both_read_back() -> None:
    doc = _build(parts=[PART], module_achievements=MODULES)
    parts = _claim(doc)["hasPart"]
    assert len(parts) == 4
    assert parts[0]["identifier"][0]["schemeName"] == PART_ID_SCHEME
    (reference,) = stacked_parts(doc)
    assert reference.credential_id == PART["credential_id"]
    assert reference.digest == PART["digest"]
    read = module_achievements(doc)
    assert [(m.module, dict(m.title), dict(m.grade)) for m in read] == [
        ("mobility-data", {"en": "mobility-data"}, {"en": "9.0"}),
        ("sump-design", {"en": "Designing a SUMP", "de": "Einen SUMP entwerfen"}, {"en": "9.5"}),
        ("active-travel", {"en": "active-travel"}, {"en": "sehr gut (1,3)"}),
    ]
    assert [m.awarding_bodies[0]["en"] for m in read] == [
        "University of Granada",
        "Leipzig University",
        "University of Bordeaux",
    ]
    # the stacked part's node ids are those of a credential without modules
    without = _build(parts=[PART])
    assert _claim(without)["hasPart"][0] == parts[0]


def test_a_credential_with_modules_is_safe_json_ld_and_names_each_node_once() -> None:
    doc = _build(parts=[PART], module_achievements=MODULES)
    assert _relative_iris(_expand_safely(doc)) == []
    full_nodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for node in _nodes(doc):
        if "id" in node and set(node) - {"id", "type"}:
            full_nodes[node["id"]].append(node)
    for ident, nodes in full_nodes.items():
        assert all(n == nodes[0] for n in nodes), ident
    assert json.dumps(doc) == json.dumps(_build(parts=[PART], module_achievements=MODULES))


def test_without_modules_the_credential_is_unchanged() -> None:
    assert _build() == _build(module_achievements=[])
    assert "hasPart" not in _claim(_build())
    assert module_achievements(_build()) == ()


def test_completeness_lists_modules_as_parts_and_names_their_items() -> None:
    """Integration and stackability keeps listing every hasPart (as for the EC's joint degree);
    ``has_part_item`` names a module's item so a reader can list the module on its own."""
    doc = _build(module_achievements=MODULES)
    items = check_completeness(doc)[AnnexElement.INTEGRATION_STACKABILITY].items
    for module in module_achievements(doc):
        assert has_part_item(module.title) in items
    assert "has part: Designing a SUMP" in items
    assert has_part_item({"en": ["  Two   words "]}) == "has part: Two words"


# -- the EC's joint degree: courses stated in place ----------------------------------------------


def test_the_ec_joint_degree_courses_read_as_modules() -> None:
    credential = json.loads(JOINT_DEGREE.read_text())["credential"]
    modules = module_achievements(credential)
    assert len(modules) == 10
    assert all(m.module is None for m in modules)  # the EC gives no module id
    first = modules[0]
    assert first.title == {"en": "Transformations in Digital Cultures"}
    assert first.grade == {"en": "7,0"}
    assert first.awarding_bodies == ({"en": "Umea university"},)
    assert {m.awarding_bodies[0]["en"] for m in modules} == {"Umea university", "Learning Provider"}
    assert [m.grade["en"] for m in modules].count("Pass") == 2
    assert stacked_parts(credential) == ()
    items = check_completeness(credential)[AnnexElement.INTEGRATION_STACKABILITY].items
    assert {has_part_item(m.title) for m in modules} <= set(items)


def test_a_reader_of_odd_json_finds_no_modules() -> None:
    odd: dict[str, Any]
    for odd in (
        {},
        {"credentialSubject": "x"},
        {"credentialSubject": {"hasClaim": [{"hasPart": ["urn:x", 5, {"type": "Note"}]}]}},
        {"credentialSubject": {"hasClaim": {"hasPart": {"identifier": [{"schemeName": []}]}}}},
    ):
        assert module_achievements(odd) == ()
    bare = {"type": "LearningAchievement", "identifier": [{"schemeName": []}], "provenBy": [7]}
    (read,) = module_achievements({"credentialSubject": {"hasClaim": {"hasPart": bare}}})
    assert (read.module, dict(read.title), read.awarding_bodies, dict(read.grade)) == (
        None,
        {},
        (),
        {},
    )
