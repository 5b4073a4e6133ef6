"""What the wallet bridge needs from the outside world, as Protocols (filled in by ``mcred``).

* :class:`CredentialSource` — the issuer seen from the bridge: which credentials may be offered,
  and "issue this credential, bound to this holder key" (OID4VCI 1.0 §8.1 key binding).
* :class:`OfferStore` — credential offers (§4.1) and their pre-authorized code grants (§3.5):
  short-lived, redeemed once, with a limited number of tx_code attempts; :meth:`OfferStore.redeem`
  is the one atomic read-check-update step, and :meth:`OfferStore.redeem_for_token` the same
  step storing the access token it buys (one transaction where the token store is the same
  backend's).
* :class:`AccessTokenStore` — bearer access tokens bound to one offered credential (§6.2).
* :class:`NonceStore` — ``c_nonce`` values (§7), consumed once;
  :meth:`NonceStore.consume_with_notification` consumes a Credential Request's nonces and
  stores its ``notification_id`` together.
* :class:`NotificationStore` — ``notification_id`` → credential, for notifications (§11).
* :class:`DeferredStore` — ``transaction_id`` → a credential request that waits for approval (§9);
  :meth:`DeferredStore.take` consumes it atomically when the credential is handed out.

Every store checks expiry against its own clock (Redis: key TTLs; SQL: ``expires_at`` columns).
In-memory versions live in :mod:`wallet_bridge.memory`.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from vc_core.keys import PublicKey

__all__ = [
    "AccessToken",
    "AccessTokenStore",
    "CredentialSource",
    "CredentialState",
    "DeferredStore",
    "DeferredTransaction",
    "HolderKey",
    "NonceStore",
    "NotificationEvent",
    "NotificationStore",
    "Offer",
    "OfferStore",
    "OfferableCredential",
    "PreAuthorizedGrant",
    "RedeemOutcome",
    "RedeemResult",
    "check_tx_code",
]


class CredentialState(enum.StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    """Issued but held (awaiting the coordinator's approval): delivered by the deferred flow."""
    REVOKED = "revoked"


@dataclass(frozen=True)
class OfferableCredential:
    """An issued credential record as far as the bridge cares (id, formats, state)."""

    credential_id: str
    configuration_ids: tuple[str, ...]
    state: CredentialState = CredentialState.ACTIVE


@dataclass(frozen=True)
class HolderKey:
    """The wallet key proven in a key proof (OID4VCI 1.0 §8.2, App. F.1).

    ``did`` is the holder DID for W3C formats (``credentialSubject.id``): the ``kid``'s did:key or
    did:jwk, or a did:key derived from a bare ``jwk`` (§8.1). ``jwk`` is the public JWK for
    SD-JWT VC ``cnf.jwk``.
    """

    did: str
    jwk: dict[str, str]
    public_key: PublicKey = field(compare=False)


class CredentialSource(Protocol):
    """The issuer as the bridge sees it (mcred adapts :mod:`issuer` to this)."""

    def offerable(self, credential_id: str) -> OfferableCredential | None:
        """The credential, or None when there is no such credential."""
        ...

    def issue_for_holder(
        self, credential_id: str, configuration_id: str, holder: HolderKey
    ) -> str | dict[str, Any]:
        """Secure one copy bound to ``holder``: a JSON object (``ldp_vc``) or a compact string
        (``jwt_vc_json`` JWT, ``dc+sd-jwt`` SD-JWT) (§8.3)."""
        ...


@dataclass(frozen=True)
class Offer:
    """A credential offer (§4.1.1); ``offer`` is the exact JSON object handed to the wallet."""

    offer_id: str
    credential_id: str
    offer: Mapping[str, Any]
    expires_at: datetime


@dataclass(frozen=True)
class PreAuthorizedGrant:
    """The state behind a ``pre-authorized_code`` (§3.5). ``tx_code_digest`` is None when the
    offer asks for no tx_code; otherwise the code is burnt after ``attempts_left`` failures."""

    code: str
    offer_id: str
    credential_id: str
    configuration_ids: tuple[str, ...]
    tx_code_digest: str | None
    attempts_left: int
    expires_at: datetime


class RedeemOutcome(enum.StrEnum):
    REDEEMED = "redeemed"
    UNKNOWN = "unknown"
    """Never issued, already redeemed, burnt, or expired."""
    TX_CODE_REQUIRED = "tx_code_required"
    """The grant asks for a tx_code and none (or an empty one) was sent: nothing changed."""
    TX_CODE_UNEXPECTED = "tx_code_unexpected"
    """A tx_code was sent but the grant asks for none: nothing changed."""
    WRONG_TX_CODE = "wrong_tx_code"
    """One attempt used; the code stays redeemable while attempts are left."""
    BURNT = "burnt"
    """The last attempt failed: the code is gone."""


@dataclass(frozen=True)
class RedeemResult:
    outcome: RedeemOutcome
    grant: PreAuthorizedGrant | None = None


def check_tx_code(expected: str | None, given: str | None) -> RedeemOutcome:
    """What :meth:`OfferStore.redeem` does with a live grant whose digest is ``expected`` when
    ``given`` is sent: :attr:`~RedeemOutcome.REDEEMED` (redeem it),
    :attr:`~RedeemOutcome.TX_CODE_UNEXPECTED` or :attr:`~RedeemOutcome.TX_CODE_REQUIRED`
    (leave it), :attr:`~RedeemOutcome.WRONG_TX_CODE` (use up an attempt)."""
    if expected is None:
        return RedeemOutcome.REDEEMED if given is None else RedeemOutcome.TX_CODE_UNEXPECTED
    if not given:
        return RedeemOutcome.TX_CODE_REQUIRED
    if hmac.compare_digest(expected, given):
        return RedeemOutcome.REDEEMED
    return RedeemOutcome.WRONG_TX_CODE


class OfferStore(Protocol):
    def put(self, offer: Offer, grant: PreAuthorizedGrant) -> None: ...

    def put_many(self, offers: Sequence[tuple[Offer, PreAuthorizedGrant]]) -> None:
        """Store several offers with their grants at once (a cohort's offers: one transaction
        or one pipeline instead of one per learner)."""
        ...

    def get_offer(self, offer_id: str) -> Offer | None:
        """The live offer (for ``credential_offer_uri``), or None once expired or redeemed."""
        ...

    def peek_grant(self, code: str) -> PreAuthorizedGrant | None:
        """The live grant, without changing it (what is left of it: attempts, expiry; the token
        endpoint needs only :meth:`redeem_for_token`, which tells every outcome itself)."""
        ...

    def redeem(self, code: str, tx_code_digest: str | None) -> RedeemResult:
        """Atomically: if the grant is live and the digest matches, delete it (and its offer) and
        return it; on a wrong digest decrement ``attempts_left`` and delete at zero.

        ``tx_code_digest`` is None when the request had no tx_code, ``""`` when it had an empty
        one, else :func:`~wallet_bridge.service.tx_code_digest` of it. A grant that asks for a
        tx_code given none or ``""`` is :attr:`~RedeemOutcome.TX_CODE_REQUIRED`, one that asks
        for none given any is :attr:`~RedeemOutcome.TX_CODE_UNEXPECTED`; neither changes it
        (an unknown code is :attr:`~RedeemOutcome.UNKNOWN` first)."""
        ...

    def redeem_for_token(
        self,
        code: str,
        tx_code_digest: str | None,
        *,
        token: str,
        expires_at: datetime,
        tokens: AccessTokenStore,
    ) -> RedeemResult:
        """:meth:`redeem`, and when it is :attr:`~RedeemOutcome.REDEEMED` also put
        ``AccessToken(token, grant.credential_id, grant.configuration_ids, expires_at)`` into
        ``tokens``: in the same transaction (script) when ``tokens`` keeps its tokens in this
        store's backend, right after the redemption otherwise."""
        ...


@dataclass(frozen=True)
class AccessToken:
    token: str
    credential_id: str
    configuration_ids: tuple[str, ...]
    expires_at: datetime


class AccessTokenStore(Protocol):
    def put(self, token: AccessToken) -> None: ...

    def get(self, token: str) -> AccessToken | None:
        """The live token, or None when unknown or expired."""
        ...


class NonceStore(Protocol):
    def put(self, nonce: str, expires_at: datetime) -> None: ...

    def consume(self, nonce: str) -> bool:
        """Atomically delete a live nonce; False when unknown, used or expired."""
        ...

    def consume_with_notification(
        self,
        nonces: Sequence[str],
        *,
        notifications: NotificationStore,
        notification_id: str,
        credential_id: str,
        expires_at: datetime,
    ) -> bool:
        """:meth:`consume` each of ``nonces`` in order, stopping at the first that is not live
        (False; those before it stay consumed); when every one was, put ``notification_id`` →
        ``credential_id`` into ``notifications`` (True). One transaction when ``notifications``
        keeps its ids in this store's backend, one step after the other otherwise."""
        ...


@dataclass(frozen=True)
class NotificationEvent:
    """A wallet's notification (§11.1), for the audit log."""

    notification_id: str
    credential_id: str
    event: str
    event_description: str | None
    received_at: datetime


class NotificationStore(Protocol):
    def put(self, notification_id: str, credential_id: str, expires_at: datetime) -> None: ...

    def credential_of(self, notification_id: str) -> str | None:
        """The credential a live notification id was handed out for, or None."""
        ...


@dataclass(frozen=True)
class DeferredTransaction:
    """A Credential Request answered with ``transaction_id`` (§8.3, §9): what to issue, to which
    proven holder keys, once the credential may be delivered. ``access_token`` is the token the
    Deferred Credential Request must present (§9.1)."""

    transaction_id: str
    credential_id: str
    configuration_id: str
    holders: tuple[HolderKey, ...]
    access_token: str
    expires_at: datetime


class DeferredStore(Protocol):
    def put(self, transaction: DeferredTransaction) -> None: ...

    def get(self, transaction_id: str) -> DeferredTransaction | None:
        """The live transaction, unchanged, or None when unknown, taken or expired."""
        ...

    def take(self, transaction_id: str) -> DeferredTransaction | None:
        """Atomically delete a live transaction and return it; None when unknown, already taken
        or expired (two concurrent takers: exactly one gets it)."""
        ...
