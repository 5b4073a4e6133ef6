"""What the wallet bridge keeps between requests, and what it never keeps.

* The credential source reads a record once and keeps what never changes (the parsed document,
  the Annex I report, the configurations it may be offered in) in a bounded LRU; the record's
  state is read afresh on every use, so a credential revoked or suspended — through this app
  or through another instance sharing the database — is refused or deferred at once.
* The API key service reuses a verified key for at most ``AUTH_CACHE_TTL``: a key revoked
  through the service stops working at once, one revoked elsewhere within that bound.
* The SQL bridge stores prune expired rows at most once per ``PRUNE_INTERVAL``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from issuer.api_keys import AUTH_CACHE_TTL, ApiKeyService, Principal, Role
from issuer.catalogue import Issuance
from issuer.errors import Forbidden, NotFound, Unauthorized
from issuer.memory import InMemoryApiKeyStore
from issuer.ports import ApiKey, CredentialRecord
from issuer.status_lists import StatusListService
from mcred.app import DEV_ADMIN_TOKEN, Services, create_app
from mcred.settings import Settings
from mcred.storage.sql import create_engine_for, upgrade_database
from mcred.storage.sql_bridge import PRUNE_INTERVAL, SqlNonceStore
from mcred.storage.sql_records import SqlCredentialStore
from mcred.storage.tables import Oid4vciNonceRow
from mcred.wallet import IssuerCredentialSource
from vc_core.dids.did_key import did_key_from_public_key
from vc_core.jose import sign_jws
from vc_core.keys import KeyType, PrivateKey
from wallet_bridge.metadata import SD_JWT_CONFIGURATION_ID

BASE = "http://localhost:8000"
ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
ISSUANCE: dict[str, Any] = {
    "alliance": "arqus",
    "specification": "sustainable-urban-mobility",
    "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1815"},
    "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
}
LDP_VC = "MicroCredential_ldp_vc"

Api = tuple[httpx.AsyncClient, Services]


def _app_client(settings: Settings) -> tuple[httpx.AsyncClient, Services]:
    app = create_app(settings)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
    return client, app.state.services


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    client, services = _app_client(Settings(_env_file=None, data_dir=tmp_path, public_url=BASE))
    async with client:
        yield client, services
    services.close()


@pytest.fixture
def record_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of every credential record read from SQL while the test runs."""
    reads: list[str] = []
    original = SqlCredentialStore.get

    def counting(self: SqlCredentialStore, credential_id: str) -> CredentialRecord | None:
        reads.append(credential_id)
        return original(self, credential_id)

    monkeypatch.setattr(SqlCredentialStore, "get", counting)
    return reads


async def _issue(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/v1/credentials", json=ISSUANCE, headers=ADMIN)
    assert response.status_code == 201, response.text
    credential_id: str = response.json()["id"]
    return credential_id


async def _offer(
    client: httpx.AsyncClient, credential_id: str, headers: dict[str, str] = ADMIN
) -> httpx.Response:
    return await client.post(f"/api/v1/credentials/{credential_id}/offers", headers=headers)


async def _access(client: httpx.AsyncClient, credential_id: str) -> dict[str, str]:
    """Offer → offer by reference → token: the wallet's bearer header."""
    offered = await _offer(client, credential_id)
    assert offered.status_code == 201, offered.text
    created = offered.json()
    offer = (await client.get(created["credential_offer_uri"])).json()
    token = await client.post(
        "/oid4vci/token",
        data={
            "grant_type": PRE_AUTHORIZED,
            "pre-authorized_code": offer["grants"][PRE_AUTHORIZED]["pre-authorized_code"],
            "tx_code": created["tx_code"],
        },
    )
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def _request(
    client: httpx.AsyncClient, access: dict[str, str], configuration: str = LDP_VC
) -> httpx.Response:
    holder = PrivateKey.generate(KeyType.ED25519)
    did = did_key_from_public_key(holder.public_key)
    nonce = (await client.post("/oid4vci/nonce")).json()["c_nonce"]
    proof = sign_jws(
        {"aud": BASE, "iat": int(time.time()), "nonce": nonce},
        holder,
        header={"typ": "openid4vci-proof+jwt", "kid": f"{did}#{did.removeprefix('did:key:')}"},
    )
    return await client.post(
        "/oid4vci/credential",
        json={"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}},
        headers=access,
    )


async def _status(client: httpx.AsyncClient, credential_id: str, action: str) -> None:
    response = await client.post(
        f"/api/v1/credentials/{credential_id}/{action}", json={"reason": "test"}, headers=ADMIN
    )
    assert response.status_code == 200, response.text


# -- the record is read once ----------------------------------------------------------------


async def test_a_complete_flow_reads_the_record_once_and_the_next_not_at_all(
    api: Api, record_reads: list[str]
) -> None:
    client, _ = api
    credential_id = await _issue(client)
    record_reads.clear()
    response = await _request(client, await _access(client, credential_id))
    assert response.status_code == 200, response.text
    assert record_reads == [credential_id]
    for configuration in (LDP_VC, SD_JWT_CONFIGURATION_ID):
        again = await _request(client, await _access(client, credential_id), configuration)
        assert again.status_code == 200, again.text
    assert record_reads == [credential_id]


async def test_an_offer_reads_the_record_and_its_state_once(
    api: Api, record_reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, services = api
    credential_id = await _issue(client)
    states: list[object] = []
    original = StatusListService.state

    def counting(self: StatusListService, slots: Any) -> Any:
        states.append(slots)
        return original(self, slots)

    monkeypatch.setattr(StatusListService, "state", counting)
    record_reads.clear()
    assert (await _offer(client, credential_id)).status_code == 201  # not kept yet
    assert (record_reads, len(states)) == ([credential_id], 1)
    assert (await _offer(client, credential_id)).status_code == 201  # kept
    assert (record_reads, len(states)) == ([credential_id], 2)
    offerable = services.wallet_bridge.source.offerable(credential_id)
    with pytest.raises(ValueError, match="another credential"):
        services.wallet_bridge.create_offer("urn:uuid:other", offerable=offerable)


async def test_copies_from_the_kept_record_are_independent_and_bound_to_each_holder(
    api: Api,
) -> None:
    client, _ = api
    credential_id = await _issue(client)
    first = (await _request(client, await _access(client, credential_id))).json()
    second = (await _request(client, await _access(client, credential_id))).json()
    one = first["credentials"][0]["credential"]
    two = second["credentials"][0]["credential"]
    assert one["credentialSubject"]["id"] != two["credentialSubject"]["id"]
    assert one["id"] == two["id"] == credential_id
    assert one["proof"]["proofValue"] != two["proof"]["proofValue"]


def test_the_cache_is_bounded_least_recently_used_first(api: Api, record_reads: list[str]) -> None:
    _, services = api
    admin = Principal("test", Role.ADMIN, None, "test")
    ids = [services.issuer.issue(admin, "arqus", _issuance()).record.id for _ in range(3)]
    source = IssuerCredentialSource(services.issuer, services.identity, BASE, record_cache_size=2)
    record_reads.clear()
    for credential_id in (ids[0], ids[1], ids[0], ids[2], ids[0], ids[1]):
        assert source.offerable(credential_id) is not None
    # ids[1] was the least recently used when ids[2] came in; ids[0] stayed
    assert record_reads == [ids[0], ids[1], ids[2], ids[1]]
    none = IssuerCredentialSource(services.issuer, services.identity, BASE, record_cache_size=0)
    record_reads.clear()
    none.offerable(ids[0])
    none.offerable(ids[0])
    assert record_reads == [ids[0], ids[0]]
    with pytest.raises(ValueError, match="negative"):
        IssuerCredentialSource(services.issuer, services.identity, BASE, record_cache_size=-1)


def test_an_unknown_record_is_never_kept_and_authorization_is_checked_on_kept_ones(
    api: Api, record_reads: list[str]
) -> None:
    _, services = api
    source = services.wallet_bridge.source
    assert isinstance(source, IssuerCredentialSource)
    record_reads.clear()
    assert source.offerable("urn:uuid:nothing") is None
    with pytest.raises(NotFound):
        source.authorize(Principal("k", Role.ADMIN, None, ""), "urn:uuid:nothing")
    assert record_reads == ["urn:uuid:nothing", "urn:uuid:nothing"]
    admin = Principal("test", Role.ADMIN, None, "test")
    credential_id = services.issuer.issue(admin, "arqus", _issuance()).record.id
    assert source.authorize(admin, credential_id).alliance_id == "arqus"
    other = Principal("c", Role.COORDINATOR, "una-europa", "")
    with pytest.raises(Forbidden):
        source.authorize(other, credential_id)  # kept, and still refused


async def test_an_offer_for_another_alliance_is_refused_from_the_kept_record(api: Api) -> None:
    client, services = api
    credential_id = await _issue(client)
    assert (await _offer(client, credential_id)).status_code == 201  # now kept
    _, token = services.api_keys.create(Role.COORDINATOR, alliance_id="una-europa")
    refused = await _offer(client, credential_id, {"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403, refused.text
    missing = await _offer(client, "urn:uuid:no-such-credential")
    assert missing.status_code == 404, missing.text


def test_offerables_are_read_together_kept_or_not_with_fresh_states(
    api: Api, record_reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, services = api
    admin = Principal("test", Role.ADMIN, None, "test")
    ids = [services.issuer.issue(admin, "arqus", _issuance()).record.id for _ in range(4)]
    source = IssuerCredentialSource(services.issuer, services.identity, BASE)
    assert source.offerable(ids[0]) is not None  # ids[0] is kept from here on
    services.issuer.revoke(admin, ids[0], "test")
    services.issuer.suspend(admin, ids[2], "test")
    batches: list[list[str]] = []
    many = SqlCredentialStore.get_many

    def counting(self: SqlCredentialStore, wanted: Any) -> dict[str, CredentialRecord]:
        batches.append(list(wanted))
        return many(self, wanted)

    monkeypatch.setattr(SqlCredentialStore, "get_many", counting)
    record_reads.clear()
    found = source.offerables(admin, [*ids, "urn:uuid:nothing"])
    assert record_reads == []  # no record read one by one
    assert batches == [[*ids[1:], "urn:uuid:nothing"]]  # the kept one not read again
    assert list(found) == ids
    assert [found[c].state for c in ids] == ["revoked", "active", "pending", "active"]
    other = Principal("c", Role.COORDINATOR, "una-europa", "")
    with pytest.raises(Forbidden):
        source.offerables(other, ids[:1])  # kept, and still refused
    with pytest.raises(Forbidden):
        source.offerables(other, ids[3:])  # read now, refused
    assert source.offerables(admin, []) == {}
    twice = source.offerables(admin, [ids[0], ids[1], ids[0]])  # kept and read, each twice
    assert [twice[c].state for c in ids[:2]] == ["revoked", "active"]


# -- the state is never kept ----------------------------------------------------------------


async def test_a_revoked_credential_is_refused_at_once_though_its_record_is_kept(
    api: Api,
) -> None:
    client, _ = api
    credential_id = await _issue(client)
    access = await _access(client, credential_id)  # the record is kept from here on
    await _status(client, credential_id, "revoke")
    refused = await _request(client, access)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "credential_request_denied"
    offer = await _offer(client, credential_id)
    assert offer.status_code == 409, offer.text


async def test_a_suspended_credential_is_deferred_at_once_and_offered_again_when_reinstated(
    api: Api,
) -> None:
    client, _ = api
    credential_id = await _issue(client)
    assert (await _request(client, await _access(client, credential_id))).status_code == 200
    access = await _access(client, credential_id)
    await _status(client, credential_id, "suspend")
    deferred = await _request(client, access)
    assert deferred.status_code == 202, deferred.text
    await _status(client, credential_id, "reinstate")
    assert (await _request(client, await _access(client, credential_id))).status_code == 200


async def test_a_revocation_by_another_instance_is_seen_at_once(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, public_url=BASE)
    one, one_services = _app_client(settings)
    two, two_services = _app_client(settings)
    try:
        credential_id = await _issue(one)
        assert (await _offer(two, credential_id)).status_code == 201  # kept by instance two
        access = await _access(two, credential_id)
        await _status(one, credential_id, "revoke")
        assert (await _offer(two, credential_id)).status_code == 409
        refused = await _request(two, access)
        assert refused.json()["error"] == "credential_request_denied"
    finally:
        await one.aclose()
        await two.aclose()
        one_services.close()
        two_services.close()


# -- API keys ---------------------------------------------------------------------------------


class _CountingKeyStore(InMemoryApiKeyStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get(self, key_id: str) -> ApiKey | None:
        self.reads += 1
        return super().get(key_id)


class _Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def keys() -> tuple[ApiKeyService, _CountingKeyStore, _Ticks]:
    store, ticks = _CountingKeyStore(), _Ticks()
    return ApiKeyService(store, monotonic=ticks), store, ticks


def test_a_verified_key_is_reused_within_the_bound(
    keys: tuple[ApiKeyService, _CountingKeyStore, _Ticks],
) -> None:
    service, store, ticks = keys
    key, token = service.create(Role.ADMIN)
    for _ in range(3):
        assert service.authenticate(f"Bearer {token}").key_id == key.key_id
    assert store.reads == 1
    ticks.now += AUTH_CACHE_TTL.total_seconds()
    service.authenticate(f"Bearer {token}")
    assert store.reads == 2


def test_a_key_revoked_elsewhere_stops_working_within_the_bound(
    keys: tuple[ApiKeyService, _CountingKeyStore, _Ticks],
) -> None:
    service, store, ticks = keys
    key, token = service.create(Role.COORDINATOR, alliance_id="arqus")
    service.authenticate(f"Bearer {token}")
    assert store.revoke(key.key_id, datetime.now(UTC))  # another worker, instance or the CLI
    ticks.now += AUTH_CACHE_TTL.total_seconds() - 0.001
    service.authenticate(f"Bearer {token}")  # still within the documented bound
    ticks.now += 0.001
    with pytest.raises(Unauthorized):
        service.authenticate(f"Bearer {token}")
    with pytest.raises(Unauthorized):  # and a refused key is not kept either
        service.authenticate(f"Bearer {token}")
    assert store.reads == 3


def test_a_key_revoked_through_the_service_stops_working_at_once(
    keys: tuple[ApiKeyService, _CountingKeyStore, _Ticks],
) -> None:
    service, _, _ = keys
    key, token = service.create(Role.ADMIN)
    other, other_token = service.create(Role.ADMIN)
    service.authenticate(f"Bearer {token}")
    service.authenticate(f"Bearer {other_token}")
    service.revoke(key.key_id)
    with pytest.raises(Unauthorized):
        service.authenticate(f"Bearer {token}")
    assert service.authenticate(f"Bearer {other_token}").key_id == other.key_id


def test_unknown_keys_and_wrong_tokens_are_never_kept(
    keys: tuple[ApiKeyService, _CountingKeyStore, _Ticks],
) -> None:
    service, store, _ = keys
    for _ in range(2):
        with pytest.raises(Unauthorized):
            service.authenticate("Bearer mcred_not-a-key-of-this-service-at-all-000000")
    assert store.reads == 2
    uncached = ApiKeyService(store, cache_ttl=timedelta(0))
    _, token = uncached.create(Role.ADMIN)
    uncached.authenticate(f"Bearer {token}")
    uncached.authenticate(f"Bearer {token}")
    assert store.reads == 4


async def test_an_api_key_revoked_through_the_api_cannot_make_offers(api: Api) -> None:
    client, _ = api
    credential_id = await _issue(client)
    created = await client.post(
        "/api/v1/api-keys", json={"role": "coordinator", "alliance": "arqus"}, headers=ADMIN
    )
    assert created.status_code == 201, created.text
    bearer = {"Authorization": f"Bearer {created.json()['token']}"}
    assert (await _offer(client, credential_id, bearer)).status_code == 201
    deleted = await client.delete(f"/api/v1/api-keys/{created.json()['key_id']}", headers=ADMIN)
    assert deleted.status_code == 204, deleted.text
    refused = await _offer(client, credential_id, bearer)
    assert refused.status_code == 401, refused.text


# -- SQL pruning --------------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def sqlite_nonces(tmp_path: Path) -> Iterator[tuple[SqlNonceStore, _Clock, Any]]:
    url = f"sqlite:///{tmp_path / 'bridge.db'}"
    upgrade_database(url)
    engine = create_engine_for(url)
    clock = _Clock()
    yield SqlNonceStore(engine, clock), clock, engine
    engine.dispose()


def _nonce_rows(engine: Any) -> int:
    with engine.connect() as connection:
        counted: int = connection.execute(
            select(func.count()).select_from(Oid4vciNonceRow)
        ).scalar_one()
    return counted


def test_sql_puts_prune_at_most_once_per_interval(
    sqlite_nonces: tuple[SqlNonceStore, _Clock, Any],
) -> None:
    store, clock, engine = sqlite_nonces
    store.put("a", clock.now + timedelta(milliseconds=10))  # prunes (nothing yet)
    clock.now += timedelta(milliseconds=20)  # "a" has expired
    store.put("b", clock.now + timedelta(minutes=5))
    assert _nonce_rows(engine) == 2  # not pruned: the last prune was less than an interval ago
    assert store.consume("a") is False  # expired rows are never handed out
    clock.now += PRUNE_INTERVAL
    store.put("c", clock.now + timedelta(minutes=5))
    assert _nonce_rows(engine) == 2  # "a" pruned
    assert store.consume("b") is True


def _issuance() -> Issuance:
    return Issuance.model_validate({k: v for k, v in ISSUANCE.items() if k != "alliance"})
