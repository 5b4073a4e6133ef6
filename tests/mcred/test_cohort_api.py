"""The cohort API (mcred.cohort_routes): submit a file, poll the job, download the offers."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from mcred import cli
from mcred.admin_page import CohortJobs
from mcred.app import DEV_ADMIN_TOKEN, Services, create_app
from mcred.cohort_routes import AdminCohorts, CohortRunner, build_cohort_router
from mcred.cohorts import OFFER_CSV_COLUMNS, build_cohort_service
from mcred.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "mcred" / "demo" / "cohort-example.csv"
ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
BASE = "http://localhost:8000"
FORM = {"alliance": "arqus", "specification": "sustainable-urban-mobility"}
PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


@dataclass
class Api:
    client: httpx.AsyncClient
    services: Services
    runner: CohortRunner


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    settings = Settings(_env_file=None, data_dir=tmp_path, public_url=BASE)
    app = create_app(settings)
    services: Services = app.state.services
    runner = CohortRunner(services.cohorts)  # this test's runner, to join its jobs
    router = build_cohort_router(services.cohorts, services.api_keys, services, runner=runner)
    app.router.routes[:0] = router.routes
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield Api(client, services, runner)
    services.close()


async def _submit_example(api: Api) -> str:
    files = {"file": ("results.csv", EXAMPLE.read_bytes(), "text/csv")}
    response = await api.client.post("/api/v1/cohorts", data=FORM, files=files, headers=ADMIN)
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    assert response.headers["Location"].endswith(f"/api/v1/cohorts/{job_id}")
    api.runner.join(job_id, timeout=120)
    return job_id


async def test_a_cohort_file_is_issued_and_polled(api: Api) -> None:
    job_id = await _submit_example(api)
    response = await api.client.get(f"/api/v1/cohorts/{job_id}?rows=true", headers=ADMIN)
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "finished"
    assert body["counts"] == {
        "total": 10,
        "done": 10,
        "issued": 10,
        "failed": 0,
        "invalid": 0,
        "remaining": 0,
        "offered": 0,
    }
    assert [r["state"] for r in body["rows"]] == ["issued"] * 10
    credential_id = body["rows"][0]["credential_id"]
    record = await api.client.get(f"/api/v1/credentials/{credential_id}", headers=ADMIN)
    assert record.status_code == 200

    # the same file again: the same job, finished, nothing new
    files = {"file": ("again.csv", EXAMPLE.read_bytes(), "text/csv")}
    again = await api.client.post("/api/v1/cohorts", data=FORM, files=files, headers=ADMIN)
    assert again.status_code == 200
    assert again.json()["id"] == job_id


async def test_invalid_rows_answer_422_with_every_problem(api: Api) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    broken = text.replace("ada.lovelace@example.org", "ada-at-example").replace(
        ",bordeaux,8.7", ",oxford,8.7"
    )
    files = {"file": ("results.csv", broken.encode(), "text/csv")}
    response = await api.client.post("/api/v1/cohorts", data=FORM, files=files, headers=ADMIN)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "invalid_cohort"
    found = {(p["row"], p["column"]) for p in problem["details"]["problems"]}
    assert found == {(1, "email"), (2, "module:active-travel:partner")}
    assert problem["details"]["invalid_rows"] == [1, 2]
    listed = await api.client.get("/api/v1/credentials", headers=ADMIN)
    assert listed.json()["items"] == []


async def test_a_json_body_with_skip_invalid(api: Api) -> None:
    learners = [
        {
            "learner_ref": "j-1",
            "given_name": "Ada",
            "family_name": "Lovelace",
            "email": "ada@example.org",
            "completion_date": "2026-07-15",
            "modules": [{"module": "m1", "partner": "leipzig", "result": "pass"}],
        },
        {"learner_ref": "j-2", "given_name": "Bo", "email": "bo@example.org"},
    ]
    body = {**FORM, "learners": learners, "skip_invalid": True}
    response = await api.client.post("/api/v1/cohorts", json=body, headers=ADMIN)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    api.runner.join(job_id, timeout=60)
    rows = (await api.client.get(f"/api/v1/cohorts/{job_id}?rows=true", headers=ADMIN)).json()
    assert [(r["learner_ref"], r["state"]) for r in rows["rows"]] == [
        ("j-1", "issued"),
        ("(row 2)", "invalid"),
    ]
    assert "family_name" in rows["rows"][1]["error"]


async def test_offers_csv_shows_pins_once_then_renews(api: Api) -> None:
    job_id = await _submit_example(api)
    first = await api.client.get(f"/api/v1/cohorts/{job_id}/offers.csv", headers=ADMIN)
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/csv")
    assert first.headers["x-cohort-offers"] == "new"
    rows = list(csv.DictReader(io.StringIO(first.text)))
    assert tuple(rows[0]) == OFFER_CSV_COLUMNS
    assert len(rows) == 10
    assert all(len(r["pin"]) == 6 and r["pin"].isdigit() for r in rows)
    assert rows[1]["offer_page_url"].endswith("?lang=fr")
    assert all(r["replaces_offer_of"] == "" for r in rows)
    counts = (await api.client.get(f"/api/v1/cohorts/{job_id}", headers=ADMIN)).json()["counts"]
    assert counts["offered"] == 10

    # the PIN redeems the offer (OpenID4VCI pre-authorized code + tx_code)
    uri = parse_qs(urlsplit(rows[0]["offer_link"]).query)["credential_offer_uri"][0]
    offer = (await api.client.get(uri)).json()
    code = offer["grants"][PRE_AUTHORIZED]["pre-authorized_code"]
    token = await api.client.post(
        "/oid4vci/token",
        data={"grant_type": PRE_AUTHORIZED, "pre-authorized_code": code, "tx_code": rows[0]["pin"]},
    )
    assert token.status_code == 200, token.text
    page = await api.client.get(rows[2]["offer_page_url"])
    assert page.status_code == 200
    assert rows[2]["pin"] not in page.text

    second = await api.client.get(f"/api/v1/cohorts/{job_id}/offers.csv", headers=ADMIN)
    assert second.headers["x-cohort-offers"] == "renewed"
    renewed = list(csv.DictReader(io.StringIO(second.text)))
    assert len(renewed) == 10
    assert all(r["replaces_offer_of"] for r in renewed)
    assert {r["offer_link"] for r in renewed}.isdisjoint({r["offer_link"] for r in rows})


async def test_coordinators_act_for_their_alliance_only(api: Api) -> None:
    job_id = await _submit_example(api)
    _, token = api.services.api_keys.create("coordinator", alliance_id="una", label="other")
    other = {"Authorization": f"Bearer {token}"}
    assert (await api.client.get(f"/api/v1/cohorts/{job_id}", headers=other)).status_code == 403
    offers = await api.client.get(f"/api/v1/cohorts/{job_id}/offers.csv", headers=other)
    assert offers.status_code == 403
    files = {"file": ("results.csv", EXAMPLE.read_bytes(), "text/csv")}
    response = await api.client.post("/api/v1/cohorts", data=FORM, files=files, headers=other)
    assert response.status_code == 403
    assert (await api.client.get(f"/api/v1/cohorts/{job_id}")).status_code == 401
    _, own = api.services.api_keys.create("coordinator", alliance_id="arqus", label="arqus")
    mine = await api.client.get(
        f"/api/v1/cohorts/{job_id}", headers={"Authorization": f"Bearer {own}"}
    )
    assert mine.status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"content": b"learner_ref\n", "headers": {"Content-Type": "text/csv"}}, 400),
        ({"json": {"alliance": "arqus", "learners": []}}, 400),
        ({"json": {**FORM, "specification": "nope", "learners": [{"a": 1}]}}, 404),
        ({"data": FORM}, 400),
    ],
    ids=["content-type", "no-specification", "unknown-specification", "no-file"],
)
async def test_bad_submissions(api: Api, kwargs: dict[str, object], status: int) -> None:
    headers = {**ADMIN, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    if "data" in kwargs:
        kwargs["files"] = {"other": ("x.txt", b"x", "text/plain")}
    response = await api.client.post("/api/v1/cohorts", headers=headers, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    assert json.loads(response.text)["code"]


async def test_unknown_job_is_404(api: Api) -> None:
    assert (await api.client.get("/api/v1/cohorts/cj_nope", headers=ADMIN)).status_code == 404


def test_cli_validate_and_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCRED_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MCRED_PUBLIC_URL", BASE)
    for name in ("MCRED_ENV", "MCRED_DEMO", "MCRED_DATABASE_URL", "MCRED_BOOTSTRAP_ADMIN_KEY"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    where = ["--alliance", "arqus", "--spec", "sustainable-urban-mobility"]
    valid = runner.invoke(cli.app, ["cohort", "validate", str(EXAMPLE), *where])
    assert valid.exit_code == 0, valid.output
    assert "10 row(s): 10 valid, 0 invalid" in valid.output

    broken = tmp_path / "broken.csv"
    broken.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("2026-07-16", "yesterday"), encoding="utf-8"
    )
    invalid = runner.invoke(cli.app, ["cohort", "validate", str(broken), *where, "--json"])
    assert invalid.exit_code == 1
    report = json.loads(invalid.stdout)
    assert report["invalid_rows"] == [7, 8, 9, 10]
    assert {p["column"] for p in report["problems"]} == {"completion_date"}
    refused = runner.invoke(cli.app, ["cohort", "issue", str(broken), *where])
    assert refused.exit_code == 1
    assert "nothing was issued" in refused.output

    issued = runner.invoke(cli.app, ["cohort", "issue", str(broken), *where, "--skip-invalid"])
    assert issued.exit_code == 1  # some rows were invalid
    job_id = issued.output.split("cohort job ", 1)[1].split()[0]
    status = runner.invoke(cli.app, ["cohort", "status", job_id, "--json"])
    assert status.exit_code == 0, status.output
    body = json.loads(status.stdout)
    assert body["state"] == "finished"
    assert (body["counts"]["issued"], body["counts"]["invalid"]) == (6, 4)
    assert [r["state"] for r in body["rows"]][-4:] == ["invalid"] * 4
    missing = runner.invoke(cli.app, ["cohort", "status", "cj_nope"])
    assert missing.exit_code == 1


async def test_the_admin_page_adapter(api: Api) -> None:
    cohorts = build_cohort_service(api.services)
    admin_jobs: CohortJobs = AdminCohorts(cohorts, api.services, api.runner)
    principal = api.services.api_keys.authenticate(ADMIN["Authorization"])
    job_id = admin_jobs.start(
        principal, "arqus", "sustainable-urban-mobility", "results.csv", EXAMPLE.read_bytes()
    )
    api.runner.join(job_id, timeout=120)
    progress = admin_jobs.progress(principal, job_id)
    assert (progress.total, progress.done, progress.remaining) == (10, 10, 0)
    assert progress.finished
    rows = list(csv.DictReader(io.StringIO(admin_jobs.offers_csv(principal, job_id).decode())))
    assert len(rows) == 10
