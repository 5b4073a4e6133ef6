"""Deferred issuance (OID4VCI 1.0 §8.3, §9): a pending credential is answered with a
``transaction_id``, polled at the Deferred Credential Endpoint, delivered once, bound to the keys
proven at the Credential Endpoint."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from tests.wallet_bridge.wallet import Bridge, Wallet, make_bridge
from vc_core.keys import KeyType, PublicKey
from wallet_bridge.errors import CredentialRequestDenied, InvalidTransactionId
from wallet_bridge.metadata import LDP_VC_CONFIGURATION_ID, SD_JWT_CONFIGURATION_ID
from wallet_bridge.ports import CredentialState, HolderKey
from wallet_bridge.service import WalletBridgeSettings

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
INTERVAL = int(WalletBridgeSettings().deferred_interval.total_seconds())


@pytest.fixture
def bridge() -> Bridge:
    made = make_bridge()
    made.source.set_state("cred-1", CredentialState.PENDING)
    return made


def _deferred_transaction(bridge: Bridge, wallets: list[Wallet], cfg: str) -> tuple[str, str]:
    """Offer → token → Credential Request answered 202: (access token, transaction_id)."""
    token = wallets[0].access_token("cred-1")
    c_nonce = wallets[0].nonce()
    response = wallets[0].credential(
        token, wallets[0].request(cfg, *(w.proof(c_nonce) for w in wallets))
    )
    assert response.status_code == 202, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"transaction_id", "interval"}
    assert body["interval"] == INTERVAL
    transaction_id: str = body["transaction_id"]
    return token, transaction_id


@pytest.mark.parametrize("cfg", [LDP_VC_CONFIGURATION_ID, SD_JWT_CONFIGURATION_ID])
def test_pending_then_reinstated_is_delivered_bound_to_the_proven_keys(
    bridge: Bridge, cfg: str
) -> None:
    wallets = [Wallet(bridge), Wallet(bridge, KeyType.P256, "jwk")]
    token, transaction_id = _deferred_transaction(bridge, wallets, cfg)
    assert bridge.source.issued == []

    # still pending, long after the 5-minute access token would have expired
    for _ in range(3):
        bridge.clock.advance(timedelta(hours=1))
        pending = wallets[0].deferred(token, {"transaction_id": transaction_id})
        assert pending.status_code == 202, pending.text
        assert pending.json() == {"transaction_id": transaction_id, "interval": INTERVAL}
        assert pending.headers["cache-control"] == "no-store"
    assert bridge.source.issued == []

    bridge.source.set_state("cred-1", CredentialState.ACTIVE)
    delivered = wallets[0].deferred(token, {"transaction_id": transaction_id})
    assert delivered.status_code == 200, delivered.text
    body = delivered.json()
    assert len(body["credentials"]) == 2
    assert isinstance(body["notification_id"], str)
    assert "transaction_id" not in body
    assert [(c, used) for c, used, _ in bridge.source.issued] == [("cred-1", cfg)] * 2
    for (_, _, holder), wallet in zip(bridge.source.issued, wallets, strict=True):
        assert PublicKey.from_jwk(holder.jwk) == wallet.key.public_key
        assert holder.did == wallet.did

    # delivered: the transaction is gone, the notification works with the same token
    again = wallets[0].deferred(token, {"transaction_id": transaction_id})
    assert (again.status_code, again.json()["error"]) == (400, "invalid_transaction_id")
    assert len(bridge.source.issued) == 2
    notified = bridge.client.post(
        "/oid4vci/notification",
        json={"notification_id": body["notification_id"], "event": "credential_accepted"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert notified.status_code == 204
    assert [e.event for e in bridge.events] == ["credential_accepted"]


def test_revoked_while_pending_is_denied_and_dropped(bridge: Bridge) -> None:
    wallet = Wallet(bridge)
    token, transaction_id = _deferred_transaction(bridge, [wallet], LDP_VC_CONFIGURATION_ID)
    bridge.source.revoke("cred-1")
    denied = wallet.deferred(token, {"transaction_id": transaction_id})
    assert (denied.status_code, denied.json()["error"]) == (400, "credential_request_denied")
    assert denied.headers["cache-control"] == "no-store"
    assert bridge.deferred.get(transaction_id) is None
    after = wallet.deferred(token, {"transaction_id": transaction_id})
    assert (after.status_code, after.json()["error"]) == (400, "invalid_transaction_id")
    assert bridge.source.issued == []


def test_revoked_before_the_request_is_denied_without_a_transaction(bridge: Bridge) -> None:
    wallet = Wallet(bridge)
    token = wallet.access_token("cred-1")
    bridge.source.revoke("cred-1")
    response = wallet.credential(token, wallet.request(LDP_VC_CONFIGURATION_ID))
    assert (response.status_code, response.json()["error"]) == (400, "credential_request_denied")


def test_a_transaction_is_taken_exactly_once(bridge: Bridge) -> None:
    wallet = Wallet(bridge)
    token, transaction_id = _deferred_transaction(bridge, [wallet], LDP_VC_CONFIGURATION_ID)
    bridge.source.set_state("cred-1", CredentialState.ACTIVE)
    start = threading.Barrier(8)

    def poll(_: int) -> str:
        start.wait()
        try:
            result = bridge.service.deferred(token, {"transaction_id": transaction_id})
        except InvalidTransactionId:
            return "invalid_transaction_id"
        return str(result.status)

    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(poll, range(8)))
    assert outcomes == ["200"] + ["invalid_transaction_id"] * 7
    assert len(bridge.source.issued) == 1


def test_a_transaction_belongs_to_its_access_token(bridge: Bridge) -> None:
    wallet = Wallet(bridge)
    _, transaction_id = _deferred_transaction(bridge, [wallet], LDP_VC_CONFIGURATION_ID)
    bridge.source.set_state("cred-2", CredentialState.PENDING)
    other = wallet.access_token("cred-2")
    response = wallet.deferred(other, {"transaction_id": transaction_id})
    assert (response.status_code, response.json()["error"]) == (400, "invalid_transaction_id")
    assert bridge.deferred.get(transaction_id) is not None  # untouched


def test_the_transaction_and_its_token_expire_together(bridge: Bridge) -> None:
    wallet = Wallet(bridge)
    token, transaction_id = _deferred_transaction(bridge, [wallet], LDP_VC_CONFIGURATION_ID)
    ttl = WalletBridgeSettings().deferred_ttl
    bridge.clock.advance(ttl - timedelta(seconds=1))
    assert wallet.deferred(token, {"transaction_id": transaction_id}).status_code == 202
    bridge.clock.advance(timedelta(seconds=1))
    bridge.source.set_state("cred-1", CredentialState.ACTIVE)
    expired = wallet.deferred(token, {"transaction_id": transaction_id})
    assert (expired.status_code, expired.json()["error"]) == (401, "invalid_token")
    assert bridge.deferred.get(transaction_id) is None
    assert bridge.source.issued == []


def test_a_failed_delivery_keeps_the_transaction(bridge: Bridge) -> None:
    wallet = Wallet(bridge)
    token, transaction_id = _deferred_transaction(bridge, [wallet], LDP_VC_CONFIGURATION_ID)
    bridge.source.set_state("cred-1", CredentialState.ACTIVE)
    original = bridge.source.issue_for_holder

    def broken(credential_id: str, configuration_id: str, holder: HolderKey) -> Any:
        raise RuntimeError("the signing service is down")

    bridge.source.issue_for_holder = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        bridge.service.deferred(token, {"transaction_id": transaction_id})
    bridge.source.issue_for_holder = original  # type: ignore[method-assign]
    assert bridge.service.deferred(token, {"transaction_id": transaction_id}).status == 200


def test_a_denial_by_the_source_at_delivery_keeps_the_transaction(bridge: Bridge) -> None:
    """The source may refuse between the state check and issuing (e.g. suspended again)."""
    wallet = Wallet(bridge)
    token, transaction_id = _deferred_transaction(bridge, [wallet], LDP_VC_CONFIGURATION_ID)
    bridge.source.set_state("cred-1", CredentialState.ACTIVE)

    def refuse(credential_id: str, configuration_id: str, holder: HolderKey) -> Any:
        raise CredentialRequestDenied("the credential is suspended")

    original = bridge.source.issue_for_holder
    bridge.source.issue_for_holder = refuse  # type: ignore[method-assign]
    response = wallet.deferred(token, {"transaction_id": transaction_id})
    assert (response.status_code, response.json()["error"]) == (400, "credential_request_denied")
    bridge.source.issue_for_holder = original  # type: ignore[method-assign]
    assert wallet.deferred(token, {"transaction_id": transaction_id}).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"transaction_id": "never-issued"}, 400, "invalid_transaction_id"),
        ({"transaction_id": ""}, 400, "invalid_credential_request"),
        ({"transaction_id": 7}, 400, "invalid_credential_request"),
        (["tx"], 400, "invalid_credential_request"),
        ({"credential_response_encryption": {}}, 400, "invalid_encryption_parameters"),
    ],
)
def test_deferred_request_errors(bridge: Bridge, body: Any, status: int, error: str) -> None:
    wallet = Wallet(bridge)
    token, transaction_id = _deferred_transaction(bridge, [wallet], LDP_VC_CONFIGURATION_ID)
    if isinstance(body, dict) and "credential_response_encryption" in body:
        body = {**body, "transaction_id": transaction_id}
    response = wallet.deferred(token, body)
    assert (response.status_code, response.json()["error"]) == (status, error)
    assert bridge.deferred.get(transaction_id) is not None


def test_a_pending_credential_can_be_offered() -> None:
    bridge = make_bridge()
    bridge.source.set_state("cred-1", CredentialState.PENDING)
    assert bridge.service.create_offer("cred-1").offer["credential_configuration_ids"]


def test_draft13_wallet_gets_issuance_pending_then_one_credential() -> None:
    bridge = make_bridge(allow_draft13=True)
    bridge.source.set_state("cred-1", CredentialState.PENDING)
    wallet = Wallet(bridge)
    created = bridge.service.create_offer("cred-1")
    grant = created.offer["grants"][PRE_AUTH]
    token = wallet.token(grant["pre-authorized_code"], created.tx_code).json()
    response = wallet.credential(
        token["access_token"],
        {"format": "ldp_vc", "proof": {"proof_type": "jwt", "jwt": wallet.proof(token["c_nonce"])}},
    )
    assert response.status_code == 202, response.text
    transaction_id = response.json()["transaction_id"]
    pending = wallet.deferred(token["access_token"], {"transaction_id": transaction_id})
    assert pending.status_code == 400
    assert pending.json() == {
        "error": "issuance_pending",
        "error_description": "the credential is still pending",
        "interval": INTERVAL,
    }
    bridge.source.set_state("cred-1", CredentialState.ACTIVE)
    delivered = wallet.deferred(token["access_token"], {"transaction_id": transaction_id})
    assert delivered.status_code == 200
    assert delivered.json()["credential"]["credentialSubject"]["id"] == wallet.did
