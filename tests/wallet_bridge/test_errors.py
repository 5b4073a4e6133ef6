"""Every way a wallet can get it wrong: the spec's error code, the right status, no side effect.

Data-driven: each row builds one bad request; the harness checks the wire error (OID4VCI 1.0
§6.3, §8.3.1, RFC 6750 §3.1) and then that nothing was consumed or issued by the failure.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from httpx import Response

from tests.wallet_bridge.wallet import ISSUER, Bridge, Wallet, make_bridge
from vc_core.keys import KeyType, PrivateKey, b64url_encode
from wallet_bridge.errors import OfferRefused
from wallet_bridge.metadata import LDP_VC_CONFIGURATION_ID
from wallet_bridge.routes import MAX_BODY_BYTES

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
CFG = LDP_VC_CONFIGURATION_ID


@dataclass
class Ctx:
    bridge: Bridge
    wallet: Wallet
    token: str
    nonce: str

    def send(self, body: Any, token: str | None = None) -> Response:
        return self.wallet.credential(token or self.token, body)

    def request(self, *proofs: str, cfg: str = CFG) -> dict[str, Any]:
        return {"credential_configuration_id": cfg, "proofs": {"jwt": list(proofs)}}

    def proof(self, **kwargs: Any) -> str:
        return self.wallet.proof(self.nonce, **kwargs)


def _alg_none(ctx: Ctx) -> Response:
    header = {"alg": "none", "typ": "openid4vci-proof+jwt", "kid": ctx.wallet.kid}
    payload = {"aud": ISSUER, "iat": int(ctx.bridge.clock().timestamp()), "nonce": ctx.nonce}
    parts = [b64url_encode(json.dumps(p).encode()) for p in (header, payload)]
    return ctx.send(ctx.request(".".join(parts) + "."))


def _replayed(ctx: Ctx) -> Response:
    proof = ctx.proof()
    assert ctx.send(ctx.request(proof)).status_code == 200
    ctx.bridge.source.issued.clear()
    return ctx.send(ctx.request(proof))


def _stale_nonce(ctx: Ctx) -> Response:
    ctx.bridge.clock.advance(timedelta(minutes=5, seconds=1))  # nonce_ttl is 5 minutes
    ctx.token = ctx.wallet.access_token()
    return ctx.send(ctx.request(ctx.proof()))


def _expired_token(ctx: Ctx) -> Response:
    ctx.bridge.clock.advance(timedelta(minutes=6))
    return ctx.send(ctx.request(ctx.proof()))


def _revoked_after_token(ctx: Ctx) -> Response:
    ctx.bridge.source.revoke("cred-1")
    return ctx.send(ctx.request(ctx.proof()))


def _raw(content: bytes, content_type: str = "application/json") -> Callable[[Ctx], Response]:
    def send(ctx: Ctx) -> Response:
        response: Response = ctx.bridge.client.post(
            "/oid4vci/credential",
            content=content,
            headers={"Authorization": f"Bearer {ctx.token}", "Content-Type": content_type},
        )
        return response

    return send


OTHER_KEY = PrivateKey.generate(KeyType.ED25519)
OTHER_P256 = PrivateKey.generate(KeyType.P256)

# (id, build the bad request, HTTP status, error, is the c_nonce still unused afterwards?)
CREDENTIAL_CASES: list[tuple[str, Callable[[Ctx], Response], int, str, bool]] = [
    ("missing proofs", lambda c: c.send({"credential_configuration_id": CFG}), 400,
     "invalid_proof", True),
    ("proof not a jwt", lambda c: c.send(c.request("not-a-jwt")), 400, "invalid_proof", True),
    ("proof not a string", lambda c: c.send({"credential_configuration_id": CFG,
                                             "proofs": {"jwt": [{"a": 1}]}}),
     400, "invalid_proof", True),
    ("wrong typ", lambda c: c.send(c.request(c.proof(header={"typ": "JWT"}))), 400,
     "invalid_proof", True),
    ("alg none", _alg_none, 400, "invalid_proof", True),
    ("signed by another key", lambda c: c.send(c.request(c.proof(signer=OTHER_KEY))), 400,
     "invalid_proof", True),
    ("alg of another key type", lambda c: c.send(c.request(c.proof(signer=OTHER_P256))), 400,
     "invalid_proof", True),
    ("wrong aud", lambda c: c.send(c.request(c.proof(aud="https://evil.example"))), 400,
     "invalid_proof", True),
    ("missing aud", lambda c: c.send(c.request(c.proof(aud=None))), 400, "invalid_proof", True),
    ("iat too old", lambda c: c.send(c.request(c.proof(
        iat=int(c.bridge.clock().timestamp()) - 301))), 400, "invalid_proof", True),
    ("iat in the future", lambda c: c.send(c.request(c.proof(
        iat=int(c.bridge.clock().timestamp()) + 301))), 400, "invalid_proof", True),
    ("iat not a number", lambda c: c.send(c.request(c.proof(iat="2026-11-24"))), 400,
     "invalid_proof", True),
    ("missing nonce", lambda c: c.send(c.request(c.wallet.proof(None))), 400,
     "invalid_proof", True),
    ("kid and jwk", lambda c: c.send(c.request(c.proof(
        header={"jwk": c.wallet.key.public_key.to_jwk()}))), 400, "invalid_proof", True),
    ("x5c", lambda c: c.send(c.request(c.proof(header={"kid": None, "x5c": ["MIIB"]}))), 400,
     "invalid_proof", True),
    ("no key", lambda c: c.send(c.request(c.proof(header={"kid": None})))
     , 400, "invalid_proof", True),
    ("kid is did:web", lambda c: c.send(c.request(c.proof(
        header={"kid": "did:web:evil.example#key-1"}))), 400, "invalid_proof", True),
    ("kid with wrong fragment", lambda c: c.send(c.request(c.proof(
        header={"kid": c.wallet.did + "#other"}))), 400, "invalid_proof", True),
    ("jwk with private part", lambda c: c.send(c.request(c.proof(
        header={"kid": None, "jwk": c.wallet.key.to_jwk()}))), 400, "invalid_proof", True),
    ("unsupported proof type", lambda c: c.send({"credential_configuration_id": CFG,
                                                 "proofs": {"di_vp": [{}]}}),
     400, "invalid_proof", True),
    ("unknown nonce", lambda c: c.send(c.request(c.wallet.proof(secrets.token_urlsafe(8)))),
     400, "invalid_nonce", True),
    ("stale nonce", _stale_nonce, 400, "invalid_nonce", False),
    ("replayed proof", _replayed, 400, "invalid_nonce", False),
    ("unknown configuration", lambda c: c.send(c.request(c.proof(), cfg="Nope")), 400,
     "unknown_credential_configuration", True),
    ("configuration id not a string", lambda c: c.send(
        {"credential_configuration_id": 7, "proofs": {"jwt": [c.proof()]}}), 400,
     "invalid_credential_request", True),
    ("configuration and identifier", lambda c: c.send(
        {**c.request(c.proof()), "credential_identifier": "x"}), 400,
     "invalid_credential_request", True),
    ("neither configuration nor identifier", lambda c: c.send(
        {"proofs": {"jwt": [c.proof()]}}), 400, "invalid_credential_request", True),
    ("credential identifier", lambda c: c.send(
        {"credential_identifier": "x", "proofs": {"jwt": [c.proof()]}}), 400,
     "unknown_credential_identifier", True),
    ("more proofs than batch_size", lambda c: c.send(c.request(*[c.proof()] * 6)), 400,
     "invalid_credential_request", True),
    ("empty proofs", lambda c: c.send(c.request()), 400, "invalid_credential_request", True),
    ("two proof types", lambda c: c.send({"credential_configuration_id": CFG,
                                          "proofs": {"jwt": [c.proof()], "di_vp": []}}),
     400, "invalid_credential_request", True),
    ("draft-13 request when not allowed", lambda c: c.send(
        {"format": "ldp_vc", "proof": {"proof_type": "jwt", "jwt": c.proof()}}), 400,
     "invalid_credential_request", True),
    ("response encryption", lambda c: c.send(
        {**c.request(c.proof()), "credential_response_encryption": {"enc": "A256GCM"}}), 400,
     "invalid_encryption_parameters", True),
    ("no access token", lambda c: c.wallet.credential(None, c.request(c.proof())), 401,
     "invalid_token", True),
    ("unknown access token", lambda c: c.send(c.request(c.proof()), token="forged"), 401,
     "invalid_token", True),
    ("expired access token", _expired_token, 401, "invalid_token", False),
    ("credential revoked after the token", _revoked_after_token, 400,
     "credential_request_denied", False),
    ("body not JSON", _raw(b"{not json"), 400, "invalid_credential_request", True),
    ("body a JSON array", _raw(b"[]"), 400, "invalid_credential_request", True),
    ("body not application/json", _raw(b"{}", "text/plain"), 400,
     "invalid_credential_request", True),
    ("oversized body", _raw(b" " * (MAX_BODY_BYTES + 1)), 400, "invalid_credential_request",
     True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("build", "status", "error", "nonce_kept"),
    [pytest.param(*case[1:], id=case[0]) for case in CREDENTIAL_CASES],
)
def test_credential_endpoint_errors(
    build: Callable[[Ctx], Response], status: int, error: str, nonce_kept: bool
) -> None:
    bridge = make_bridge()
    wallet = Wallet(bridge)
    ctx = Ctx(bridge, wallet, wallet.access_token(), wallet.nonce())
    response = build(ctx)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"
    if status == 401:
        assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert bridge.source.issued == []
    if nonce_kept:  # the failure consumed nothing: the same c_nonce and token still work
        retry = ctx.send(ctx.request(ctx.proof()))
        assert retry.status_code == 200, retry.text


def _offer(bridge: Bridge, **kwargs: Any) -> tuple[str, str | None]:
    created = bridge.service.create_offer("cred-1", **kwargs)
    return created.offer["grants"][PRE_AUTH]["pre-authorized_code"], created.tx_code


def _wrong(pin: str | None) -> str:
    assert pin is not None
    return f"{(int(pin) + 1) % 10 ** len(pin):0{len(pin)}d}"


@dataclass
class TokenCtx:
    bridge: Bridge
    wallet: Wallet
    code: str
    pin: str | None

    def post(self, form: dict[str, str]) -> Response:
        response: Response = self.bridge.client.post("/oid4vci/token", data=form)
        return response


def _form(t: TokenCtx, **changes: str | None) -> dict[str, str]:
    form: dict[str, str | None] = {
        "grant_type": PRE_AUTH,
        "pre-authorized_code": t.code,
        "tx_code": t.pin,
        **changes,
    }
    return {k: v for k, v in form.items() if v is not None}


def _used_twice(t: TokenCtx) -> Response:
    assert t.wallet.token(t.code, t.pin).status_code == 200
    return t.wallet.token(t.code, t.pin)


def _expired_code(t: TokenCtx) -> Response:
    t.bridge.clock.advance(timedelta(minutes=10))
    return t.wallet.token(t.code, t.pin)


def _raw_token(content: bytes, content_type: str) -> Callable[[TokenCtx], Response]:
    def send(t: TokenCtx) -> Response:
        response: Response = t.bridge.client.post(
            "/oid4vci/token", content=content, headers={"Content-Type": content_type}
        )
        return response

    return send


# (id, bad request, error, is the code still redeemable with the right PIN afterwards?)
TOKEN_CASES: list[tuple[str, Callable[[TokenCtx], Response], str, bool]] = [
    ("wrong tx_code", lambda t: t.wallet.token(t.code, _wrong(t.pin)), "invalid_grant", True),
    ("missing tx_code", lambda t: t.wallet.token(t.code, None), "invalid_request", True),
    ("empty tx_code", lambda t: t.wallet.token(t.code, ""), "invalid_request", True),
    ("unknown code", lambda t: t.wallet.token("forged", t.pin), "invalid_grant", True),
    ("missing code", lambda t: t.post(_form(t, **{"pre-authorized_code": None})),
     "invalid_request", True),
    ("missing grant_type", lambda t: t.post(_form(t, grant_type=None)), "invalid_request", True),
    ("other grant_type", lambda t: t.post(_form(t, grant_type="authorization_code")),
     "unsupported_grant_type", True),
    ("authorization_details", lambda t: t.post(_form(t, authorization_details="[]")),
     "invalid_request", True),
    ("reused code", _used_twice, "invalid_grant", False),
    ("expired code", _expired_code, "invalid_grant", False),
    ("JSON body", _raw_token(b'{"grant_type": "x"}', "application/json"), "invalid_request",
     True),
    ("repeated parameter", _raw_token(b"grant_type=a&grant_type=b",
                                      "application/x-www-form-urlencoded"),
     "invalid_request", True),
    ("malformed form", _raw_token(b"\xff\xfe", "application/x-www-form-urlencoded"),
     "invalid_request", True),
    ("oversized form", _raw_token(b"a=" + b"1" * MAX_BODY_BYTES,
                                  "application/x-www-form-urlencoded"),
     "invalid_request", True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("build", "error", "code_kept"),
    [pytest.param(*case[1:], id=case[0]) for case in TOKEN_CASES],
)
def test_token_endpoint_errors(
    build: Callable[[TokenCtx], Response], error: str, code_kept: bool
) -> None:
    bridge = make_bridge()
    code, pin = _offer(bridge)
    t = TokenCtx(bridge, Wallet(bridge), code, pin)
    response = build(t)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error
    assert "access_token" not in response.json()
    retry = t.wallet.token(code, pin)
    assert (retry.status_code == 200) is code_kept, retry.text


def test_tx_code_sent_when_none_expected() -> None:
    bridge = make_bridge()
    code, _ = _offer(bridge, tx_code_length=None)
    wallet = Wallet(bridge)
    response = wallet.token(code, "123456")
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")
    assert wallet.token(code, None).status_code == 200


def test_pin_attempts_are_limited() -> None:
    bridge = make_bridge()
    code, pin = _offer(bridge)
    wallet = Wallet(bridge)
    for _ in range(4):
        assert wallet.token(code, _wrong(pin)).json()["error"] == "invalid_grant"
    assert wallet.token(code, pin).status_code == 200  # 4 failures leave the code usable

    code, pin = _offer(bridge)
    for _ in range(5):
        assert wallet.token(code, _wrong(pin)).json()["error"] == "invalid_grant"
    burnt = wallet.token(code, pin)  # the 5th failure burnt the code
    assert (burnt.status_code, burnt.json()["error"]) == (400, "invalid_grant")


def test_offer_refused_for_unknown_or_revoked_credential() -> None:
    bridge = make_bridge()
    bridge.source.revoke("cred-2")
    with pytest.raises(OfferRefused):
        bridge.service.create_offer("cred-2")
    with pytest.raises(OfferRefused):
        bridge.service.create_offer("nope")


def test_offer_uri_expires_and_is_unique() -> None:
    bridge = make_bridge()
    first = bridge.service.create_offer("cred-1", ttl=timedelta(minutes=1))
    second = bridge.service.create_offer("cred-1")
    assert first.credential_offer_uri != second.credential_offer_uri
    assert first.offer != second.offer
    assert first.credential_offer_uri is not None
    assert bridge.client.get(first.credential_offer_uri).status_code == 200
    bridge.clock.advance(timedelta(minutes=1))
    gone = bridge.client.get(first.credential_offer_uri)
    assert gone.status_code == 404
    assert bridge.client.get("/oid4vci/offers/unknown").status_code == 404


def test_notification_errors() -> None:
    bridge = make_bridge()
    wallet = Wallet(bridge)
    token = wallet.access_token("cred-1")
    other_token = wallet.access_token("cred-2")
    issued = wallet.credential(
        token,
        {"credential_configuration_id": CFG, "proofs": {"jwt": [wallet.proof(wallet.nonce())]}},
    ).json()
    nid = issued["notification_id"]

    def notify(body: Any, access: str | None = token) -> Response:
        headers = {} if access is None else {"Authorization": f"Bearer {access}"}
        response: Response = bridge.client.post("/oid4vci/notification", json=body, headers=headers)
        return response

    cases = [
        (notify({"notification_id": "nope", "event": "credential_accepted"}), 400,
         "invalid_notification_id"),
        (notify({"notification_id": nid, "event": "credential_accepted"}, other_token), 400,
         "invalid_notification_id"),
        (notify({"notification_id": nid, "event": "credential_liked"}), 400,
         "invalid_notification_request"),
        (notify({"event": "credential_accepted"}), 400, "invalid_notification_request"),
        (notify([nid]), 400, "invalid_notification_request"),
        (notify({"notification_id": nid, "event": "credential_failure",
                 "event_description": 'say "hi"'}), 400, "invalid_notification_request"),
        (notify({"notification_id": nid, "event": "credential_failure",
                 "event_description": "line\nbreak"}), 400, "invalid_notification_request"),
        (notify({"notification_id": nid, "event": "credential_failure",
                 "event_description": "x" * 1001}), 400, "invalid_notification_request"),
        (notify({"notification_id": nid, "event": "credential_accepted"}, None), 401,
         "invalid_token"),
    ]  # fmt: skip
    for response, status, error in cases:
        assert (response.status_code, response.json()["error"]) == (status, error)
    assert bridge.events == []


def test_deferred_requires_a_token_and_a_transaction_id() -> None:
    bridge = make_bridge()
    wallet = Wallet(bridge)
    token = wallet.access_token()
    no_token = bridge.client.post("/oid4vci/deferred", json={"transaction_id": "t"})
    assert (no_token.status_code, no_token.json()["error"]) == (401, "invalid_token")
    malformed = bridge.client.post(
        "/oid4vci/deferred", json={}, headers={"Authorization": f"Bearer {token}"}
    )
    assert (malformed.status_code, malformed.json()["error"]) == (400, "invalid_credential_request")
