"""The OpenID4VCI 1.0 protocol logic of the wallet bridge, free of any web framework.

:class:`WalletBridge` implements the pre-authorized code flow (brief §5):

1. :meth:`WalletBridge.create_offer`: a Credential Offer (§4.1) by value or by reference, with a
   single-use ``pre-authorized_code`` and a numeric ``tx_code`` stored only as a digest;
2. :meth:`WalletBridge.token` (§6): code + tx_code → short-lived bearer access token; wrong tx_codes
   use up a limited number of attempts, after which the code is burnt;
3. :meth:`WalletBridge.nonce` (§7): a fresh ``c_nonce``;
4. :meth:`WalletBridge.credential` (§8): ``credential_configuration_id`` + ``proofs.jwt`` (at most
   ``batch_size``) → one credential per proven key, bound to it (§8.1);
5. :meth:`WalletBridge.deferred` (§9): a credential whose source state is
   :attr:`~wallet_bridge.ports.CredentialState.PENDING` is not issued at once: the Credential
   Request's proofs are checked as usual, the proven keys are kept in a
   :class:`~wallet_bridge.ports.DeferredTransaction` and the answer is HTTP 202
   ``{transaction_id, interval}`` (§8.3). The Deferred Credential Request (same access token,
   kept alive as long as the transaction) gets 202 again while pending, the credentials bound to
   the stored keys once the source says ACTIVE (the transaction is taken: delivered exactly
   once), ``credential_request_denied`` once it is revoked (§9.3), ``invalid_transaction_id``
   otherwise;
6. :meth:`WalletBridge.notification` (§11): the wallet's event goes to ``on_notification``;
7. :meth:`WalletBridge.jwt_vc_issuer_metadata` and :meth:`WalletBridge.type_metadata`: what an
   SD-JWT VC verifier fetches (draft-ietf-oauth-sd-jwt-vc §3, §4), from the providers given.

Draft-13 wallets (``proof`` singular, ``format``, ``c_nonce`` in the token response, a single
``credential``, ``issuance_pending`` from the deferred endpoint; brief §5.10) are served only
when :attr:`WalletBridgeSettings.allow_draft13` is set.
Every failure raises one error of :mod:`wallet_bridge.errors`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

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
    IssuancePending,
    MetadataNotFound,
    OfferNotFound,
    OfferRefused,
    UnknownCredentialConfiguration,
    UnknownCredentialIdentifier,
    UnsupportedGrantType,
)
from wallet_bridge.memory import Clock, InMemoryDeferredStore, system_clock
from wallet_bridge.metadata import (
    FORMAT_DC_SD_JWT,
    PROOF_SIGNING_ALGS,
    CredentialIssuerMetadata,
    JwtVcIssuer,
    TypeMetadataSource,
    claims_from_type_metadata,
)
from wallet_bridge.ports import (
    AccessToken,
    AccessTokenStore,
    CredentialSource,
    CredentialState,
    DeferredStore,
    DeferredTransaction,
    HolderKey,
    NonceStore,
    NotificationEvent,
    NotificationStore,
    Offer,
    OfferableCredential,
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
_DRAFT13_TRANSACTION = "d13."
"""Prefix of the transaction ids handed to draft-13 requests (their deferred answers differ)."""


@dataclass(frozen=True)
class WalletBridgeSettings:
    """Lifetimes and policy knobs (OID4VCI §13.6.1: short TTL, single use, limited attempts)."""

    offer_ttl: timedelta = timedelta(minutes=10)
    access_token_ttl: timedelta = timedelta(minutes=5)
    nonce_ttl: timedelta = timedelta(minutes=5)
    notification_ttl: timedelta = timedelta(days=1)
    max_tx_code_attempts: int = 5
    proof_iat_leeway: timedelta = timedelta(minutes=5)
    deferred_ttl: timedelta = timedelta(days=30)
    """How long a deferred transaction (and the access token that polls it) stays valid."""
    deferred_interval: timedelta = timedelta(hours=1)
    """``interval`` (§8.3): the minimum wait between two Deferred Credential Requests."""
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
    """A credential response body and its HTTP status (200 issued; 202 deferred, §8.3)."""

    body: dict[str, Any]
    status: int = 200


def tx_code_digest(code: str, tx_code: str) -> str:
    """The stored form of a tx_code: SHA-256 over the (random, secret) code and the PIN."""
    return hashlib.sha256(f"{code}\x00{tx_code}".encode()).hexdigest()


def _check_tx_code_length(tx_code_length: int | None) -> None:
    if tx_code_length is not None and not 4 <= tx_code_length <= 12:
        raise ValueError("tx_code_length must be between 4 and 12 digits")


def _ignore(_event: NotificationEvent) -> None:
    return None


_MAX_DESCRIPTION = 1000
_NONCE_REFUSED = "the c_nonce is unknown, used or expired; fetch a new one"


def _is_description(value: Any) -> bool:
    """§11.1: ``event_description`` uses only ``%x20-21 / %x23-5B / %x5D-7E``."""
    return (
        isinstance(value, str)
        and len(value) <= _MAX_DESCRIPTION
        and all(" " <= c <= "~" and c not in '"\\' for c in value)
    )


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
        deferred: DeferredStore | None = None,
        on_notification: Callable[[NotificationEvent], None] = _ignore,
        jwt_vc_issuer: JwtVcIssuer | None = None,
        type_metadata: TypeMetadataSource | None = None,
        settings: WalletBridgeSettings | None = None,
        clock: Clock = system_clock,
    ) -> None:
        """``deferred`` defaults to an in-memory store (one process); ``jwt_vc_issuer`` and
        ``type_metadata`` feed the SD-JWT VC discovery documents (404 when not given); the
        Type Metadata of the bridge's ``vct`` also gives the ``dc+sd-jwt`` claims' labels."""
        document = (
            None if type_metadata is None else type_metadata.type_metadata(metadata.sd_jwt_vct)
        )
        claims = () if document is None else claims_from_type_metadata(json.loads(document))
        if claims and metadata.sd_jwt_claims is None:
            metadata = replace(metadata, sd_jwt_claims=claims)
        self.metadata = metadata
        self.settings = settings or WalletBridgeSettings()
        self._source = source
        self._offers = offers
        self._tokens = tokens
        self._nonces = nonces
        self._notifications = notifications
        self._deferred: DeferredStore = (
            deferred if deferred is not None else InMemoryDeferredStore(clock)
        )
        self._on_notification = on_notification
        self._jwt_vc_issuer = jwt_vc_issuer
        self._type_metadata = type_metadata
        self._clock = clock
        self._configurations = metadata.configurations()

    @property
    def source(self) -> CredentialSource:
        """The credential source the bridge offers from and issues with."""
        return self._source

    # -- discovery (§12) --------------------------------------------------------------------

    def issuer_metadata(self, languages: Sequence[str] = ()) -> dict[str, Any]:
        return self.metadata.credential_issuer_metadata(languages)

    def authorization_server_metadata(self) -> dict[str, Any]:
        return self.metadata.authorization_server_metadata()

    def jwt_vc_issuer_metadata(self, path: str = "") -> dict[str, Any]:
        """JWT VC Issuer Metadata (sd-jwt-vc §3.2): ``path`` is what follows
        ``/.well-known/jwt-vc-issuer`` in the request, the path of ``iss`` without its
        trailing ``/`` (§3.1); ``jwks`` by value (never also ``jwks_uri``)."""
        if self._jwt_vc_issuer is None:
            raise MetadataNotFound("this issuer publishes no JWT VC Issuer Metadata")
        issuer = self._jwt_vc_issuer.sd_jwt_vc_issuer
        if path != urlsplit(issuer).path.rstrip("/"):
            raise MetadataNotFound("no JWT VC issuer with this path")
        return {"issuer": issuer, "jwks": {"keys": self._jwt_vc_issuer.sd_jwt_vc_keys()}}

    def type_metadata(self, vct_path: str) -> bytes:
        """The Type Metadata document served at ``{credential_issuer}/vct/{vct_path}``
        (sd-jwt-vc §4.3.1), byte for byte what ``vct#integrity`` hashes."""
        document = None
        if self._type_metadata is not None:
            vct = f"{self.metadata.credential_issuer}/vct/{vct_path}"
            document = self._type_metadata.type_metadata(vct)
        if document is None:
            raise MetadataNotFound("no SD-JWT VC type with this vct")
        return document

    # -- offers (§4.1) ----------------------------------------------------------------------

    def create_offer(
        self,
        credential_id: str,
        *,
        by_reference: bool = True,
        tx_code_length: int | None = 6,
        ttl: timedelta | None = None,
        offerable: OfferableCredential | None = None,
    ) -> CreatedOffer:
        """A pre-authorized Credential Offer (§4.1.1, §3.5) for an active credential, or a
        pending one (delivered by the deferred flow once the source says it is active).

        ``offerable`` is what the source said of ``credential_id`` in this same request, when
        the caller asked it already (the bridge then does not ask again)."""
        _check_tx_code_length(tx_code_length)
        if offerable is not None and offerable.credential_id != credential_id:
            raise ValueError("offerable describes another credential")
        if offerable is None:
            offerable = self._source.offerable(credential_id)
        if offerable is None:
            raise OfferRefused("unknown credential")
        expires_at = self._clock() + (ttl or self.settings.offer_ttl)
        offer, grant, created = self._new_offer(offerable, by_reference, tx_code_length, expires_at)
        self._offers.put(offer, grant)
        return created

    def create_offers(
        self,
        offerables: Sequence[OfferableCredential],
        *,
        by_reference: bool = True,
        tx_code_length: int | None = 6,
        ttl: timedelta | None = None,
    ) -> tuple[dict[str, CreatedOffer], dict[str, OfferRefused]]:
        """:meth:`create_offer` for several credentials the caller asked the source about,
        stored together: the offers made and the refusals, by credential id."""
        _check_tx_code_length(tx_code_length)
        expires_at = self._clock() + (ttl or self.settings.offer_ttl)
        made: dict[str, CreatedOffer] = {}
        refused: dict[str, OfferRefused] = {}
        stored: list[tuple[Offer, PreAuthorizedGrant]] = []
        for offerable in offerables:
            try:
                offer, grant, created = self._new_offer(
                    offerable, by_reference, tx_code_length, expires_at
                )
            except OfferRefused as exc:
                refused[offerable.credential_id] = exc
                continue
            stored.append((offer, grant))
            made[offerable.credential_id] = created
        self._offers.put_many(stored)
        return made, refused

    def _new_offer(
        self,
        offerable: OfferableCredential,
        by_reference: bool,
        tx_code_length: int | None,
        expires_at: datetime,
    ) -> tuple[Offer, PreAuthorizedGrant, CreatedOffer]:
        if offerable.state is CredentialState.REVOKED:
            raise OfferRefused(f"the credential is {offerable.state}")
        configuration_ids = tuple(
            c for c in offerable.configuration_ids if c in self._configurations
        )
        if not configuration_ids:
            raise OfferRefused("the credential has no format this bridge can deliver")
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
        credential_id = offerable.credential_id
        grant = PreAuthorizedGrant(
            code=code,
            offer_id=offer_id,
            credential_id=credential_id,
            configuration_ids=configuration_ids,
            tx_code_digest=None if tx_code is None else tx_code_digest(code, tx_code),
            attempts_left=self.settings.max_tx_code_attempts,
            expires_at=expires_at,
        )
        offer_uri: str | None = None
        if by_reference:
            offer_uri = self.metadata.endpoint(f"offers/{offer_id}")
            link = self.reference_link(offer_id)
        else:
            compact = json.dumps(offer, separators=(",", ":"))
            link = f"{OFFER_SCHEME}?credential_offer={quote(compact, safe='')}"
        return (
            Offer(offer_id, credential_id, offer, expires_at),
            grant,
            CreatedOffer(offer_id, offer, offer_uri, link, tx_code, expires_at),
        )

    def reference_link(self, offer_id: str) -> str:
        """The ``openid-credential-offer://`` link of an offer by reference (§4.1.3): what a QR
        code encodes, whether the offer was first handed out by value or by reference."""
        uri = self.metadata.endpoint(f"offers/{quote(offer_id, safe='')}")
        return f"{OFFER_SCHEME}?credential_offer_uri={quote(uri, safe='')}"

    def live_offer(self, offer_id: str) -> Offer | None:
        """The live offer (its credential and expiry), or None once unknown, expired or used."""
        return self._offers.get_offer(offer_id)

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
        # None: no tx_code; "": an empty one (the store tells "required" from "unexpected")
        digest = tx_code_digest(code, tx_code) if tx_code else tx_code
        ttl = self.settings.access_token_ttl
        access_token = secrets.token_urlsafe(32)
        # one step: the code redeemed and the token it buys stored (one transaction or script
        # where the two stores share a backend)
        outcome = self._offers.redeem_for_token(
            code,
            digest,
            token=access_token,
            expires_at=self._clock() + ttl,
            tokens=self._tokens,
        ).outcome
        if outcome is RedeemOutcome.TX_CODE_UNEXPECTED:
            raise InvalidRequest("tx_code was sent but the offer asks for none")
        if outcome is RedeemOutcome.TX_CODE_REQUIRED:
            raise InvalidRequest("tx_code is required")
        if outcome is RedeemOutcome.WRONG_TX_CODE:
            raise InvalidGrant("wrong tx_code")
        if outcome is RedeemOutcome.BURNT:
            raise InvalidGrant("wrong tx_code; too many attempts, the code is no longer valid")
        if outcome is not RedeemOutcome.REDEEMED:
            raise InvalidGrant("the pre-authorized code is unknown, expired or already used")
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

    def authenticate(self, access_token: str | AccessToken | None) -> AccessToken:
        """The live access token (RFC 6750 §2.1), or :class:`InvalidToken`. An
        :class:`AccessToken` this method returned earlier in the same request is returned as
        it is (the routes check the token before reading the body, then hand it on)."""
        if isinstance(access_token, AccessToken):
            return access_token
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

    def credential(self, access_token: str | AccessToken | None, body: Any) -> CredentialResult:
        """Credential endpoint (§8.2, §8.3): one credential per valid proof, bound to its key;
        HTTP 202 with a ``transaction_id`` when the credential is pending (§9)."""
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
        nonces = list(dict.fromkeys(proof.nonce for proof in checked))
        offerable = self._source.offerable(token.credential_id)
        holders = tuple(proof.holder for proof in checked)
        if offerable is not None and offerable.state is CredentialState.ACTIVE:
            # the nonces consumed and the notification_id of the answer stored in one step
            notification_id = secrets.token_urlsafe(16)
            if not self._nonces.consume_with_notification(
                nonces,
                notifications=self._notifications,
                notification_id=notification_id,
                credential_id=token.credential_id,
                expires_at=self._clock() + self.settings.notification_ttl,
            ):
                raise InvalidNonce(_NONCE_REFUSED)
            return self._deliver(
                token.credential_id, configuration_id, holders, d13, notification_id
            )
        for nonce in nonces:
            if not self._nonces.consume(nonce):
                raise InvalidNonce(_NONCE_REFUSED)
        if offerable is not None and offerable.state is CredentialState.PENDING:
            return self._defer(token, configuration_id, holders, d13)
        raise CredentialRequestDenied("the credential is no longer available")

    def _deliver(
        self,
        credential_id: str,
        configuration_id: str,
        holders: Sequence[HolderKey],
        d13: bool,
        notification_id: str | None = None,
    ) -> CredentialResult:
        """Issue one copy per holder key and answer 200 with a ``notification_id`` (§8.3);
        ``notification_id`` is given when the caller has stored it already."""
        credentials = [
            self._source.issue_for_holder(credential_id, configuration_id, holder)
            for holder in holders
        ]
        if notification_id is None:
            notification_id = secrets.token_urlsafe(16)
            self._notifications.put(
                notification_id, credential_id, self._clock() + self.settings.notification_ttl
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

    def _interval(self) -> int:
        return max(1, int(self.settings.deferred_interval.total_seconds()))

    def _defer(
        self,
        token: AccessToken,
        configuration_id: str,
        holders: tuple[HolderKey, ...],
        d13: bool,
    ) -> CredentialResult:
        """Keep the proven keys under a new ``transaction_id``, keep the access token alive as
        long as the transaction (§9.1: the deferred request presents it), answer 202 (§8.3)."""
        expires_at = self._clock() + self.settings.deferred_ttl
        transaction_id = (_DRAFT13_TRANSACTION if d13 else "") + secrets.token_urlsafe(32)
        self._deferred.put(
            DeferredTransaction(
                transaction_id,
                token.credential_id,
                configuration_id,
                holders,
                token.token,
                expires_at,
            )
        )
        if token.expires_at < expires_at:
            self._tokens.put(replace(token, expires_at=expires_at))
        body: dict[str, Any] = {"transaction_id": transaction_id, "interval": self._interval()}
        if d13:
            body.update(self._draft13_nonce())
        return CredentialResult(body, status=202)

    # -- deferred (§9) and notification (§11) -----------------------------------------------

    def deferred(self, access_token: str | AccessToken | None, body: Any) -> CredentialResult:
        """Deferred Credential endpoint (§9.1, §9.2, §9.3).

        While the source says PENDING: 202 with the same ``transaction_id`` and ``interval``.
        Once ACTIVE: the transaction is taken (one caller wins) and its credentials issued,
        bound to the keys proven at the Credential Endpoint, 200 as in §8.3. Revoked (or gone):
        ``credential_request_denied`` and the transaction is dropped ("stop polling", §9.3).
        Unknown, expired, delivered, or started with another access token:
        ``invalid_transaction_id``.
        """
        token = self.authenticate(access_token)
        if not isinstance(body, Mapping):
            raise InvalidCredentialRequest("the deferred credential request is a JSON object")
        transaction_id = body.get("transaction_id")
        if not isinstance(transaction_id, str) or not transaction_id:
            raise InvalidCredentialRequest("transaction_id (a string) is required")
        if "credential_response_encryption" in body:
            raise InvalidEncryptionParameters("credential response encryption is not supported")
        transaction = self._deferred.get(transaction_id)
        if transaction is None or not hmac.compare_digest(
            transaction.access_token.encode(), token.token.encode()
        ):
            raise InvalidTransactionId(
                "unknown or expired transaction_id, or its credentials were already delivered"
            )
        d13 = transaction_id.startswith(_DRAFT13_TRANSACTION)
        offerable = self._source.offerable(transaction.credential_id)
        if offerable is None or offerable.state is CredentialState.REVOKED:
            self._deferred.take(transaction_id)
            raise CredentialRequestDenied("the credential was revoked and will not be issued")
        if offerable.state is CredentialState.PENDING:
            if d13:
                raise IssuancePending(self._interval(), "the credential is still pending")
            return CredentialResult(
                {"transaction_id": transaction_id, "interval": self._interval()}, status=202
            )
        taken = self._deferred.take(transaction_id)
        if taken is None:  # another request took it between get and take
            raise InvalidTransactionId("the credentials of this transaction_id were delivered")
        try:
            return self._deliver(taken.credential_id, taken.configuration_id, taken.holders, d13)
        except Exception:
            self._deferred.put(taken)  # nothing was delivered: the wallet may ask again
            raise

    def notification(self, access_token: str | AccessToken | None, body: Any) -> None:
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
        if description is not None and not _is_description(description):
            raise InvalidNotificationRequest(
                f"event_description must be printable ASCII without quote or backslash, "
                f"at most {_MAX_DESCRIPTION} characters"
            )
        if self._notifications.credential_of(notification_id) != token.credential_id:
            raise InvalidNotificationId("unknown notification_id")
        self._on_notification(
            NotificationEvent(
                notification_id, token.credential_id, str(event), description, self._clock()
            )
        )
