"""A test wallet (Ed25519 / P-256 keys, jwt key proofs) and an in-memory bridge to drive.

The bridge's source is a dict of records whose state a test changes (pending, active, revoked);
its SD-JWT VC discovery providers serve one P-256 key and one type metadata document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from vc_core.dids import did_jwk_from_public_key, did_key_from_public_key
from vc_core.jose import sign_jws
from vc_core.keys import KeyType, PrivateKey
from wallet_bridge.memory import (
    InMemoryAccessTokenStore,
    InMemoryDeferredStore,
    InMemoryNonceStore,
    InMemoryNotificationStore,
    InMemoryOfferStore,
)
from wallet_bridge.metadata import (
    JWT_VC_JSON_CONFIGURATION_ID,
    LDP_VC_CONFIGURATION_ID,
    SD_JWT_CONFIGURATION_ID,
    CredentialIssuerMetadata,
)
from wallet_bridge.ports import (
    AccessTokenStore,
    CredentialState,
    HolderKey,
    NonceStore,
    NotificationEvent,
    NotificationStore,
    OfferableCredential,
    OfferStore,
)
from wallet_bridge.routes import build_wallet_bridge_router
from wallet_bridge.service import WalletBridge, WalletBridgeSettings

ISSUER = "https://credentials.alliance.example"
VCT = f"{ISSUER}/vct/micro-credential/1"
TITLE_LABELS = {"en": "Title", "de": "Titel", "fr": "Titre"}
TYPE_METADATA = json.dumps(
    {
        "vct": VCT,
        "name": "Test type",
        "claims": [
            {
                "path": ["title"],
                "mandatory": True,
                "sd": "never",
                "display": [{"locale": k, "label": v} for k, v in TITLE_LABELS.items()],
            }
        ],
    }
).encode()
ALL_CONFIGURATIONS = (
    LDP_VC_CONFIGURATION_ID,
    JWT_VC_JSON_CONFIGURATION_ID,
    SD_JWT_CONFIGURATION_ID,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class FakeSource:
    """The issuer as a dict; records every issuance."""

    credentials: dict[str, OfferableCredential] = field(default_factory=dict)
    issued: list[tuple[str, str, HolderKey]] = field(default_factory=list)

    def offerable(self, credential_id: str) -> OfferableCredential | None:
        return self.credentials.get(credential_id)

    def issue_for_holder(
        self, credential_id: str, configuration_id: str, holder: HolderKey
    ) -> str | dict[str, Any]:
        self.issued.append((credential_id, configuration_id, holder))
        if configuration_id == LDP_VC_CONFIGURATION_ID:
            return {"id": credential_id, "credentialSubject": {"id": holder.did}}
        if configuration_id == JWT_VC_JSON_CONFIGURATION_ID:
            return f"jwt~{credential_id}~{holder.did}"
        return f"sdjwt~{credential_id}~{json.dumps(holder.jwk, sort_keys=True)}~"

    def set_state(self, credential_id: str, state: CredentialState) -> None:
        old = self.credentials[credential_id]
        self.credentials[credential_id] = OfferableCredential(
            old.credential_id, old.configuration_ids, state
        )

    def revoke(self, credential_id: str) -> None:
        self.set_state(credential_id, CredentialState.REVOKED)


class FakeDiscovery:
    """The SD-JWT VC issuer (``iss`` = ISSUER, one P-256 key) and one type metadata document."""

    def __init__(self) -> None:
        self.key = PrivateKey.generate(KeyType.P256)
        self.sd_jwt_vc_issuer = ISSUER

    def sd_jwt_vc_keys(self) -> list[dict[str, Any]]:
        return [{**self.key.public_key.to_jwk(), "kid": "key-1"}]

    def type_metadata(self, vct: str) -> bytes | None:
        return TYPE_METADATA if vct == VCT else None


@dataclass
class Bridge:
    service: WalletBridge
    client: TestClient
    clock: FakeClock
    source: FakeSource
    events: list[NotificationEvent]
    deferred: InMemoryDeferredStore
    discovery: FakeDiscovery


def make_bridge(
    *,
    allow_draft13: bool = False,
    discovery: bool = True,
    clock: FakeClock | None = None,
    offers: OfferStore | None = None,
    tokens: AccessTokenStore | None = None,
    nonces: NonceStore | None = None,
    notifications: NotificationStore | None = None,
) -> Bridge:
    """A bridge on in-memory stores, unless others (on ``clock``) are given."""
    clock = clock or FakeClock()
    source = FakeSource()
    source.credentials["cred-1"] = OfferableCredential("cred-1", ALL_CONFIGURATIONS)
    source.credentials["cred-2"] = OfferableCredential("cred-2", ALL_CONFIGURATIONS)
    events: list[NotificationEvent] = []
    deferred = InMemoryDeferredStore(clock)
    providers = FakeDiscovery()
    service = WalletBridge(
        CredentialIssuerMetadata(ISSUER),
        source,
        offers=offers or InMemoryOfferStore(clock),
        tokens=tokens or InMemoryAccessTokenStore(clock),
        nonces=nonces or InMemoryNonceStore(clock),
        notifications=notifications or InMemoryNotificationStore(clock),
        deferred=deferred,
        on_notification=events.append,
        jwt_vc_issuer=providers if discovery else None,
        type_metadata=providers if discovery else None,
        settings=WalletBridgeSettings(allow_draft13=allow_draft13),
        clock=clock,
    )
    app = FastAPI()
    app.include_router(build_wallet_bridge_router(service))
    client = TestClient(app, base_url=ISSUER)
    return Bridge(service, client, clock, source, events, deferred, providers)


class Wallet:
    """Holds one key; binds it by ``did:key``/``did:jwk`` kid or by a bare ``jwk``."""

    def __init__(
        self, bridge: Bridge, key_type: KeyType = KeyType.ED25519, binding: str = "did:key"
    ) -> None:
        self.bridge = bridge
        self.key = PrivateKey.generate(key_type)
        self.binding = binding
        public = self.key.public_key
        if binding == "did:key":
            self.did = did_key_from_public_key(public)
            self.kid: str | None = f"{self.did}#{self.did.removeprefix('did:key:')}"
        elif binding == "did:jwk":
            self.did = did_jwk_from_public_key(public)
            self.kid = f"{self.did}#0"
        else:
            self.did = did_key_from_public_key(public)
            self.kid = None

    @property
    def client(self) -> TestClient:
        return self.bridge.client

    def key_header(self) -> dict[str, Any]:
        if self.kid is not None:
            return {"kid": self.kid}
        return {"jwk": self.key.public_key.to_jwk()}

    def proof(
        self,
        nonce: str | None,
        *,
        aud: Any = ISSUER,
        iat: Any = None,
        header: dict[str, Any] | None = None,
        signer: PrivateKey | None = None,
        claims: dict[str, Any] | None = None,
    ) -> str:
        payload: dict[str, Any] = {
            "aud": aud,
            "iat": int(self.bridge.clock().timestamp()) if iat is None else iat,
        }
        if nonce is not None:
            payload["nonce"] = nonce
        payload.update(claims or {})
        full_header = {"typ": "openid4vci-proof+jwt", **self.key_header(), **(header or {})}
        full_header = {k: v for k, v in full_header.items() if v is not None}
        return sign_jws(payload, signer or self.key, header=full_header)

    def resolve_offer(self, link: str) -> dict[str, Any]:
        assert link.startswith("openid-credential-offer://?")
        query = parse_qs(urlsplit(link).query)
        if "credential_offer" in query:
            offer: dict[str, Any] = json.loads(query["credential_offer"][0])
            return offer
        response = self.client.get(query["credential_offer_uri"][0])
        assert response.status_code == 200, response.text
        fetched: dict[str, Any] = response.json()
        return fetched

    def token(self, code: str, tx_code: str | None, **extra: str) -> Response:
        form = {
            "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            "pre-authorized_code": code,
            **extra,
        }
        if tx_code is not None:
            form["tx_code"] = tx_code
        response: Response = self.client.post("/oid4vci/token", data=form)
        return response

    def nonce(self) -> str:
        response = self.client.post("/oid4vci/nonce")
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        c_nonce: str = response.json()["c_nonce"]
        return c_nonce

    def credential(self, access_token: str | None, body: Any) -> Response:
        headers = {} if access_token is None else {"Authorization": f"Bearer {access_token}"}
        response: Response = self.client.post("/oid4vci/credential", json=body, headers=headers)
        return response

    def deferred(self, access_token: str | None, body: Any) -> Response:
        headers = {} if access_token is None else {"Authorization": f"Bearer {access_token}"}
        response: Response = self.client.post("/oid4vci/deferred", json=body, headers=headers)
        return response

    def request(self, configuration_id: str, *proofs: str) -> dict[str, Any]:
        """A Credential Request body for ``configuration_id`` with ``proofs`` (default: one
        proof of this wallet's key over a fresh c_nonce)."""
        jwts = list(proofs) or [self.proof(self.nonce())]
        return {"credential_configuration_id": configuration_id, "proofs": {"jwt": jwts}}

    def access_token(self, credential_id: str = "cred-1") -> str:
        """Offer → token, the short way (the end-to-end test walks it step by step)."""
        created = self.bridge.service.create_offer(credential_id)
        offer = self.resolve_offer(created.link)
        grant = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
        response = self.token(grant["pre-authorized_code"], created.tx_code)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token
