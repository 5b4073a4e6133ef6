"""The in-memory stores keep the consume-once promises of :mod:`wallet_bridge.ports`."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from tests.wallet_bridge.wallet import FakeClock
from wallet_bridge.memory import InMemoryNonceStore, InMemoryOfferStore
from wallet_bridge.ports import Offer, PreAuthorizedGrant, RedeemOutcome, check_tx_code


def test_a_nonce_is_consumed_once_under_contention() -> None:
    clock = FakeClock()
    store = InMemoryNonceStore(clock)
    store.put("n", clock() + timedelta(minutes=1))
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: store.consume("n"), range(32)))
    assert results.count(True) == 1


def test_an_expired_nonce_is_refused() -> None:
    clock = FakeClock()
    store = InMemoryNonceStore(clock)
    store.put("n", clock() + timedelta(seconds=1))
    clock.advance(timedelta(seconds=1))
    assert store.consume("n") is False


def _grant(clock: FakeClock, digest: str | None = "right") -> tuple[Offer, PreAuthorizedGrant]:
    expires = clock() + timedelta(minutes=5)
    offer = Offer("o", "cred-1", {"credential_issuer": "x"}, expires)
    return offer, PreAuthorizedGrant("c", "o", "cred-1", ("cfg",), digest, 2, expires)


def test_a_code_is_redeemed_once_under_contention() -> None:
    clock = FakeClock()
    store = InMemoryOfferStore(clock)
    store.put(*_grant(clock))
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: store.redeem("c", "right").outcome, range(32)))
    assert results.count(RedeemOutcome.REDEEMED) == 1
    assert store.get_offer("o") is None


def test_wrong_digests_use_up_attempts_then_burn_the_code() -> None:
    clock = FakeClock()
    store = InMemoryOfferStore(clock)
    store.put(*_grant(clock))
    first = store.redeem("c", "wrong")
    assert first.outcome is RedeemOutcome.WRONG_TX_CODE
    assert first.grant is not None
    assert first.grant.attempts_left == 1
    assert store.get_offer("o") is not None
    for missing in (None, ""):  # no tx_code, or an empty one: refused, no attempt used
        assert store.redeem("c", missing).outcome is RedeemOutcome.TX_CODE_REQUIRED
    assert store.peek_grant("c") == first.grant
    assert store.redeem("c", "wrong").outcome is RedeemOutcome.BURNT
    assert store.redeem("c", "right").outcome is RedeemOutcome.UNKNOWN
    assert store.peek_grant("c") is None


def test_a_tx_code_sent_for_a_grant_without_one_changes_nothing() -> None:
    clock = FakeClock()
    store = InMemoryOfferStore(clock)
    store.put(*_grant(clock, digest=None))
    for sent in ("right", ""):
        assert store.redeem("c", sent).outcome is RedeemOutcome.TX_CODE_UNEXPECTED
    assert store.redeem("c", None).outcome is RedeemOutcome.REDEEMED


@pytest.mark.parametrize(
    ("expected", "given", "outcome"),
    [
        (None, None, RedeemOutcome.REDEEMED),
        (None, "", RedeemOutcome.TX_CODE_UNEXPECTED),
        (None, "right", RedeemOutcome.TX_CODE_UNEXPECTED),
        ("right", None, RedeemOutcome.TX_CODE_REQUIRED),
        ("right", "", RedeemOutcome.TX_CODE_REQUIRED),
        ("right", "wrong", RedeemOutcome.WRONG_TX_CODE),
        ("right", "righ", RedeemOutcome.WRONG_TX_CODE),
        ("right", "right", RedeemOutcome.REDEEMED),
    ],
)
def test_the_tx_code_rule(expected: str | None, given: str | None, outcome: RedeemOutcome) -> None:
    assert check_tx_code(expected, given) is outcome
