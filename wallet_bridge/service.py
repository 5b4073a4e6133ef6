"""The OpenID4VCI 1.0 protocol logic of the wallet bridge, free of any web framework.

:class:`WalletBridge` implements the pre-authorized code flow (brief §5):

1. :meth:`WalletBridge.create_offer`: a Credential Offer (§4.1) by value or by reference, with a
   single-use ``pre-authorized_code`` and a numeric ``tx_code`` stored only as a digest;
2. :meth:`WalletBridge.token` (§6): code + tx_code → short-lived bearer access token; wrong tx_codes
   use up a limited number of attempts, after which the code is burnt;
3. :meth:`WalletBridge.nonce` (§7): a fresh ``c_nonce``;
4. :meth:`WalletBridge.credential` (§8): ``credential_configuration_id`` + ``proofs.jwt`` (at most
   ``batch_size``) → one credential per proven key, bound to it (§8.1);
5. :meth:`WalletBridge.deferred` (§9) and :meth:`WalletBridge.notification` (§11).

Draft-13 wallets (``proof`` singular, ``format``, ``c_nonce`` in the token response, brief §5.10)
are served only when :attr:`WalletBridgeSettings.allow_draft13` is set.
Every failure raises one error of :mod:`wallet_bridge.errors`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from wallet_bridge.errors import (
    CredentialRequestDenied,
    InvalidCredentialRequest,
    InvalidEncryptionParameters,
    InvalidGrant,
    InvalidNonce,
    InvalidNotificationId,
    InvalidNotificationRequest,
    InvalidProof,
    InvalidRequest,
    InvalidToken,
    InvalidTransactionId,
    OfferNotFound,
    OfferRefused,
    UnknownCredentialConfiguration,
    UnknownCredentialIdentifier,
    UnsupportedGrantType,
)
from wallet_bridge.memory import Clock, system_clock
from wallet_bridge.metadata import (
    FORMAT_DC_SD_JWT,
    PROOF_SIGNING_ALGS,
    CredentialIssuerMetadata,
)
from wallet_bridge.ports import (
    AccessToken,
    AccessTokenStore,
    CredentialSource,
    CredentialState,
    NonceStore,
    NotificationEvent,
    NotificationStore,
    Offer,
    OfferStore,
    PreAuthorizedGrant,
    RedeemOutcome,
)
from wallet_bridge.proofs import CheckedProof, check_jwt_proof

__all__ = [
    "NOTIFICATION_EVENTS",
    "OFFER_SCHEME",
    "PRE_AUTHORIZED_GRANT_TYPE",
    "CreatedOffer",
    "CredentialResult",
    "WalletBridge",
    "WalletBridgeSettings",
    "tx_code_digest",
]

PRE_AUTHORIZED_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_SCHEME = "openid-credential-offer://"
NOTIFICATION_EVENTS = frozenset({"credential_accepted", "credential_failure", "credential_deleted"})
_DRAFT13_FORMATS = {"vc+sd-jwt": FORMAT_DC_SD_JWT}


@dataclass(frozen=True)
class WalletBridgeSettings:
    """Lifetimes and policy knobs (OID4VCI §13.6.1: short TTL, single use, limited attempts)."""

    offer_ttl: timedelta = timedelta(minutes=10)
    access_token_ttl: timedelta = timedelta(minutes=5)
    nonce_ttl: timedelta = timedelta(minutes=5)
    notification_ttl: timedelta = timedelta(days=1)
    max_tx_code_attempts: int = 5
    proof_iat_leeway: timedelta = timedelta(minutes=5)
    allow_draft13: bool = False


@dataclass(frozen=True)
class CreatedOffer:
    """What the admin side hands on: ``link`` for a QR code, ``tx_code`` for another channel."""

    offer_id: str
    offer: dict[str, Any]
    credential_offer_uri: str | None
    link: str
    tx_code: str | None
    expires_at: datetime


@dataclass(frozen=True)
class CredentialResult:
    """A credential response body and its HTTP status (200; 202 would be deferred)."""

    body: dict[str, Any]
    status: int = 200


def tx_code_digest(code: str, tx_code: str) -> str:
    """The stored form of a tx_code: SHA-256 over the (random, secret) code and the PIN."""
    return hashlib.sha256(f"{code}\x00{tx_code}".encode()).hexdigest()


def _ignore(_event: NotificationEvent) -> None:
    return None


class WalletBridge:
    """OID4VCI 1.0 Credential Issuer + its own Authorization Server (pre-authorized code only)."""

    def __init__(
        self,
        metadata: CredentialIssuerMetadata,
        source: CredentialSource,
        *,
        offers: OfferStore,
        tokens: AccessTokenStore,
        nonces: NonceStore,
        notifications: NotificationStore,
        on_notification: Callable[[NotificationEvent], None] = _ignore,
        settings: WalletBridgeSettings | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.metadata = metadata
        self.settings = settings or WalletBridgeSettings()
        self._source = source
        self._offers = offers
        self._tokens = tokens
        self._nonces = nonces
        self._notifications = notifications
        self._on_notification = on_notification
        self._clock = clock
        self._configurations = metadata.configurations()

    # -- discovery (§12) --------------------------------------------------------------------

    def issuer_metadata(self, languages: Sequence[str] = ()) -> dict[str, Any]:
        return self.metadata.credential_issuer_metadata(languages)

    def authorization_server_metadata(self) -> dict[str, Any]:
        return self.metadata.authorization_server_metadata()

    # -- offers (§4.1) ----------------------------------------------------------------------

    def create_offer(
        self,
        credential_id: str,
        *,
        by_reference: bool = True,
        tx_code_length: int | None = 6,
        ttl: timedelta | None = None,
    ) -> CreatedOffer:
        """A pre-authorized Credential Offer for an active credential (§4.1.1, §3.5)."""
        if tx_code_length is not None and not 4 <= tx_code_length <= 12:
            raise ValueError("tx_code_length must be between 4 and 12 digits")
        offerable = self._source.offerable(credential_id)
        if offerable is None:
            raise OfferRefused("unknown credential")
        if offerable.state is not CredentialState.ACTIVE:
            raise OfferRefused(f"the credential is {offerable.state}")
        configuration_ids = tuple(
            c for c in offerable.configuration_ids if c in self._configurations
        )
        if not configuration_ids:
            raise OfferRefused("the credential has no format this bridge can deliver")
        expires_at = self._clock() + (ttl or self.settings.offer_ttl)
        offer_id = secrets.token_urlsafe(24)
        code = secrets.token_urlsafe(32)
        grant_body: dict[str, Any] = {"pre-authorized_code": code}
        tx_code: str | None = None
        if tx_code_length is not None:
            tx_code = f"{secrets.randbelow(10**tx_code_length):0{tx_code_length}d}"
            grant_body["tx_code"] = {
                "input_mode": "numeric",
                "length": tx_code_length,
                "description": "Enter the PIN sent to you by e-mail",
            }
        offer = {
            "credential_issuer": self.metadata.credential_issuer,
            "credential_configuration_ids": list(configuration_ids),
            "grants": {PRE_AUTHORIZED_GRANT_TYPE: grant_body},
        }
        grant = PreAuthorizedGrant(
            code=code,
            offer_id=offer_id,
            credential_id=credential_id,
            configuration_ids=configuration_ids,
            tx_code_digest=None if tx_code is None else tx_code_digest(code, tx_code),
            attempts_left=self.settings.max_tx_code_attempts,
            expires_at=expires_at,
        )
        self._offers.put(Offer(offer_id, credential_id, offer, expires_at), grant)
        offer_uri: str | None = None
        if by_reference:
            offer_uri = self.metadata.endpoint(f"offers/{offer_id}")
            link = f"{OFFER_SCHEME}?credential_offer_uri={quote(offer_uri, safe='')}"
        else:
            compact = json.dumps(offer, separators=(",", ":"))
            link = f"{OFFER_SCHEME}?credential_offer={quote(compact, safe='')}"
        return CreatedOffer(offer_id, offer, offer_uri, link, tx_code, expires_at)

    def offer_by_reference(self, offer_id: str) -> dict[str, Any]:
        """The target of ``credential_offer_uri`` (§4.1.3): live until expired or redeemed."""
        offer = self._offers.get_offer(offer_id)
        if offer is None:
            raise OfferNotFound("no such credential offer, or it expired or was used")
        return dict(offer.offer)

    # -- token (§6) -------------------------------------------------------------------------

    def token(self, form: Mapping[str, str]) -> dict[str, Any]:
        """Token endpoint for the pre-authorized code grant (§6.1, errors §6.3)."""
        grant_type = form.get("grant_type")
        if not grant_type:
            raise InvalidRequest("grant_type is required")
        if grant_type != PRE_AUTHORIZED_GRANT_TYPE:
            raise UnsupportedGrantType("only the pre-authorized code grant is supported")
        code = form.get("pre-authorized_code")
        if not code:
            raise InvalidRequest("pre-authorized_code is required")
        if "authorization_details" in form:
            raise InvalidRequest("authorization_details is not supported")
        tx_code = form.get("tx_code")
        grant = self._offers.peek_grant(code)
        if grant is None:
            raise InvalidGrant("the pre-authorized code is unknown, expired or already used")
        if grant.tx_code_digest is None and tx_code is not None:
            raise InvalidRequest("tx_code was sent but the offer asks for none")
        if grant.tx_code_digest is not None and not tx_code:
            raise InvalidRequest("tx_code is required")
        result = self._offers.redeem(
            code, None if tx_code is None else tx_code_digest(code, tx_code)
        )
        if result.outcome is RedeemOutcome.WRONG_TX_CODE:
            raise InvalidGrant("wrong tx_code")
        if result.outcome is RedeemOutcome.BURNT:
            raise InvalidGrant("wrong tx_code; too many attempts, the code is no longer valid")
        if result.outcome is not RedeemOutcome.REDEEMED or result.grant is None:
            raise InvalidGrant("the pre-authorized code is unknown, expired or already used")
        redeemed = result.grant
        ttl = self.settings.access_token_ttl
        access_token = secrets.token_urlsafe(32)
        self._tokens.put(
            AccessToken(
                access_token,
                redeemed.credential_id,
                redeemed.configuration_ids,
                self._clock() + ttl,
            )
        )
        body: dict[str, Any] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": int(ttl.total_seconds()),
        }
        if self.settings.allow_draft13:
            body.update(self._draft13_nonce())
        return body

    # -- nonce (§7) -------------------------------------------------------------------------

    def nonce(self) -> dict[str, str]:
        """A fresh, unpredictable ``c_nonce`` (§7.2); the route adds ``Cache-Control: no-store``."""
        c_nonce = secrets.token_urlsafe(32)
        self._nonces.put(c_nonce, self._clock() + self.settings.nonce_ttl)
        return {"c_nonce": c_nonce}

    def _draft13_nonce(self) -> dict[str, Any]:
        return {**self.nonce(), "c_nonce_expires_in": int(self.settings.nonce_ttl.total_seconds())}

    # -- credential (§8) --------------------------------------------------------------------

    def authenticate(self, access_token: str | None) -> AccessToken:
        """The live access token (RFC 6750 §2.1), or :class:`InvalidToken`."""
        if not access_token:
            raise InvalidToken("a bearer access token is required")
        token = self._tokens.get(access_token)
        if token is None:
            raise InvalidToken("the access token is unknown or expired")
        return token

    def _configuration_id(self, token: AccessToken, body: Mapping[str, Any], d13: bool) -> str:
        if d13 and "credential_configuration_id" not in body and "format" in body:
            fmt = body["format"]
            fmt = _DRAFT13_FORMATS.get(fmt, fmt) if isinstance(fmt, str) else fmt
            matches = [
                cid
                for cid in token.configuration_ids
                if self._configurations.get(cid, {}).get("format") == fmt
            ]
            if len(matches) != 1:
                raise UnknownCredentialConfiguration("no offered configuration has that format")
            return matches[0]
        has_cfg = "credential_configuration_id" in body
        has_ident = "credential_identifier" in body
        if has_cfg == has_ident:
            raise InvalidCredentialRequest(
                "exactly one of credential_configuration_id and credential_identifier is required"
            )
        if has_ident:
            raise UnknownCredentialIdentifier("no credential identifiers were issued")
        cfg = body["credential_configuration_id"]
        if not isinstance(cfg, str):
            raise InvalidCredentialRequest("credential_configuration_id must be a string")
        if cfg not in self._configurations or cfg not in token.configuration_ids:
            raise UnknownCredentialConfiguration(f"unknown credential configuration {cfg!r}")
        return cfg

    def _proof_jwts(self, body: Mapping[str, Any], d13: bool) -> list[Any]:
        if d13 and "proof" in body and "proofs" not in body:
            proof = body["proof"]
            if not isinstance(proof, Mapping) or proof.get("proof_type") != "jwt":
                raise InvalidProof("proof must be a jwt proof object")
            return [proof.get("jwt")]
        if "proof" in body:
            raise InvalidCredentialRequest("use proofs (OpenID4VCI 1.0), not proof")
        proofs = body.get("proofs")
        if proofs is None:
            raise InvalidProof("proofs is required")
        if not isinstance(proofs, Mapping) or len(proofs) != 1:
            raise InvalidCredentialRequest("proofs must be an object with one proof type")
        if "jwt" not in proofs:
            raise InvalidProof("only the jwt proof type is supported")
        jwts = proofs["jwt"]
        if not isinstance(jwts, list) or not jwts:
            raise InvalidCredentialRequest("proofs.jwt must be a non-empty array")
        if len(jwts) > self.metadata.batch_size:
            raise InvalidCredentialRequest(
                f"at most {self.metadata.batch_size} proofs (batch_size) are allowed"
            )
        return jwts

    def credential(self, access_token: str | None, body: Any) -> CredentialResult:
        """Credential endpoint (§8.2, §8.3): one credential per valid proof, bound to its key."""
        token = self.authenticate(access_token)
        if not isinstance(body, Mapping):
            raise InvalidCredentialRequest("the credential request is a JSON object")
        d13 = "proof" in body or "format" in body
        if d13 and not self.settings.allow_draft13:
            raise InvalidCredentialRequest(
                "draft-13 requests (proof, format) are not accepted; "
                "use credential_configuration_id and proofs"
            )
        if "credential_response_encryption" in body:
            raise InvalidEncryptionParameters("credential response encryption is not supported")
        configuration_id = self._configuration_id(token, body, d13)
        jwts = self._proof_jwts(body, d13)
        now = self._clock()
        checked: list[CheckedProof] = [
            check_jwt_proof(
                jwt,
                audience=self.metadata.credential_issuer,
                allowed_algs=PROOF_SIGNING_ALGS,
                now=now,
                leeway=self.settings.proof_iat_leeway,
            )
            for jwt in jwts
        ]
        for nonce in dict.fromkeys(proof.nonce for proof in checked):
            if not self._nonces.consume(nonce):
                raise InvalidNonce("the c_nonce is unknown, used or expired; fetch a new one")
        offerable = self._source.offerable(token.credential_id)
        if offerable is None or offerable.state is not CredentialState.ACTIVE:
            raise CredentialRequestDenied("the credential is no longer available")
        credentials = [
            self._source.issue_for_holder(token.credential_id, configuration_id, proof.holder)
            for proof in checked
        ]
        notification_id = secrets.token_urlsafe(16)
        self._notifications.put(
            notification_id, token.credential_id, now + self.settings.notification_ttl
        )
        if d13:
            return CredentialResult(
                {
                    "credential": credentials[0],
                    "notification_id": notification_id,
                    **self._draft13_nonce(),
                }
            )
        return CredentialResult(
            {
                "credentials": [{"credential": credential} for credential in credentials],
                "notification_id": notification_id,
            }
        )

    # -- deferred (§9) and notification (§11) -----------------------------------------------

    def deferred(self, access_token: str | None, body: Any) -> CredentialResult:
        """Deferred Credential endpoint (§9): nothing is deferred yet, so every id is invalid."""
        self.authenticate(access_token)
        if not isinstance(body, Mapping) or not isinstance(body.get("transaction_id"), str):
            raise InvalidCredentialRequest("transaction_id (a string) is required")
        raise InvalidTransactionId("no deferred issuance with this transaction_id")

    def notification(self, access_token: str | None, body: Any) -> None:
        """Notification endpoint (§11): record the wallet's event; the route answers 204."""
        token = self.authenticate(access_token)
        if not isinstance(body, Mapping):
            raise InvalidNotificationRequest("the notification request is a JSON object")
        notification_id = body.get("notification_id")
        event = body.get("event")
        description = body.get("event_description")
        if not isinstance(notification_id, str) or event not in NOTIFICATION_EVENTS:
            raise InvalidNotificationRequest(
                "notification_id and event (credential_accepted|credential_failure|"
                "credential_deleted) are required"
            )
        if description is not None and (
            not isinstance(description, str) or not description.isascii()
        ):
            raise InvalidNotificationRequest("event_description must be ASCII text")
        if self._notifications.credential_of(notification_id) != token.credential_id:
            raise InvalidNotificationId("unknown notification_id")
        self._on_notification(
            NotificationEvent(
                notification_id, token.credential_id, str(event), description, self._clock()
            )
        )
