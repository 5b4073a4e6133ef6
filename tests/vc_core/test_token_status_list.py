"""IETF Token Status List codec (specs.md §7.2) and its relation to the W3C layout (§7.3).

Vectors: tests/data/status/token_status_list_vectors.json, taken from the examples and the
"Test vectors for Status List encoding" appendix of draft-ietf-oauth-status-list. zlib output can
differ between compressors, so the vectors are checked on DECODED values; our own ``lst`` must
decode back to the same values.
"""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vc_core.errors import StatusListError
from vc_core.status import (
    MINIMUM_ENTRIES,
    BitstringStatusList,
    StatusRangeError,
    StatusType,
    TokenStatusList,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "status"
VECTORS = json.loads((DATA / "token_status_list_vectors.json").read_text())["vectors"]
BIT_ORDER = json.loads((DATA / "bit_order.json").read_text())["cases"]


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["name"] for case in cases]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _statuses(case: dict[str, Any]) -> dict[int, int]:
    return {int(index): value for index, value in case["statuses"].items()}


@st.composite
def status_values(draw: st.DrawFn) -> tuple[int, int, dict[int, int]]:
    """(bits, entries, {index: non-zero value})."""
    bits = draw(st.sampled_from([1, 2, 4, 8]))
    size = draw(st.integers(min_value=1, max_value=4096))
    size = -(-size * bits // 8) * 8 // bits  # whole bytes, as the codec rounds
    values = draw(
        st.dictionaries(
            st.integers(min_value=0, max_value=size - 1),
            st.integers(min_value=1, max_value=(1 << bits) - 1),
            max_size=64,
        )
    )
    return bits, size, values


# --- draft vectors -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", VECTORS, ids=_ids(VECTORS))
def test_draft_vectors_decode(case: dict[str, Any]) -> None:
    status_list = TokenStatusList.decode(case["lst"], bits=case["bits"])
    statuses = _statuses(case)
    assert len(status_list) == case["size"]
    for index, value in statuses.items():
        assert status_list.get(index) == value
    assert dict(status_list.nonzero()) == {i: v for i, v in statuses.items() if v}


@pytest.mark.parametrize("case", VECTORS, ids=_ids(VECTORS))
def test_our_encoding_of_draft_statuses_decodes_back(case: dict[str, Any]) -> None:
    built = TokenStatusList.from_values(_statuses(case), size=case["size"], bits=case["bits"])
    assert built == TokenStatusList.decode(case["lst"], bits=case["bits"])
    assert TokenStatusList.decode(built.encode(), bits=case["bits"]) == built
    assert built.to_claim() == {"bits": case["bits"], "lst": built.encode()}


BYTE_ARRAYS = [case for case in VECTORS if "byte_array_hex" in case]


@pytest.mark.parametrize("case", BYTE_ARRAYS, ids=_ids(BYTE_ARRAYS))
def test_draft_byte_arrays(case: dict[str, Any]) -> None:
    """§4.1 examples: the uncompressed bytes and the compressed hex (specs.md §7.2)."""
    built = TokenStatusList.from_values(_statuses(case), size=case["size"], bits=case["bits"])
    assert built.to_bytes().hex() == case["byte_array_hex"]
    assert _b64url(bytes.fromhex(case["compressed_hex"])) == case["lst"]
    assert zlib.decompress(bytes.fromhex(case["compressed_hex"])).hex() == case["byte_array_hex"]


def test_specs_example_statuses() -> None:
    """specs.md §7.2: 78dadbb918000217015d -> b9 a3 = 1,0,0,1,1,1,0,1 | 1,1,0,0,0,1,0,1."""
    status_list = TokenStatusList.decode(_b64url(bytes.fromhex("78dadbb918000217015d")), bits=1)
    assert status_list.to_bytes() == b"\xb9\xa3"
    assert [status_list.get(i) for i in range(16)] == [
        1,
        0,
        0,
        1,
        1,
        1,
        0,
        1,
        1,
        1,
        0,
        0,
        0,
        1,
        0,
        1,
    ]


# --- layout: opposite bit order ----------------------------------------------------------------


@pytest.mark.parametrize("case", BIT_ORDER, ids=_ids(BIT_ORDER))
def test_same_statuses_opposite_bit_order(case: dict[str, Any]) -> None:
    values = dict(enumerate(case["statuses"]))
    size, bits = len(case["statuses"]), case["bits"]
    token = TokenStatusList.from_values(values, size=size, bits=bits)
    bitstring = BitstringStatusList.from_values(
        values, size=size, status_size=bits, minimum_entries=0
    )
    assert token.to_bytes().hex() == case["ietf_hex"]
    assert bitstring.to_bytes().hex() == case["w3c_hex"]
    assert TokenStatusList.from_bitstring_status_list(bitstring) == token
    assert token.to_bitstring_status_list(minimum_entries=0) == bitstring


def test_reading_one_layout_as_the_other_gives_wrong_statuses() -> None:
    """The pitfall of specs.md §0.1: the same bytes mean different statuses."""
    token = TokenStatusList.from_values({0: 1}, size=8, bits=1)
    misread = BitstringStatusList.from_bytes(token.to_bytes(), minimum_entries=0)
    assert misread.get(0) == 0
    assert misread.get(7) == 1


@given(status_values())
def test_conversion_keeps_statuses(case: tuple[int, int, dict[int, int]]) -> None:
    bits, size, values = case
    bitstring = BitstringStatusList.from_values(
        values, size=size, status_size=bits, minimum_entries=0
    )
    token = TokenStatusList.from_bitstring_status_list(
        bitstring, aggregation_uri="https://a.example"
    )
    assert token.bits == bits
    assert len(token) == len(bitstring)
    assert dict(token.nonzero()) == values
    assert token.aggregation_uri == "https://a.example"
    assert token.to_bitstring_status_list(minimum_entries=0) == bitstring


def test_conversion_to_bitstring_checks_minimum_length() -> None:
    token = TokenStatusList(1024, bits=1)
    with pytest.raises(StatusListError) as caught:
        token.to_bitstring_status_list()
    assert caught.value.status_code == "STATUS_LIST_LENGTH_ERROR"
    assert len(TokenStatusList(MINIMUM_ENTRIES).to_bitstring_status_list()) == MINIMUM_ENTRIES


# --- round trip, claim, status types -------------------------------------------------------------


@given(status_values())
def test_round_trip(case: tuple[int, int, dict[int, int]]) -> None:
    bits, size, values = case
    status_list = TokenStatusList.from_values(values, size=size, bits=bits)
    decoded = TokenStatusList.decode(status_list.encode(), bits=bits)
    assert len(decoded) == size
    assert dict(decoded.nonzero()) == values
    assert all(decoded.get(i) == values.get(i, 0) for i in range(0, size, max(1, size // 97)))


def test_claim_round_trip_with_aggregation_uri() -> None:
    status_list = TokenStatusList.from_values(
        [(3, StatusType.INVALID), (9, StatusType.SUSPENDED)],
        size=64,
        bits=2,
        aggregation_uri="https://status.alliance.example/aggregation",
    )
    claim = status_list.to_claim()
    assert claim["bits"] == 2
    assert claim["aggregation_uri"] == "https://status.alliance.example/aggregation"
    assert "=" not in claim["lst"]
    parsed = TokenStatusList.from_claim(claim)
    assert parsed == status_list
    assert parsed.aggregation_uri == claim["aggregation_uri"]
    assert parsed.get(9) == StatusType.SUSPENDED
    assert "aggregation_uri" not in TokenStatusList(8).to_claim()


def test_status_types() -> None:
    assert [int(s) for s in StatusType] == [0x00, 0x01, 0x02]
    one_bit = TokenStatusList(8, bits=1)
    one_bit.set(0, StatusType.INVALID)
    assert one_bit.get(0) == StatusType.INVALID
    with pytest.raises(StatusRangeError):
        one_bit.set(1, StatusType.SUSPENDED)  # needs bits >= 2 (draft §4.1 example)


@pytest.mark.parametrize(
    "claim",
    [
        {"bits": 3, "lst": "eNrbuRgAAhcBXQ"},
        {"bits": True, "lst": "eNrbuRgAAhcBXQ"},
        {"bits": "1", "lst": "eNrbuRgAAhcBXQ"},
        {"bits": 1},
        {"bits": 1, "lst": b"eNrbuRgAAhcBXQ"},
        {"bits": 1, "lst": "eNrbuRgAAhcBXQ", "aggregation_uri": 5},
        [1, "eNrbuRgAAhcBXQ"],
    ],
)
def test_bad_claims_refused(claim: Any) -> None:
    with pytest.raises(StatusListError):
        TokenStatusList.from_claim(claim)


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lst",
    [
        _b64url(gzip.compress(b"\xb9\xa3", mtime=0)),
        _b64url(zlib.compress(b"\xb9\xa3", wbits=-15)),
        _b64url(zlib.compress(b"\xb9\xa3")[:-2]),
        _b64url(zlib.compress(b"\xb9\xa3") + b"\x00"),
        "eNrbuRgAAhcBXQ==",
        "ueNrbuRgAAhcBXQ",
        "eNrbuRgAAhcB+Q",
        "eNrb uRgAAhcBXQ",
        "A",
    ],
    ids=[
        "gzip-not-zlib",
        "raw-deflate-without-zlib-header",
        "truncated",
        "trailing-bytes",
        "padded",
        "multibase-prefix",
        "standard-base64-alphabet",
        "space",
        "one-character",
    ],
)
def test_undecodable_lst(lst: str) -> None:
    with pytest.raises(StatusListError):
        TokenStatusList.decode(lst, bits=1)


def test_zlib_bomb_is_refused() -> None:
    bomb = _b64url(zlib.compress(bytes(17 * 1024 * 1024), level=9))
    assert len(bomb) < 40_000
    with pytest.raises(StatusListError, match="beyond"):
        TokenStatusList.decode(bomb, bits=1)
    small = _b64url(zlib.compress(bytes(100)))
    assert len(TokenStatusList.decode(small, bits=8, max_decompressed_size=100)) == 100
    with pytest.raises(StatusListError, match="beyond"):
        TokenStatusList.decode(small, bits=8, max_decompressed_size=99)


@pytest.mark.parametrize("bits", [0, 3, 16, -1])
def test_unsupported_bits(bits: int) -> None:
    with pytest.raises(StatusListError):
        TokenStatusList(8, bits=bits)
    with pytest.raises(StatusListError):
        TokenStatusList.decode("eNrbuRgAAhcBXQ", bits=bits)


@pytest.mark.parametrize("index", [-1, 16, 10**9])
def test_out_of_range_index(index: int) -> None:
    """Draft §8.3: an index out of bounds MUST lead to rejection."""
    status_list = TokenStatusList.decode("eNrbuRgAAhcBXQ", bits=1)
    with pytest.raises(StatusRangeError) as caught:
        status_list.get(index)
    assert caught.value.status_code == "RANGE_ERROR"
    with pytest.raises(StatusRangeError):
        status_list.set(index, 0)


@pytest.mark.parametrize(("bits", "value"), [(1, 2), (2, 4), (4, 16), (8, 256), (8, -1)])
def test_value_must_fit_bits(bits: int, value: int) -> None:
    status_list = TokenStatusList(8, bits=bits)
    with pytest.raises(StatusRangeError):
        status_list.set(0, value)
    assert status_list.get(0) == 0
