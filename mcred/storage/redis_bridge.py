"""The wallet bridge's short-lived state in Redis, shared by every worker and instance.

Implements the stores of :mod:`wallet_bridge.ports` exactly as :mod:`wallet_bridge.memory` does.
Every key starts with a prefix (:data:`DEFAULT_KEY_PREFIX`, so several deployments can share one
Redis) and expires with its record: ``PX`` is the time from the store's clock to ``expires_at``.
Values also carry ``expires_at``, checked against that clock on every read, so a record is dead
at exactly the instant the in-memory store would call it dead (Redis frees the memory).

Keys (``<p>`` is the prefix)::

    <p>offer:<offer_id>               string: the offer as JSON
    <p>grant:<code>                   hash: grant (JSON), attempts, expires_us, digest, offer_key
    <p>token:<access token>           string: the access token as JSON
    <p>nonce:<c_nonce>                string: its expires_at
    <p>notification:<id>              string: {"credential_id", "expires_at"}
    <p>deferred:<transaction_id>      string: the deferred transaction as JSON

Single use: ``c_nonce`` values and deferred transactions are consumed with ``GETDEL`` (Redis >=
6.2); of two concurrent consumers exactly one gets the value. :meth:`RedisOfferStore.redeem` is
one Lua script (:data:`REDEEM_SCRIPT`) that checks the tx_code digest, uses up an attempt or
deletes the grant and its offer — and, for :meth:`RedisOfferStore.redeem_for_token`, writes the
access token the code buys; Redis runs a script without interleaving other commands. The
script reaches the offer through the key stored in the grant, so it needs one Redis (or a
primary with replicas), not Redis Cluster.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from redis import Redis
from redis.client import Pipeline

from mcred.storage.bridge_json import (
    access_token_from_json,
    access_token_to_json,
    deferred_from_json,
    deferred_to_json,
    offer_from_json,
    offer_to_json,
)
from wallet_bridge.memory import (
    Clock,
    consume_then_put_notification,
    redeem_then_put_token,
    system_clock,
)
from wallet_bridge.ports import (
    AccessToken,
    AccessTokenStore,
    DeferredTransaction,
    NotificationStore,
    Offer,
    PreAuthorizedGrant,
    RedeemOutcome,
    RedeemResult,
)

__all__ = [
    "DEFAULT_KEY_PREFIX",
    "DEPLOYMENT_PREFIX",
    "REDEEM_SCRIPT",
    "SUB_PREFIX",
    "RedisAccessTokenStore",
    "RedisDeferredStore",
    "RedisNonceStore",
    "RedisNotificationStore",
    "RedisOfferStore",
]

DEPLOYMENT_PREFIX = "mcred:"
"""The default ``MCRED_REDIS_KEY_PREFIX``: every key mcred writes starts with it."""
SUB_PREFIX = "oid4vci:"
"""What follows the deployment's prefix in every key of these stores."""
DEFAULT_KEY_PREFIX = DEPLOYMENT_PREFIX + SUB_PREFIX

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

REDEEM_SCRIPT = """
-- KEYS[1] the grant hash, KEYS[2] (optional) the key of the access token to write on success
-- ARGV[1] now (epoch µs); ARGV[2] '1' when a tx_code was sent, ARGV[3] its digest ('' when the
-- tx_code was empty); ARGV[4] the access token, ARGV[5] its expires_at, ARGV[6] its TTL (ms)
local grant = redis.call('HMGET', KEYS[1], 'grant', 'expires_us', 'digest', 'attempts', 'offer_key')
if not grant[1] or tonumber(grant[2]) <= tonumber(ARGV[1]) then
  return {'unknown'}
end
if not grant[3] then
  if ARGV[2] == '1' then
    return {'tx_code_unexpected'}
  end
elseif ARGV[2] ~= '1' or ARGV[3] == '' then
  return {'tx_code_required'}
elseif grant[3] ~= ARGV[3] then
  local left = redis.call('HINCRBY', KEYS[1], 'attempts', -1)
  if left <= 0 then
    redis.call('DEL', KEYS[1], grant[5])
    return {'burnt'}
  end
  return {'wrong_tx_code', grant[1], left}
end
redis.call('DEL', KEYS[1], grant[5])
if KEYS[2] then
  if tonumber(ARGV[6]) > 0 then
    local redeemed = cjson.decode(grant[1])
    local token = cjson.encode({
      token = ARGV[4],
      credential_id = redeemed['credential_id'],
      configuration_ids = redeemed['configuration_ids'],
      expires_at = ARGV[5],
    })
    redis.call('SET', KEYS[2], token, 'PX', ARGV[6])
  else
    redis.call('DEL', KEYS[2])
  end
end
return {'redeemed', grant[1], tonumber(grant[4])}
"""
"""Redeem a pre-authorized code atomically (the digest comparison is not constant-time: a
digest is SHA-256 over the secret code and the PIN, so timing tells nothing usable), and write
the access token it buys (the JSON of :func:`~mcred.storage.bridge_json.access_token_to_json`,
from the grant's credential and configurations) when KEYS[2] is given."""


def _ttl_ms(expires_at: datetime, now: datetime) -> int:
    """Milliseconds from ``now`` to ``expires_at``, rounded up (0 or less: already dead)."""
    return math.ceil((expires_at - now) / timedelta(milliseconds=1))


def _epoch_us(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _put(client: Redis, key: str, value: str, expires_at: datetime, now: datetime) -> None:
    """``SET key value PX ttl``; a record that is already dead replaces (deletes) the old one."""
    ttl = _ttl_ms(expires_at, now)
    if ttl > 0:
        client.set(key, value, px=ttl)
    else:
        client.delete(key)


class _RedisStore:
    def __init__(
        self,
        client: Redis,
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        clock: Clock = system_clock,
    ) -> None:
        self._client = client
        self._prefix = key_prefix
        self._clock = clock

    def _key(self, kind: str, name: str) -> str:
        return f"{self._prefix}{kind}:{name}"


# --- offers and pre-authorized code grants ---------------------------------------------------


def _grant_json(grant: PreAuthorizedGrant) -> str:
    return json.dumps(
        {
            "code": grant.code,
            "offer_id": grant.offer_id,
            "credential_id": grant.credential_id,
            "configuration_ids": list(grant.configuration_ids),
            "tx_code_digest": grant.tx_code_digest,
            "expires_at": grant.expires_at.isoformat(),
        }
    )


def _grant(raw: bytes | str, attempts_left: int) -> PreAuthorizedGrant:
    value = json.loads(raw)
    return PreAuthorizedGrant(
        code=value["code"],
        offer_id=value["offer_id"],
        credential_id=value["credential_id"],
        configuration_ids=tuple(value["configuration_ids"]),
        tx_code_digest=value["tx_code_digest"],
        attempts_left=attempts_left,
        expires_at=datetime.fromisoformat(value["expires_at"]),
    )


class RedisOfferStore(_RedisStore):
    """Offers and their grants; :meth:`redeem` is one Lua script (:data:`REDEEM_SCRIPT`)."""

    def __init__(
        self,
        client: Redis,
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        clock: Clock = system_clock,
    ) -> None:
        super().__init__(client, key_prefix=key_prefix, clock=clock)
        self._redeem = client.register_script(REDEEM_SCRIPT)

    def put(self, offer: Offer, grant: PreAuthorizedGrant) -> None:
        self.put_many([(offer, grant)])

    def put_many(self, offers: Sequence[tuple[Offer, PreAuthorizedGrant]]) -> None:
        """One ``MULTI``/``EXEC`` pipeline for all of them."""
        if not offers:
            return
        now = self._clock()
        with self._client.pipeline(transaction=True) as pipe:
            for offer, grant in offers:
                self._queue_put(pipe, offer, grant, now)
            pipe.execute()

    def _queue_put(
        self, pipe: Pipeline, offer: Offer, grant: PreAuthorizedGrant, now: datetime
    ) -> None:
        offer_key = self._key("offer", offer.offer_id)
        grant_key = self._key("grant", grant.code)
        grant_ttl = _ttl_ms(grant.expires_at, now)
        fields: dict[str, str | int] = {
            "grant": _grant_json(grant),
            "attempts": grant.attempts_left,
            "expires_us": _epoch_us(grant.expires_at),
            "offer_key": self._key("offer", grant.offer_id),
        }
        if grant.tx_code_digest is not None:
            fields["digest"] = grant.tx_code_digest
        offer_ttl = _ttl_ms(offer.expires_at, now)
        if offer_ttl > 0:
            pipe.set(offer_key, json.dumps(offer_to_json(offer)), px=offer_ttl)
        else:
            pipe.delete(offer_key)
        pipe.delete(grant_key)
        if grant_ttl > 0:
            pipe.hset(grant_key, mapping=fields)  # type: ignore[arg-type]
            pipe.pexpire(grant_key, grant_ttl)

    def get_offer(self, offer_id: str) -> Offer | None:
        raw = self._client.get(self._key("offer", offer_id))
        if raw is None:
            return None
        offer = offer_from_json(json.loads(raw))
        return None if offer.expires_at <= self._clock() else offer

    def peek_grant(self, code: str) -> PreAuthorizedGrant | None:
        raw, attempts = self._client.hmget(self._key("grant", code), ["grant", "attempts"])
        if raw is None or attempts is None:
            return None
        grant = _grant(raw, int(attempts))
        return None if grant.expires_at <= self._clock() else grant

    def redeem(self, code: str, tx_code_digest: str | None) -> RedeemResult:
        return self._run_redeem([self._key("grant", code)], self._redeem_args(tx_code_digest))

    def redeem_for_token(
        self,
        code: str,
        tx_code_digest: str | None,
        *,
        token: str,
        expires_at: datetime,
        tokens: AccessTokenStore,
    ) -> RedeemResult:
        """One script run: the code redeemed and the token written (when ``tokens`` is a
        :class:`RedisAccessTokenStore` on the same client)."""
        if not (isinstance(tokens, RedisAccessTokenStore) and tokens._client is self._client):
            return redeem_then_put_token(
                self, code, tx_code_digest, token=token, expires_at=expires_at, tokens=tokens
            )
        args = self._redeem_args(tx_code_digest)
        args += [token, expires_at.isoformat(), _ttl_ms(expires_at, self._clock())]
        return self._run_redeem([self._key("grant", code), tokens._key("token", token)], args)

    def _redeem_args(self, tx_code_digest: str | None) -> list[str | int]:
        return [
            _epoch_us(self._clock()),
            "0" if tx_code_digest is None else "1",
            tx_code_digest or "",
        ]

    def _run_redeem(self, keys: list[str], args: list[str | int]) -> RedeemResult:
        reply: list[Any] = self._redeem(keys=keys, args=args)
        outcome = RedeemOutcome(_text(reply[0]))
        if outcome in (RedeemOutcome.WRONG_TX_CODE, RedeemOutcome.REDEEMED):
            return RedeemResult(outcome, _grant(reply[1], int(reply[2])))
        return RedeemResult(outcome)


# --- access tokens, nonces, notification ids -------------------------------------------------


class RedisAccessTokenStore(_RedisStore):
    def put(self, token: AccessToken) -> None:
        value = json.dumps(access_token_to_json(token))
        _put(self._client, self._key("token", token.token), value, token.expires_at, self._clock())

    def get(self, token: str) -> AccessToken | None:
        raw = self._client.get(self._key("token", token))
        if raw is None:
            return None
        found = access_token_from_json(json.loads(raw))
        return None if found.expires_at <= self._clock() else found


class RedisNonceStore(_RedisStore):
    def put(self, nonce: str, expires_at: datetime) -> None:
        key = self._key("nonce", nonce)
        _put(self._client, key, expires_at.isoformat(), expires_at, self._clock())

    def consume(self, nonce: str) -> bool:
        raw = self._client.getdel(self._key("nonce", nonce))
        return raw is not None and datetime.fromisoformat(_text(raw)) > self._clock()

    def consume_with_notification(
        self,
        nonces: Sequence[str],
        *,
        notifications: NotificationStore,
        notification_id: str,
        credential_id: str,
        expires_at: datetime,
    ) -> bool:
        """``GETDEL`` each nonce, then ``SET`` the notification id, one command after the other:
        a nonce's liveness is checked against this store's clock, in Python, between them (two
        round trips, as consuming and putting separately)."""
        return consume_then_put_notification(
            self,
            nonces,
            notifications=notifications,
            notification_id=notification_id,
            credential_id=credential_id,
            expires_at=expires_at,
        )


class RedisNotificationStore(_RedisStore):
    def put(self, notification_id: str, credential_id: str, expires_at: datetime) -> None:
        value = json.dumps({"credential_id": credential_id, "expires_at": expires_at.isoformat()})
        key = self._key("notification", notification_id)
        _put(self._client, key, value, expires_at, self._clock())

    def credential_of(self, notification_id: str) -> str | None:
        raw = self._client.get(self._key("notification", notification_id))
        if raw is None:
            return None
        value = json.loads(raw)
        if datetime.fromisoformat(value["expires_at"]) <= self._clock():
            return None
        credential_id: str = value["credential_id"]
        return credential_id


# --- deferred transactions -------------------------------------------------------------------


class RedisDeferredStore(_RedisStore):
    def put(self, transaction: DeferredTransaction) -> None:
        key = self._key("deferred", transaction.transaction_id)
        value = json.dumps(deferred_to_json(transaction))
        _put(self._client, key, value, transaction.expires_at, self._clock())

    def get(self, transaction_id: str) -> DeferredTransaction | None:
        return self._live(self._client.get(self._key("deferred", transaction_id)))

    def take(self, transaction_id: str) -> DeferredTransaction | None:
        return self._live(self._client.getdel(self._key("deferred", transaction_id)))

    def _live(self, raw: bytes | str | None) -> DeferredTransaction | None:
        if raw is None:
            return None
        found = deferred_from_json(json.loads(raw))
        return None if found.expires_at <= self._clock() else found
