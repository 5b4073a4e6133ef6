"""W3C Bitstring Status List v1.0 codec (specs.md §7.1), driven by tests/data/status/."""

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

from vc_core.errors import MalformedInputError, StatusListError
from vc_core.status import (
    MINIMUM_ENTRIES,
    BitstringStatusList,
    BitstringStatusListEntry,
    StatusMessage,
    StatusPurpose,
    StatusRangeError,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "status"
VECTORS = json.loads((DATA / "bitstring_status_list_vectors.json").read_text())
ENTRIES = json.loads((DATA / "bitstring_status_list_entries.json").read_text())
V2_CONTEXT = Path(__file__).resolve().parents[2] / "contexts" / "credentials-v2.jsonld"  # pinned


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["name"] for case in cases]


def _encoded(raw: bytes, *, compress: Any = None) -> str:
    compressed = gzip.compress(raw, mtime=0) if compress is None else compress(raw)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode()


@st.composite
def status_lists(draw: st.DrawFn) -> tuple[int, int, dict[int, int]]:
    """(status_size, entries, {index: non-zero value})."""
    status_size = draw(st.sampled_from([1, 2, 4, 8]))
    size = draw(st.integers(min_value=1, max_value=4096))
    size = -(-size * status_size // 8) * 8 // status_size  # whole bytes, as the codec rounds
    values = draw(
        st.dictionaries(
            st.integers(min_value=0, max_value=size - 1),
            st.integers(min_value=1, max_value=(1 << status_size) - 1),
            max_size=64,
        )
    )
    return status_size, size, values


# --- spec and test-suite vectors ---------------------------------------------------------------


@pytest.mark.parametrize("case", VECTORS["decode"], ids=_ids(VECTORS["decode"]))
def test_decode_vectors(case: dict[str, Any]) -> None:
    status_list = BitstringStatusList.decode(
        case["encodedList"],
        status_size=case["status_size"],
        minimum_entries=case.get("minimum_entries", MINIMUM_ENTRIES),
    )
    expected = {int(index): value for index, value in case["nonzero"].items()}
    assert len(status_list) == case["entries"]
    assert dict(status_list.nonzero()) == expected
    for index, value in expected.items():
        assert status_list.get(index) == value
        assert status_list.get(index - 1) == 0 or index - 1 in expected
    again = BitstringStatusList.decode(
        status_list.encode(), status_size=case["status_size"], minimum_entries=0
    )
    assert again == status_list


@pytest.mark.parametrize("case", VECTORS["refuse"], ids=_ids(VECTORS["refuse"]))
def test_refuse_vectors(case: dict[str, Any]) -> None:
    with pytest.raises(StatusListError) as caught:
        BitstringStatusList.decode(
            case["encodedList"],
            status_size=case["status_size"],
            minimum_entries=case.get("minimum_entries", MINIMUM_ENTRIES),
        )
    assert caught.value.status_code == case["status_code"]
    problem = caught.value.to_problem()
    assert problem["type"] == "https://www.w3.org/ns/credentials/status-list#" + case["status_code"]


def test_test_suite_revoked_credential_reads_as_revoked() -> None:
    """should-be-revoked.jsonld's entry, looked up in the list it points at, is set."""
    entry_case = next(c for c in ENTRIES["valid"] if c["name"] == "test-suite-should-be-revoked")
    list_case = next(c for c in VECTORS["decode"] if c["name"] == "test-suite-single-purpose-ok")
    entry = BitstringStatusListEntry.from_json(entry_case["entry"])
    status_list = BitstringStatusList.decode(list_case["encodedList"])
    assert entry.status_purpose == StatusPurpose.REVOCATION
    assert status_list.get(entry.status_list_index) == 1
    assert status_list.get(entry.status_list_index + 1) == 0


def test_empty_list_encodes_to_short_deterministic_gzip() -> None:
    encoded = BitstringStatusList().encode()
    assert encoded.startswith("uH4sI")
    assert 60 <= len(encoded) <= 80
    assert encoded == BitstringStatusList(MINIMUM_ENTRIES).encode()
    header = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))[:10]
    assert header[:3] == b"\x1f\x8b\x08"
    assert header[4:8] == b"\x00\x00\x00\x00"  # mtime 0: the same list gives the same bytes
    decoded = BitstringStatusList.decode(encoded)
    assert len(decoded) == MINIMUM_ENTRIES
    assert list(decoded.nonzero()) == []


# --- layout ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status_size", "index", "value", "expected_prefix"),
    [
        (1, 0, 1, "80"),
        (1, 7, 1, "01"),
        (1, 8, 1, "0080"),
        (2, 0, 3, "c0"),
        (2, 1, 1, "10"),
        (4, 1, 0xA, "0a"),
        (8, 1, 0xAB, "00ab"),
    ],
)
def test_index_zero_is_the_most_significant_bit(
    status_size: int, index: int, value: int, expected_prefix: str
) -> None:
    status_list = BitstringStatusList(64, status_size=status_size, minimum_entries=0)
    status_list.set(index, value)
    assert status_list.to_bytes().hex().startswith(expected_prefix)
    assert status_list.get(index) == value


def test_set_overwrites_only_its_own_entry() -> None:
    status_list = BitstringStatusList(8, status_size=2, minimum_entries=0)
    for index in range(8):
        status_list.set(index, 3)
    status_list.set(5, 1)
    assert [status_list.get(i) for i in range(8)] == [3, 3, 3, 3, 3, 1, 3, 3]
    status_list.set(5, 0)
    assert dict(status_list.nonzero()) == {0: 3, 1: 3, 2: 3, 3: 3, 4: 3, 6: 3, 7: 3}


@given(status_lists())
def test_round_trip(case: tuple[int, int, dict[int, int]]) -> None:
    status_size, size, values = case
    status_list = BitstringStatusList.from_values(
        values, size=size, status_size=status_size, minimum_entries=0
    )
    decoded = BitstringStatusList.decode(
        status_list.encode(), status_size=status_size, minimum_entries=size
    )
    assert len(decoded) == size
    assert dict(decoded.nonzero()) == values
    assert all(decoded.get(i) == values.get(i, 0) for i in range(0, size, max(1, size // 97)))


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("index", [-1, 131_072, 10**12])
def test_out_of_range_index(index: int) -> None:
    status_list = BitstringStatusList()
    with pytest.raises(StatusRangeError) as caught:
        status_list.get(index)
    assert caught.value.status_code == "RANGE_ERROR"
    assert caught.value.to_problem()["type"] == "https://www.w3.org/TR/vc-data-model#RANGE_ERROR"
    with pytest.raises(StatusRangeError):
        status_list.set(index, 1)


@pytest.mark.parametrize(("status_size", "value"), [(1, 2), (2, 4), (4, 16), (8, 256), (1, -1)])
def test_value_must_fit_status_size(status_size: int, value: int) -> None:
    status_list = BitstringStatusList(8, status_size=status_size, minimum_entries=0)
    with pytest.raises(StatusRangeError):
        status_list.set(0, value)
    assert status_list.get(0) == 0


@pytest.mark.parametrize("status_size", [0, 3, 5, 16, -1])
def test_unsupported_status_size(status_size: int) -> None:
    with pytest.raises(StatusListError):
        BitstringStatusList(status_size=status_size)


def test_too_short_list_and_ecosystem_override() -> None:
    with pytest.raises(StatusListError):
        BitstringStatusList(-8, minimum_entries=0)
    with pytest.raises(StatusListError) as caught:
        BitstringStatusList(MINIMUM_ENTRIES - 8)
    assert caught.value.status_code == "STATUS_LIST_LENGTH_ERROR"
    encoded = _encoded(bytes(25))  # 200 entries
    assert len(BitstringStatusList.decode(encoded, minimum_entries=200)) == 200
    with pytest.raises(StatusListError) as caught:
        BitstringStatusList.decode(encoded, minimum_entries=201)
    assert caught.value.status_code == "STATUS_LIST_LENGTH_ERROR"
    assert caught.value.details == {"entries": 200, "minimumNumberOfEntries": 201}


def test_gzip_bomb_is_refused() -> None:
    bomb = _encoded(bytes(17 * 1024 * 1024))  # 17 MiB of zeros, ~17 KB compressed
    assert len(bomb) < 40_000
    with pytest.raises(StatusListError, match="beyond"):
        BitstringStatusList.decode(bomb)


def test_decompression_cap_is_exact() -> None:
    encoded = BitstringStatusList().encode()  # 16,384 bytes uncompressed
    assert len(BitstringStatusList.decode(encoded, max_decompressed_size=16_384)) == MINIMUM_ENTRIES
    with pytest.raises(StatusListError, match="beyond"):
        BitstringStatusList.decode(encoded, max_decompressed_size=16_383)


@pytest.mark.parametrize(
    "encoded",
    [
        _encoded(bytes(16_384), compress=zlib.compress),
        _encoded(bytes(16_384), compress=lambda raw: gzip.compress(raw, mtime=0)[:-6]),
        _encoded(bytes(16_384), compress=lambda raw: gzip.compress(raw, mtime=0) + b"junk"),
        _encoded(bytes(16_384), compress=lambda raw: gzip.compress(raw, mtime=0) * 2),
        "u" + "A" * 8,
        "u",
        "uH4sI+AAA",
        "",
    ],
    ids=[
        "zlib-not-gzip",
        "truncated",
        "trailing-bytes",
        "two-gzip-members",
        "not-gzip",
        "prefix-only",
        "standard-base64-alphabet",
        "empty",
    ],
)
def test_undecodable_encoded_list(encoded: str) -> None:
    with pytest.raises(StatusListError) as caught:
        BitstringStatusList.decode(encoded, minimum_entries=0)
    assert caught.value.status_code == "STATUS_VERIFICATION_ERROR"


# --- credential subject and entry ----------------------------------------------------------------


def _scoped_terms(type_name: str) -> set[str]:
    context = json.loads(V2_CONTEXT.read_text())["@context"]
    return set(context[type_name]["@context"]) - {"@protected"}


def test_credential_subject_uses_only_context_terms() -> None:
    status_list = BitstringStatusList.from_values({94567: 1})
    subject = status_list.credential_subject(
        subject_id="https://example.com/status/3#list",
        status_purpose=StatusPurpose.REVOCATION,
        ttl=3_600_000,
    )
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    assert subject["ttl"] == 3_600_000
    assert set(subject) <= _scoped_terms("BitstringStatusList")
    assert BitstringStatusList.from_credential_subject(subject) == status_list
    multi = status_list.credential_subject(
        subject_id="https://example.com/status/3#list", status_purpose=["revocation", "suspension"]
    )
    assert multi["statusPurpose"] == ["revocation", "suspension"]
    assert "ttl" not in multi


@pytest.mark.parametrize(
    "subject",
    [
        {"type": "StatusList2021", "encodedList": "uH4sI"},
        {"type": "BitstringStatusList"},
        {"type": "BitstringStatusList", "encodedList": 7},
    ],
)
def test_credential_subject_refused(subject: dict[str, Any]) -> None:
    with pytest.raises(StatusListError):
        BitstringStatusList.from_credential_subject(subject)


def test_credential_subject_rejects_bad_purpose_and_ttl() -> None:
    status_list = BitstringStatusList()
    with pytest.raises(MalformedInputError):
        status_list.credential_subject(subject_id="https://x.example/l#list", status_purpose=[])
    with pytest.raises(MalformedInputError):
        status_list.credential_subject(
            subject_id="https://x.example/l#list", status_purpose="revocation", ttl=-1
        )


@pytest.mark.parametrize("case", ENTRIES["valid"], ids=_ids(ENTRIES["valid"]))
def test_valid_entries_round_trip(case: dict[str, Any]) -> None:
    entry = BitstringStatusListEntry.from_json(case["entry"])
    assert entry.status_list_index == case["index"]
    assert entry.status_size == case["status_size"]
    assert entry.to_json() == case["entry"]
    assert set(entry.to_json()) <= _scoped_terms("BitstringStatusListEntry")


@pytest.mark.parametrize("case", ENTRIES["invalid"], ids=_ids(ENTRIES["invalid"]))
def test_invalid_entries_refused(case: dict[str, Any]) -> None:
    with pytest.raises(MalformedInputError):
        BitstringStatusListEntry.from_json(case["entry"])


def test_entry_builder() -> None:
    messages = tuple(
        StatusMessage(status, text)
        for status, text in enumerate(["valid", "revoked", "suspended", "undefined"])
    )
    entry = BitstringStatusListEntry(
        status_purpose=StatusPurpose.MESSAGE,
        status_list_index=81523,
        status_list_credential="https://status.alliance.example/lists/7",
        id="https://status.alliance.example/lists/7#81523",
        status_size=2,
        status_message=messages,
    )
    as_json = entry.to_json()
    assert as_json["statusListIndex"] == "81523"
    assert as_json["statusSize"] == 2
    assert as_json["statusMessage"][2] == {"status": "0x2", "message": "suspended"}
    assert "statusReference" not in as_json
    assert StatusMessage(10, "ten").to_json() == {"status": "0xa", "message": "ten"}
    with pytest.raises(MalformedInputError):
        BitstringStatusListEntry(
            status_purpose="message",
            status_list_index=1,
            status_list_credential="https://status.alliance.example/lists/7",
            status_size=2,
        )
    with pytest.raises(MalformedInputError):
        BitstringStatusListEntry(
            status_purpose="revocation",
            status_list_index=-1,
            status_list_credential="https://status.alliance.example/lists/7",
        )
