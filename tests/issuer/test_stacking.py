"""Stacking (issuer.stacking, Issuer.issue_stacked): a larger credential from module credentials.

Two layers:

* the rules alone, data-driven, with a stub :class:`PartVerifier` (``RULE_CASES``);
* the whole flow on mcred's real services (SQLite under ``tmp_path``, the verifier as the part
  verifier): parts issued by mcred for the coordinator and a hosted partner, and one that the
  partner Padova signs under its own ``did:key``; refusals for a revoked, untrusted,
  foreign-subject or tampered part (``FLOW_CASES``); the stacked credential against EDC SHACL;
  the verifier's :meth:`~verifier.service.Verifier.verify_stacked`.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from issuer.api_keys import Principal, Role
from issuer.catalogue import AllianceFile, Issuance, load_alliance_file
from issuer.ports import CredentialQuery
from issuer.stacking import PartCheck, PartReason, StackingRefused, check_parts
from mcred.app import Services, build_services
from mcred.settings import Settings
from mcred.stacking import VerifierPartCheck
from tests.vc_core.test_shacl import _violations
from vc_core.dids import did_key_from_public_key, did_key_verification_method_id
from vc_core.errors import ModelValidationError
from vc_core.keys import KeyType, PrivateKey
from vc_core.model.elm import build_elm_credential, part_digest, read_part, stacked_parts
from vc_core.model.microcredential import MicroCredential, PartAwardingBody
from vc_core.proofs.data_integrity import add_proof

ROOT = Path(__file__).resolve().parents[2]
ALLIANCE_FILE = ROOT / "tests" / "data" / "issuer" / "stacking_alliance.yaml"
ALLIANCE = "greenstack"
STACKED = "sustainability"
ADMIN = Principal("test-admin", Role.ADMIN, None, "tests")


def seeded_key(label: str) -> PrivateKey:
    return PrivateKey.from_raw(KeyType.ED25519, hashlib.sha256(label.encode()).digest())


PADOVA_KEY = seeded_key("stacking:padova")
STRANGER_KEY = seeded_key("stacking:stranger")
PADOVA = did_key_from_public_key(PADOVA_KEY.public_key)
STRANGER = did_key_from_public_key(STRANGER_KEY.public_key)
LEARNER = did_key_from_public_key(seeded_key("stacking:learner").public_key)
OTHER_LEARNER = did_key_from_public_key(seeded_key("stacking:other-learner").public_key)


@pytest.fixture(scope="module")
def alliance() -> AllianceFile:
    return load_alliance_file(ALLIANCE_FILE)


def issuance(spec: str, holder: str = LEARNER, on: str = "2026-06-01T10:00:00Z") -> Issuance:
    return Issuance.parse(
        {
            "specification": spec,
            "learner": {
                "given_name": "Ada",
                "family_name": "Lovelace",
                "learner_ref": "s-1815",
                "holder_did": holder,
            },
            "result": {"date_of_issue": on},
        }
    )


# --------------------------------------------------------------------------- the rules alone


def stub(title: str, ects: str, eqf: int, **overrides: Any) -> PartCheck:
    body = PartAwardingBody(legal_name={"en": "University of Granada"}, country="ES")
    fields: dict[str, Any] = {
        "verified": True,
        "digest": part_digest({"title": title}),
        "credential_id": f"urn:uuid:{hashlib.md5(title.encode()).hexdigest()}",  # noqa: S324
        "issuer": "did:web:localhost%3A8000",
        "subject_id": LEARNER,
        "title": {"en": title},
        "ects": Decimal(ects),
        "eqf_level": eqf,
        "date_of_issue": datetime(2026, 5, 1, tzinfo=UTC),
        "awarding_bodies": (body,),
    }
    fields.update(overrides)
    return PartCheck(**fields)


ENERGY = stub("Energy Transition", "4", 6)
WATER = stub("Water Management", "3", 6)
CAMPUS = stub("Green Campus", "3", 6, issuer=PADOVA)

# (id, parts, expected per-part reason codes, expected rule codes); [] [] = accepted
RULE_CASES: list[tuple[str, list[PartCheck], list[list[str]], list[str]]] = [
    ("valid", [ENERGY, WATER, CAMPUS], [], []),
    (
        "missing-required-module",
        [ENERGY, WATER],
        [[], []],
        ["missing_required_part", "ects_below_minimum"],
    ),
    (
        "ects-too-low",
        [ENERGY, replace(WATER, ects=Decimal("1")), CAMPUS],
        [[], [], []],
        ["ects_below_minimum"],
    ),
    (
        "eqf-not-allowed",
        [ENERGY, WATER, replace(CAMPUS, eqf_level=4)],
        [[], [], ["eqf_level_not_allowed"]],
        ["missing_required_part", "ects_below_minimum"],
    ),
    (
        "foreign-subject",
        [ENERGY, replace(WATER, subject_id=OTHER_LEARNER), CAMPUS],
        [[], ["foreign_subject"], []],
        ["missing_required_part", "ects_below_minimum"],
    ),
    (
        "campus-from-the-wrong-issuer",
        [ENERGY, WATER, replace(CAMPUS, issuer=STRANGER)],
        [[], [], ["not_a_required_part"]],
        ["missing_required_part", "ects_below_minimum"],
    ),
    (
        "part-too-old",
        [ENERGY, WATER, replace(CAMPUS, date_of_issue=datetime(2023, 1, 1, tzinfo=UTC))],
        [[], [], ["part_too_old"]],
        ["missing_required_part", "ects_below_minimum"],
    ),
    (
        "not-verified-keeps-the-verifier-reasons",
        [ENERGY, WATER, replace(CAMPUS, verified=False, reasons=(PartReason("revoked", "x"),))],
        [[], [], ["revoked"]],
        ["missing_required_part", "ects_below_minimum"],
    ),
    (
        "same-part-twice",
        [ENERGY, WATER, CAMPUS, ENERGY],
        [[], [], [], ["duplicate_part"]],
        [],
    ),
]


@pytest.mark.parametrize(
    ("parts", "part_codes", "rule_codes"),
    [pytest.param(p, c, r, id=i) for i, p, c, r in RULE_CASES],
)
def test_stacking_rules(
    alliance: AllianceFile,
    parts: list[PartCheck],
    part_codes: list[list[str]],
    rule_codes: list[str],
) -> None:
    spec = alliance.specification(STACKED)
    by_object = {id(p): p for p in parts}
    received: list[object] = [id(p) for p in parts]

    def verify(part: object) -> PartCheck:
        assert isinstance(part, int)
        return by_object[part]

    if not part_codes and not rule_codes:
        stacked = check_parts(alliance, spec, issuance(STACKED), received, verify)
        assert [s.credential_id for s in stacked] == [p.credential_id for p in parts]
        assert [s.digest for s in stacked] == [p.digest for p in parts]
        return
    with pytest.raises(StackingRefused) as refused:
        check_parts(alliance, spec, issuance(STACKED), received, verify)
    details = refused.value.details
    assert [[r["code"] for r in p["reasons"]] for p in details["parts"]] == part_codes
    assert [r["code"] for r in details["rules"]] == rule_codes
    assert refused.value.status_code == 422


def test_a_learner_without_did_or_identifier_cannot_be_matched(alliance: AllianceFile) -> None:
    learner_only = Issuance.parse(
        {
            "specification": STACKED,
            "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1"},
            "result": {"date_of_issue": "2026-06-01"},
        }
    )

    def never(part: object) -> PartCheck:
        raise AssertionError("no part is verified")

    with pytest.raises(StackingRefused) as refused:
        check_parts(alliance, alliance.specification(STACKED), learner_only, [{}], never)
    assert refused.value.details["rules"][0]["code"] == "no_subject_to_match"


def test_learner_identifiers_match_parts_without_a_did(alliance: AllianceFile) -> None:
    with_id = Issuance.parse(
        {
            "specification": STACKED,
            "learner": {
                "given_name": "Ada",
                "family_name": "Lovelace",
                "learner_ref": "s-1",
                "identifiers": [{"scheme_name": "Student ID", "notation": "S-42"}],
            },
            "result": {"date_of_issue": "2026-06-01"},
        }
    )
    ids = (("Student ID", "S-42"),)
    parts = [replace(p, subject_id=None, subject_identifiers=ids) for p in (ENERGY, WATER, CAMPUS)]
    stacked = check_parts(
        alliance,
        alliance.specification(STACKED),
        with_id,
        parts,
        lambda p: p,
    )
    assert len(stacked) == 3


def test_a_specification_without_stacking_rules_is_refused(alliance: AllianceFile) -> None:
    with pytest.raises(StackingRefused, match="no stacking rules"):
        check_parts(
            alliance,
            alliance.specification("energy-transition"),
            issuance("energy-transition"),
            [ENERGY],
            lambda p: ENERGY,
        )


# --------------------------------------------------------------------------- the alliance file


@pytest.mark.parametrize(
    ("stacking", "loc"),
    [
        ({"parts": [{"specification": "sustainability"}]}, "parts.0.specification"),
        ({"parts": [{"specification": "unknown-module"}]}, "parts.0.specification"),
        (
            {"parts": [{"specification": "energy-transition"}] * 2},
            "parts.1",
        ),
        ({"parts": [], "other_parts": False}, ""),
        ({"other_parts": True, "allowed_eqf_levels": [9]}, "allowed_eqf_levels.0"),
        ({"other_parts": True, "min_total_ects": 0}, "min_total_ects"),
        ({"other_parts": True, "max_part_age": 30}, "max_part_age"),
    ],
)
def test_stacking_rules_are_validated_by_field(stacking: dict[str, Any], loc: str) -> None:
    data = yaml.safe_load(ALLIANCE_FILE.read_text(encoding="utf-8"))
    index = next(i for i, s in enumerate(data["specifications"]) if s["id"] == STACKED)
    data["specifications"][index]["stacking"] = stacking
    with pytest.raises(ModelValidationError) as invalid:
        AllianceFile.parse(data)
    where = f"specifications.{index}.stacking" + (f".{loc}" if loc else "")
    assert any(e.loc == where for e in invalid.value.errors), invalid.value.errors


# --------------------------------------------------------------------------- the real flow


@dataclass
class World:
    services: Services
    parts: dict[str, Any]

    @property
    def verify_part(self) -> VerifierPartCheck:
        return VerifierPartCheck(self.services.verifier)

    def issue_module(self, spec: str, holder: str = LEARNER) -> tuple[str, dict[str, Any]]:
        issued = self.services.issuer.issue(ADMIN, ALLIANCE, issuance(spec, holder))
        return issued.record.id, issued.record.documents["ldp_vc"]

    def stack(self, parts: list[object]) -> Any:
        return self.services.issuer.issue_stacked(
            ADMIN,
            ALLIANCE,
            issuance(STACKED, on="2026-09-01T10:00:00Z"),
            parts,
            self.verify_part,
            formats=("ldp_vc", "jwt_vc_json"),
        )


def partner_credential(
    key: PrivateKey, title: str = "Green Campus", holder: str = LEARNER
) -> dict[str, Any]:
    """A module credential a partner issues on its own platform, under its own did:key."""
    did = did_key_from_public_key(key.public_key)
    padova = {
        "legal_name": {"en": "University of Padova"},
        "country": "IT",
        "erasmus_code": "I  PADOVA01",
        "did": did,
    }
    mc = MicroCredential.parse(
        {
            "learner": {"given_name": "Ada", "family_name": "Lovelace", "holder_did": holder},
            "title": {"en": title},
            "coordinating_provider": {**padova, "legal_identifier": "IT-80006480281"},
            "awarding_bodies": [padova],
            "date_of_issue": "2026-05-15T09:00:00Z",
            "valid_from": "2026-05-15T09:00:00Z",
            "learning_outcomes": [{"title": {"en": "Audit a campus's carbon footprint"}}],
            "workload": {"ects": 3},
            "eqf_level": 6,
            "assessment": {"type": "written_examination"},
            "form_of_participation": "online",
            "quality_assurance": [
                {
                    "type": "eqar_institutional_accreditation",
                    "title": {"en": "Institutional accreditation"},
                    "accrediting_agent": {"legal_name": {"en": "ANVUR"}, "country": "IT"},
                }
            ],
        }
    )
    unsigned = build_elm_credential(
        mc,
        credential_id=f"urn:uuid:{hashlib.md5(title.encode() + did.encode()).hexdigest()}",  # noqa: S324
        issued=datetime(2026, 5, 15, 9, tzinfo=UTC),
    )
    return add_proof(
        unsigned,
        key,
        verification_method=did_key_verification_method_id(did),
        created=datetime(2026, 5, 15, 9, tzinfo=UTC),
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("stacking"),
        public_url="http://localhost:8000",
    )
    services = build_services(settings)
    services.issuer.load_alliance(load_alliance_file(ALLIANCE_FILE), ADMIN)
    world = World(services, {})
    _, energy = world.issue_module("energy-transition")
    water_jwt = services.issuer.issue(
        ADMIN, ALLIANCE, issuance("water-management"), formats=("jwt_vc_json",)
    ).record.documents["jwt_vc_json"]
    world.parts = {"energy": energy, "water": water_jwt, "campus": partner_credential(PADOVA_KEY)}
    yield world
    services.close()


def test_stack_of_three_parts_one_from_a_partner_under_its_own_did(world: World) -> None:
    parts = [world.parts["energy"], world.parts["water"], world.parts["campus"]]
    issued = world.stack(parts)
    credential = issued.record.documents["ldp_vc"]
    named = stacked_parts(credential)
    assert [p.digest for p in named] == [part_digest(p) for p in parts]
    assert [p.credential_id for p in named] == [
        world.parts["energy"]["id"],
        read_part(world.services.verifier.verify_credential(parts[1]).document or {}).credential_id,
        world.parts["campus"]["id"],
    ]
    assert named[2].issuer == PADOVA
    report = world.services.verifier.verify_credential(credential)
    assert report.verified, [c.to_dict() for c in report.failed]
    assert world.services.verifier.verify_credential(
        issued.record.documents["jwt_vc_json"]
    ).verified
    events = world.services.issuer.events(ADMIN, issued.record.id)
    assert events[0].details == {
        "parts": [{"id": p.credential_id, "digest": p.digest} for p in named]
    }


def test_stacked_credential_conforms_to_edc_shacl(world: World) -> None:
    parts = [world.parts["energy"], world.parts["water"], world.parts["campus"]]
    credential = copy.deepcopy(world.stack(parts).record.documents["ldp_vc"])
    credential.pop("proof")
    # the 3.1 shapes type credentialStatus as a URI (tests/vc_core/test_shacl.py explains)
    credential.pop("credentialStatus")
    claim = credential["credentialSubject"]["hasClaim"][0]
    assert [p["type"] for p in claim["hasPart"]] == ["LearningAchievement"] * 3
    for profile in ("no-cv", "full", "issued-by-mandate"):
        assert _violations(credential, profile) == [], profile


def _tampered(credential: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(credential)
    changed["credentialSubject"]["hasClaim"][0]["title"] = {"en": ["Energy Transition (honours)"]}
    return changed


def _revoked(world: World) -> dict[str, Any]:
    credential_id, credential = world.issue_module("energy-transition")
    world.services.issuer.revoke(ADMIN, credential_id, "exam fraud")
    return credential


# (id, how to replace the energy part, the expected reason code of that part)
FLOW_CASES: list[tuple[str, Callable[[World], object], str]] = [
    ("revoked-part", _revoked, "revoked"),
    (
        "untrusted-issuer",
        lambda w: partner_credential(STRANGER_KEY, title="Energy Transition"),
        "unknown_issuer",
    ),
    (
        "foreign-subject",
        lambda w: w.issue_module("energy-transition", holder=OTHER_LEARNER)[1],
        "foreign_subject",
    ),
    ("tampered-part", lambda w: _tampered(w.parts["energy"]), "invalid_signature"),
]


@pytest.mark.parametrize(("make", "code"), [pytest.param(m, c, id=i) for i, m, c in FLOW_CASES])
def test_refused_parts_say_why(world: World, make: Callable[[World], object], code: str) -> None:
    before = len(world.services.issuer.search(ADMIN, _all()).items)
    with pytest.raises(StackingRefused) as refused:
        world.stack([make(world), world.parts["water"], world.parts["campus"]])
    first = refused.value.details["parts"][0]
    assert first["accepted"] is False
    codes = [r["code"] for r in first["reasons"]]
    assert code in codes, first
    assert [r["code"] for r in refused.value.details["rules"]] == [
        "missing_required_part",
        "ects_below_minimum",
    ]
    after = len(world.services.issuer.search(ADMIN, _all()).items)
    assert after == before  # nothing stacked was issued


def _all() -> CredentialQuery:
    return CredentialQuery(alliance_id=ALLIANCE, specification_id=STACKED, limit=200)


def test_verifier_checks_the_parts_of_a_stacked_credential(world: World) -> None:
    parts = [world.parts["energy"], world.parts["water"], world.parts["campus"]]
    credential = world.stack(parts).record.documents["ldp_vc"]
    verifier = world.services.verifier

    result = verifier.verify_stacked(credential, parts)
    assert result.verified
    body = result.to_dict()
    assert [p["digest"] for p in body["parts"]] == [part_digest(p) for p in parts]
    assert all(p["digest_matches"] and p["verified"] for p in body["part_checks"])
    assert body["parts_not_given"] == []

    only_two = verifier.verify_stacked(credential, parts[:2])
    assert only_two.verified
    assert [p.credential_id for p in only_two.not_given] == [world.parts["campus"]["id"]]

    # a part changed after stacking: its digest is none the credential names
    swapped = verifier.verify_stacked(credential, [_tampered(world.parts["energy"])])
    assert not swapped.verified
    (check,) = swapped.checked
    assert check.named is None
    assert check.problem is not None
    assert check.problem.startswith("not_a_part")
