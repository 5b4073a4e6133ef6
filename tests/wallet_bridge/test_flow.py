"""The pre-authorized code flow end to end, driven by the test wallet (OID4VCI 1.0 §3.5)."""

from __future__ import annotations

import json

import pytest

from tests.wallet_bridge.wallet import (
    ALL_CONFIGURATIONS,
    ISSUER,
    TITLE_LABELS,
    TYPE_METADATA,
    VCT,
    Bridge,
    Wallet,
    make_bridge,
)
from vc_core.keys import KeyType, PublicKey
from wallet_bridge.metadata import (
    JWT_VC_JSON_CONFIGURATION_ID,
    LDP_VC_CONFIGURATION_ID,
    SD_JWT_CONFIGURATION_ID,
)

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


@pytest.fixture
def bridge() -> Bridge:
    return make_bridge()


def test_issuer_metadata(bridge: Bridge) -> None:
    response = bridge.client.get("/.well-known/openid-credential-issuer")
    assert response.status_code == 200
    meta = response.json()
    assert meta["credential_issuer"] == ISSUER
    assert meta["credential_endpoint"] == f"{ISSUER}/oid4vci/credential"
    assert meta["nonce_endpoint"] == f"{ISSUER}/oid4vci/nonce"
    assert meta["deferred_credential_endpoint"] == f"{ISSUER}/oid4vci/deferred"
    assert meta["notification_endpoint"] == f"{ISSUER}/oid4vci/notification"
    assert meta["batch_credential_issuance"] == {"batch_size": 5}
    configurations = meta["credential_configurations_supported"]
    assert {c["format"] for c in configurations.values()} == {"ldp_vc", "jwt_vc_json", "dc+sd-jwt"}
    assert configurations[SD_JWT_CONFIGURATION_ID]["vct"].startswith(ISSUER)
    assert configurations[LDP_VC_CONFIGURATION_ID]["credential_signing_alg_values_supported"] == [
        "eddsa-rdfc-2022"
    ]
    for configuration in configurations.values():
        algs = configuration["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"]
        assert set(algs) == {"EdDSA", "ES256"}
        display = configuration["credential_metadata"]["display"]
        assert {d["locale"] for d in display} == {"en", "de", "fr"}
        for claim in configuration["credential_metadata"]["claims"]:
            assert isinstance(claim["path"], list)
            assert claim["path"]


@pytest.mark.parametrize("path", ["oauth-authorization-server", "openid-configuration"])
def test_authorization_server_metadata(bridge: Bridge, path: str) -> None:
    meta = bridge.client.get(f"/.well-known/{path}").json()
    assert meta["issuer"] == ISSUER
    assert meta["token_endpoint"] == f"{ISSUER}/oid4vci/token"
    assert meta["pre-authorized_grant_anonymous_access_supported"] is True


@pytest.mark.parametrize("configuration_id", ALL_CONFIGURATIONS)
@pytest.mark.parametrize(
    ("key_type", "binding"),
    [
        (KeyType.ED25519, "did:key"),
        (KeyType.P256, "did:key"),
        (KeyType.ED25519, "did:jwk"),
        (KeyType.P256, "jwk"),
    ],
)
def test_pre_authorized_flow(
    bridge: Bridge, configuration_id: str, key_type: KeyType, binding: str
) -> None:
    wallet = Wallet(bridge, key_type, binding)
    created = bridge.service.create_offer("cred-1", by_reference=True)
    assert created.tx_code is not None
    assert created.tx_code.isdigit()
    assert len(created.tx_code) == 6
    assert created.credential_offer_uri is not None
    assert created.credential_offer_uri.startswith(f"{ISSUER}/oid4vci/offers/")

    offer = wallet.resolve_offer(created.link)
    assert offer["credential_issuer"] == ISSUER
    assert configuration_id in offer["credential_configuration_ids"]
    grant = offer["grants"][PRE_AUTH]
    assert grant["tx_code"] == {
        "input_mode": "numeric",
        "length": 6,
        "description": grant["tx_code"]["description"],
    }
    assert created.tx_code not in json.dumps(offer)

    token_response = wallet.token(grant["pre-authorized_code"], created.tx_code)
    assert token_response.status_code == 200
    assert token_response.headers["cache-control"] == "no-store"
    token = token_response.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] > 0
    assert "c_nonce" not in token

    response = wallet.credential(
        token["access_token"],
        {
            "credential_configuration_id": configuration_id,
            "proofs": {"jwt": [wallet.proof(wallet.nonce())]},
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body["notification_id"], str)
    [issued] = body["credentials"]
    credential = issued["credential"]
    [(credential_id, used_configuration, holder)] = bridge.source.issued
    assert (credential_id, used_configuration) == ("cred-1", configuration_id)
    assert holder.did == wallet.did
    assert PublicKey.from_jwk(holder.jwk) == wallet.key.public_key
    if configuration_id == LDP_VC_CONFIGURATION_ID:
        assert credential["credentialSubject"]["id"] == wallet.did
    elif configuration_id == JWT_VC_JSON_CONFIGURATION_ID:
        assert credential == f"jwt~cred-1~{wallet.did}"
    else:
        assert json.dumps(wallet.key.public_key.to_jwk(), sort_keys=True) in credential

    # the offer is gone once redeemed
    assert bridge.client.get(created.credential_offer_uri).status_code == 404


def test_offer_by_value_link_carries_the_offer(bridge: Bridge) -> None:
    wallet = Wallet(bridge)
    created = bridge.service.create_offer("cred-1", by_reference=False)
    assert created.credential_offer_uri is None
    assert "credential_offer=" in created.link
    assert wallet.resolve_offer(created.link) == created.offer


def test_offer_without_tx_code(bridge: Bridge) -> None:
    wallet = Wallet(bridge)
    created = bridge.service.create_offer("cred-1", tx_code_length=None)
    grant = created.offer["grants"][PRE_AUTH]
    assert "tx_code" not in grant
    assert wallet.token(grant["pre-authorized_code"], None).status_code == 200


def test_batch_issuance_binds_each_copy_to_its_key(bridge: Bridge) -> None:
    wallets = [Wallet(bridge, KeyType.ED25519), Wallet(bridge, KeyType.P256, "did:jwk")] * 2
    wallets += [Wallet(bridge, KeyType.P256, "jwk")]
    token = wallets[0].access_token()
    c_nonce = wallets[0].nonce()
    response = wallets[0].credential(
        token,
        {
            "credential_configuration_id": LDP_VC_CONFIGURATION_ID,
            "proofs": {"jwt": [w.proof(c_nonce) for w in wallets]},
        },
    )
    assert response.status_code == 200, response.text
    subjects = [c["credential"]["credentialSubject"]["id"] for c in response.json()["credentials"]]
    assert subjects == [w.did for w in wallets]


def test_notification_is_recorded(bridge: Bridge) -> None:
    wallet = Wallet(bridge)
    token = wallet.access_token()
    body = wallet.credential(
        token,
        {
            "credential_configuration_id": SD_JWT_CONFIGURATION_ID,
            "proofs": {"jwt": [wallet.proof(wallet.nonce())]},
        },
    ).json()
    response = bridge.client.post(
        "/oid4vci/notification",
        json={"notification_id": body["notification_id"], "event": "credential_accepted"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 204
    [event] = bridge.events
    assert (event.notification_id, event.credential_id, event.event) == (
        body["notification_id"],
        "cred-1",
        "credential_accepted",
    )


def test_an_active_credential_is_never_deferred(bridge: Bridge) -> None:
    wallet = Wallet(bridge)
    token = wallet.access_token()
    issued = wallet.credential(token, wallet.request(LDP_VC_CONFIGURATION_ID))
    assert issued.status_code == 200
    assert "transaction_id" not in issued.json()
    response = wallet.deferred(token, {"transaction_id": "tx-1"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_transaction_id"


def test_jwt_vc_issuer_metadata(bridge: Bridge) -> None:
    response = bridge.client.get("/.well-known/jwt-vc-issuer")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json() == {
        "issuer": ISSUER,
        "jwks": {"keys": bridge.discovery.sd_jwt_vc_keys()},
    }
    assert bridge.client.get("/.well-known/jwt-vc-issuer/tenant").status_code == 404


def test_jwt_vc_issuer_metadata_of_an_issuer_with_a_path() -> None:
    bridge = make_bridge()
    bridge.discovery.sd_jwt_vc_issuer = f"{ISSUER}/tenant/1234/"
    response = bridge.client.get("/.well-known/jwt-vc-issuer/tenant/1234")
    assert response.status_code == 200
    assert response.json()["issuer"] == f"{ISSUER}/tenant/1234/"
    assert bridge.client.get("/.well-known/jwt-vc-issuer").status_code == 404


def test_type_metadata_is_served_byte_for_byte_at_its_vct(bridge: Bridge) -> None:
    response = bridge.client.get(VCT)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == TYPE_METADATA
    missing = bridge.client.get(f"{ISSUER}/vct/other/1")
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")


def test_sd_jwt_claims_are_described_as_in_the_type_metadata(bridge: Bridge) -> None:
    meta = bridge.client.get("/.well-known/openid-credential-issuer").json()
    sd_jwt = meta["credential_configurations_supported"][SD_JWT_CONFIGURATION_ID]
    assert sd_jwt["credential_metadata"]["claims"] == [
        {
            "path": ["title"],
            "mandatory": True,
            "display": [{"name": v, "locale": k} for k, v in TITLE_LABELS.items()],
        }
    ]


def test_without_providers_there_is_no_sd_jwt_vc_discovery() -> None:
    bridge = make_bridge(discovery=False)
    assert bridge.client.get("/.well-known/jwt-vc-issuer").status_code == 404
    assert bridge.client.get(VCT).status_code == 404
    meta = bridge.client.get("/.well-known/openid-credential-issuer").json()
    sd_jwt = meta["credential_configurations_supported"][SD_JWT_CONFIGURATION_ID]
    assert [c["path"] for c in sd_jwt["credential_metadata"]["claims"]] == [["title"], ["iat"]]


def test_draft13_wallet_when_allowed() -> None:
    bridge = make_bridge(allow_draft13=True)
    wallet = Wallet(bridge)
    created = bridge.service.create_offer("cred-1")
    grant = created.offer["grants"][PRE_AUTH]
    token = wallet.token(grant["pre-authorized_code"], created.tx_code).json()
    assert isinstance(token["c_nonce"], str)
    assert token["c_nonce_expires_in"] > 0
    response = wallet.credential(
        token["access_token"],
        {
            "format": "vc+sd-jwt",
            "vct": f"{ISSUER}/vct/micro-credential/1",
            "proof": {"proof_type": "jwt", "jwt": wallet.proof(token["c_nonce"])},
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["credential"].startswith("sdjwt~cred-1~")
    assert isinstance(body["c_nonce"], str)
    assert bridge.source.issued[0][1] == SD_JWT_CONFIGURATION_ID


@pytest.mark.parametrize(
    ("accept_language", "locales"),
    [("de-CH, fr;q=0.5", {"de", "fr"}), ("fr", {"fr"}), ("es", {"en", "de", "fr"}), ("", None)],
)
def test_metadata_honours_accept_language(
    bridge: Bridge, accept_language: str, locales: set[str] | None
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    meta = bridge.client.get("/.well-known/openid-credential-issuer", headers=headers).json()
    expected = locales or {"en", "de", "fr"}
    assert {d["locale"] for d in meta["display"]} == expected
    for configuration in meta["credential_configurations_supported"].values():
        assert {d["locale"] for d in configuration["credential_metadata"]["display"]} == expected
        for claim in configuration["credential_metadata"]["claims"]:
            assert {d["locale"] for d in claim["display"]} == expected
