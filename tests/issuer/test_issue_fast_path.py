"""The issue path's shortcuts keep its behaviour: the alliance view a worker reuses for
:data:`issuer.service.VIEW_MAX_AGE_S`, and ``POST /api/v1/credentials`` answering with the
signed document exactly as signed (serialized once, not through the response model)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.api_keys import Principal, Role
from issuer.catalogue import AllianceFile, Issuance, load_alliance_file
from issuer.errors import MandateMissing, NotFound
from issuer.identity import IssuerIdentity
from issuer.memory import (
    InMemoryAuditLog,
    InMemoryCatalogueStore,
    InMemoryCredentialStore,
    InMemorySigningKeyStore,
    InMemoryStatusListStore,
)
from issuer.ports import CatalogueStore
from issuer.schemas import CredentialOut
from issuer.service import VIEW_MAX_AGE_S, Issuer
from issuer.status_lists import StatusListService
from mcred.app import DEV_ADMIN_TOKEN, create_app
from mcred.settings import Settings
from vc_core.testing import FixedClock

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "mcred" / "demo" / "alliance.yaml"
BASE_URL = "http://localhost:8000"
DID = "did:web:localhost%3A8000"
SPEC = "sustainable-urban-mobility"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
SYSTEM = Principal("system", Role.ADMIN, None, "tests")
ISSUANCE = Issuance.model_validate(
    {
        "specification": SPEC,
        "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1815"},
        "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
    }
)


class CountingCatalogue(InMemoryCatalogueStore):
    """The catalogue, counting the reads of single documents (the revision checks)."""

    def __init__(self) -> None:
        super().__init__()
        self.gets = 0

    def get(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        self.gets += 1
        return super().get(kind, doc_id)


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Worker:
    """One worker's Issuer; workers of a test share the catalogue and the keys (the database)."""

    def __init__(self, catalogue: CatalogueStore, keys: dict[str, InMemorySigningKeyStore]):
        self.ticker = Ticker()
        identity = IssuerIdentity(DID, keys.setdefault("coordinator", InMemorySigningKeyStore()))
        partners: dict[str, IssuerIdentity] = {}

        def partner(partner_id: str) -> IssuerIdentity:
            if partner_id not in partners:
                store = keys.setdefault(partner_id, InMemorySigningKeyStore())
                partners[partner_id] = IssuerIdentity(f"{DID}:partners:{partner_id}", store)
            return partners[partner_id]

        self.partner = partner
        self.identity = identity
        self.issuer = Issuer(
            identity=identity,
            partner_identity=partner,
            catalogue=catalogue,
            credentials=InMemoryCredentialStore(),
            audit=InMemoryAuditLog(),
            status=StatusListService(InMemoryStatusListStore(), identity, BASE_URL),
            resolver=self,
            clock=FixedClock(NOW).now,
            monotonic=self.ticker,
        )

    def resolve(self, did: str) -> dict[str, Any]:
        if did == DID:
            return self.identity.did_document()
        return self.partner(did.rsplit(":", 1)[1]).did_document()


def _pair() -> tuple[Worker, Worker, CountingCatalogue]:
    catalogue = CountingCatalogue()
    keys: dict[str, InMemorySigningKeyStore] = {}
    a, b = Worker(catalogue, keys), Worker(catalogue, keys)
    a.issuer.load_alliance(load_alliance_file(DEMO), SYSTEM)
    return a, b, catalogue


def _with_second_specification(alliance: AllianceFile, *, mandates: bool) -> AllianceFile:
    document = alliance.model_dump(mode="json", exclude_none=True)
    spec = json.loads(json.dumps(document["specifications"][0]))
    spec["id"] = "urban-mobility-2"
    document["specifications"].append(spec)
    if mandates:
        document["mandates"] += [
            {**m, "specification": "urban-mobility-2"} for m in document["mandates"]
        ]
    return AllianceFile.parse(document)


def test_an_issuance_reuses_the_view_for_its_max_age_only() -> None:
    _, worker, catalogue = _pair()
    worker.issuer.issue(SYSTEM, "arqus", ISSUANCE)
    reads = catalogue.gets
    worker.issuer.issue(SYSTEM, "arqus", ISSUANCE)
    worker.ticker.now += VIEW_MAX_AGE_S * 0.9
    worker.issuer.issue(SYSTEM, "arqus", ISSUANCE)
    assert catalogue.gets == reads  # the revision was not read again
    worker.ticker.now += VIEW_MAX_AGE_S * 0.2
    worker.issuer.issue(SYSTEM, "arqus", ISSUANCE)
    assert catalogue.gets == reads + 1
    worker.issuer.alliance("arqus")  # other callers always check the revision
    assert catalogue.gets == reads + 2


def test_a_specification_added_by_another_worker_is_issued_at_once() -> None:
    loader, worker, _ = _pair()
    worker.issuer.issue(SYSTEM, "arqus", ISSUANCE)  # caches the view without the new spec
    alliance = _with_second_specification(loader.issuer.alliance("arqus"), mandates=True)
    loader.issuer.load_alliance(alliance, SYSTEM)
    issued = worker.issuer.issue(
        SYSTEM, "arqus", ISSUANCE.model_copy(update={"specification": "urban-mobility-2"})
    )
    assert issued.record.specification_id == "urban-mobility-2"


def test_refusals_are_decided_on_a_fresh_view() -> None:
    loader, worker, _ = _pair()
    worker.issuer.issue(SYSTEM, "arqus", ISSUANCE)
    other = ISSUANCE.model_copy(update={"specification": "urban-mobility-2"})
    with pytest.raises(NotFound):
        worker.issuer.issue(SYSTEM, "arqus", other)
    alliance = _with_second_specification(loader.issuer.alliance("arqus"), mandates=False)
    loader.issuer.load_alliance(alliance, SYSTEM)
    with pytest.raises(MandateMissing):  # the new spec is seen; its mandates are missing
        worker.issuer.issue(SYSTEM, "arqus", other)


def test_a_workers_own_change_shows_at_once() -> None:
    worker, _, _ = _pair()
    worker.issuer.issue(SYSTEM, "arqus", ISSUANCE)
    alliance = _with_second_specification(worker.issuer.alliance("arqus"), mandates=True)
    worker.issuer.load_alliance(alliance, SYSTEM)
    before = worker.issuer._views["arqus"]
    worker.issuer.issue(SYSTEM, "arqus", ISSUANCE)
    assert worker.issuer._views["arqus"] is not before  # rebuilt without waiting


# -- the route -----------------------------------------------------------------------------


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    app = create_app(Settings(data_dir=tmp_path, public_url=BASE_URL))
    return TestClient(app, headers={"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"})


def test_the_issue_response_is_the_response_model_with_the_document_as_signed(
    client: TestClient,
) -> None:
    body = {
        "alliance": "arqus",
        "specification": SPEC,
        "learner": {"given_name": "Zoë", "family_name": "Ångström", "learner_ref": "s-1"},
        "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
        "formats": ["ldp_vc", "jwt_vc_json"],
    }
    response = client.post("/api/v1/credentials", json=body)
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    sent = response.json()
    services = client.app.state.services  # type: ignore[attr-defined]
    issued = services.issuer.get(SYSTEM, sent["id"])
    modelled = CredentialOut.of(issued, services.issuer.status.list_url).model_dump(mode="json")
    assert sent == modelled
    assert client.get(f"/api/v1/credentials/{sent['id']}").json() == sent
    assert "Zoë" in response.content.decode("utf-8")  # UTF-8, not \\u-escaped
    report = client.post("/api/v1/verify", json={"credential": sent["credentials"]["ldp_vc"]})
    assert report.status_code == 200
    checks = {c["name"]: c["status"] for c in report.json()["checks"]}
    assert checks["proof"] == "passed"


def test_the_issue_route_still_refuses_as_before(client: TestClient) -> None:
    no_key = client.post("/api/v1/credentials", json={}, headers={"Authorization": ""})
    assert no_key.status_code == 401
    bad = client.post("/api/v1/credentials", json={"alliance": "arqus"})
    assert bad.status_code == 422
    unknown = client.post(
        "/api/v1/credentials",
        json={**ISSUANCE.model_dump(mode="json"), "alliance": "arqus", "specification": "none"},
    )
    assert unknown.status_code == 404
    openapi = client.get("/openapi.json").json()
    schema = openapi["paths"]["/api/v1/credentials"]["post"]["responses"]["201"]
    assert schema["content"]["application/json"]["schema"]["$ref"].endswith("/CredentialOut")
