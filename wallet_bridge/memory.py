"""In-memory versions of the wallet bridge's stores (tests, the embedded demo), thread-safe.

They implement :mod:`wallet_bridge.ports` as the Redis/SQL versions must: expiry is checked
against an injectable clock, and every consume-once step happens under one lock.
:func:`redeem_then_put_token` and :func:`consume_then_put_notification` are the combined steps
done one after the other: what these stores do, and what the Redis/SQL ones fall back to when
the other store is not of their own backend.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from wallet_bridge.ports import (
    AccessToken,
    AccessTokenStore,
    DeferredTransaction,
    NonceStore,
    NotificationStore,
    Offer,
    OfferStore,
    PreAuthorizedGrant,
    RedeemOutcome,
    RedeemResult,
    check_tx_code,
)

__all__ = [
    "Clock",
    "InMemoryAccessTokenStore",
    "InMemoryDeferredStore",
    "InMemoryNonceStore",
    "InMemoryNotificationStore",
    "InMemoryOfferStore",
    "consume_then_put_notification",
    "redeem_then_put_token",
    "system_clock",
]

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def redeem_then_put_token(
    offers: OfferStore,
    code: str,
    tx_code_digest: str | None,
    *,
    token: str,
    expires_at: datetime,
    tokens: AccessTokenStore,
) -> RedeemResult:
    """:meth:`OfferStore.redeem_for_token <wallet_bridge.ports.OfferStore.redeem_for_token>`
    as two steps: redeem, then put the token when the code was redeemed."""
    result = offers.redeem(code, tx_code_digest)
    if result.outcome is RedeemOutcome.REDEEMED and result.grant is not None:
        grant = result.grant
        tokens.put(AccessToken(token, grant.credential_id, grant.configuration_ids, expires_at))
    return result


def consume_then_put_notification(
    nonces: NonceStore,
    values: Sequence[str],
    *,
    notifications: NotificationStore,
    notification_id: str,
    credential_id: str,
    expires_at: datetime,
) -> bool:
    """:meth:`NonceStore.consume_with_notification
    <wallet_bridge.ports.NonceStore.consume_with_notification>` one step after the other."""
    if not all(nonces.consume(nonce) for nonce in values):  # stops at the first refused
        return False
    notifications.put(notification_id, credential_id, expires_at)
    return True


class InMemoryOfferStore:
    def __init__(self, clock: Clock = system_clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._offers: dict[str, Offer] = {}
        self._grants: dict[str, PreAuthorizedGrant] = {}

    def put(self, offer: Offer, grant: PreAuthorizedGrant) -> None:
        self.put_many([(offer, grant)])

    def put_many(self, offers: Sequence[tuple[Offer, PreAuthorizedGrant]]) -> None:
        with self._lock:
            for offer, grant in offers:
                self._offers[offer.offer_id] = offer
                self._grants[grant.code] = grant

    def get_offer(self, offer_id: str) -> Offer | None:
        with self._lock:
            offer = self._offers.get(offer_id)
            if offer is None or offer.expires_at <= self._clock():
                return None
            return offer

    def peek_grant(self, code: str) -> PreAuthorizedGrant | None:
        with self._lock:
            grant = self._grants.get(code)
            if grant is None or grant.expires_at <= self._clock():
                return None
            return grant

    def redeem(self, code: str, tx_code_digest: str | None) -> RedeemResult:
        with self._lock:
            grant = self._grants.get(code)
            if grant is None or grant.expires_at <= self._clock():
                return RedeemResult(RedeemOutcome.UNKNOWN)
            outcome = check_tx_code(grant.tx_code_digest, tx_code_digest)
            if outcome is RedeemOutcome.WRONG_TX_CODE:
                left = grant.attempts_left - 1
                if left <= 0:
                    self._drop(grant)
                    return RedeemResult(RedeemOutcome.BURNT)
                self._grants[code] = replace(grant, attempts_left=left)
                return RedeemResult(outcome, self._grants[code])
            if outcome is not RedeemOutcome.REDEEMED:
                return RedeemResult(outcome)
            self._drop(grant)
            return RedeemResult(outcome, grant)

    def redeem_for_token(
        self,
        code: str,
        tx_code_digest: str | None,
        *,
        token: str,
        expires_at: datetime,
        tokens: AccessTokenStore,
    ) -> RedeemResult:
        return redeem_then_put_token(
            self, code, tx_code_digest, token=token, expires_at=expires_at, tokens=tokens
        )

    def _drop(self, grant: PreAuthorizedGrant) -> None:
        del self._grants[grant.code]
        self._offers.pop(grant.offer_id, None)


class InMemoryAccessTokenStore:
    def __init__(self, clock: Clock = system_clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, AccessToken] = {}

    def put(self, token: AccessToken) -> None:
        with self._lock:
            self._tokens[token.token] = token

    def get(self, token: str) -> AccessToken | None:
        with self._lock:
            found = self._tokens.get(token)
            if found is None or found.expires_at <= self._clock():
                return None
            return found


class InMemoryNonceStore:
    def __init__(self, clock: Clock = system_clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._nonces: dict[str, datetime] = {}

    def put(self, nonce: str, expires_at: datetime) -> None:
        with self._lock:
            self._nonces[nonce] = expires_at

    def consume(self, nonce: str) -> bool:
        with self._lock:
            expires_at = self._nonces.pop(nonce, None)
            return expires_at is not None and expires_at > self._clock()

    def consume_with_notification(
        self,
        nonces: Sequence[str],
        *,
        notifications: NotificationStore,
        notification_id: str,
        credential_id: str,
        expires_at: datetime,
    ) -> bool:
        return consume_then_put_notification(
            self,
            nonces,
            notifications=notifications,
            notification_id=notification_id,
            credential_id=credential_id,
            expires_at=expires_at,
        )


class InMemoryNotificationStore:
    def __init__(self, clock: Clock = system_clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._ids: dict[str, tuple[str, datetime]] = {}

    def put(self, notification_id: str, credential_id: str, expires_at: datetime) -> None:
        with self._lock:
            self._ids[notification_id] = (credential_id, expires_at)

    def credential_of(self, notification_id: str) -> str | None:
        with self._lock:
            found = self._ids.get(notification_id)
            if found is None or found[1] <= self._clock():
                return None
            return found[0]


class InMemoryDeferredStore:
    def __init__(self, clock: Clock = system_clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._transactions: dict[str, DeferredTransaction] = {}

    def put(self, transaction: DeferredTransaction) -> None:
        with self._lock:
            self._transactions[transaction.transaction_id] = transaction

    def get(self, transaction_id: str) -> DeferredTransaction | None:
        with self._lock:
            found = self._transactions.get(transaction_id)
            if found is None or found.expires_at <= self._clock():
                return None
            return found

    def take(self, transaction_id: str) -> DeferredTransaction | None:
        with self._lock:
            found = self._transactions.pop(transaction_id, None)
            if found is None or found.expires_at <= self._clock():
                return None
            return found
