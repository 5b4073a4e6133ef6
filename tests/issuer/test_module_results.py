"""Module results in the issuance (issuer.catalogue) and from a cohort file (issuer.cohort):
validated by field, written into the credential, and invisible to the idempotency fingerprint
of an issuance that has none."""

from __future__ import annotations

from typing import Any

import pytest

from issuer.catalogue import AllianceFile, Issuance, load_alliance_file, microcredential_for
from issuer.cohort import RowState
from issuer.service import _fingerprint
from tests.issuer.test_catalogue import DEMO, ISSUER_DID, SPEC, hosted, issuance_data
from tests.issuer.test_cohort import ADMIN, EXAMPLE, Office, csv_file, learner
from vc_core.errors import ModelValidationError
from vc_core.model.elm import build_elm_credential, module_achievements, stacked_parts
from vc_core.testing import FixedClock, apply_patch

MODULES: list[dict[str, Any]] = [
    {"module": "mobility-data", "partner": "granada", "result": "9.0"},
    {
        "module": "sump-design",
        "partner": "leipzig",
        "result": "9.5",
        "title": {"en": "Designing a SUMP", "de": "Einen SUMP entwerfen"},
    },
    {"module": "active-travel", "partner": "bordeaux", "result": "8.8"},
]


@pytest.fixture(scope="module")
def demo() -> AllianceFile:
    return load_alliance_file(DEMO)


@pytest.fixture
def office() -> Office:
    return Office()


def locs(exc: pytest.ExceptionInfo[ModelValidationError]) -> set[str]:
    return {error.loc for error in exc.value.errors}


# -- the idempotency fingerprint of an issuance without modules is the one it always had ---------

# sha256 hex digests computed with issuer.service._fingerprint BEFORE module_results existed
MINIMAL = {
    "specification": SPEC,
    "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1"},
    "result": {"date_of_issue": "2026-07-15"},
}
PINNED_FINGERPRINTS = [
    (
        issuance_data(),
        ("ldp_vc",),
        False,
        "3f2846f23173dd1f7ce12de8a81c9c0be0142151932373fe0a643a8d33200157",
    ),
    (
        issuance_data(),
        ("ldp_vc", "jwt_vc_json"),
        True,
        "e31249fc1ebde87838b8a85ed9ae1da435f092ff7ec0ed095145baa0951624fa",
    ),
    (
        MINIMAL,
        ("ldp_vc",),
        False,
        "8b2497316b840fdb2cc33fd5282b34a4bcd45df7c0afef271dec9da958af631c",
    ),
]


@pytest.mark.parametrize(("data", "formats", "hold", "digest"), PINNED_FINGERPRINTS)
def test_an_issuance_without_modules_keeps_its_fingerprint(
    data: dict[str, Any], formats: tuple[str, ...], hold: bool, digest: str
) -> None:
    for without in (data, {**data, "module_results": []}):
        issuance = Issuance.parse(without)
        assert "module_results" not in issuance.model_dump(mode="json")
        assert _fingerprint("arqus", issuance, formats, hold=hold) == digest


def test_module_results_are_part_of_the_fingerprint() -> None:
    plain = Issuance.parse(issuance_data())
    with_modules = Issuance.parse(issuance_data(module_results=MODULES))
    other_result = Issuance.parse(
        apply_patch(issuance_data(module_results=MODULES), [
            {"op": "set", "path": "module_results.0.result", "value": "5.0"}
        ])
    )  # fmt: skip
    prints = {_fingerprint("arqus", i, ["ldp_vc"]) for i in (plain, with_modules, other_result)}
    assert len(prints) == 3
    dumped = with_modules.model_dump(mode="json", exclude_none=True)
    assert dumped["module_results"] == MODULES
    assert Issuance.parse(dumped) == with_modules  # what a cohort row stores reads back


# -- field-level validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("module_results.2.module", "sump-design", "module_results"),
        ("module_results.0.module", "-bad id", "module_results.0.module"),
        ("module_results.0.module", "m" * 65, "module_results.0.module"),
        ("module_results.1.result", None, "module_results.1.result"),
        ("module_results.1.result", "", "module_results.1.result"),
        ("module_results.1.result", "x" * 201, "module_results.1.result"),
        ("module_results.1.partner", "Leipzig!", "module_results.1.partner"),
        ("module_results.1.title", {"xx": "?"}, "module_results.1.title"),
        ("module_results.0.grade", "9", "module_results.0.grade"),
        (
            "module_results",
            [{"module": f"m{i}", "partner": "granada", "result": "1"} for i in range(51)],
            "module_results",
        ),
    ],
)
def test_invalid_module_results_name_the_field(path: str, value: Any, expected: str) -> None:
    """``value`` None: the field is left out."""
    patch = [
        {"op": "delete", "path": path}
        if value is None
        else {"op": "set", "path": path, "value": value}
    ]
    with pytest.raises(ModelValidationError) as exc:
        Issuance.parse(apply_patch(issuance_data(module_results=MODULES), patch))
    assert locs(exc) == {expected}


def test_a_duplicate_module_says_which_entries() -> None:
    data = issuance_data(module_results=[*MODULES, {**MODULES[1], "partner": "granada"}])
    with pytest.raises(ModelValidationError) as exc:
        Issuance.parse(data)
    assert "'sump-design' is given twice (entries 1 and 3)" in exc.value.errors[0].message


def test_a_partner_that_is_no_awarding_body_is_a_field_error(demo: AllianceFile) -> None:
    data = issuance_data(
        module_results=[MODULES[0], {**MODULES[1], "partner": "oxford"}, MODULES[2]]
    )
    with pytest.raises(ModelValidationError) as exc:
        microcredential_for(
            demo, Issuance.parse(data), coordinator_did=ISSUER_DID, partner_did_of=hosted
        )
    assert locs(exc) == {"module_results.1.partner"}
    assert "'oxford' is not an awarding body of 'sustainable-urban-mobility'" in (
        exc.value.errors[0].message
    )


# -- into the credential -------------------------------------------------------------------------


def test_module_results_become_parts_of_the_claim(demo: AllianceFile) -> None:
    issuance = Issuance.parse(issuance_data(module_results=MODULES))
    mc = microcredential_for(demo, issuance, coordinator_did=ISSUER_DID, partner_did_of=hosted)
    # each partner named by its awarding body's Erasmus code, in the issuance's order
    assert [(m.module, m.awarding_body, m.grade) for m in mc.module_achievements] == [
        ("mobility-data", "E  GRANADA01", "9.0"),
        ("sump-design", "D  LEIPZIG01", "9.5"),
        ("active-travel", "F  BORDEAU58", "8.8"),
    ]
    doc = build_elm_credential(mc, credential_id="urn:uuid:1", issued=FixedClock().now())
    claim = doc["credentialSubject"]["hasClaim"][0]
    described = {b["id"]: b for b in claim["awardedBy"]["awardingBody"]}
    leipzig = f"{ISSUER_DID}:partners:leipzig"
    sump = claim["hasPart"][1]
    assert sump["awardedBy"]["awardingBody"] == [{"id": leipzig, "type": "Organisation"}]
    assert described[leipzig]["legalName"]["en"] == ["Leipzig University"]
    assert claim["hasPart"][0]["awardedBy"]["awardingBody"][0]["id"] == ISSUER_DID  # granada
    read = module_achievements(doc)
    assert [(m.module, m.title.get("en"), m.grade, m.awarding_bodies[0]["en"]) for m in read] == [
        ("mobility-data", "mobility-data", {"en": "9.0"}, "University of Granada"),
        ("sump-design", "Designing a SUMP", {"en": "9.5"}, "Leipzig University"),
        ("active-travel", "active-travel", {"en": "8.8"}, "University of Bordeaux"),
    ]
    assert stacked_parts(doc) == ()  # modules name no credential


def test_an_issuance_without_modules_builds_the_same_credential(demo: AllianceFile) -> None:
    def built(data: dict[str, Any]) -> dict[str, Any]:
        mc = microcredential_for(
            demo, Issuance.parse(data), coordinator_did=ISSUER_DID, partner_did_of=hosted
        )
        return build_elm_credential(mc, credential_id="urn:uuid:1", issued=FixedClock().now())

    plain = built(issuance_data())
    assert plain == built(issuance_data(module_results=[]))
    assert "hasPart" not in plain["credentialSubject"]["hasClaim"][0]


# -- from a cohort file --------------------------------------------------------------------------


def test_cohort_rows_carry_their_modules_into_the_credential(office: Office) -> None:
    checked = office.cohorts.validate(ADMIN, "arqus", SPEC, EXAMPLE.read_bytes())
    for row in checked.valid:
        assert [(m.module, m.partner, m.result) for m in row.issuance.module_results] == [
            (m.module, m.partner, m.result) for m in row.modules
        ]
    assert [m.module for m in checked.valid[7].issuance.module_results] == [
        "mobility-data",
        "sump-design",
    ]
    job = office.cohorts.submit(ADMIN, "arqus", SPEC, EXAMPLE.read_bytes())
    stored = office.jobs.rows(job.id)[0]
    assert stored.issuance is not None
    assert stored.issuance["module_results"][1] == {
        "module": "sump-design",
        "partner": "leipzig",
        "result": "9.5",
    }
    counts = office.cohorts.run(ADMIN, job.id)
    assert counts.issued == 10
    ada = office.jobs.rows(job.id)[0]
    assert ada.state is RowState.ISSUED
    assert ada.credential_id is not None
    record = office.credentials.get(ada.credential_id)
    assert record is not None
    read = module_achievements(record.documents["ldp_vc"])
    assert [(m.module, m.grade["en"], m.awarding_bodies[0]["en"]) for m in read] == [
        ("mobility-data", "9.0", "University of Granada"),
        ("sump-design", "9.5", "Leipzig University"),
        ("active-travel", "8.8", "University of Bordeaux"),
    ]


def test_a_module_problem_is_reported_once_by_its_column(office: Office) -> None:
    content = csv_file(learner(1, m1p="oxford"), learner(2, m1r="x" * 201), learner(3))
    checked = office.cohorts.validate(ADMIN, "arqus", SPEC, content)
    assert [(p.row, p.column) for p in checked.problems] == [
        (1, "module:m1:partner"),
        (2, "module:m1:result"),
    ]
    assert [v.number for v in checked.valid] == [3]
    assert [m.module for m in checked.valid[0].issuance.module_results] == ["m1"]


def test_other_module_results_for_an_issued_learner_fail_that_row(office: Office) -> None:
    first = office.cohorts.submit(ADMIN, "arqus", SPEC, csv_file(learner(1)))
    office.cohorts.run(ADMIN, first.id)
    same = office.cohorts.submit(ADMIN, "arqus", SPEC, csv_file(learner(1), learner(2)))
    assert office.cohorts.run(ADMIN, same.id).issued == 2  # the same data: found again
    other = office.cohorts.submit(ADMIN, "arqus", SPEC, csv_file(learner(1, m1r="fail")))
    counts = office.cohorts.run(ADMIN, other.id)
    assert (counts.issued, counts.failed) == (0, 1)
    assert "module results" in (office.jobs.rows(other.id)[0].error or "")
