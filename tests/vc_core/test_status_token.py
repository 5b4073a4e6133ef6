"""vc_core.status_token: Status List Token JWT and the ``status`` claim (status-list-20 §5.1, §6.2).

Data: ``tests/data/sd_jwt/status_list_token.json``: the signed example token of
draft-ietf-oauth-status-list-20 §8.2 with its key, and our hostile claim sets.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.errors import MalformedInputError, StatusRangeError
from vc_core.jose import MalformedJwsError, decode_unverified_header, sign_jws
from vc_core.keys import KeyType, PrivateKey, PublicKey
from vc_core.status.token_status_list import TokenStatusList
from vc_core.status_token import (
    STATUS_LIST_TOKEN_TYP,
    StatusListReference,
    StatusTokenFailure,
    sign_status_list_token,
    verify_status_list_token,
)

DATA = json.loads(
    (
        Path(__file__).resolve().parent.parent / "data" / "sd_jwt" / "status_list_token.json"
    ).read_text()
)
EXAMPLE = DATA["example"]
CASES = DATA["cases"]
URI = EXAMPLE["uri"]
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
KEY = PrivateKey.generate(KeyType.P256)
OTHER = PrivateKey.generate(KeyType.P256)


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _fill(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$now"}:
            return int(NOW.timestamp()) + value["$now"]
        return {k: _fill(v) for k, v in value.items()}
    return value


def test_draft_example_token_verifies() -> None:
    result = verify_status_list_token(
        EXAMPLE["token"],
        PublicKey.from_jwk(EXAMPLE["key"]),
        allowed_algs=["ES256"],
        expected_uri=URI,
        now=_at(EXAMPLE["now"]),
    )
    assert result.verified, (result.reason, result.detail)
    assert result.status_list is not None
    assert result.status_list.bits == EXAMPLE["bits"]
    statuses = EXAMPLE["statuses"]
    assert [result.status_list.get(i) for i in range(len(statuses))] == statuses
    assert result.ttl == timedelta(seconds=EXAMPLE["ttl"])
    assert result.expires_at == _at(EXAMPLE["exp"])
    assert result.issued_at == _at(EXAMPLE["iat"])
    assert result.header["typ"] == STATUS_LIST_TOKEN_TYP
    assert result.to_problem() is None


def test_draft_example_token_checks_sub_and_exp() -> None:
    key = PublicKey.from_jwk(EXAMPLE["key"])
    other_list = verify_status_list_token(
        EXAMPLE["token"], key, allowed_algs=["ES256"], expected_uri=URI + "0"
    )
    assert other_list.reason is StatusTokenFailure.SUBJECT_MISMATCH
    late = _at(EXAMPLE["exp"]) + timedelta(days=1)
    expired = verify_status_list_token(
        EXAMPLE["token"], key, allowed_algs=["ES256"], expected_uri=URI, now=late
    )
    assert expired.reason is StatusTokenFailure.EXPIRED
    assert expired.status_list is None


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_status_list_token_case(case: dict[str, Any]) -> None:
    header = {"kid": "k1", "typ": STATUS_LIST_TOKEN_TYP, **case.get("header", {})}
    header = {k: v for k, v in header.items() if v is not None}
    signer = OTHER if case.get("signer") == "other" else KEY
    token = sign_jws(_fill(case["claims"]), signer, header=header)
    result = verify_status_list_token(
        token,
        KEY.public_key,
        allowed_algs=case.get("allowed_algs", ["ES256", "EdDSA"]),
        expected_uri=URI,
        now=NOW,
    )
    if case["expected"] is None:
        assert result.verified, (result.reason, result.detail)
        assert result.status_list is not None
        assert result.status_list.get(0) == 1
        return
    assert not result.verified
    assert result.status_list is None
    assert result.reason == StatusTokenFailure(case["expected"]), result.detail
    assert (result.to_problem() or {}).get("code") == case["expected"]


@pytest.mark.parametrize("key_type", list(KeyType), ids=[k.value for k in KeyType])
def test_sign_and_verify_round_trip(key_type: KeyType) -> None:
    key = PrivateKey.generate(key_type)
    statuses = TokenStatusList.from_values({3: 1, 100: 2, 1000: 3}, size=2048, bits=2)
    token = sign_status_list_token(
        statuses,
        key,
        uri=URI,
        kid="status-key",
        iat=NOW,
        exp=NOW + timedelta(days=1),
        ttl=timedelta(hours=12),
        iss="https://issuer.example",
    )
    assert decode_unverified_header(token) == {
        "alg": key_type.jws_alg,
        "kid": "status-key",
        "typ": "statuslist+jwt",
    }
    result = verify_status_list_token(
        token, key.public_key, allowed_algs=[key_type.jws_alg], expected_uri=URI, now=NOW
    )
    assert result.verified, result.detail
    assert result.status_list == statuses
    assert result.claims is not None
    assert result.claims["iss"] == "https://issuer.example"
    assert result.claims["ttl"] == 43200
    assert result.expires_at == NOW + timedelta(days=1)
    with pytest.raises(StatusRangeError):
        result.status_list.get(len(statuses))


@settings(max_examples=40, deadline=None)
@given(
    bits=st.sampled_from([1, 2, 4, 8]),
    entries=st.dictionaries(st.integers(0, 511), st.integers(0, 255), max_size=32),
)
def test_any_status_list_survives_the_token(bits: int, entries: dict[int, int]) -> None:
    values = {i: v % (1 << bits) for i, v in entries.items()}
    statuses = TokenStatusList.from_values(values, size=512, bits=bits)
    token = sign_status_list_token(statuses, KEY, uri=URI, kid="k", iat=NOW)
    result = verify_status_list_token(
        token, KEY.public_key, allowed_algs=["ES256"], expected_uri=URI, now=NOW
    )
    assert result.status_list == statuses
    assert all(result.status_list.get(i) == v for i, v in values.items())


@pytest.mark.parametrize(
    "overrides",
    [
        {"uri": "relative/path"},
        {"kid": ""},
        {"exp": NOW},
        {"exp": NOW - timedelta(seconds=1)},
        {"ttl": 0},
        {"ttl": -5},
        {"ttl": timedelta(seconds=1.5)},
        {"ttl": True},
        {"status_list": "eNrbuRgAAhcBXQ"},
    ],
    ids=["relative-uri", "empty-kid", "exp-equals-iat", "exp-before-iat", "ttl-zero",
         "ttl-negative", "ttl-fraction", "ttl-bool", "status-list-not-a-list"],
)  # fmt: skip
def test_signer_refuses(overrides: dict[str, Any]) -> None:
    args: dict[str, Any] = {
        "status_list": TokenStatusList(16),
        "uri": URI,
        "kid": "k",
        "iat": NOW,
    }
    args.update(overrides)
    status_list = args.pop("status_list")
    with pytest.raises(MalformedInputError):
        sign_status_list_token(status_list, KEY, **args)


def test_signer_and_verifier_refuse_naive_datetimes() -> None:
    naive = datetime(2026, 1, 1)
    with pytest.raises(ValueError, match="timezone"):
        sign_status_list_token(TokenStatusList(8), KEY, uri=URI, kid="k", iat=naive)
    token = sign_status_list_token(TokenStatusList(8), KEY, uri=URI, kid="k", iat=NOW)
    with pytest.raises(ValueError, match="timezone"):
        verify_status_list_token(
            token, KEY.public_key, allowed_algs=["ES256"], expected_uri=URI, now=naive
        )


def test_unparseable_token_raises() -> None:
    with pytest.raises(MalformedJwsError):
        verify_status_list_token(
            "not.a.jwt~", KEY.public_key, allowed_algs=["ES256"], expected_uri=URI
        )


# -- the Referenced Token's status claim (§6.2) ------------------------------------------------


def test_reference_round_trip() -> None:
    reference = StatusListReference(7, URI)
    claim = reference.to_claim()
    assert claim == {"status_list": {"idx": 7, "uri": URI}}
    assert StatusListReference.from_status_claim(claim) == reference
    assert StatusListReference.from_status_claim({"other": {}}) is None


@pytest.mark.parametrize(
    "status",
    [
        "revoked",
        {"status_list": "x"},
        {"status_list": {"idx": -1, "uri": URI}},
        {"status_list": {"idx": 1.0, "uri": URI}},
        {"status_list": {"idx": False, "uri": URI}},
        {"status_list": {"idx": 1}},
        {"status_list": {"idx": 1, "uri": 5}},
        {"status_list": {"idx": 1, "uri": "no-scheme"}},
    ],
    ids=["string", "entry-string", "negative", "float", "bool", "no-uri", "uri-number",
         "uri-relative"],
)  # fmt: skip
def test_reference_refuses_bad_shapes(status: Any) -> None:
    with pytest.raises(MalformedInputError):
        StatusListReference.from_status_claim(status)
