"""Status List Tokens remembered across verifications (verifier.sd_jwt_vc.VerifiedStatusTokens)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.verifier.test_sd_jwt_vc import TSL_URI, _client, _issue, _status_token
from tests.verifier.world import ISSUER_ED_VM, KEYS, NOW, make_verifier
from vc_core.status_token import StatusListTokenResult, StatusTokenFailure
from verifier import sd_jwt_vc
from verifier.sd_jwt_vc import VerifiedStatusTokens

ALGS = frozenset({"EdDSA", "ES256"})
LEEWAY = timedelta(seconds=60)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens that went through vc_core's verify_status_list_token."""
    seen: list[str] = []
    real: Callable[..., StatusListTokenResult] = sd_jwt_vc.verify_status_list_token

    def counting(token: str, *args: Any, **kwargs: Any) -> StatusListTokenResult:
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(sd_jwt_vc, "verify_status_list_token", counting)
    return seen


def _verify(
    memo: VerifiedStatusTokens,
    token: str,
    *,
    now: datetime = NOW,
    uri: str = TSL_URI,
    key: Any = None,
) -> StatusListTokenResult:
    return memo.verify(
        token,
        key or KEYS.issuer_ed.public_key,
        allowed_algs=ALGS,
        expected_uri=uri,
        now=now,
        leeway=LEEWAY,
    )


def test_a_token_that_verified_is_not_verified_again(calls: list[str]) -> None:
    memo = VerifiedStatusTokens()
    token = _status_token(2)
    first, second = _verify(memo, token), _verify(memo, token)
    assert first.verified
    assert second.verified
    assert second.status_list is not None
    assert second.status_list.get(17) == 2
    assert calls == [token]
    assert len(memo) == 1


def test_a_remembered_token_still_expires(calls: list[str]) -> None:
    memo = VerifiedStatusTokens()
    token = _status_token()  # exp: NOW + 1 day
    assert _verify(memo, token).verified
    later = _verify(memo, token, now=NOW + timedelta(days=1, minutes=2))
    assert not later.verified
    assert later.reason is StatusTokenFailure.EXPIRED
    assert later.status_list is None
    assert calls == [token]  # answered from memory, time checked again
    assert _verify(memo, token).verified  # and still remembered for an instant it holds


def test_another_key_algorithm_set_or_uri_is_verified_afresh(calls: list[str]) -> None:
    memo = VerifiedStatusTokens()
    token = _status_token()
    assert _verify(memo, token).verified
    wrong_key = _verify(memo, token, key=KEYS.attacker.public_key)
    assert not wrong_key.verified
    assert wrong_key.reason is StatusTokenFailure.INVALID_SIGNATURE
    other_uri = _verify(memo, token, uri=TSL_URI + "-other")
    assert other_uri.reason is StatusTokenFailure.SUBJECT_MISMATCH
    no_eddsa = memo.verify(
        token,
        KEYS.issuer_ed.public_key,
        allowed_algs=frozenset({"ES256"}),
        expected_uri=TSL_URI,
        now=NOW,
        leeway=LEEWAY,
    )
    assert no_eddsa.reason is StatusTokenFailure.ALG_NOT_ALLOWED
    assert len(calls) == 4
    assert len(memo) == 1  # failures are not remembered


def test_failures_are_verified_each_time(calls: list[str]) -> None:
    memo = VerifiedStatusTokens()
    token = _status_token(uri=TSL_URI + "-other")
    for _ in range(3):
        assert _verify(memo, token).reason is StatusTokenFailure.SUBJECT_MISMATCH
    assert len(calls) == 3
    assert len(memo) == 0


def test_the_least_recently_used_token_leaves_first(calls: list[str]) -> None:
    memo = VerifiedStatusTokens(size=2)
    tokens = [_status_token(value) for value in (0, 1, 2)]
    _verify(memo, tokens[0])
    _verify(memo, tokens[1])
    _verify(memo, tokens[0])  # used again: tokens[1] is now the oldest
    _verify(memo, tokens[2])
    assert len(memo) == 2
    _verify(memo, tokens[0])
    _verify(memo, tokens[1])
    assert calls == [tokens[0], tokens[1], tokens[2], tokens[1]]
    with pytest.raises(ValueError, match="at least one"):
        VerifiedStatusTokens(size=0)


def test_a_republished_list_is_read_at_once(calls: list[str]) -> None:
    """The verifier remembers a token by its exact text: a new token (the credential revoked)
    is verified and read on the very next verification."""
    client = _client({})
    verifier = make_verifier(client)
    credential = _issue({})
    for _ in range(3):
        assert verifier.verify_credential(credential).verified
    assert len(calls) == 1
    client.publish_token(TSL_URI, _status_token(1, kid=ISSUER_ED_VM))
    report = verifier.verify_credential(credential)
    assert not report.verified
    assert report.check("status").code == "revoked"
    assert len(calls) == 2


def test_a_token_of_a_list_over_the_budget_is_verified_each_time(calls: list[str]) -> None:
    memo = VerifiedStatusTokens(max_list_bytes=1024 * 2 // 8 - 1)  # the list has 1,024 2-bit
    token = _status_token()
    assert _verify(memo, token).verified
    assert _verify(memo, token).verified
    assert calls == [token, token]
    assert len(memo) == 0
