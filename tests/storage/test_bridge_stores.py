"""One contract for the wallet bridge's stores, in memory, SQLite, PostgreSQL and Redis.

Every backend runs on a fake clock: the SQL stores compare ``expires_at`` with it, the Redis
stores derive their key TTLs from it and compare the stored ``expires_at`` with it, so expiry is
tested without sleeping. Single use is tested under thread contention here and across OS
processes (one database or one Redis, several workers) at the end.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pytest
from redis import Redis
from sqlalchemy import Engine, func, select

from mcred.settings import Settings
from mcred.storage.bridge_stores import BridgeStores, build_bridge_stores
from mcred.storage.redis_bridge import DEFAULT_KEY_PREFIX
from mcred.storage.sql import create_engine_for
from mcred.storage.tables import (
    Oid4vciAccessTokenRow,
    Oid4vciGrantRow,
    Oid4vciNonceRow,
    Oid4vciNotificationRow,
    Oid4vciOfferRow,
)
from tests.storage import _bridge_workers
from tests.storage.conftest import SQL_BACKENDS, database_url
from tests.wallet_bridge.wallet import Bridge as WiredBridge
from tests.wallet_bridge.wallet import FakeClock, Wallet, make_bridge
from vc_core.dids import did_key_from_public_key
from vc_core.keys import KeyType, PrivateKey
from wallet_bridge.memory import (
    InMemoryAccessTokenStore,
    InMemoryDeferredStore,
    InMemoryNonceStore,
    InMemoryNotificationStore,
    InMemoryOfferStore,
)
from wallet_bridge.metadata import SD_JWT_CONFIGURATION_ID
from wallet_bridge.ports import (
    AccessToken,
    DeferredTransaction,
    HolderKey,
    Offer,
    PreAuthorizedGrant,
    RedeemOutcome,
    RedeemResult,
)

T = TypeVar("T")
PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"

BRIDGE_BACKENDS = [
    "memory",
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.services),
    pytest.param("redis", marks=pytest.mark.services),
]
RIGHT, WRONG = "a" * 64, "b" * 64
THREADS = 8
ROUNDS = 10


@dataclass
class Bridge:
    name: str
    stores: BridgeStores
    clock: FakeClock
    engine: Engine | None = None
    redis: Redis | None = None
    prefix: str = ""


def _bridge(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bridge]:
    clock = FakeClock()
    if name == "memory":
        memory = BridgeStores(
            offers=InMemoryOfferStore(clock),
            tokens=InMemoryAccessTokenStore(clock),
            nonces=InMemoryNonceStore(clock),
            notifications=InMemoryNotificationStore(clock),
            deferred=InMemoryDeferredStore(clock),
        )
        yield Bridge("memory", memory, clock)
        return
    if name == "redis":
        client, prefix = request.getfixturevalue("redis_prefix")
        url = request.getfixturevalue("redis_url")
        engine = create_engine_for("sqlite://")  # unused: the stores are all in Redis
        stores = build_bridge_stores(url, engine, key_prefix=prefix, clock=clock)
        try:
            yield Bridge("redis", stores, clock, redis=client, prefix=prefix)
        finally:
            stores.close()
            engine.dispose()
        return
    engine = create_engine_for(database_url(name, request, tmp_path))
    try:
        yield Bridge(name, build_bridge_stores(None, engine, clock=clock), clock, engine)
    finally:
        engine.dispose()


@pytest.fixture(params=BRIDGE_BACKENDS)
def bridge(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bridge]:
    yield from _bridge(request.param, request, tmp_path)


@pytest.fixture(params=SQL_BACKENDS)
def sql_bridge(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bridge]:
    yield from _bridge(request.param, request, tmp_path)


@pytest.fixture
def redis_bridge(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bridge]:
    yield from _bridge("redis", request, tmp_path)


def _offer(
    clock: FakeClock,
    *,
    code: str = "code-1",
    offer_id: str = "offer-1",
    digest: str | None = RIGHT,
    attempts: int = 3,
    ttl: timedelta = timedelta(minutes=5),
) -> tuple[Offer, PreAuthorizedGrant]:
    expires = clock() + ttl
    offer = Offer(
        offer_id,
        "cred-1",
        {"credential_issuer": "https://issuer.example", "grants": {"x": {"code": code}}},
        expires,
    )
    grant = PreAuthorizedGrant(
        code, offer_id, "cred-1", ("cfg-a", "cfg-b"), digest, attempts, expires
    )
    return offer, grant


def _holder(key_type: KeyType) -> HolderKey:
    public = PrivateKey.generate(key_type).public_key
    return HolderKey(did_key_from_public_key(public), public.to_jwk(), public)


def _transaction(clock: FakeClock, transaction_id: str = "tx-1") -> DeferredTransaction:
    return DeferredTransaction(
        transaction_id,
        "cred-1",
        "cfg-a",
        (_holder(KeyType.ED25519), _holder(KeyType.P256)),
        "access-1",
        clock() + timedelta(minutes=10),
    )


def _contend(operation: Callable[[str], T], key: str) -> list[T]:
    """``operation(key)`` run by THREADS threads at once (they start together at a barrier)."""
    return _contend_each(operation, [key] * THREADS)


def _contend_each(operation: Callable[[str], T], keys: list[str]) -> list[T]:
    """``operation(keys[i])`` run by thread ``i`` of THREADS, all at once: the results in order."""
    assert len(keys) == THREADS
    start = threading.Barrier(THREADS)

    def run(key: str) -> T:
        start.wait(timeout=30)
        return operation(key)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(run, key) for key in keys]
        return [future.result() for future in futures]


# --- round trips -----------------------------------------------------------------------------


def test_an_offer_and_its_grant_round_trip(bridge: Bridge) -> None:
    offer, grant = _offer(bridge.clock)
    bridge.stores.offers.put(offer, grant)
    assert bridge.stores.offers.get_offer("offer-1") == offer
    assert bridge.stores.offers.peek_grant("code-1") == grant
    assert bridge.stores.offers.peek_grant("code-1") == grant  # peeking changes nothing
    assert bridge.stores.offers.get_offer("offer-2") is None
    assert bridge.stores.offers.peek_grant("code-2") is None


def test_many_offers_are_put_at_once(bridge: Bridge) -> None:
    # more than one INSERT's worth (PUT_BATCH) in the SQL stores, one pipeline in Redis
    pairs = [
        _offer(
            bridge.clock, code=f"code-{n}", offer_id=f"offer-{n}", digest=None if n % 7 else RIGHT
        )
        for n in range(250)
    ]
    bridge.stores.offers.put_many(pairs)
    bridge.stores.offers.put_many([])
    for offer, grant in pairs:
        assert bridge.stores.offers.get_offer(offer.offer_id) == offer
        assert bridge.stores.offers.peek_grant(grant.code) == grant
    assert bridge.stores.offers.redeem("code-7", RIGHT).outcome is RedeemOutcome.REDEEMED
    assert bridge.stores.offers.redeem("code-8", None).outcome is RedeemOutcome.REDEEMED
    assert bridge.stores.offers.get_offer("offer-9") == pairs[9][0]


def test_tokens_notifications_and_nonces_round_trip(bridge: Bridge) -> None:
    expires = bridge.clock() + timedelta(minutes=5)
    token = AccessToken("token-1", "cred-1", ("cfg-a",), expires)
    bridge.stores.tokens.put(token)
    assert bridge.stores.tokens.get("token-1") == token
    assert bridge.stores.tokens.get("token-2") is None

    bridge.stores.notifications.put("note-1", "cred-1", expires)
    assert bridge.stores.notifications.credential_of("note-1") == "cred-1"
    assert bridge.stores.notifications.credential_of("note-2") is None

    bridge.stores.nonces.put("nonce-1", expires)
    assert bridge.stores.nonces.consume("nonce-2") is False
    assert bridge.stores.nonces.consume("nonce-1") is True
    assert bridge.stores.nonces.consume("nonce-1") is False


def test_a_second_put_replaces_the_first(bridge: Bridge) -> None:
    expires = bridge.clock() + timedelta(minutes=5)
    bridge.stores.tokens.put(AccessToken("token-1", "cred-1", ("cfg-a",), expires))
    replaced = AccessToken("token-1", "cred-2", ("cfg-b",), expires + timedelta(minutes=1))
    bridge.stores.tokens.put(replaced)
    assert bridge.stores.tokens.get("token-1") == replaced


def test_a_deferred_transaction_keeps_its_holder_keys(bridge: Bridge) -> None:
    transaction = _transaction(bridge.clock)
    bridge.stores.deferred.put(transaction)
    found = bridge.stores.deferred.get("tx-1")
    assert found == transaction
    assert [h.public_key for h in found.holders] == [h.public_key for h in transaction.holders]
    assert [h.public_key.key_type for h in found.holders] == [KeyType.ED25519, KeyType.P256]
    assert bridge.stores.deferred.get("tx-1") == transaction  # get does not consume
    assert bridge.stores.deferred.take("tx-1") == transaction
    assert bridge.stores.deferred.get("tx-1") is None
    assert bridge.stores.deferred.take("tx-1") is None
    assert bridge.stores.deferred.take("tx-2") is None


# --- expiry ----------------------------------------------------------------------------------


def test_every_record_dies_at_its_expiry_instant(bridge: Bridge) -> None:
    stores, clock = bridge.stores, bridge.clock
    ttl = timedelta(minutes=1)
    expires = clock() + ttl
    stores.offers.put(*_offer(clock, ttl=ttl))
    stores.tokens.put(AccessToken("token-1", "cred-1", ("cfg-a",), expires))
    stores.nonces.put("nonce-1", expires)
    stores.nonces.put("nonce-2", expires)
    stores.notifications.put("note-1", "cred-1", expires)
    stores.deferred.put(_transaction(clock))  # lives 10 minutes

    clock.advance(ttl - timedelta(microseconds=1))
    assert stores.offers.get_offer("offer-1") is not None
    assert stores.offers.peek_grant("code-1") is not None
    assert stores.tokens.get("token-1") is not None
    assert stores.nonces.consume("nonce-1") is True
    assert stores.notifications.credential_of("note-1") == "cred-1"

    clock.advance(timedelta(microseconds=1))  # now == expires_at: dead
    assert stores.offers.get_offer("offer-1") is None
    assert stores.offers.peek_grant("code-1") is None
    assert stores.offers.redeem("code-1", RIGHT).outcome is RedeemOutcome.UNKNOWN
    assert stores.tokens.get("token-1") is None
    assert stores.nonces.consume("nonce-2") is False
    assert stores.notifications.credential_of("note-1") is None
    assert stores.deferred.get("tx-1") is not None

    clock.advance(timedelta(minutes=9))
    assert stores.deferred.get("tx-1") is None
    assert stores.deferred.take("tx-1") is None


def test_a_record_put_already_expired_is_never_found(bridge: Bridge) -> None:
    stores, clock = bridge.stores, bridge.clock
    stores.nonces.put("nonce-1", clock() + timedelta(minutes=1))
    stores.nonces.put("nonce-1", clock() - timedelta(seconds=1))  # replaces the live one
    assert stores.nonces.consume("nonce-1") is False
    stores.offers.put(*_offer(clock, ttl=timedelta(0)))
    assert stores.offers.get_offer("offer-1") is None
    assert stores.offers.redeem("code-1", RIGHT).outcome is RedeemOutcome.UNKNOWN


# --- redeeming pre-authorized codes ----------------------------------------------------------


def test_a_redeemed_grant_is_gone_with_its_offer(bridge: Bridge) -> None:
    offer, grant = _offer(bridge.clock)
    bridge.stores.offers.put(offer, grant)
    result = bridge.stores.offers.redeem("code-1", RIGHT)
    assert result.outcome is RedeemOutcome.REDEEMED
    assert result.grant == grant
    assert bridge.stores.offers.get_offer("offer-1") is None
    assert bridge.stores.offers.peek_grant("code-1") is None
    assert bridge.stores.offers.redeem("code-1", RIGHT).outcome is RedeemOutcome.UNKNOWN


def test_a_grant_without_tx_code_is_redeemed_without_one(bridge: Bridge) -> None:
    bridge.stores.offers.put(*_offer(bridge.clock, digest=None))
    result = bridge.stores.offers.redeem("code-1", None)
    assert result.outcome is RedeemOutcome.REDEEMED
    assert result.grant is not None
    assert result.grant.tx_code_digest is None


def test_wrong_digests_use_up_attempts_then_burn_the_code(bridge: Bridge) -> None:
    offer, grant = _offer(bridge.clock, attempts=3)
    bridge.stores.offers.put(offer, grant)

    first = bridge.stores.offers.redeem("code-1", WRONG)
    assert first.outcome is RedeemOutcome.WRONG_TX_CODE
    assert first.grant is not None
    assert first.grant.attempts_left == 2
    assert bridge.stores.offers.peek_grant("code-1") == first.grant
    assert bridge.stores.offers.get_offer("offer-1") == offer

    second = bridge.stores.offers.redeem("code-1", "c" * 64)
    assert second.outcome is RedeemOutcome.WRONG_TX_CODE
    assert second.grant is not None
    assert second.grant.attempts_left == 1

    assert bridge.stores.offers.redeem("code-1", WRONG).outcome is RedeemOutcome.BURNT
    assert bridge.stores.offers.peek_grant("code-1") is None
    assert bridge.stores.offers.get_offer("offer-1") is None
    assert bridge.stores.offers.redeem("code-1", RIGHT).outcome is RedeemOutcome.UNKNOWN


@pytest.mark.parametrize("missing", [None, ""], ids=["no tx_code", "empty tx_code"])
def test_a_missing_tx_code_is_refused_without_using_an_attempt(
    bridge: Bridge, missing: str | None
) -> None:
    offer, grant = _offer(bridge.clock, attempts=1)
    bridge.stores.offers.put(offer, grant)
    for _ in range(3):
        result = bridge.stores.offers.redeem("code-1", missing)
        assert result == RedeemResult(RedeemOutcome.TX_CODE_REQUIRED)
    assert bridge.stores.offers.peek_grant("code-1") == grant
    assert bridge.stores.offers.get_offer("offer-1") == offer
    assert bridge.stores.offers.redeem("code-1", RIGHT).outcome is RedeemOutcome.REDEEMED


@pytest.mark.parametrize("sent", [RIGHT, ""], ids=["a tx_code", "an empty tx_code"])
def test_a_tx_code_for_a_grant_without_one_is_refused_and_changes_nothing(
    bridge: Bridge, sent: str
) -> None:
    offer, grant = _offer(bridge.clock, digest=None)
    bridge.stores.offers.put(offer, grant)
    assert bridge.stores.offers.redeem("code-1", sent) == RedeemResult(
        RedeemOutcome.TX_CODE_UNEXPECTED
    )
    assert bridge.stores.offers.peek_grant("code-1") == grant
    assert bridge.stores.offers.get_offer("offer-1") == offer
    assert bridge.stores.offers.redeem("code-1", None).outcome is RedeemOutcome.REDEEMED


def test_an_unknown_code_is_unknown_whatever_the_tx_code(bridge: Bridge) -> None:
    bridge.stores.offers.put(*_offer(bridge.clock))
    for sent in (None, "", RIGHT, WRONG):
        assert bridge.stores.offers.redeem("code-2", sent) == RedeemResult(RedeemOutcome.UNKNOWN)
    assert bridge.stores.offers.peek_grant("code-1") is not None


def test_a_right_digest_after_a_wrong_one_returns_the_remaining_attempts(bridge: Bridge) -> None:
    bridge.stores.offers.put(*_offer(bridge.clock, attempts=3))
    bridge.stores.offers.redeem("code-1", WRONG)
    result = bridge.stores.offers.redeem("code-1", RIGHT)
    assert result.outcome is RedeemOutcome.REDEEMED
    assert result.grant is not None
    assert result.grant.attempts_left == 2


def test_other_offers_are_untouched(bridge: Bridge) -> None:
    bridge.stores.offers.put(*_offer(bridge.clock))
    other_offer, other_grant = _offer(bridge.clock, code="code-2", offer_id="offer-2")
    bridge.stores.offers.put(other_offer, other_grant)
    assert bridge.stores.offers.redeem("code-1", RIGHT).outcome is RedeemOutcome.REDEEMED
    assert bridge.stores.offers.get_offer("offer-2") == other_offer
    assert bridge.stores.offers.peek_grant("code-2") == other_grant


# --- the combined steps: a code redeemed for a token, nonces consumed with a notification id ----


def _redeem_for_token(
    bridge: Bridge, code: str, digest: str | None, bought: str = "token-1"
) -> RedeemResult:
    return bridge.stores.offers.redeem_for_token(
        code,
        digest,
        token=bought,
        expires_at=bridge.clock() + timedelta(minutes=2),
        tokens=bridge.stores.tokens,
    )


def test_a_redeemed_code_stores_the_access_token_it_buys(bridge: Bridge) -> None:
    offer, grant = _offer(bridge.clock)
    bridge.stores.offers.put(offer, grant)
    result = _redeem_for_token(bridge, "code-1", RIGHT)
    assert result == RedeemResult(RedeemOutcome.REDEEMED, grant)
    expires = bridge.clock() + timedelta(minutes=2)
    assert bridge.stores.tokens.get("token-1") == AccessToken(
        "token-1", "cred-1", ("cfg-a", "cfg-b"), expires
    )
    assert bridge.stores.offers.get_offer("offer-1") is None
    assert _redeem_for_token(bridge, "code-1", RIGHT, "token-2").outcome is RedeemOutcome.UNKNOWN
    assert bridge.stores.tokens.get("token-2") is None
    bridge.clock.advance(timedelta(minutes=2))
    assert bridge.stores.tokens.get("token-1") is None


# (what is sent, the grant's digest, the outcome): none of them stores a token
NOT_REDEEMED = [
    pytest.param(WRONG, RIGHT, RedeemOutcome.WRONG_TX_CODE, id="wrong"),
    pytest.param(None, RIGHT, RedeemOutcome.TX_CODE_REQUIRED, id="missing"),
    pytest.param("", RIGHT, RedeemOutcome.TX_CODE_REQUIRED, id="empty"),
    pytest.param(RIGHT, None, RedeemOutcome.TX_CODE_UNEXPECTED, id="unexpected"),
]


@pytest.mark.parametrize(("sent", "digest", "outcome"), NOT_REDEEMED)
def test_a_code_not_redeemed_buys_no_token(
    bridge: Bridge, sent: str | None, digest: str | None, outcome: RedeemOutcome
) -> None:
    bridge.stores.offers.put(*_offer(bridge.clock, digest=digest, attempts=2))
    assert _redeem_for_token(bridge, "code-1", sent).outcome is outcome
    assert bridge.stores.tokens.get("token-1") is None
    assert _redeem_for_token(bridge, "code-2", sent).outcome is RedeemOutcome.UNKNOWN
    assert bridge.stores.tokens.get("token-1") is None


def test_a_burnt_code_buys_no_token(bridge: Bridge) -> None:
    bridge.stores.offers.put(*_offer(bridge.clock, attempts=1))
    assert _redeem_for_token(bridge, "code-1", WRONG).outcome is RedeemOutcome.BURNT
    assert bridge.stores.tokens.get("token-1") is None
    assert _redeem_for_token(bridge, "code-1", RIGHT).outcome is RedeemOutcome.UNKNOWN
    assert bridge.stores.tokens.get("token-1") is None


def test_a_token_already_dead_is_not_stored(bridge: Bridge) -> None:
    bridge.stores.offers.put(*_offer(bridge.clock))
    result = bridge.stores.offers.redeem_for_token(
        "code-1", RIGHT, token="token-1", expires_at=bridge.clock(), tokens=bridge.stores.tokens
    )
    assert result.outcome is RedeemOutcome.REDEEMED
    assert bridge.stores.tokens.get("token-1") is None


def test_a_token_store_of_another_backend_gets_the_token_after_the_redemption(
    bridge: Bridge,
) -> None:
    tokens = InMemoryAccessTokenStore(bridge.clock)
    bridge.stores.offers.put(*_offer(bridge.clock))
    expires = bridge.clock() + timedelta(minutes=1)
    result = bridge.stores.offers.redeem_for_token(
        "code-1", RIGHT, token="token-1", expires_at=expires, tokens=tokens
    )
    assert result.outcome is RedeemOutcome.REDEEMED
    assert tokens.get("token-1") == AccessToken("token-1", "cred-1", ("cfg-a", "cfg-b"), expires)
    if bridge.name != "memory":
        assert bridge.stores.tokens.get("token-1") is None


def _consume_with_notification(
    bridge: Bridge, nonces: list[str], notification_id: str = "note-1"
) -> bool:
    return bridge.stores.nonces.consume_with_notification(
        nonces,
        notifications=bridge.stores.notifications,
        notification_id=notification_id,
        credential_id="cred-1",
        expires_at=bridge.clock() + timedelta(minutes=3),
    )


def test_nonces_consumed_together_store_the_notification_id(bridge: Bridge) -> None:
    for nonce in ("nonce-1", "nonce-2"):
        bridge.stores.nonces.put(nonce, bridge.clock() + timedelta(minutes=1))
    assert _consume_with_notification(bridge, ["nonce-1", "nonce-2"]) is True
    assert bridge.stores.notifications.credential_of("note-1") == "cred-1"
    assert bridge.stores.nonces.consume("nonce-1") is False
    assert bridge.stores.nonces.consume("nonce-2") is False
    assert _consume_with_notification(bridge, ["nonce-1"], "note-2") is False
    assert bridge.stores.notifications.credential_of("note-2") is None
    bridge.clock.advance(timedelta(minutes=3))
    assert bridge.stores.notifications.credential_of("note-1") is None


def test_a_refused_nonce_stores_no_notification_id(bridge: Bridge) -> None:
    """The nonces before the refused one are consumed (as consuming them one by one would),
    the ones after it are not."""
    expires = bridge.clock() + timedelta(minutes=1)
    for nonce in ("nonce-1", "nonce-3"):
        bridge.stores.nonces.put(nonce, expires)
    assert _consume_with_notification(bridge, ["nonce-1", "nonce-2", "nonce-3"]) is False
    assert bridge.stores.notifications.credential_of("note-1") is None
    assert bridge.stores.nonces.consume("nonce-1") is False
    assert bridge.stores.nonces.consume("nonce-3") is True


def test_an_expired_nonce_stores_no_notification_id(bridge: Bridge) -> None:
    bridge.stores.nonces.put("nonce-1", bridge.clock() + timedelta(seconds=1))
    bridge.clock.advance(timedelta(seconds=1))
    assert _consume_with_notification(bridge, ["nonce-1"]) is False
    assert bridge.stores.notifications.credential_of("note-1") is None


def test_a_notification_store_of_another_backend_gets_the_id_after_the_nonces(
    bridge: Bridge,
) -> None:
    notifications = InMemoryNotificationStore(bridge.clock)
    bridge.stores.nonces.put("nonce-1", bridge.clock() + timedelta(minutes=1))
    assert bridge.stores.nonces.consume_with_notification(
        ["nonce-1"],
        notifications=notifications,
        notification_id="note-1",
        credential_id="cred-1",
        expires_at=bridge.clock() + timedelta(minutes=1),
    )
    assert notifications.credential_of("note-1") == "cred-1"
    if bridge.name != "memory":
        assert bridge.stores.notifications.credential_of("note-1") is None


# --- single use under thread contention ------------------------------------------------------


def test_a_code_is_redeemed_once_under_contention(bridge: Bridge) -> None:
    for n in range(ROUNDS):
        bridge.stores.offers.put(*_offer(bridge.clock, code=f"code-{n}", offer_id=f"offer-{n}"))
        outcomes = _contend(
            lambda code: bridge.stores.offers.redeem(code, RIGHT).outcome, f"code-{n}"
        )
        assert Counter(outcomes) == {RedeemOutcome.REDEEMED: 1, RedeemOutcome.UNKNOWN: THREADS - 1}


def test_a_code_buys_one_token_under_contention(bridge: Bridge) -> None:
    for n in range(ROUNDS):
        bridge.stores.offers.put(*_offer(bridge.clock, code=f"code-{n}", offer_id=f"offer-{n}"))
        tokens = [f"token-{n}-{t}" for t in range(THREADS)]
        outcomes = [
            result.outcome
            for result in _contend_each(
                partial(_redeem_for_token, bridge, f"code-{n}", RIGHT), tokens
            )
        ]
        assert Counter(outcomes) == {RedeemOutcome.REDEEMED: 1, RedeemOutcome.UNKNOWN: THREADS - 1}
        stored = [t for t in tokens if bridge.stores.tokens.get(t) is not None]
        assert stored == [tokens[outcomes.index(RedeemOutcome.REDEEMED)]]


def test_nonces_store_one_notification_id_under_contention(bridge: Bridge) -> None:
    for n in range(ROUNDS):
        bridge.stores.nonces.put(f"nonce-{n}", bridge.clock() + timedelta(minutes=1))
        ids = [f"note-{n}-{t}" for t in range(THREADS)]
        won = _contend_each(partial(_consume_with_notification, bridge, [f"nonce-{n}"]), ids)
        assert won.count(True) == 1
        stored = [i for i in ids if bridge.stores.notifications.credential_of(i) is not None]
        assert stored == [ids[won.index(True)]]


def test_concurrent_wrong_digests_each_use_one_attempt(bridge: Bridge) -> None:
    bridge.stores.offers.put(*_offer(bridge.clock, attempts=5))
    outcomes = _contend(lambda code: bridge.stores.offers.redeem(code, WRONG).outcome, "code-1")
    assert Counter(outcomes) == {
        RedeemOutcome.WRONG_TX_CODE: 4,
        RedeemOutcome.BURNT: 1,
        RedeemOutcome.UNKNOWN: THREADS - 5,
    }


def test_a_nonce_is_consumed_once_under_contention(bridge: Bridge) -> None:
    for n in range(ROUNDS):
        bridge.stores.nonces.put(f"nonce-{n}", bridge.clock() + timedelta(minutes=1))
        assert _contend(bridge.stores.nonces.consume, f"nonce-{n}").count(True) == 1


def test_a_deferred_transaction_is_taken_once_under_contention(bridge: Bridge) -> None:
    for n in range(ROUNDS):
        bridge.stores.deferred.put(_transaction(bridge.clock, f"tx-{n}"))
        taken = _contend(bridge.stores.deferred.take, f"tx-{n}")
        assert sum(found is not None for found in taken) == 1


# --- what only one backend has ---------------------------------------------------------------


def _count(engine: Engine, row: Any) -> int:
    with engine.connect() as connection:
        counted: int = connection.execute(select(func.count()).select_from(row)).scalar_one()
    return counted


def test_sql_puts_prune_expired_rows(sql_bridge: Bridge) -> None:
    bridge = sql_bridge
    assert bridge.engine is not None
    stores, clock = bridge.stores, bridge.clock
    for n in range(3):
        stores.nonces.put(f"old-{n}", clock() + timedelta(seconds=1))
    stores.offers.put(*_offer(clock, ttl=timedelta(seconds=1)))
    assert _count(bridge.engine, Oid4vciNonceRow) == 3
    clock.advance(timedelta(seconds=1))
    stores.nonces.put("new", clock() + timedelta(minutes=1))
    stores.offers.put(*_offer(clock, code="code-2", offer_id="offer-2"))
    assert _count(bridge.engine, Oid4vciNonceRow) == 1
    assert _count(bridge.engine, Oid4vciOfferRow) == 1
    assert _count(bridge.engine, Oid4vciGrantRow) == 1
    assert stores.nonces.consume("new") is True


def test_sql_combined_steps_prune_the_rows_they_write(sql_bridge: Bridge) -> None:
    bridge = sql_bridge
    assert bridge.engine is not None
    stores, clock = bridge.stores, bridge.clock
    stores.tokens.put(AccessToken("old", "cred-1", ("cfg-a",), clock() + timedelta(seconds=1)))
    stores.notifications.put("old", "cred-1", clock() + timedelta(seconds=1))
    clock.advance(timedelta(seconds=1))
    stores.offers.put(*_offer(clock))
    stores.nonces.put("nonce-1", clock() + timedelta(minutes=1))
    assert _count(bridge.engine, Oid4vciAccessTokenRow) == 1
    assert _count(bridge.engine, Oid4vciNotificationRow) == 1
    assert _redeem_for_token(bridge, "code-1", RIGHT).outcome is RedeemOutcome.REDEEMED
    assert _consume_with_notification(bridge, ["nonce-1"]) is True
    assert _count(bridge.engine, Oid4vciAccessTokenRow) == 1  # "old" pruned, "token-1" stored
    assert _count(bridge.engine, Oid4vciNotificationRow) == 1
    assert stores.tokens.get("token-1") is not None
    assert stores.notifications.credential_of("note-1") == "cred-1"


@pytest.mark.services
def test_redis_keys_carry_the_prefix_and_a_ttl(redis_bridge: Bridge) -> None:
    bridge = redis_bridge
    assert bridge.redis is not None
    client, prefix = bridge.redis, bridge.prefix
    ttl = timedelta(minutes=5)
    bridge.stores.offers.put(*_offer(bridge.clock, ttl=ttl))
    bridge.stores.nonces.put("nonce-1", bridge.clock() + ttl)
    bridge.stores.deferred.put(_transaction(bridge.clock))
    keys = sorted(key.decode() for key in client.scan_iter(match=f"{prefix}*"))
    assert keys == [
        f"{prefix}oid4vci:deferred:tx-1",
        f"{prefix}oid4vci:grant:code-1",
        f"{prefix}oid4vci:nonce:nonce-1",
        f"{prefix}oid4vci:offer:offer-1",
    ]
    for key in keys:
        limit = timedelta(minutes=10) if ":deferred:" in key else ttl
        assert 0 < client.pttl(key) <= limit / timedelta(milliseconds=1)
    bridge.stores.offers.redeem("code-1", RIGHT)
    assert client.exists(f"{prefix}oid4vci:grant:code-1", f"{prefix}oid4vci:offer:offer-1") == 0


@pytest.mark.services
def test_redis_writes_the_bought_token_under_the_prefix_with_its_ttl(redis_bridge: Bridge) -> None:
    bridge = redis_bridge
    assert bridge.redis is not None
    bridge.stores.offers.put(*_offer(bridge.clock))
    assert _redeem_for_token(bridge, "code-1", RIGHT).outcome is RedeemOutcome.REDEEMED
    keys = [key.decode() for key in bridge.redis.scan_iter(match=f"{bridge.prefix}*")]
    assert keys == [f"{bridge.prefix}oid4vci:token:token-1"]
    assert 0 < bridge.redis.pttl(keys[0]) <= timedelta(minutes=2) / timedelta(milliseconds=1)


def test_the_settings_default_to_the_stores_key_prefix() -> None:
    settings = Settings(_env_file=None)
    assert settings.redis_key_prefix + "oid4vci:" == DEFAULT_KEY_PREFIX == "mcred:oid4vci:"


# --- single use across OS processes ----------------------------------------------------------

WORKERS = 4
CODES = 20


def _race(
    tmp_path: Path, sql_url: str, redis_url: str | None, prefix: str, *, combined: bool
) -> None:
    """WORKERS processes go after the same codes and nonces: each is won exactly once (and,
    ``combined``, only the winner's access token or notification id is stored)."""
    engine = create_engine_for(sql_url)
    stores = build_bridge_stores(redis_url, engine, key_prefix=prefix)
    clock = FakeClock()
    clock.now = clock.now.replace(year=clock.now.year + 10)  # live for the real clock too
    codes = []
    for n in range(CODES):
        offer, grant = _offer(clock, code=f"code-{n}", offer_id=f"offer-{n}")
        stores.offers.put(offer, grant)
        stores.nonces.put(f"nonce-{n}", grant.expires_at)
        codes.append((grant.code, RIGHT))
    stores.close()
    engine.dispose()

    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WORKERS)
    jobs = [
        _bridge_workers.RaceJob(
            sql_url,
            redis_url,
            prefix,
            tuple(codes),
            tuple(f"nonce-{n}" for n in range(CODES)),
            tmp_path / f"worker-{n}.json",
            combined,
        )
        for n in range(WORKERS)
    ]
    processes = [context.Process(target=_bridge_workers.race, args=(job, start)) for job in jobs]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * WORKERS

    results = [json.loads(job.out.read_text(encoding="utf-8")) for job in jobs]
    for code, _ in codes:
        outcomes = Counter(result["redeem"][code] for result in results)
        assert outcomes == {"redeemed": 1, "unknown": WORKERS - 1}, code
    for n in range(CODES):
        assert sum(result["consume"][f"nonce-{n}"] for result in results) == 1
    if not combined:
        return
    engine = create_engine_for(sql_url)
    stores = build_bridge_stores(redis_url, engine, key_prefix=prefix)
    try:
        for code, _ in codes:
            stored = [
                job.out.stem
                for job in jobs
                if stores.tokens.get(f"{job.out.stem}:{code}") is not None
            ]
            won = [
                job.out.stem
                for job, result in zip(jobs, results, strict=True)
                if result["redeem"][code] == "redeemed"
            ]
            assert stored == won, code
        for n in range(CODES):
            nonce = f"nonce-{n}"
            stored = [
                job.out.stem
                for job in jobs
                if stores.notifications.credential_of(f"{job.out.stem}:{nonce}") == "cred-1"
            ]
            won = [
                job.out.stem
                for job, result in zip(jobs, results, strict=True)
                if result["consume"][nonce]
            ]
            assert stored == won, nonce
    finally:
        stores.close()
        engine.dispose()


COMBINED = pytest.mark.parametrize(
    "combined",
    [False, True],
    ids=["redeem, consume", "redeem_for_token, consume_with_notification"],
)


@COMBINED
@pytest.mark.parametrize("backend_name", SQL_BACKENDS)
def test_processes_redeem_each_code_once_in_sql(
    backend_name: str, combined: bool, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    _race(tmp_path, database_url(backend_name, request, tmp_path), None, "", combined=combined)


@COMBINED
@pytest.mark.services
def test_processes_redeem_each_code_once_in_redis(
    combined: bool, redis_url: str, redis_prefix: tuple[Redis, str], tmp_path: Path
) -> None:
    _race(tmp_path, "sqlite://", redis_url, redis_prefix[1], combined=combined)


# --- the wallet's view: the same answers on every backend ------------------------------------

WRONG_PIN = "invalid_grant", "wrong tx_code"
REQUIRED = "invalid_request", "tx_code is required"
UNEXPECTED = "invalid_request", "tx_code was sent but the offer asks for none"
UNKNOWN_CODE = "invalid_grant", "the pre-authorized code is unknown, expired or already used"
BURNT = "invalid_grant", "wrong tx_code; too many attempts, the code is no longer valid"
OK = "ok", None

# (id, the offer asks a PIN, the tx_codes sent in turn: "pin", "wrong", None or a literal,
#  what each gets: (error, error_description) or OK)
TOKEN_RUNS = [
    ("right pin", True, ["pin", "pin"], [OK, UNKNOWN_CODE]),
    ("missing and empty pins use no attempt", True,
     [None, "", None, "", None, "", "wrong", "wrong", "wrong", "wrong", "pin"],
     [REQUIRED, REQUIRED] * 3 + [WRONG_PIN] * 4 + [OK]),
    ("five wrong pins burn the code", True, ["wrong"] * 5 + ["pin", None],
     [WRONG_PIN] * 4 + [BURNT, UNKNOWN_CODE, UNKNOWN_CODE]),
    ("a pin where none is asked", False, ["123456", "", None, None],
     [UNEXPECTED, UNEXPECTED, OK, UNKNOWN_CODE]),
]  # fmt: skip


def _wire_bridge(bridge: Bridge) -> WiredBridge:
    """The wallet bridge's HTTP routes over ``bridge``'s stores."""
    return make_bridge(
        clock=bridge.clock,
        offers=bridge.stores.offers,
        tokens=bridge.stores.tokens,
        nonces=bridge.stores.nonces,
        notifications=bridge.stores.notifications,
    )


@pytest.mark.parametrize(
    ("asks_pin", "sent", "expected"), [pytest.param(*run[1:], id=run[0]) for run in TOKEN_RUNS]
)
def test_the_token_endpoint_answers_alike_on_every_backend(
    bridge: Bridge,
    asks_pin: bool,
    sent: list[str | None],
    expected: list[tuple[str, str | None]],
) -> None:
    wired = _wire_bridge(bridge)
    created = wired.service.create_offer("cred-1", tx_code_length=6 if asks_pin else None)
    code = created.offer["grants"][PRE_AUTHORIZED]["pre-authorized_code"]
    pin = created.tx_code
    wrong = None if pin is None else f"{(int(pin) + 1) % 10**6:06d}"
    wallet = Wallet(wired)
    answers = []
    for tx_code in sent:
        value = {"pin": pin, "wrong": wrong}.get(tx_code or "", tx_code)
        response = wallet.token(code, value)
        body = response.json()
        if response.status_code == 200:
            assert wired.service.authenticate(body["access_token"]).credential_id == "cred-1"
            answers.append(OK)
        else:
            assert response.status_code == 400
            answers.append((body["error"], body["error_description"]))
    assert answers == expected


def test_a_credential_request_consumes_its_nonce_and_stores_the_notification_id(
    bridge: Bridge,
) -> None:
    wired = _wire_bridge(bridge)
    wallet = Wallet(wired)
    access_token = wallet.access_token()
    proof = wallet.proof(wallet.nonce())
    body = {"credential_configuration_id": SD_JWT_CONFIGURATION_ID, "proofs": {"jwt": [proof]}}
    issued = wallet.credential(access_token, body)
    assert issued.status_code == 200, issued.text
    notification_id = issued.json()["notification_id"]
    assert bridge.stores.notifications.credential_of(notification_id) == "cred-1"
    replayed = wallet.credential(access_token, body)
    assert (replayed.status_code, replayed.json()["error"]) == (400, "invalid_nonce")
    noted = wallet.client.post(
        "/oid4vci/notification",
        json={"notification_id": notification_id, "event": "credential_accepted"},
        headers={"Authorization": f"Bearer {access_token}"},
    )
    assert noted.status_code == 204
    assert [event.notification_id for event in wired.events] == [notification_id]
    assert len(wired.source.issued) == 1
