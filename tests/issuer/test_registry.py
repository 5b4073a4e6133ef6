"""The alliance trust registry the coordinator publishes (issuer.registry, its route), checked
with the verifier that reads it (verifier.trust)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from issuer.api_keys import Principal, Role
from issuer.catalogue import Issuance, hosted_partner_did, load_alliance_file, specification_iri
from issuer.errors import NotFound
from issuer.identity import IssuerIdentity
from issuer.mandates import build_mandate, sign_mandate
from issuer.memory import (
    InMemoryAuditLog,
    InMemoryCatalogueStore,
    InMemoryCredentialStore,
    InMemorySigningKeyStore,
    InMemoryStatusListStore,
)
from issuer.registry import REGISTRY_MEDIA_TYPE, RegistryPublisher
from issuer.routes import build_registry_router
from issuer.service import Issuer
from issuer.status_lists import StatusListService
from mcred.problems import install_problem_handlers
from vc_core.dids import StaticDidResolver
from vc_core.jose import decode_unverified_header
from vc_core.keys import KeyType
from vc_core.testing import FixedClock
from verifier.memory import InMemoryStatusListClient
from verifier.service import Verifier
from verifier.trust import (
    AllianceRegistries,
    AllianceRegistry,
    UntrustedRegistryError,
    verify_signed_registry,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "mcred" / "demo" / "alliance.yaml"
BASE_URL = "http://localhost:8000"
DID = "did:web:localhost%3A8000"
LEIPZIG = hosted_partner_did(DID, "leipzig")
BORDEAUX = hosted_partner_did(DID, "bordeaux")
SPEC_IRI = specification_iri("arqus", "sustainable-urban-mobility")
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
SYSTEM = Principal("system", Role.ADMIN, None, "tests")


class Office:
    """A coordinator's issuer in memory, with the demo alliance loaded; it resolves the DIDs it
    hosts (as mcred's own resolver does)."""

    def __init__(self) -> None:
        self.clock = FixedClock(NOW)
        self.identity = IssuerIdentity(DID, InMemorySigningKeyStore())
        self.partners: dict[str, IssuerIdentity] = {}
        self.catalogue = InMemoryCatalogueStore()
        self.status = StatusListService(
            InMemoryStatusListStore(), self.identity, BASE_URL, clock=self.clock.now
        )
        self.issuer = Issuer(
            identity=self.identity,
            partner_identity=self.partner,
            catalogue=self.catalogue,
            credentials=InMemoryCredentialStore(),
            audit=InMemoryAuditLog(),
            status=self.status,
            resolver=self,
            clock=self.clock.now,
        )
        self.issuer.load_alliance(load_alliance_file(DEMO), SYSTEM)
        self.registry = RegistryPublisher(
            identity=self.identity,
            catalogue=self.catalogue,
            resolver=self,
            public_url=BASE_URL,
            clock=self.clock.now,
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
        identities = {p.did: p for p in self.partners.values()}
        if did in identities:
            return identities[did].did_document()
        return StaticDidResolver().resolve(did)  # notFound

    def verified_registry(self, token: str | None = None) -> AllianceRegistry:
        return verify_signed_registry(
            token or self.registry.published("arqus").token,
            resolver=self,
            trust_anchors=[DID],
            now=self.clock.now(),
        )


@pytest.fixture
def office() -> Office:
    return Office()


def test_the_published_registry_is_signed_by_the_coordinator(office: Office) -> None:
    token = office.registry.published("arqus").token
    header = decode_unverified_header(token)
    assert (header["typ"], header["alg"]) == ("vc+jwt", "ES256")
    assert header["kid"].startswith(f"{DID}#p256-")
    registry = office.verified_registry(token)
    assert registry.alliance.id == "arqus"
    assert registry.name == "Arqus European University Alliance"
    assert [(m.did, m.role, m.country) for m in registry.members] == [
        (BORDEAUX, "partner", "FR"),
        (DID, "coordinator", "ES"),
        (LEIPZIG, "partner", "DE"),
    ]
    granada = registry.member(DID)
    assert granada is not None
    assert (granada.erasmus_code, granada.schac_code) == ("E  GRANADA01", "ugr.es")
    # the coordinator's own declared mandate is not signed: it awards in its own name
    assert sorted(m.awarding_body for m in registry.mandates) == [BORDEAUX, LEIPZIG]
    for mandate in registry.mandates:
        assert mandate.coordinator == DID
        assert mandate.specifications == (SPEC_IRI,)
        assert mandate.credential is not None
        assert mandate.credential["issuer"] == mandate.awarding_body
        assert mandate.valid_until == datetime(2028, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_the_registry_is_refused_by_a_verifier_pinning_another_anchor(office: Office) -> None:
    with pytest.raises(UntrustedRegistryError) as caught:
        verify_signed_registry(
            office.registry.published("arqus").token,
            resolver=office,
            trust_anchors=["did:web:credentials.other-alliance.eu"],
            now=NOW,
        )
    assert caught.value.reason == "untrusted_signer"


def test_uploaded_mandates_are_published_when_they_hold(office: Office) -> None:
    first = office.registry.published("arqus")
    leipzig = office.partner("leipzig")
    key = leipzig.signing_key(KeyType.ED25519)
    renewal = build_mandate(
        awarding_body_did=LEIPZIG,
        coordinator_did=DID,
        alliance_iri="urn:mcred:arqus",
        specification_iri=SPEC_IRI,
        valid_from=datetime(2029, 1, 1, tzinfo=UTC),
        valid_until=datetime(2031, 12, 31, tzinfo=UTC),
        mandate_id="urn:uuid:7d1c2a3b-0000-4000-8000-000000000001",
    )
    signed = sign_mandate(renewal, key.private_key, leipzig.verification_method_id(key))
    office.issuer.add_mandate("arqus", "sustainable-urban-mobility", signed)
    forged = {**signed, "validUntil": "2040-12-31T00:00:00Z", "id": "urn:uuid:forged"}
    office.issuer.add_mandate("arqus", "sustainable-urban-mobility", forged)

    second = office.registry.published("arqus")
    assert second.token != first.token  # a new catalogue revision is signed again at once
    ids = [m.id for m in office.verified_registry(second.token).mandates]
    assert "urn:uuid:7d1c2a3b-0000-4000-8000-000000000001" in ids
    assert "urn:uuid:forged" not in ids
    assert len(ids) == 3


def test_the_signed_registry_is_cached_then_signed_again(office: Office) -> None:
    first = office.registry.published("arqus")
    assert office.registry.published("arqus") is first
    office.clock.advance(timedelta(days=1, seconds=1))
    again = office.registry.published("arqus")
    assert again.token != first.token
    assert again.signed_at == office.clock.now()
    payload = office.verified_registry(again.token)
    assert payload == office.verified_registry(first.token)  # same content, new period


def test_an_unknown_alliance_has_no_registry(office: Office) -> None:
    with pytest.raises(NotFound):
        office.registry.published("una")
    with pytest.raises(NotFound):
        office.registry.subject("una")


def test_a_credential_it_issues_is_trusted_through_its_registry(office: Office) -> None:
    issued = office.issuer.issue(
        SYSTEM,
        "arqus",
        Issuance.parse(
            {
                "specification": "sustainable-urban-mobility",
                "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1"},
                "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
            }
        ),
    )
    credential = issued.record.documents["ldp_vc"]
    (slot,) = issued.record.status_slots
    lists = InMemoryStatusListClient(
        {office.status.list_url(slot.list_id): office.status.published(slot.list_id).credential}
    )

    def verifier(registry: AllianceRegistry) -> Verifier:
        trust = AllianceRegistries.of(registry)
        return Verifier(office, lists, clock=office.clock, trust_registry=trust)

    for registry in (
        office.verified_registry(),
        AllianceRegistry.parse(office.registry.subject("arqus")),
    ):
        report = verifier(registry).verify_credential(credential)
        check = report.check("issuer_trust")
        assert check.message == (
            "issued by University of Granada on behalf of University of Granada, Leipzig "
            "University, University of Bordeaux (members of alliance Arqus European University "
            "Alliance)"
        ), check.message
        assert report.verified, report.to_dict(include_document=False)


# -- the route -----------------------------------------------------------------------------------


@pytest.fixture
async def client(office: Office) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(build_registry_router(office.registry))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


async def test_get_the_registry(client: httpx.AsyncClient, office: Office) -> None:
    response = await client.get("/alliances/arqus/registry")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(REGISTRY_MEDIA_TYPE)
    assert response.headers["access-control-allow-origin"] == "*"
    assert "max-age=" in response.headers["cache-control"]
    assert office.verified_registry(response.text).alliance.id == "arqus"
    etag = response.headers["etag"]
    cached = await client.get("/alliances/arqus/registry", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert office.registry.registry_url("arqus") == f"{BASE_URL}/alliances/arqus/registry"


async def test_get_the_registry_of_an_unknown_alliance(client: httpx.AsyncClient) -> None:
    response = await client.get("/alliances/una/registry")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
