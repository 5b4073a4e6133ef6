"""Cohort issuance (issuer.cohort) in memory: reading files, validating rows, running jobs."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from issuer.api_keys import Principal, Role
from issuer.catalogue import hosted_partner_did, load_alliance_file
from issuer.cohort import (
    CohortBusy,
    CohortInvalid,
    CohortService,
    InMemoryCohortJobStore,
    JobState,
    LeaseLost,
    RowState,
    idempotency_key,
    validate_rows,
)
from issuer.errors import Forbidden, NotFound
from issuer.identity import IssuerIdentity
from issuer.memory import (
    InMemoryAuditLog,
    InMemoryCatalogueStore,
    InMemoryCredentialStore,
    InMemorySigningKeyStore,
    InMemoryStatusListStore,
)
from issuer.ports import CredentialQuery
from issuer.service import Issuer
from issuer.status_lists import StatusListService

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "mcred" / "demo" / "alliance.yaml"
EXAMPLE = ROOT / "mcred" / "demo" / "cohort-example.csv"
DID = "did:web:localhost%3A8000"
SPEC = "sustainable-urban-mobility"
ADMIN = Principal("admin", Role.ADMIN, None, "tests")
HEADER = (
    "learner_ref,given_name,family_name,email,completion_date,grade,"
    "module:m1:partner,module:m1:result"
)


class Office:
    """An issuer in memory with the demo alliance, and the cohort service on top."""

    def __init__(self) -> None:
        self.identity = IssuerIdentity(DID, InMemorySigningKeyStore())
        self.partners: dict[str, IssuerIdentity] = {}
        self.credentials = InMemoryCredentialStore()
        self.issuer = Issuer(
            identity=self.identity,
            partner_identity=self.partner,
            catalogue=InMemoryCatalogueStore(),
            credentials=self.credentials,
            audit=InMemoryAuditLog(),
            status=StatusListService(InMemoryStatusListStore(), self.identity, "http://x"),
            resolver=self,
        )
        self.issuer.load_alliance(load_alliance_file(DEMO), ADMIN)
        self.jobs = InMemoryCohortJobStore()
        self.cohorts = CohortService(
            issuer=self.issuer, jobs=self.jobs, credentials=self.credentials
        )

    def partner(self, partner_id: str) -> IssuerIdentity:
        if partner_id not in self.partners:
            self.partners[partner_id] = IssuerIdentity(
                hosted_partner_did(DID, partner_id), InMemorySigningKeyStore()
            )
        return self.partners[partner_id]

    def resolve(self, did: str) -> dict[str, Any]:
        if did == DID:
            return self.identity.did_document()
        return {p.did: p for p in self.partners.values()}[did].did_document()

    def issued(self) -> list[Any]:
        return list(self.credentials.search(CredentialQuery(limit=1000)).items)


@pytest.fixture
def office() -> Office:
    return Office()


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode("utf-8")


def learner(n: int, **cells: str) -> str:
    values = {
        "learner_ref": f"s-{n}",
        "given_name": f"Given{n}",
        "family_name": f"Family{n}",
        "email": f"l{n}@example.org",
        "completion_date": "2026-07-15",
        "grade": "8",
        "m1p": "leipzig",
        "m1r": "pass",
        **cells,
    }
    return ",".join(values.values())


# -- reading and validating ---------------------------------------------------------------------


def test_the_example_file_is_valid(office: Office) -> None:
    checked = office.cohorts.validate(ADMIN, "arqus", SPEC, EXAMPLE.read_bytes())
    assert checked.problems == ()
    assert checked.total == len(checked.valid) == 10
    first = checked.valid[0]
    assert first.issuance.learner.email == "ada.lovelace@example.org"
    assert first.issuance.result.date_of_issue == datetime(2026, 7, 15, tzinfo=UTC)
    assert [m.partner for m in first.modules] == ["granada", "leipzig", "bordeaux"]
    # a module a learner did not take has empty cells
    assert [m.module for m in checked.valid[7].modules] == ["mobility-data", "sump-design"]


def test_every_problem_is_reported_by_row_and_column(office: Office) -> None:
    content = csv_file(
        learner(1),
        learner(2, email="not-an-address", completion_date="15/07/2026"),
        learner(3, m1p="oxford"),
        learner(4, m1r=""),
        learner(1, given_name="Again"),
        learner(6, given_name=""),
    )
    checked = office.cohorts.validate(ADMIN, "arqus", SPEC, content)
    problems = {(p.row, p.column) for p in checked.problems}
    assert problems == {
        (2, "email"),
        (2, "completion_date"),
        (3, "module:m1:partner"),
        (4, "module:m1:result"),
        (5, "learner_ref"),
        (6, "given_name"),
    }
    assert [v.number for v in checked.valid] == [1]
    assert checked.invalid_rows == (2, 3, 4, 5, 6)
    oxford = next(p for p in checked.problems if p.row == 3)
    assert "not an awarding body" in oxford.message


def test_a_bom_and_crlf_are_tolerated() -> None:
    content = b"\xef\xbb\xbf" + csv_file(learner(1)).replace(b"\n", b"\r\n")
    checked = validate_rows(load_alliance_file(DEMO), SPEC, content)
    assert checked.ok
    assert len(checked.valid) == 1


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("learner_ref,given_name,family_name,email", "completion_date"),
        (HEADER + ",nickname", "nickname"),
        (HEADER + ",grade", "grade"),
    ],
)
def test_header_problems_refuse_the_file(header: str, column: str) -> None:
    checked = validate_rows(load_alliance_file(DEMO), SPEC, csv_file(header=header))
    assert (0, column) in {(p.row, p.column) for p in checked.problems}
    assert checked.valid == ()


def test_grading_scheme_and_language_are_checked(office: Office) -> None:
    header = HEADER + ",grading_scheme,language"
    content = csv_file(
        learner(1) + ",Spanish university grading scale (0-10),de",
        learner(2) + ",ECTS grades,en",
        learner(3) + ",,pt",
        header=header,
    )
    checked = office.cohorts.validate(ADMIN, "arqus", SPEC, content)
    assert {(p.row, p.column) for p in checked.problems} == {
        (2, "grading_scheme"),
        (3, "language"),
    }
    assert checked.valid[0].language == "de"


def test_json_cohorts_have_the_same_fields(office: Office) -> None:
    rows = [
        {
            "learner_ref": "s-1",
            "given_name": "Ada",
            "family_name": "Lovelace",
            "email": "ada@example.org",
            "completion_date": "2026-07-15",
            "identity_verification": "supervised_with_id_verification",
            "modules": [{"module": "m1", "partner": "granada", "result": "9"}],
        },
        {"learner_ref": "s-2", "given_name": "Bo", "email": "bo@example.org", "colour": "red"},
    ]
    checked = office.cohorts.validate(ADMIN, "arqus", SPEC, json.dumps(rows).encode())
    assert {(p.row, p.column) for p in checked.problems} == {
        (2, "colour"),
        (2, "family_name"),
        (2, "completion_date"),
    }
    assert checked.valid[0].modules[0].partner == "granada"


@pytest.mark.parametrize(
    "content",
    [b"", b"\xff\xfe", b"[1, 2", b'{"learners": []}', b"[]"],
    ids=["empty", "not-utf8", "bad-json", "not-a-list", "no-learner"],
)
def test_unreadable_files_are_one_problem_of_row_0(office: Office, content: bytes) -> None:
    checked = office.cohorts.validate(ADMIN, "arqus", SPEC, content)
    assert [p.row for p in checked.problems] == [0]


def test_unknown_specification_and_foreign_alliance(office: Office) -> None:
    with pytest.raises(NotFound):
        office.cohorts.validate(ADMIN, "arqus", "no-such-course", csv_file(learner(1)))
    coordinator = Principal("c", Role.COORDINATOR, "una", "other alliance")
    with pytest.raises(Forbidden):
        office.cohorts.submit(coordinator, "arqus", SPEC, csv_file(learner(1)))


# -- submitting and running ---------------------------------------------------------------------


def test_an_invalid_row_refuses_the_file_unless_skipped(office: Office) -> None:
    content = csv_file(learner(1), learner(2, email="nope"), learner(3))
    with pytest.raises(CohortInvalid) as refused:
        office.cohorts.submit(ADMIN, "arqus", SPEC, content)
    assert refused.value.status_code == 422
    assert refused.value.details["invalid_rows"] == [2]
    assert office.issued() == []

    job = office.cohorts.submit(ADMIN, "arqus", SPEC, content, skip_invalid=True)
    counts = office.cohorts.run(ADMIN, job.id)
    assert (counts.issued, counts.invalid, counts.remaining) == (2, 1, 0)
    states = {r.number: r.state for r in office.jobs.rows(job.id)}
    assert states == {1: RowState.ISSUED, 2: RowState.INVALID, 3: RowState.ISSUED}
    assert sorted(c.learner_ref for c in office.issued()) == ["s-1", "s-3"]


def test_re_running_issues_nothing_new_across_files(office: Office) -> None:
    first = office.cohorts.submit(ADMIN, "arqus", SPEC, csv_file(learner(1), learner(2)))
    office.cohorts.run(ADMIN, first.id)
    again = office.cohorts.submit(ADMIN, "arqus", SPEC, csv_file(learner(1), learner(2)))
    assert again.id == first.id
    assert again.state is JobState.FINISHED
    office.cohorts.run(ADMIN, first.id)
    # another file naming a learner issued already: the same credential, not a new one
    other = office.cohorts.submit(ADMIN, "arqus", SPEC, csv_file(learner(2), learner(3)))
    assert other.id != first.id
    office.cohorts.run(ADMIN, other.id)
    assert sorted(c.learner_ref for c in office.issued()) == ["s-1", "s-2", "s-3"]
    by_learner = {r.learner_ref: r.credential_id for r in office.jobs.rows(first.id)}
    assert {r.learner_ref: r.credential_id for r in office.jobs.rows(other.id)}["s-2"] == (
        by_learner["s-2"]
    )


def test_different_data_for_an_issued_learner_fails_that_row(office: Office) -> None:
    office.cohorts.run(ADMIN, office.cohorts.submit(ADMIN, "arqus", SPEC, csv_file(learner(1))).id)
    job = office.cohorts.submit(ADMIN, "arqus", SPEC, csv_file(learner(1, grade="9")))
    counts = office.cohorts.run(ADMIN, job.id)
    assert (counts.issued, counts.failed) == (0, 1)
    assert "different data" in (office.jobs.rows(job.id)[0].error or "")
    assert len(office.issued()) == 1


def test_a_failed_row_in_a_chunk_leaves_the_others_issued(office: Office) -> None:
    office.cohorts.run(ADMIN, office.cohorts.submit(ADMIN, "arqus", SPEC, csv_file(learner(2))).id)
    content = csv_file(learner(1), learner(2, grade="9"), learner(3), learner(4))
    job = office.cohorts.submit(ADMIN, "arqus", SPEC, content)
    counts = office.cohorts.run(ADMIN, job.id, chunk=4)
    assert (counts.issued, counts.failed) == (3, 1)
    rows = {r.learner_ref: r for r in office.jobs.rows(job.id)}
    assert "different data" in (rows["s-2"].error or "")
    assert rows["s-2"].credential_id is None
    assert sorted(c.learner_ref for c in office.issued()) == ["s-1", "s-2", "s-3", "s-4"]


def test_a_run_whose_process_died_is_taken_over(office: Office) -> None:
    content = csv_file(*(learner(n) for n in range(1, 8)))
    job = office.cohorts.submit(ADMIN, "arqus", SPEC, content)
    dead = "run-dead"
    office.cohorts.take_over(ADMIN, job.id, dead)
    # the dead run claimed rows 1-3, issued row 1, claimed row 2's key, recorded nothing
    claimed = office.jobs.claim_rows(job.id, dead, 3, datetime.now(UTC) + timedelta(seconds=30))
    assert [r.number for r in claimed] == [1, 2, 3]
    office.cohorts._issue_rows(ADMIN, job, claimed[:1])
    key = idempotency_key("arqus", SPEC, "s-2")
    office.credentials.claim_idempotency_key(key, "its fingerprint")

    with pytest.raises(CohortBusy):  # its lease has not expired yet
        office.cohorts.run(ADMIN, job.id)
    office.jobs.acquire_lease(job.id, dead, datetime.now(UTC), datetime.now(UTC))  # expire it
    counts = office.cohorts.run(ADMIN, job.id)
    assert (counts.issued, counts.remaining) == (7, 0)
    issued = office.issued()
    assert sorted(c.learner_ref for c in issued) == [f"s-{n}" for n in range(1, 8)]
    slots = [(s.list_id, s.index) for c in issued for s in c.status_slots]
    assert len(set(slots)) == len(slots) == 7
    with pytest.raises(LeaseLost):  # the dead run, should it wake up, stops
        office.jobs.claim_rows(job.id, dead, 3, datetime.now(UTC))


def test_chunks_report_progress(office: Office) -> None:
    job = office.cohorts.submit(ADMIN, "arqus", SPEC, csv_file(*(learner(n) for n in range(5))))
    seen: list[int] = []
    office.cohorts.run(ADMIN, job.id, chunk=2, on_chunk=seen.append)
    assert seen == [2, 2, 1]
    assert office.jobs.counts(job.id).done == 5


def test_should_stop_leaves_the_rest_pending(office: Office) -> None:
    job = office.cohorts.submit(ADMIN, "arqus", SPEC, csv_file(*(learner(n) for n in range(5))))
    calls: list[int] = []
    stop: Callable[[], bool] = lambda: len(calls) >= 1  # noqa: E731
    office.cohorts.run(ADMIN, job.id, chunk=2, should_stop=stop, on_chunk=calls.append)
    counts = office.jobs.counts(job.id)
    assert (counts.issued, counts.pending) == (2, 3)
    assert office.cohorts.job(ADMIN, job.id).state is JobState.RUNNING
    office.cohorts.run(ADMIN, job.id)
    assert office.cohorts.job(ADMIN, job.id).state is JobState.FINISHED
