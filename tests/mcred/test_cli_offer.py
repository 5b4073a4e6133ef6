"""``mcred offer``, ``mcred demo offer`` and the demo offer ``mcred serve`` prints."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from issuer.api_keys import Principal, Role
from mcred import cli
from mcred.app import Services, build_services, create_app
from mcred.demo.learner import DEMO_LEARNER_REF, demo_credential, issue_demo_credential
from mcred.settings import Settings
from wallet_bridge.memory import InMemoryOfferStore

BASE = "http://localhost:8000"
PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCRED_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MCRED_PUBLIC_URL", BASE)
    for name in ("MCRED_ENV", "MCRED_DEMO", "MCRED_BOOTSTRAP_ADMIN_KEY", "MCRED_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def services() -> Services:
    """Services on the test's data dir (the demo alliance seeded, as in development)."""
    return build_services(Settings(_env_file=None))


async def _redeem(services: Services, offer_url: str, tx_code: str | None) -> httpx.Response:
    """What a wallet does with the link and PIN: fetch the offer, then ask /token."""
    app = create_app(services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        uri = parse_qs(urlsplit(offer_url).query)["credential_offer_uri"][0]
        fetched = await client.get(uri)
        assert fetched.status_code == 200, fetched.text
        code = fetched.json()["grants"][PRE_AUTHORIZED]["pre-authorized_code"]
        form = {"grant_type": PRE_AUTHORIZED, "pre-authorized_code": code}
        if tx_code is not None:
            form["tx_code"] = tx_code
        return await client.post("/oid4vci/token", data=form)


def _json(output: str) -> dict[str, Any]:
    value = json.loads(output)
    assert isinstance(value, dict)
    return value


# -- mcred offer ------------------------------------------------------------------------------


def test_offer_prints_link_pin_page_and_a_qr_code(services: Services) -> None:
    credential_id = issue_demo_credential(services.issuer)
    result = runner.invoke(cli.app, ["offer", credential_id])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert re.search(r"offer link +openid-credential-offer://\?credential_offer_uri=", out)
    assert re.search(r"PIN +\d{6} ", out)
    assert re.search(rf"offer page +{re.escape(BASE)}/offers/[A-Za-z0-9_-]+\n", out)
    assert "█" in out  # the terminal QR code (unicode half blocks)


def test_offer_json_and_its_options(services: Services) -> None:
    credential_id = issue_demo_credential(services.issuer)
    default = runner.invoke(cli.app, ["offer", credential_id, "--json"])
    assert default.exit_code == 0, default.output
    body = _json(default.stdout)
    assert body["credential_id"] == credential_id
    assert re.fullmatch(r"\d{6}", body["tx_code"])
    assert body["offer_url"].startswith("openid-credential-offer://?credential_offer_uri=")
    assert body["offer_page_url"] == f"{BASE}/offers/{body['offer_id']}"
    assert body["qr_png_url"] == f"{body['offer_page_url']}/qr.png"
    assert body["qr_svg_url"] == f"{body['offer_page_url']}/qr.svg"
    assert body["expires_at"]

    plain = _json(runner.invoke(cli.app, ["offer", credential_id, "--no-pin", "--json"]).stdout)
    assert plain["tx_code"] is None

    by_value = runner.invoke(cli.app, ["offer", credential_id, "--by-value", "--json"])
    body = _json(by_value.stdout)
    assert body["credential_offer_uri"] is None
    offer = json.loads(parse_qs(urlsplit(body["offer_url"]).query)["credential_offer"][0])
    grant = offer["grants"][PRE_AUTHORIZED]
    assert grant["tx_code"]["length"] == 6
    assert offer["credential_issuer"] == BASE


def test_offer_of_an_unknown_credential_fails_clearly() -> None:
    result = runner.invoke(cli.app, ["offer", "urn:uuid:00000000-0000-4000-8000-000000000000"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "not_found" in result.stderr
    assert "urn:uuid:00000000-0000-4000-8000-000000000000" in result.stderr


def test_offer_of_a_revoked_credential_fails_clearly(services: Services) -> None:
    credential_id = issue_demo_credential(services.issuer)
    services.issuer.revoke(Principal("t", Role.ADMIN, None, "test"), credential_id, "test")
    result = runner.invoke(cli.app, ["offer", credential_id, "--json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "credential_not_offerable" in result.stderr


# -- mcred demo offer -------------------------------------------------------------------------


async def test_demo_offer_json_is_one_object_redeemable_at_token(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the command runs on these services, so the wallet side below sees its offer even while
    # offers live in process memory
    monkeypatch.setattr(cli, "_services", lambda: services)
    result = runner.invoke(cli.app, ["demo", "offer", "--json"])
    assert result.exit_code == 0, result.output
    body = _json(result.stdout)  # nothing else on stdout
    assert set(body) == {"offer_url", "tx_code", "credential_id"}
    assert re.fullmatch(r"\d{6}", body["tx_code"])
    record = services.issuer.get(Principal("t", Role.ADMIN, None, "t"), body["credential_id"])
    assert record.record.learner_ref == DEMO_LEARNER_REF

    wrong_pin = "000000" if body["tx_code"] != "000000" else "111111"
    wrong = await _redeem(services, body["offer_url"], wrong_pin)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    token = await _redeem(services, body["offer_url"], body["tx_code"])
    assert token.status_code == 200, token.text
    assert token.json()["token_type"] == "Bearer"


def test_demo_offer_issues_a_fresh_credential_each_time(services: Services) -> None:
    first = _json(runner.invoke(cli.app, ["demo", "offer", "--json"]).stdout)
    second = _json(runner.invoke(cli.app, ["demo", "offer", "--json"]).stdout)
    assert first["credential_id"] != second["credential_id"]
    assert first["offer_url"] != second["offer_url"]


async def test_demo_offer_is_redeemable_by_a_server_on_the_same_data_dir() -> None:
    result = runner.invoke(cli.app, ["demo", "offer", "--json"])
    assert result.exit_code == 0, result.output
    body = _json(result.stdout)
    server = build_services(Settings(_env_file=None))
    if isinstance(server.wallet_bridge._offers, InMemoryOfferStore):
        pytest.skip("offers live in process memory until the shared (SQL/Redis) offer store lands")
    token = await _redeem(server, body["offer_url"], body["tx_code"])
    assert token.status_code == 200, token.text


def test_demo_offer_without_the_demo_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCRED_DEMO", "false")
    result = runner.invoke(cli.app, ["demo", "offer", "--json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "demo_not_seeded" in result.stderr


# -- mcred serve ------------------------------------------------------------------------------


async def test_serve_prints_a_ready_demo_offer_and_reuses_the_demo_credential(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(app))
    outputs = []
    for _ in range(2):
        result = runner.invoke(cli.app, ["serve"])
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    assert len(served) == 2
    credentials = [re.search(r"credential +(urn:uuid:\S+)", out) for out in outputs]
    assert all(credentials)
    assert credentials[0].group(1) == credentials[1].group(1)  # type: ignore[union-attr]
    for out, app in zip(outputs, served, strict=True):
        assert "dev admin key" in out
        link = re.search(r"offer link +(openid-credential-offer://\S+)", out)
        pin = re.search(r"PIN +(\d{6}) ", out)
        page = re.search(r"offer page +(\S+)", out)
        assert link
        assert pin
        assert page
        assert page.group(1).startswith(f"{BASE}/offers/")
        # the offer lives in the app that serves: a wallet can redeem it there
        token = await _redeem(app.state.services, link.group(1), pin.group(1))
        assert token.status_code == 200, token.text


def test_serve_prints_no_demo_offer_without_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCRED_DEMO", "false")
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: None)
    result = runner.invoke(cli.app, ["serve"])
    assert result.exit_code == 0, result.output
    assert "openid-credential-offer" not in result.output


def test_demo_credential_is_reused_until_revoked(services: Services) -> None:
    first = demo_credential(services.issuer)
    assert demo_credential(services.issuer) == first
    services.issuer.revoke(Principal("t", Role.ADMIN, None, "test"), first, "test")
    assert demo_credential(services.issuer) != first
