"""Stacking end to end through HTTP: POST /api/v1/credentials/stacked → 201 or 422 with reasons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from issuer.catalogue import load_alliance_file
from mcred.app import DEV_ADMIN_TOKEN, Services, build_services, create_app
from mcred.settings import Settings
from tests.issuer.test_stacking import ALLIANCE_FILE, LEARNER, PADOVA_KEY, partner_credential
from vc_core.model.elm import part_digest, stacked_parts

ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
LEARNER_DATA = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "learner_ref": "s-1815",
    "holder_did": LEARNER,
}


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    settings = Settings(_env_file=None, data_dir=tmp_path, public_url="http://localhost:8000")
    services = build_services(settings)
    app = create_app(services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
        response = await client.post(
            "/api/v1/alliances",
            json=load_alliance_file(ALLIANCE_FILE).model_dump(mode="json", exclude_none=True),
            headers=ADMIN,
        )
        assert response.status_code == 201, response.text
        yield client, services
    services.close()


async def _module(client: httpx.AsyncClient, spec: str, fmt: str = "ldp_vc") -> tuple[str, Any]:
    response = await client.post(
        "/api/v1/credentials",
        json={
            "alliance": "greenstack",
            "specification": spec,
            "learner": LEARNER_DATA,
            "result": {"date_of_issue": "2026-06-01T10:00:00Z"},
            "formats": [fmt],
        },
        headers=ADMIN,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["id"], body["credentials"][fmt]


def _stacked(parts: list[Any]) -> dict[str, Any]:
    return {
        "alliance": "greenstack",
        "specification": "sustainability",
        "learner": LEARNER_DATA,
        "result": {"date_of_issue": "2026-09-01T10:00:00Z", "grade": "A"},
        "parts": parts,
    }


async def test_stack_verify_and_refuse(api: tuple[httpx.AsyncClient, Services]) -> None:
    client, _ = api
    energy_id, energy = await _module(client, "energy-transition")
    _, water = await _module(client, "water-management", "jwt_vc_json")
    campus = partner_credential(PADOVA_KEY)
    parts = [energy, water, campus]

    response = await client.post("/api/v1/credentials/stacked", json=_stacked(parts), headers=ADMIN)
    assert response.status_code == 201, response.text
    stacked = response.json()["credentials"]["ldp_vc"]
    assert [p.digest for p in stacked_parts(stacked)] == [part_digest(p) for p in parts]

    verified = await client.post("/api/v1/verify", json={"credential": stacked})
    assert verified.status_code == 200
    assert verified.json()["verified"] is True
    listed = verified.json()["parts"]  # the report names the parts it stacks
    assert [p["digest"] for p in listed] == [part_digest(p) for p in parts]

    # the parts given with it are matched by digest and verified one by one
    with_parts = await client.post("/api/v1/verify", json={"credential": stacked, "parts": parts})
    assert with_parts.status_code == 200, with_parts.text
    checked = with_parts.json()
    assert checked["verified"] is True, checked
    altered = {**energy, "id": "urn:uuid:00000000-0000-4000-8000-000000000000"}
    stranger = await client.post("/api/v1/verify", json={"credential": stacked, "parts": [altered]})
    assert stranger.json()["verified"] is False  # an altered part matches no named digest
    alone = await client.post("/api/v1/verify", json={"parts": parts})
    assert alone.status_code in (400, 422)

    # a revoked part: 422, the part and the reason named
    revoked = await client.post(
        f"/api/v1/credentials/{energy_id}/revoke", json={"reason": "fraud"}, headers=ADMIN
    )
    assert revoked.status_code == 200
    refused = await client.post("/api/v1/credentials/stacked", json=_stacked(parts), headers=ADMIN)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "stacking_refused"
    first = problem["details"]["parts"][0]
    assert first["id"] == energy["id"]
    assert first["accepted"] is False
    assert "revoked" in [r["code"] for r in first["reasons"]]
    assert [p["accepted"] for p in problem["details"]["parts"][1:]] == [True, True]


async def test_malformed_requests_are_refused(api: tuple[httpx.AsyncClient, Services]) -> None:
    client, _ = api
    empty = await client.post("/api/v1/credentials/stacked", json=_stacked([]), headers=ADMIN)
    assert empty.status_code == 422
    no_key = await client.post("/api/v1/credentials/stacked", json=_stacked(["a.b.c"]))
    assert no_key.status_code == 401
    not_stackable = await client.post(
        "/api/v1/credentials/stacked",
        json={**_stacked(["a.b.c"]), "specification": "energy-transition"},
        headers=ADMIN,
    )
    assert not_stackable.status_code == 422
    assert not_stackable.json()["details"]["rules"][0]["code"] == "not_stackable"
