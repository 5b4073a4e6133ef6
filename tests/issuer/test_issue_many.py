"""``Issuer.issue_many`` answers each request as ``Issuer.issue`` would (a cohort's chunk), with
one transaction for the keys and one for the records, on the real SQL store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from issuer.api_keys import Principal, Role
from issuer.catalogue import Issuance
from issuer.errors import Conflict
from issuer.ports import IdempotencyConflict
from issuer.service import IssuedCredential
from issuer.status_lists import CredentialState
from mcred.app import Services, build_services
from mcred.settings import Settings
from mcred.storage.sql_records import SqlCredentialStore

ADMIN = Principal("test", Role.ADMIN, None, "tests")
SPEC = "sustainable-urban-mobility"


def _issuance(learner: str, grade: str = "A", spec: str = SPEC) -> Issuance:
    return Issuance.model_validate(
        {
            "specification": spec,
            "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": learner},
            "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": grade},
        }
    )


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    built = build_services(
        Settings(_env_file=None, data_dir=tmp_path, public_url="http://localhost:8000")
    )
    yield built
    built.close()


def test_each_request_is_answered_as_issue_would(services: Services) -> None:
    issuer = services.issuer
    requests = [
        (_issuance("s-1"), "key-1"),
        (_issuance("s-2", spec="no-such-course"), "key-2"),
        (_issuance("s-3"), None),
        (_issuance("s-4"), "key-4"),
    ]
    first = issuer.issue_many(ADMIN, "arqus", requests)
    assert [type(r).__name__ for r in first] == [
        "IssuedCredential",
        "NotFound",
        "IssuedCredential",
        "IssuedCredential",
    ]
    issued = [r for r in first if isinstance(r, IssuedCredential)]
    assert all(r.state is CredentialState.ACTIVE for r in issued)
    for result in issued:
        stored = issuer.get(ADMIN, result.record.id)
        assert stored.record == result.record
        assert [e.action for e in issuer.events(ADMIN, result.record.id)] == ["issued"]
    slots = [slot for r in issued for slot in r.record.status_slots]
    assert len(set(slots)) == len(slots)

    again = issuer.issue_many(
        ADMIN,
        "arqus",
        [
            (_issuance("s-1"), "key-1"),  # replayed
            (_issuance("s-2"), "key-2"),  # released after the failure: issued now
            (_issuance("s-4", grade="B"), "key-4"),  # the key of other data
        ],
    )
    assert isinstance(again[0], IssuedCredential)
    assert again[0].record.id == first[0].record.id  # type: ignore[union-attr]
    assert isinstance(again[1], IssuedCredential)
    assert isinstance(again[2], Conflict)
    assert "another request" in str(again[2])
    assert issuer.issue_many(ADMIN, "arqus", []) == []


def test_a_batch_the_store_refuses_is_stored_one_by_one(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []
    original = SqlCredentialStore.add_many

    def refusing(self: SqlCredentialStore, entries: Any) -> None:
        batches.append(len(entries))
        if len(entries) > 1:  # as if another run had completed one of the keys meanwhile
            raise IdempotencyConflict("not claimed by this request")
        original(self, entries)

    monkeypatch.setattr(SqlCredentialStore, "add_many", refusing)
    results = services.issuer.issue_many(
        ADMIN, "arqus", [(_issuance(f"s-{n}"), f"key-{n}") for n in range(3)]
    )
    assert batches == [3, 1, 1, 1]
    assert all(isinstance(r, IssuedCredential) for r in results)
    for result in results:
        assert isinstance(result, IssuedCredential)
        assert services.issuer.get(ADMIN, result.record.id).record == result.record


def test_a_foreign_alliance_is_refused_before_anything_is_claimed(services: Services) -> None:
    coordinator = Principal("c", Role.COORDINATOR, "una-europa", "tests")
    with pytest.raises(Exception, match="alliance"):
        services.issuer.issue_many(coordinator, "arqus", [(_issuance("s-1"), "key-1")])
    result = services.issuer.issue_many(ADMIN, "arqus", [(_issuance("s-1"), "key-1")])
    assert isinstance(result[0], IssuedCredential)  # the key was never claimed


@pytest.mark.parametrize("failing", ["replay read", "batch store"])
def test_keys_claimed_for_a_batch_that_fails_are_given_back(
    services: Services, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    issuer = services.issuer
    done = issuer.issue_many(ADMIN, "arqus", [(_issuance("s-1"), "key-1")])[0]
    assert isinstance(done, IssuedCredential)

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("the database went away")

    if failing == "replay read":
        monkeypatch.setattr(type(issuer), "get_many", broken)
    else:
        monkeypatch.setattr(SqlCredentialStore, "add_many", broken)
    with pytest.raises(RuntimeError):
        issuer.issue_many(
            ADMIN, "arqus", [(_issuance("s-1"), "key-1"), (_issuance("s-2"), "key-2")]
        )
    monkeypatch.undo()
    again = issuer.issue(ADMIN, "arqus", _issuance("s-2"), idempotency_key="key-2")
    assert again.record.learner_ref == "s-2"  # key-2 was released, not left "running"
    replay = issuer.issue(ADMIN, "arqus", _issuance("s-1"), idempotency_key="key-1")
    assert replay.record.id == done.record.id  # a completed key is never released
