"""Credential shares (the learner's QR payload) through the HTTP app, the service and the CLI."""

from __future__ import annotations

import base64
import io
import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import select, text, update
from typer.testing import CliRunner

from issuer.api_keys import Principal, Role
from mcred import cli
from mcred.app import DEV_ADMIN_TOKEN, Services, build_services, create_app
from mcred.demo.learner import issue_demo_credential
from mcred.http import FetchPolicy, GuardedFetcher
from mcred.settings import Settings
from mcred.shares import (
    InMemoryShareStore,
    ShareGone,
    ShareNotFound,
    SharesService,
    ShareStore,
    ShareUnavailable,
    StoredShare,
)
from mcred.shares_routes import MAX_VERIFY_BODY_BYTES
from mcred.storage.sql import create_engine_for, upgrade_database
from mcred.storage.sql_records import SqlAuditLog
from mcred.storage.sql_shares import CredentialShareRow, SqlShareStore
from vc_core.keys import b64url_decode, b64url_encode
from vc_core.qr_payload import (
    ShareDecryptionError,
    new_share_id,
    new_share_key,
    parse_share_url,
    seal_credential,
    share_url,
)

BASE = "https://verify.example-alliance.eu"
ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
ISSUANCE: dict[str, Any] = {
    "alliance": "arqus",
    "specification": "sustainable-urban-mobility",
    "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1815"},
    "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
}
SYSTEM = Principal("test", Role.ADMIN, None, "test")
runner = CliRunner()


@dataclass
class Api:
    client: httpx.AsyncClient
    services: Services
    shares: SharesService


def _shares_of(services: Services, **overrides: Any) -> SharesService:
    arguments: dict[str, Any] = {
        "issuer": services.issuer,
        "store": SqlShareStore(services.engine),
        "public_url": services.settings.public_url,
        "fetcher": services.fetcher,
        "audit": SqlAuditLog(services.engine),
    }
    return SharesService(**(arguments | overrides))


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    settings = Settings(_env_file=None, data_dir=tmp_path, public_url=BASE, share_max_ttl_days=730)
    app = create_app(settings)
    services: Services = app.state.services
    shares = services.shares
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield Api(client, services, shares)
    services.close()


async def _issue(api: Api, formats: list[str] | None = None) -> str:
    body = ISSUANCE | ({"formats": formats} if formats else {})
    issued = await api.client.post("/api/v1/credentials", json=body, headers=ADMIN)
    assert issued.status_code == 201, issued.text
    credential_id: str = issued.json()["id"]
    return credential_id


async def _share(api: Api, credential_id: str, **body: Any) -> dict[str, Any]:
    made = await api.client.post(
        f"/api/v1/credentials/{credential_id}/shares", json=body or None, headers=ADMIN
    )
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "no-store"  # the answer holds the key
    answer: dict[str, Any] = made.json()
    return answer


async def _verify(api: Api, url: str) -> httpx.Response:
    return await api.client.post("/api/v1/shares/verify", json={"url": url})


# -- the whole path: share, scan, verify ------------------------------------------------------


async def test_a_share_qr_decodes_to_its_link_and_the_link_verifies(api: Api) -> None:
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (QR decoder) is not installed")
    credential_id = await _issue(api)
    share = await _share(api, credential_id)
    url = share["share_url"]
    assert url.startswith(f"{BASE}/v/{share['share_id']}#")
    assert share["format"] == "ldp_vc"
    assert share["qr_version"] <= 7
    expires = datetime.fromisoformat(share["expires_at"])
    assert timedelta(days=364) < expires - datetime.now(UTC) <= timedelta(days=365)
    # the PNG decodes (zxing-cpp) to exactly the link
    png = base64.b64decode(share["qr_png_base64"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))
    assert [code.text for code in found] == [url]
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    svg = ET.fromstring(share["qr_svg"])  # noqa: S314 - our own output
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    # the employer's side: the scanned link verifies, every check passing
    verified = await _verify(api, found[0].text)
    assert verified.status_code == 200, verified.text
    assert verified.headers["cache-control"] == "no-store"
    report = verified.json()
    assert report["verified"] is True
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses["proof"] == statuses["status"] == statuses["issuer_key"] == "passed"
    assert all(status == "passed" for status in statuses.values()), statuses
    assert report["document"]["id"] == credential_id


async def test_a_jwt_vc_json_share_verifies(api: Api) -> None:
    credential_id = await _issue(api, ["ldp_vc", "jwt_vc_json"])
    share = await _share(api, credential_id, format="jwt_vc_json", ttl_days=30)
    assert share["format"] == "jwt_vc_json"
    report = (await _verify(api, share["share_url"])).json()
    assert report["verified"] is True, report
    assert report["format"] == "jwt_vc_json"
    opened = api.shares.resolve(share["share_url"])
    record = api.services.issuer.get(SYSTEM, credential_id).record
    assert opened == ("jwt_vc_json", record.documents["jwt_vc_json"])


async def test_the_envelope_is_public_and_opens_with_the_key_in_the_link(api: Api) -> None:
    credential_id = await _issue(api)
    share = await _share(api, credential_id)
    response = await api.client.get(f"/shares/{share['share_id']}")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cache-control"] == "no-store"
    envelope = response.json()
    assert set(envelope) == {"v", "alg", "format", "iv", "ciphertext", "expires_at"}
    assert (envelope["v"], envelope["alg"], envelope["format"]) == (1, "A256GCM", "ldp_vc")
    link = parse_share_url(share["share_url"])
    record = api.services.issuer.get(SYSTEM, credential_id).record
    assert api.shares.open(share["share_id"], b64url_encode(link.key)) == (
        "ldp_vc",
        record.documents["ldp_vc"],
    )


# -- revocation, expiry, wrong keys -----------------------------------------------------------


async def test_a_revoked_credential_shows_as_revoked(api: Api) -> None:
    credential_id = await _issue(api)
    share = await _share(api, credential_id)
    revoked = await api.client.post(
        f"/api/v1/credentials/{credential_id}/revoke", json={"reason": "fraud"}, headers=ADMIN
    )
    assert revoked.status_code == 200, revoked.text
    response = await _verify(api, share["share_url"])
    assert response.status_code == 200
    report = response.json()
    assert report["verified"] is False
    status = next(c for c in report["checks"] if c["name"] == "status")
    assert status["status"] == "failed"
    assert "revoked" in json.dumps(status).lower()
    # and no new share of it is made
    again = await api.client.post(
        f"/api/v1/credentials/{credential_id}/shares", json={}, headers=ADMIN
    )
    assert again.status_code == 409


async def test_a_revoked_share_is_gone(api: Api) -> None:
    credential_id = await _issue(api)
    share = await _share(api, credential_id)
    deleted = await api.client.delete(f"/api/v1/shares/{share['share_id']}", headers=ADMIN)
    assert deleted.status_code == 204
    envelope = await api.client.get(f"/shares/{share['share_id']}")
    assert envelope.status_code == 410
    assert envelope.json()["code"] == "share_gone"
    assert envelope.json()["details"] == {"reason": "revoked"}
    assert envelope.headers["access-control-allow-origin"] == "*"
    verified = await _verify(api, share["share_url"])
    assert verified.status_code == 410
    assert verified.json()["code"] == "share_gone"
    # revoking again changes nothing; the listing says revoked
    again = await api.client.delete(f"/api/v1/shares/{share['share_id']}", headers=ADMIN)
    assert again.status_code == 204
    listed = await api.client.get(f"/api/v1/credentials/{credential_id}/shares", headers=ADMIN)
    assert [s["state"] for s in listed.json()] == ["revoked"]
    events = [e.action for e in api.services.issuer.events(SYSTEM, credential_id)]
    assert events.count("share_created") == 1
    assert events.count("share_revoked") == 1


async def test_an_expired_share_is_gone(api: Api) -> None:
    credential_id = await _issue(api)
    share = await _share(api, credential_id, ttl_days=1)
    with api.services.engine.begin() as connection:
        connection.execute(
            update(CredentialShareRow)
            .where(CredentialShareRow.share_id == share["share_id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    envelope = await api.client.get(f"/shares/{share['share_id']}")
    assert envelope.status_code == 410
    assert envelope.json()["details"] == {"reason": "expired"}
    assert (await _verify(api, share["share_url"])).status_code == 410


async def test_a_wrong_key_is_a_clear_400(api: Api) -> None:
    credential_id = await _issue(api)
    share = await _share(api, credential_id)
    link = parse_share_url(share["share_url"])
    wrong = share_url(link.base_url, link.share_id, new_share_key())
    response = await _verify(api, wrong)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "share_decryption_failed"
    assert response.headers["content-type"] == "application/problem+json"
    assert b64url_encode(link.key) not in response.text
    with pytest.raises(ShareDecryptionError):
        api.shares.open(link.share_id, b64url_encode(new_share_key()))


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"url": f"{BASE}/v/abc#def"}, 400, "invalid_share_link"),
        ({"url": f"http://verify.example-alliance.eu/v/{'A' * 22}#{'A' * 43}"}, 400, None),
        ({"url": f"{BASE}/v/{'A' * 22}#{'A' * 43}"}, 404, "share_not_found"),
        ({"url": 42}, 400, "unverifiable_input"),
        ({"url": "x", "credential": {}}, 400, "unverifiable_input"),
        ({"link": "x"}, 400, "unverifiable_input"),
    ],
)
async def test_verify_refuses_what_is_no_share_link(
    api: Api, body: dict[str, Any], status: int, code: str | None
) -> None:
    response = await api.client.post("/api/v1/shares/verify", json=body)
    assert response.status_code == status, response.text
    assert response.json()["code"] == (code or "invalid_share_link")


async def test_verify_caps_the_body(api: Api) -> None:
    padded = json.dumps({"url": "x" * MAX_VERIFY_BODY_BYTES})
    response = await api.client.post(
        "/api/v1/shares/verify", content=padded, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "input_too_large"
    not_json = await api.client.post("/api/v1/shares/verify", content=b"{url")
    assert not_json.status_code == 400


async def test_unknown_and_malformed_share_ids_are_404(api: Api) -> None:
    for share_id in (new_share_id(), "not-an-id", "A" * 21 + "B"):
        response = await api.client.get(f"/shares/{share_id}")
        assert response.status_code == 404
        assert response.json()["code"] == "share_not_found"
    assert (
        await api.client.delete(f"/api/v1/shares/{new_share_id()}", headers=ADMIN)
    ).status_code == 404


# -- the admin API ----------------------------------------------------------------------------


async def test_the_admin_api_checks_keys_formats_and_limits(api: Api) -> None:
    credential_id = await _issue(api)  # ldp_vc only
    path = f"/api/v1/credentials/{credential_id}/shares"
    assert (await api.client.post(path, json={})).status_code == 401
    unknown = await api.client.post(
        "/api/v1/credentials/urn:uuid:00000000-0000-0000-0000-000000000000/shares",
        json={},
        headers=ADMIN,
    )
    assert unknown.status_code == 404
    not_issued = await api.client.post(path, json={"format": "jwt_vc_json"}, headers=ADMIN)
    assert not_issued.status_code == 409
    assert not_issued.json()["details"] == {"formats": ["ldp_vc"]}
    too_long = await api.client.post(path, json={"ttl_days": 731}, headers=ADMIN)
    assert too_long.status_code == 400
    assert too_long.json()["details"] == {"max_ttl_days": 730}
    bad_format = await api.client.post(path, json={"format": "dc+sd-jwt"}, headers=ADMIN)
    assert bad_format.status_code == 422
    share = await _share(api, credential_id)
    assert (await api.client.delete(f"/api/v1/shares/{share['share_id']}")).status_code == 401


async def test_a_coordinator_of_another_alliance_may_not_share_or_revoke(api: Api) -> None:
    credential_id = await _issue(api)
    share = await _share(api, credential_id)
    _, token = api.services.api_keys.create(Role.COORDINATOR, alliance_id="other", label="x")
    other = {"Authorization": f"Bearer {token}"}
    made = await api.client.post(
        f"/api/v1/credentials/{credential_id}/shares", json={}, headers=other
    )
    assert made.status_code == 403
    revoked = await api.client.delete(f"/api/v1/shares/{share['share_id']}", headers=other)
    assert revoked.status_code == 403
    assert (await api.client.get(f"/shares/{share['share_id']}")).status_code == 200


async def test_the_listing_has_no_links(api: Api) -> None:
    credential_id = await _issue(api)
    first = await _share(api, credential_id)
    second = await _share(api, credential_id, ttl_days=7)
    listed = await api.client.get(f"/api/v1/credentials/{credential_id}/shares", headers=ADMIN)
    assert listed.status_code == 200
    shares = listed.json()
    assert [s["share_id"] for s in shares] == [first["share_id"], second["share_id"]]
    assert all(s["state"] == "active" for s in shares)
    for made in (first, second):
        assert made["share_url"].split("#")[1] not in listed.text


# -- the key never rests on the server --------------------------------------------------------


async def test_the_database_never_holds_the_key(api: Api, tmp_path: Path) -> None:
    credential_id = await _issue(api, ["ldp_vc", "jwt_vc_json"])
    made = [
        await _share(api, credential_id),
        await _share(api, credential_id, format="jwt_vc_json"),
    ]
    with api.services.engine.connect() as connection:
        rows = connection.execute(select(CredentialShareRow)).all()
    assert len(rows) == 2
    files = b"".join(p.read_bytes() for p in tmp_path.glob("mcred.db*"))
    for share in made:
        key_text = share["share_url"].split("#", 1)[1]
        key = b64url_decode(key_text)
        for row in rows:
            for value in row:
                raw = value if isinstance(value, bytes) else str(value).encode()
                assert key not in raw
                assert key_text.encode() not in raw
        assert key not in files
        assert key_text.encode() not in files
        assert share["share_id"].encode() in files  # (the scan does see the rows)


# -- another mcred host -----------------------------------------------------------------------

FOREIGN = "https://credentials.other-alliance.example"


@dataclass
class ForeignHost:
    """A fetcher test double: a GuardedFetcher whose transport is another mcred host's
    ``/shares/{id}`` (in memory), recording every URL asked for."""

    fetcher: GuardedFetcher
    envelopes: dict[str, tuple[int, bytes]]
    asked: list[str]


@pytest.fixture
def foreign() -> Iterator[ForeignHost]:
    envelopes: dict[str, tuple[int, bytes]] = {}
    asked: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        status, body = envelopes.get(request.url.path, (404, b'{"code":"share_not_found"}'))
        return httpx.Response(status, content=body, headers={"Content-Type": "application/json"})

    fetcher = GuardedFetcher(
        FetchPolicy(),
        transport=httpx.MockTransport(serve),
        resolver=lambda host, port: ["93.184.216.34"],  # a public address
    )
    with fetcher:
        yield ForeignHost(fetcher, envelopes, asked)


def _foreign_share(host: ForeignHost, credential: object, **kw: Any) -> str:
    share_id, key = new_share_id(), new_share_key()
    fmt = "ldp_vc" if isinstance(credential, dict) else "jwt_vc_json"
    expires = kw.pop("expires_at", datetime.now(UTC) + timedelta(days=1))
    envelope = seal_credential(share_id, key, fmt, credential, expires_at=expires)
    host.envelopes[f"/shares/{share_id}"] = (200, json.dumps(envelope.to_json()).encode())
    return share_url(FOREIGN, share_id, key)


async def test_a_link_to_another_host_is_resolved_through_the_fetcher(
    api: Api, foreign: ForeignHost
) -> None:
    shares = _shares_of(api.services, fetcher=foreign.fetcher)
    credential = {"id": "urn:uuid:1", "type": ["VerifiableCredential"], "issuer": "did:web:x"}
    url = _foreign_share(foreign, credential)
    assert shares.resolve(url) == ("ldp_vc", credential)
    link = parse_share_url(url)
    assert foreign.asked == [f"{FOREIGN}/shares/{link.share_id}"]  # the key stays here
    token = "eyJhbGciOiJFUzI1NiJ9.eyJ2YyI6e319.c2ln"
    assert shares.resolve(_foreign_share(foreign, token)) == ("jwt_vc_json", token)


async def test_another_hosts_refusals_are_mapped(api: Api, foreign: ForeignHost) -> None:
    shares = _shares_of(api.services, fetcher=foreign.fetcher)
    unknown = share_url(FOREIGN, new_share_id(), new_share_key())
    with pytest.raises(ShareNotFound):
        shares.resolve(unknown)
    gone = _foreign_share(foreign, {"id": 1})
    foreign.envelopes[parse_share_url(gone).envelope_url.removeprefix(FOREIGN)] = (410, b"{}")
    with pytest.raises(ShareGone):
        shares.resolve(gone)
    expired = _foreign_share(foreign, {"id": 1}, expires_at=datetime.now(UTC) - timedelta(1))
    with pytest.raises(ShareGone):
        shares.resolve(expired)
    broken = _foreign_share(foreign, {"id": 1})
    path = parse_share_url(broken).envelope_url.removeprefix(FOREIGN)
    for status, body in ((500, b"{}"), (200, b"<html>"), (200, b'{"v": 1}')):
        foreign.envelopes[path] = (status, body)
        with pytest.raises(ShareUnavailable) as caught:
            shares.resolve(broken)
        assert caught.value.status_code == 502
    wrong_key = share_url(FOREIGN, parse_share_url(gone).share_id, new_share_key())
    foreign.envelopes[parse_share_url(gone).envelope_url.removeprefix(FOREIGN)] = (
        200,
        json.dumps(
            seal_credential(
                parse_share_url(gone).share_id,
                new_share_key(),
                "ldp_vc",
                {"id": 1},
                expires_at=datetime.now(UTC) + timedelta(1),
            ).to_json()
        ).encode(),
    )
    with pytest.raises(ShareDecryptionError):
        shares.resolve(wrong_key)


async def test_the_verify_endpoint_resolves_a_foreign_link_through_the_fetcher(
    api: Api, foreign: ForeignHost
) -> None:
    """The app's own fetcher blocks what the guarded fetcher blocks: a host on a private
    address gives 502, never a request to it."""
    url = share_url("https://10.0.0.1", new_share_id(), new_share_key())
    response = await _verify(api, url)
    assert response.status_code == 502
    assert response.json()["code"] == "share_unavailable"


# -- the service with a clock -----------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_expiry_follows_the_services_clock(api: Api) -> None:
    clock = _Clock()
    shares = _shares_of(api.services, store=InMemoryShareStore(), clock=clock)
    credential_id = await _issue(api)
    made = shares.create_share(SYSTEM, credential_id, ttl=timedelta(days=2))
    assert made.expires_at == clock.now + timedelta(days=2)
    link = parse_share_url(made.url)
    assert shares.resolve(made.url).format == "ldp_vc"
    clock.now += timedelta(days=2)
    with pytest.raises(ShareGone) as caught:
        shares.open(link.share_id, b64url_encode(link.key))
    assert caught.value.details == {"reason": "expired"}
    assert [s.state(clock.now) for s in shares.shares_of(SYSTEM, credential_id)] == ["expired"]


# -- the store contract: in memory, SQLite, PostgreSQL ----------------------------------------


def _contract(store: ShareStore) -> None:
    at = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    share = StoredShare(
        share_id=new_share_id(),
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        format="ldp_vc",
        iv=bytes(12),
        ciphertext=b"\x00\xff" * 40,
        created_at=at,
        expires_at=at + timedelta(days=1),
    )
    store.put(share)
    assert store.get(share.share_id) == share
    with pytest.raises(ValueError, match="twice"):
        store.put(share)
    assert store.get(new_share_id()) is None
    later = at + timedelta(hours=1)
    assert store.revoke(share.share_id, later) == replace(share, revoked_at=later)
    again = store.revoke(share.share_id, later + timedelta(hours=1))
    assert again is not None
    assert again.revoked_at == later  # the first instant is kept
    assert store.revoke(new_share_id(), later) is None
    second = replace(share, share_id=new_share_id(), created_at=later)
    store.put(second)
    assert [s.share_id for s in store.for_credential(share.credential_id)] == [
        share.share_id,
        second.share_id,
    ]
    # a share long expired is pruned by a later put
    much_later = replace(share, share_id=new_share_id(), created_at=at + timedelta(days=90))
    store.put(much_later)
    assert store.get(share.share_id) is None


def test_the_in_memory_store_keeps_the_contract() -> None:
    _contract(InMemoryShareStore())


def test_the_sqlite_store_keeps_the_contract(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shares.db'}"
    upgrade_database(url)
    engine = create_engine_for(url)
    try:
        _contract(SqlShareStore(engine))
    finally:
        engine.dispose()


@pytest.mark.services
def test_the_postgresql_store_keeps_the_contract(postgres_url: str) -> None:
    admin = create_engine_for(postgres_url).execution_options(isolation_level="AUTOCOMMIT")
    name = f"mcred_shares_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = None
    try:
        upgrade_database(url)
        engine = create_engine_for(url)
        _contract(SqlShareStore(engine))
    finally:
        if engine is not None:
            engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def cli_services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("MCRED_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MCRED_PUBLIC_URL", BASE)
    for name in ("MCRED_ENV", "MCRED_DEMO", "MCRED_BOOTSTRAP_ADMIN_KEY", "MCRED_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    services = build_services(Settings(_env_file=None))
    yield services
    services.close()


def _issue_directly(services: Services) -> str:
    return issue_demo_credential(services.issuer)


def test_the_share_command_prints_the_link_and_a_qr_code(cli_services: Services) -> None:
    credential_id = _issue_directly(cli_services)
    result = runner.invoke(cli.app, ["share", credential_id])
    assert result.exit_code == 0, result.output
    assert f"share link    {BASE}/v/" in result.stdout
    assert "█" in result.stdout  # the terminal QR code
    as_json = runner.invoke(cli.app, ["share", credential_id, "--json", "--ttl-days", "10"])
    assert as_json.exit_code == 0, as_json.output
    made = json.loads(as_json.stdout)
    assert set(made) == {
        "share_id",
        "credential_id",
        "format",
        "share_url",
        "expires_at",
        "qr_version",
    }
    assert made["qr_version"] <= 7
    opened = _shares_of(cli_services).resolve(made["share_url"])
    assert opened == (
        "ldp_vc",
        cli_services.issuer.get(SYSTEM, credential_id).record.documents["ldp_vc"],
    )


def test_the_share_command_names_errors(cli_services: Services) -> None:
    result = runner.invoke(cli.app, ["share", "urn:uuid:00000000-0000-0000-0000-000000000000"])
    assert result.exit_code == 1
    assert "(not_found)" in result.stderr
    credential_id = _issue_directly(cli_services)
    wrong = runner.invoke(cli.app, ["share", credential_id, "--format", "jwt_vc_json"])
    assert wrong.exit_code == 1
    assert "(conflict)" in wrong.stderr
