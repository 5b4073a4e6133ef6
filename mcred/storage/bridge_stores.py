"""Where the wallet bridge and the OpenID4VP verifier keep their short-lived state: Redis when
configured, else SQL.

Either way the state is shared by every worker and every instance behind a load balancer: an
offer made by one is redeemed at another, and a code, ``c_nonce`` or deferred transaction is used
once across all of them; a presentation request created by one is fetched and answered (once) at
another. :func:`build_bridge_stores` picks the backend from ``MCRED_REDIS_URL``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Engine

from mcred.storage.presentation_records import DEFAULT_RETENTION
from mcred.storage.redis_bridge import (
    DEPLOYMENT_PREFIX,
    RedisAccessTokenStore,
    RedisDeferredStore,
    RedisNonceStore,
    RedisNotificationStore,
    RedisOfferStore,
)
from mcred.storage.redis_bridge import SUB_PREFIX as BRIDGE_SUB_PREFIX
from mcred.storage.redis_presentations import SUB_PREFIX, RedisPresentationRequestStore
from mcred.storage.sql_bridge import (
    SqlAccessTokenStore,
    SqlDeferredStore,
    SqlNonceStore,
    SqlNotificationStore,
    SqlOfferStore,
)
from mcred.storage.sql_presentations import SqlPresentationRequestStore
from verifier.openid4vp.memory import InMemoryPresentationRequestStore
from verifier.openid4vp.ports import PresentationRequestStore
from wallet_bridge.memory import Clock, system_clock
from wallet_bridge.ports import (
    AccessTokenStore,
    DeferredStore,
    NonceStore,
    NotificationStore,
    OfferStore,
)

__all__ = ["BridgeStores", "RedisUnavailable", "build_bridge_stores"]

_REDIS_TIMEOUT_S = 5.0
"""Connect and socket timeouts unless the URL sets its own (``?socket_timeout=…``)."""


class RedisUnavailable(RuntimeError):
    """``MCRED_REDIS_URL`` is set but Redis does not answer at start."""


@dataclass(frozen=True)
class BridgeStores:
    """The five stores a :class:`wallet_bridge.service.WalletBridge` needs and the request store
    of :class:`verifier.openid4vp.service.PresentationRequests`, on one backend."""

    offers: OfferStore
    tokens: AccessTokenStore
    nonces: NonceStore
    notifications: NotificationStore
    deferred: DeferredStore
    presentation_requests: PresentationRequestStore = field(
        default_factory=InMemoryPresentationRequestStore
    )
    """OpenID4VP presentation requests (in memory only when built by hand, e.g. in tests)."""
    redis: Redis | None = None
    """The Redis client the stores share (None on SQL): :meth:`close` closes it."""

    def close(self) -> None:
        if self.redis is not None:
            self.redis.close()


def build_bridge_stores(
    redis_url: str | None,
    engine: Engine,
    *,
    key_prefix: str = DEPLOYMENT_PREFIX,
    clock: Clock = system_clock,
    presentation_retention: timedelta = DEFAULT_RETENTION,
) -> BridgeStores:
    """Redis stores (the wallet bridge's keys under ``key_prefix`` + ``oid4vci:``, the
    presentation requests' under ``key_prefix`` + ``oid4vp:``) when ``redis_url`` is given, else
    SQL stores on ``engine`` (whose schema :func:`mcred.storage.sql.upgrade_database` has
    migrated). Presentation requests are kept ``presentation_retention`` after they expire.

    Raises :class:`RedisUnavailable` when Redis does not answer a ``PING`` (fail at start, not
    at the first wallet).
    """
    if redis_url is None:
        return BridgeStores(
            offers=SqlOfferStore(engine, clock),
            tokens=SqlAccessTokenStore(engine, clock),
            nonces=SqlNonceStore(engine, clock),
            notifications=SqlNotificationStore(engine, clock),
            deferred=SqlDeferredStore(engine, clock),
            presentation_requests=SqlPresentationRequestStore(
                engine, retention=presentation_retention, clock=clock
            ),
        )
    client = Redis.from_url(
        redis_url, socket_connect_timeout=_REDIS_TIMEOUT_S, socket_timeout=_REDIS_TIMEOUT_S
    )
    try:
        client.ping()
    except RedisError as exc:
        client.close()
        where = client.get_connection_kwargs()
        raise RedisUnavailable(
            f"MCRED_REDIS_URL: Redis at {where.get('host')}:{where.get('port')} does not answer "
            f"({type(exc).__name__})"
        ) from None
    bridge_prefix = key_prefix + BRIDGE_SUB_PREFIX
    return BridgeStores(
        offers=RedisOfferStore(client, key_prefix=bridge_prefix, clock=clock),
        tokens=RedisAccessTokenStore(client, key_prefix=bridge_prefix, clock=clock),
        nonces=RedisNonceStore(client, key_prefix=bridge_prefix, clock=clock),
        notifications=RedisNotificationStore(client, key_prefix=bridge_prefix, clock=clock),
        deferred=RedisDeferredStore(client, key_prefix=bridge_prefix, clock=clock),
        presentation_requests=RedisPresentationRequestStore(
            client,
            key_prefix=key_prefix + SUB_PREFIX,
            retention=presentation_retention,
            clock=clock,
        ),
        redis=client,
    )
