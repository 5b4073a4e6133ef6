"""The key-free checks: VCDM structure (data-driven), validity (property-based), holder
binding, completeness, and the report's renderings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import DATA
from tests.verifier.world import KEYS, NOW, elm_credential, vcdm2_credential
from vc_core.jsonld.canonicalize import default_canonicalizer
from vc_core.testing import apply_patch
from verifier.checks import (
    completeness,
    holder_binding,
    parse_xsd_datetime,
    validity,
    well_formed_credential,
    well_formed_presentation,
)
from verifier.report import Check, CheckName, CheckStatus, ReportWarning, VerificationReport

WELL_FORMED = json.loads((DATA / "verifier" / "well_formed.json").read_text(encoding="utf-8"))


def _v1(document: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: v for k, v in document.items() if k not in ("validFrom", "validUntil")},
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "issuanceDate": document["validFrom"],
        "expirationDate": document["validUntil"],
    }


@pytest.mark.parametrize("case", WELL_FORMED["cases"], ids=[c["id"] for c in WELL_FORMED["cases"]])
def test_well_formed_credential(case: dict[str, Any]) -> None:
    base = vcdm2_credential()
    if case.get("base") == "v1":
        base = _v1(base)
    document = apply_patch(base, case["patch"])
    check, warnings = well_formed_credential(document, require_v2=case.get("require_v2", False))
    if case["code"] is None:
        assert check.status is CheckStatus.PASSED, check.to_dict()
    else:
        assert (check.status, check.code) == (CheckStatus.FAILED, case["code"]), check.to_dict()
        assert check.problem_type == "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR"
    assert [w.code for w in warnings] == ([case["warning"]] if "warning" in case else [])


def test_the_json_ld_check_runs_only_with_a_canonicalizer() -> None:
    document = {**vcdm2_credential(), "favouriteColour": "green"}
    assert well_formed_credential(document)[0].status is CheckStatus.PASSED
    check, _ = well_formed_credential(document, canonicalizer=default_canonicalizer())
    assert (check.code, check.problem_type) == (
        "unsafe_jsonld",
        "https://w3id.org/security#PROOF_TRANSFORMATION_ERROR",
    )


@pytest.mark.parametrize(
    ("patch", "code"),
    [
        ([], None),
        ([{"op": "set", "path": "type", "value": "VerifiableCredential"}], "invalid_type"),
        ([{"op": "set", "path": "holder", "value": {"name": "Ana"}}], "invalid_holder"),
        (
            [{"op": "set", "path": "verifiableCredential", "value": ["eyJ.a.b"]}],
            "invalid_credential_entry",
        ),
        # VCDM 2.0 §4.12.4: an entry without a proof is well formed (the service decides)
        ([{"op": "set", "path": "verifiableCredential", "value": [{"type": "X"}]}], None),
        (
            [{"op": "set", "path": "verifiableCredential", "value": [{"proof": {}}] * 3}],
            "too_many_credentials",
        ),
    ],
)
def test_well_formed_presentation(patch: list[dict[str, Any]], code: str | None) -> None:
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": KEYS.holder_did,
        "verifiableCredential": [{"proof": {}}],
    }
    check = well_formed_presentation(apply_patch(presentation, patch), max_credentials=2)
    assert check.code == (code or "ok")


_INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@given(
    now=_INSTANTS,
    valid_from=st.none() | _INSTANTS,
    valid_until=st.none() | _INSTANTS,
    skew=st.integers(min_value=0, max_value=3600).map(lambda s: timedelta(seconds=s)),
)
def test_validity_is_the_period_give_or_take_the_skew(
    now: datetime, valid_from: datetime | None, valid_until: datetime | None, skew: timedelta
) -> None:
    document: dict[str, Any] = {}
    if valid_from is not None:
        document["validFrom"] = _stamp(valid_from)
    if valid_until is not None:
        document["validUntil"] = _stamp(valid_until)
    check = validity(document, now=now, skew=skew)
    if valid_from is not None and valid_until is not None and valid_from > valid_until:
        expected = "invalid_validity_period"
    elif valid_from is not None and now + skew < valid_from:
        expected = "not_yet_valid"
    elif valid_until is not None and now - skew > valid_until:
        expected = "expired"
    else:
        expected = "ok"
    assert check.code == expected
    assert (check.status is CheckStatus.PASSED) == (expected == "ok")


def test_validity_takes_the_latest_start_and_the_earliest_end_of_all_sources() -> None:
    document = {"validFrom": "2026-03-01T00:00:00Z", "issuanceDate": "2026-03-03T00:00:00Z"}
    check = validity(document, now=NOW, skew=timedelta(0))
    assert (check.code, check.details["valid_from"]) == ("not_yet_valid", "2026-03-03T00:00:00Z")
    claims = {"exp": int(datetime(2026, 3, 2, tzinfo=UTC).timestamp())}
    check = validity(
        {"validUntil": "2030-01-01T00:00:00Z"}, now=NOW, skew=timedelta(0), jwt_claims=claims
    )
    assert (check.code, check.details["valid_until"]) == ("expired", "2026-03-02T00:00:00Z")


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("2026-03-01T00:00:00Z", (datetime(2026, 3, 1, tzinfo=UTC), True)),
        ("2026-03-01T01:00:00.5+01:00", (datetime(2026, 3, 1, 0, 0, 0, 500000, tzinfo=UTC), True)),
        ("2026-03-01T00:00:00", (datetime(2026, 3, 1, tzinfo=UTC), False)),
        ("2026-03-01", None),
        ("2026-03-01 00:00:00Z", None),
        (1772323200, None),
    ],
)
def test_parse_xsd_datetime(value: object, parsed: tuple[datetime, bool] | None) -> None:
    assert parse_xsd_datetime(value) == parsed


@pytest.mark.parametrize(
    ("subject", "holder", "code"),
    [
        ({"id": KEYS.holder_did}, KEYS.holder_did, "ok"),
        ({"id": KEYS.holder_did}, KEYS.holder_vm, "ok"),
        ([{"id": "did:example:other"}, {"id": KEYS.holder_did}], KEYS.holder_did, "ok"),
        ({"id": KEYS.other_holder_did}, KEYS.holder_did, "holder_mismatch"),
        ({"name": "bearer"}, KEYS.holder_did, "no_subject_id"),
        ({"id": KEYS.holder_did}, None, "no_holder"),
    ],
)
def test_holder_binding(subject: Any, holder: str | None, code: str) -> None:
    check = holder_binding({"credentialSubject": subject}, holder)
    assert check.code == code


def test_completeness_reports_missing_annex_elements_and_skips_other_credentials() -> None:
    assert completeness(vcdm2_credential())[0].code == "not_elm"
    assert completeness(elm_credential())[0].status is CheckStatus.PASSED
    document = elm_credential()
    del document["credentialSubject"]["hasClaim"][0]["specifiedBy"]["learningOutcome"]
    check, warnings = completeness(document)
    assert (check.status, check.details["missing"]) == (CheckStatus.FAILED, ["learning_outcomes"])
    assert "learning_outcomes" in check.message
    assert warnings == []


def test_a_report_is_verified_only_when_nothing_failed() -> None:
    passed = Check.passed(CheckName.PROOF, "fine")
    skipped = Check.skipped(CheckName.STATUS, "no_status", "none")
    failed = Check.failed(CheckName.VALIDITY, "expired", "too late")
    good = VerificationReport("credential", "vc+jwt", (passed, skipped))
    assert good.verified
    assert good.to_vc_api() == {"verified": True, "checks": ["proof"], "warnings": [], "errors": []}
    assert not VerificationReport("credential", "vc+jwt", (passed, failed)).verified
    presentation = VerificationReport(
        "presentation",
        "vp+jwt",
        (passed,),
        (ReportWarning("no_challenge", "replayable"),),
        credentials=(VerificationReport("credential", "vc+jwt", (failed,)),),
    )
    assert not presentation.verified
    body = presentation.to_vc_api()
    assert body["errors"][0]["instance"] == "#/verifiableCredential/0"
    assert body["errors"][0]["type"] == "urn:mcred:problem:expired"
    assert body["warnings"][0]["code"] == "no_challenge"
    assert presentation.to_dict()["credentials"][0]["checks"][0]["code"] == "expired"
    with pytest.raises(KeyError):
        good.check("completeness")
