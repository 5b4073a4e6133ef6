"""Two instances of mcred behind one load balancer act as one OpenID4VCI issuer.

Each test builds two apps with :func:`mcred.app.create_app` from separate settings that point
at one database, with the wallet bridge's state in Redis (``MCRED_REDIS_URL``) or, without it,
in that database. Whatever one instance hands out (an offer, a pre-authorized code, an access
token, a ``c_nonce``, a notification id, a deferred transaction) the other honours, and what is
used up at one is used up at both.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mcred.app import DEV_ADMIN_TOKEN, create_app
from mcred.settings import Settings
from mcred.storage.sql import normalise_url
from tests.storage._bridge_workers import clear_prefix
from vc_core.dids.did_key import did_key_from_public_key
from vc_core.jose import sign_jws
from vc_core.keys import KeyType, PrivateKey

BASE = "http://localhost:8000"
ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
SD_JWT = "MicroCredential_dc_sd_jwt"
ISSUANCE: dict[str, Any] = {
    "alliance": "arqus",
    "specification": "sustainable-urban-mobility",
    "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1815"},
    "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
}

STATE = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.services),
    pytest.param("redis", marks=pytest.mark.services),
]


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """A throwaway database on the test server (the instances migrate it), dropped at the end."""
    server = make_url(normalise_url(postgres_url))
    name = f"mcred_instances_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield server.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=STATE)
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, TestClient]]:
    """Instances A and B on one database (SQLite or PostgreSQL), the bridge's state in it, or
    in one Redis (with SQLite)."""
    shared: dict[str, Any] = {"data_dir": tmp_path, "public_url": BASE}
    client: Redis | None = None
    prefix = f"mcred-test:{secrets.token_hex(6)}:"
    if request.param == "postgresql":
        shared["database_url"] = request.getfixturevalue("postgres_database")
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        shared |= {"redis_url": url, "redis_key_prefix": prefix}
        client = Redis.from_url(url)
    try:
        apps = [create_app(Settings(_env_file=None, **shared)) for _ in "AB"]
        if client is not None:
            assert all(app.state.services.bridge_stores.redis is not None for app in apps)
        with TestClient(apps[0], base_url=BASE) as a, TestClient(apps[1], base_url=BASE) as b:
            yield a, b
    finally:
        if client is not None:
            clear_prefix(client, prefix)
            client.close()


def _issue(instance: TestClient) -> str:
    response = instance.post("/api/v1/credentials", json=ISSUANCE, headers=ADMIN)
    assert response.status_code == 201, response.text
    credential_id: str = response.json()["id"]
    return credential_id


def _offer(instance: TestClient, credential_id: str) -> tuple[str, str, str]:
    """An offer by reference: its ``credential_offer_uri``, pre-authorized code and PIN."""
    response = instance.post(f"/api/v1/credentials/{credential_id}/offers", headers=ADMIN)
    assert response.status_code == 201, response.text
    body = response.json()
    offer_uri = parse_qs(urlsplit(body["offer_url"]).query)["credential_offer_uri"][0]
    offer = instance.get(offer_uri)
    assert offer.status_code == 200, offer.text
    code = offer.json()["grants"][PRE_AUTHORIZED]["pre-authorized_code"]
    return offer_uri, code, body["tx_code"]


def _token(instance: TestClient, code: str, tx_code: str) -> Response:
    response: Response = instance.post(
        "/oid4vci/token",
        data={"grant_type": PRE_AUTHORIZED, "pre-authorized_code": code, "tx_code": tx_code},
    )
    return response


def _access(instance: TestClient, code: str, tx_code: str) -> dict[str, str]:
    response = _token(instance, code, tx_code)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _request(
    instance: TestClient, access: dict[str, str], nonce: str, holder: PrivateKey
) -> Response:
    did = did_key_from_public_key(holder.public_key)
    proof = sign_jws(
        {"aud": BASE, "iat": int(time.time()), "nonce": nonce},
        holder,
        header={"typ": "openid4vci-proof+jwt", "kid": f"{did}#{did.removeprefix('did:key:')}"},
    )
    response: Response = instance.post(
        "/oid4vci/credential",
        json={"credential_configuration_id": SD_JWT, "proofs": {"jwt": [proof]}},
        headers=access,
    )
    return response


def _nonce(instance: TestClient) -> str:
    response = instance.post("/oid4vci/nonce")
    assert response.status_code == 200, response.text
    nonce: str = response.json()["c_nonce"]
    return nonce


def _error(response: Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]


def test_a_code_offered_by_one_instance_is_redeemed_once_at_either(
    pair: tuple[TestClient, TestClient],
) -> None:
    a, b = pair
    offer_uri, code, tx_code = _offer(a, _issue(a))
    assert b.get(offer_uri).status_code == 200  # the offer by reference, served by B

    access = _access(b, code, tx_code)

    assert _error(_token(a, code, tx_code)) == (400, "invalid_grant")
    assert _error(_token(b, code, tx_code)) == (400, "invalid_grant")
    assert a.get(offer_uri).status_code == 404  # a redeemed offer is gone everywhere

    # B's access token works at A, with a nonce from B; the nonce is then spent at both
    holder = PrivateKey.generate(KeyType.P256)
    nonce = _nonce(b)
    issued = _request(a, access, nonce, holder)
    assert issued.status_code == 200, issued.text
    assert _error(_request(b, access, nonce, holder)) == (400, "invalid_nonce")

    notified = b.post(
        "/oid4vci/notification",
        json={"notification_id": issued.json()["notification_id"], "event": "credential_accepted"},
        headers=access,
    )
    assert notified.status_code == 204, notified.text


def test_wrong_pins_at_either_instance_use_up_one_count_of_attempts(
    pair: tuple[TestClient, TestClient],
) -> None:
    a, b = pair
    _, code, tx_code = _offer(a, _issue(a))
    wrong = f"{(int(tx_code) + 1) % 10**6:06d}"
    attempts = a.app.state.services.wallet_bridge.settings.max_tx_code_attempts  # type: ignore[attr-defined]
    for n in range(attempts):
        instance = (a, b)[n % 2]
        assert _error(_token(instance, code, wrong)) == (400, "invalid_grant")
    assert _error(_token(b, code, tx_code)) == (400, "invalid_grant")  # burnt
    assert _error(_token(a, code, tx_code)) == (400, "invalid_grant")


def test_a_deferred_transaction_started_at_one_instance_is_delivered_once(
    pair: tuple[TestClient, TestClient],
) -> None:
    a, b = pair
    credential_id = _issue(a)
    suspended = a.post(
        f"/api/v1/credentials/{credential_id}/suspend", json={"reason": "test"}, headers=ADMIN
    )
    assert suspended.status_code == 200, suspended.text
    _, code, tx_code = _offer(a, credential_id)
    access = _access(a, code, tx_code)

    accepted = _request(b, access, _nonce(a), PrivateKey.generate(KeyType.ED25519))
    assert accepted.status_code == 202, accepted.text
    transaction = {"transaction_id": accepted.json()["transaction_id"]}
    pending = a.post("/oid4vci/deferred", json=transaction, headers=access)
    assert pending.status_code == 202, pending.text

    reinstated = b.post(
        f"/api/v1/credentials/{credential_id}/reinstate", json={"reason": "test"}, headers=ADMIN
    )
    assert reinstated.status_code == 200, reinstated.text
    delivered = a.post("/oid4vci/deferred", json=transaction, headers=access)
    assert delivered.status_code == 200, delivered.text
    again = b.post("/oid4vci/deferred", json=transaction, headers=access)
    assert _error(again) == (400, "invalid_transaction_id")
