"""The issue path's caches keep what it issues: each specification's micro-credential factory
(its shared part validated once) and the ELM templates, both kept per catalogue revision.

Two issuers share the catalogue, the keys, the clock, the status list randomness and the
credential ids: one issues as the service does, the other builds every credential from
scratch (:func:`~issuer.catalogue.microcredential_for`, :func:`~vc_core.model.elm.
build_elm_credential`). Their documents must be the same bytes (Ed25519 signatures are
deterministic; of an ES256 JWT the header and payload), their errors the same errors."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from issuer.api_keys import Principal, Role
from issuer.catalogue import (
    AllianceFile,
    Issuance,
    MicroCredentialFactory,
    load_alliance_file,
    microcredential_for,
    partner_did,
)
from issuer.identity import IssuerIdentity
from issuer.memory import (
    InMemoryAuditLog,
    InMemoryCatalogueStore,
    InMemoryCredentialStore,
    InMemorySigningKeyStore,
    InMemoryStatusListStore,
)
from issuer.service import VIEW_MAX_AGE_S, IssuedCredential, Issuer
from issuer.stacking import PartCheck
from issuer.status_lists import StatusListService
from vc_core.errors import ModelValidationError
from vc_core.model.elm import build_elm_credential
from vc_core.model.microcredential import PartAwardingBody
from vc_core.proofs.data_integrity import verify_proofs
from vc_core.testing import FixedClock

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "mcred" / "demo" / "alliance.yaml"
STACKING = ROOT / "tests" / "data" / "issuer" / "stacking_alliance.yaml"
DID = "did:web:localhost%3A8000"
BASE_URL = "http://localhost:8000"
SPEC = "sustainable-urban-mobility"
NOW = datetime(2026, 11, 20, 12, 30, 45, 987654, tzinfo=UTC)
SYSTEM = Principal("system", Role.ADMIN, None, "tests")
HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
NASTY = 'Zoë "the \\ quoted" Ångström \u2028 \U0001f393 </script>'


def _issuance(**changes: Any) -> Issuance:
    data: dict[str, Any] = {
        "specification": SPEC,
        "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1815"},
        "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
    }
    data.update(changes)
    return Issuance.parse(data)


ISSUANCES: list[tuple[str, Issuance, tuple[str, ...]]] = [
    ("plain", _issuance(), ("ldp_vc",)),
    (
        "same-shape-other-learner",
        _issuance(learner={"given_name": "Alan", "family_name": "Turing", "learner_ref": "s-2"}),
        ("ldp_vc", "jwt_vc_json"),
    ),
    (
        "every-learner-field",
        _issuance(
            learner={
                "given_name": "Grace",
                "family_name": "Hopper",
                "full_name": "Grace Brewster Hopper",
                "date_of_birth": "1906-12-09",
                "identifiers": [{"scheme_name": "Student ID", "notation": "g-1906"}],
                "holder_did": HOLDER,
                "email": "grace@example.org",
                "learner_ref": "s-3",
            },
            result={"date_of_issue": "2026-12-01", "grade": "9.5"},
        ),
        ("ldp_vc", "jwt_vc_json"),
    ),
    (
        "json-escapes-in-names",
        _issuance(
            learner={"given_name": NASTY, "family_name": NASTY[::-1], "learner_ref": "s-4"},
            result={"date_of_issue": "2026-11-21T08:00:00+02:00", "grade": NASTY},
        ),
        ("ldp_vc",),
    ),
    (
        "no-grade-other-supervision-valid-until",
        _issuance(
            result={
                "date_of_issue": "2026-11-20T10:00:00Z",
                "supervision": "unsupervised_without_id_verification",
            },
            valid_from="2026-12-01T00:00:00Z",
            valid_until="2030-12-01T00:00:00Z",
        ),
        ("jwt_vc_json",),
    ),
    (
        "module-results",
        _issuance(
            module_results=[
                {"module": "mobility-data", "partner": "granada", "result": "9.0"},
                {
                    "module": "sump-design",
                    "partner": "leipzig",
                    "result": "9.5",
                    "title": {"en": "Designing a SUMP", "de": "Einen SUMP entwerfen"},
                },
            ]
        ),
        ("ldp_vc", "jwt_vc_json"),
    ),
    (
        "plain-again",
        _issuance(learner={"given_name": "Ada", "family_name": "Byron", "learner_ref": "s-5"}),
        ("ldp_vc",),
    ),
]


class Ids:
    """The credential ids both issuers draw (``uuid.uuid4`` in :mod:`issuer.service`)."""

    def __init__(self) -> None:
        self.next = 0

    def __call__(self) -> uuid.UUID:
        self.next += 1
        return uuid.UUID(int=self.next)


class Twins:
    """The issuer as the service runs it, and one that builds everything from scratch."""

    def __init__(self, alliance: AllianceFile) -> None:
        self.catalogue = InMemoryCatalogueStore()
        self.keys: dict[str, InMemorySigningKeyStore] = {}
        self.now = 1000.0
        """The issuers' monotonic clock (seconds)."""
        self.cached = self._issuer()
        self.fresh = self._issuer()

        def microcredential(
            _view: Any, _spec: str, issuance: Issuance, parts: Sequence[Any] = ()
        ) -> Any:
            return microcredential_for(
                _view.alliance,
                issuance,
                coordinator_did=DID,
                partner_did_of=lambda partner: partner_did(partner, DID),
                parts=parts,
            )

        def elm(_view: Any, _spec: str, mc: Any, **arguments: Any) -> dict[str, Any]:
            return build_elm_credential(mc, **arguments)

        self.fresh._microcredential = microcredential  # type: ignore[method-assign,assignment]
        self.fresh._build_elm_credential = elm  # type: ignore[method-assign,assignment]
        self.cached.load_alliance(alliance, SYSTEM)

    def _issuer(self) -> Issuer:
        office = _Office(self.keys)
        status = InMemoryStatusListStore(rng=random.Random(7))  # the same slots
        return Issuer(
            identity=office.identity,
            partner_identity=office.partner,
            catalogue=self.catalogue,
            credentials=InMemoryCredentialStore(),
            audit=InMemoryAuditLog(),
            status=StatusListService(status, office.identity, BASE_URL),
            resolver=office,
            clock=FixedClock(NOW).now,
            monotonic=lambda: self.now,
        )


class _Office:
    """An issuer's identities (keys shared with its twin) and their DID documents."""

    def __init__(self, keys: dict[str, InMemorySigningKeyStore]) -> None:
        self.keys = keys
        self.identity = IssuerIdentity(DID, keys.setdefault("", InMemorySigningKeyStore()))
        self.partners: dict[str, IssuerIdentity] = {}

    def partner(self, partner_id: str) -> IssuerIdentity:
        if partner_id not in self.partners:
            store = self.keys.setdefault(partner_id, InMemorySigningKeyStore())
            self.partners[partner_id] = IssuerIdentity(f"{DID}:partners:{partner_id}", store)
        return self.partners[partner_id]

    def resolve(self, did: str) -> dict[str, Any]:
        if did == DID:
            return self.identity.did_document()
        return self.partner(did.rsplit(":", 1)[1]).did_document()


@pytest.fixture
def ids(monkeypatch: pytest.MonkeyPatch) -> Ids:
    drawn = Ids()
    monkeypatch.setattr(uuid, "uuid4", drawn)
    return drawn


def _assert_same(cached: IssuedCredential, fresh: IssuedCredential) -> None:
    assert cached.record.id == fresh.record.id
    assert cached.record.status_slots == fresh.record.status_slots
    documents, expected = cached.record.documents, fresh.record.documents
    assert list(documents) == list(expected)
    if "ldp_vc" in expected:
        assert orjson.dumps(documents["ldp_vc"]) == orjson.dumps(expected["ldp_vc"])
    if "jwt_vc_json" in expected:  # (ES256 signatures differ from one signing to the next)
        assert (
            documents["jwt_vc_json"].rsplit(".", 1)[0]
            == (expected["jwt_vc_json"].rsplit(".", 1)[0])
        )


def _used_templates(issuer: Issuer, alliance_id: str) -> int:
    return sum(t is not None for t in issuer._views[alliance_id].templates.values())


def test_issued_documents_are_those_built_from_scratch(ids: Ids) -> None:
    twins = Twins(load_alliance_file(DEMO))
    for name, issuance, formats in ISSUANCES:
        for _ in range(2):  # the second of each: from the kept factory and template
            start = ids.next
            cached = twins.cached.issue(SYSTEM, "arqus", issuance, formats=formats)
            ids.next = start
            fresh = twins.fresh.issue(SYSTEM, "arqus", issuance, formats=formats)
            _assert_same(cached, fresh)
            if "ldp_vc" in formats:
                document = cached.record.documents["ldp_vc"]
                assert verify_proofs(
                    document,
                    resolve_key=twins.cached._resolve_key,
                    allowed_cryptosuites=["eddsa-rdfc-2022"],
                ).verified, name
    view = twins.cached._views["arqus"]
    assert list(view.factories) == [SPEC]
    assert _used_templates(twins.cached, "arqus") == 3  # plain, every learner field, no grade


def test_a_cohort_chunk_issues_the_same_documents(ids: Ids) -> None:
    twins = Twins(load_alliance_file(DEMO))
    requests = [(issuance, f"key-{n}") for n, (_, issuance, _) in enumerate(ISSUANCES)]
    start = ids.next
    cached = twins.cached.issue_many(SYSTEM, "arqus", requests, formats=("ldp_vc",))
    ids.next = start
    fresh = twins.fresh.issue_many(SYSTEM, "arqus", requests, formats=("ldp_vc",))
    for one, other in zip(cached, fresh, strict=True):
        assert isinstance(one, IssuedCredential)
        assert isinstance(other, IssuedCredential)
        _assert_same(one, other)


def _stub_part(title: str, ects: str, issuer: str = DID) -> PartCheck:
    body = PartAwardingBody(legal_name={"en": "University of Granada"}, country="ES")
    return PartCheck(
        verified=True,
        digest=f"sha256-{'A' * 42}{len(title) % 10}=",
        credential_id=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, title)}",
        issuer=issuer,
        subject_id=HOLDER,
        title={"en": title},
        ects=Decimal(ects),
        eqf_level=6,
        date_of_issue=datetime(2026, 5, 1, tzinfo=UTC),
        awarding_bodies=(body,),
    )


def test_stacked_credentials_are_those_built_from_scratch(ids: Ids) -> None:
    """Stacked parts (no template serves them) through the kept factory."""
    twins = Twins(load_alliance_file(STACKING))
    padova = "did:key:z6MkuYE1dw3dvdCx5HcJo87pCHckRYbk9f9S7dMhPzDrwH5d"
    parts = {
        "energy": _stub_part("Energy Transition", "4"),
        "water": _stub_part("Water Management", "3.5"),
        "campus": _stub_part("Green Campus", "3", padova),
    }
    issuance = Issuance.parse(
        {
            "specification": "sustainability",
            "learner": {
                "given_name": "Ada",
                "family_name": "Lovelace",
                "learner_ref": "s-1",
                "holder_did": HOLDER,
            },
            "result": {"date_of_issue": "2026-09-01T10:00:00Z"},
        }
    )

    def stack(issuer: Issuer) -> IssuedCredential:
        return issuer.issue_stacked(
            SYSTEM,
            "greenstack",
            issuance,
            list(parts),
            lambda name: parts[str(name)],
            formats=("ldp_vc", "jwt_vc_json"),
        )

    for _ in range(2):
        start = ids.next
        cached = stack(twins.cached)
        ids.next = start
        _assert_same(cached, stack(twins.fresh))
    claim = cached.record.documents["ldp_vc"]["credentialSubject"]["hasClaim"][0]
    assert len(claim["hasPart"]) == len(parts)
    assert _used_templates(twins.cached, "greenstack") == 0


def test_errors_are_those_of_the_uncached_path(ids: Ids) -> None:
    """Once the factory is warm, a refused issuance is refused with the same field errors."""
    twins = Twins(load_alliance_file(DEMO))
    twins.cached.issue(SYSTEM, "arqus", _issuance())  # warm
    bad = _issuance(module_results=[{"module": "m-1", "partner": "nowhere", "result": "A"}])
    with pytest.raises(ModelValidationError) as cached:
        twins.cached.issue(SYSTEM, "arqus", bad)
    with pytest.raises(ModelValidationError) as fresh:
        twins.fresh.issue(SYSTEM, "arqus", bad)
    assert cached.value.errors == fresh.value.errors
    assert [e.loc for e in cached.value.errors] == ["module_results.0.partner"]


def test_a_factory_gives_the_micro_credential_and_errors_of_microcredential_for() -> None:
    alliance = load_alliance_file(DEMO)

    def did_of(partner: Any) -> str:
        return partner_did(partner, DID)

    factory = MicroCredentialFactory(alliance, SPEC, coordinator_did=DID, partner_did_of=did_of)
    for _, issuance, _ in [*ISSUANCES, *ISSUANCES]:
        made = factory.microcredential_for(issuance)
        expected = microcredential_for(
            alliance, issuance, coordinator_did=DID, partner_did_of=did_of
        )
        assert made == expected
        assert json.dumps(made.model_dump(mode="json")) == json.dumps(
            expected.model_dump(mode="json")
        )
    with pytest.raises(ValueError, match="not of"):
        factory.microcredential_for(_issuance(specification="other"))
    with pytest.raises(ModelValidationError) as unknown:
        MicroCredentialFactory(alliance, "other", coordinator_did=DID, partner_did_of=did_of)
    assert [e.loc for e in unknown.value.errors] == ["specification"]


def _changed_title(alliance: AllianceFile, title: str) -> AllianceFile:
    document = alliance.model_dump(mode="json", exclude_none=True)
    document["specifications"][0]["title"] = {**document["specifications"][0]["title"], "en": title}
    return AllianceFile.parse(document)


def test_a_catalogue_change_is_issued_at_once_not_from_the_kept_template(ids: Ids) -> None:
    twins = Twins(load_alliance_file(DEMO))
    start = ids.next
    twins.cached.issue(SYSTEM, "arqus", _issuance())
    ids.next = start
    twins.fresh.issue(SYSTEM, "arqus", _issuance())
    before = twins.cached._views["arqus"]
    assert _used_templates(twins.cached, "arqus") == 1
    twins.cached.load_alliance(_changed_title(twins.cached.alliance("arqus"), "Renamed"), SYSTEM)
    twins.now += VIEW_MAX_AGE_S  # (the other issuer sees the change then)
    start = ids.next
    cached = twins.cached.issue(SYSTEM, "arqus", _issuance())
    ids.next = start
    fresh = twins.fresh.issue(SYSTEM, "arqus", _issuance())
    _assert_same(cached, fresh)
    claim = cached.record.documents["ldp_vc"]["credentialSubject"]["hasClaim"][0]
    assert claim["title"]["en"] == ["Renamed"]
    assert twins.cached._views["arqus"] is not before  # a new revision: nothing kept
