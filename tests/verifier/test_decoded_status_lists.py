"""Status lists decoded once, kept across verifications (verifier.status.DecodedStatusLists)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.verifier.world import (
    ELM_INDEX,
    ELM_LIST,
    elm_credential,
    make_verifier,
    sign_di,
    status_client,
    status_list_credential,
)
from vc_core.errors import StatusListError
from vc_core.status import BitstringStatusList
from verifier.status import DecodedStatusLists

LIMITS: dict[str, int] = {"minimum_entries": 131_072, "max_decompressed_size": 1 << 20}


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The status sizes BitstringStatusList.from_credential_subject was asked to decode."""
    seen: list[int] = []
    original = BitstringStatusList.from_credential_subject.__func__  # type: ignore[attr-defined]

    def counting(cls: type[BitstringStatusList], subject: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["status_size"])
        return original(cls, subject, **kwargs)

    monkeypatch.setattr(BitstringStatusList, "from_credential_subject", classmethod(counting))
    return seen


def _subject(values: dict[int, int] | None = None, *, status_size: int = 2) -> dict[str, Any]:
    document = status_list_credential(
        ELM_LIST, purpose="message", status_size=status_size, values=values
    )
    subject: dict[str, Any] = document["credentialSubject"]
    return subject


def test_a_list_is_decoded_once_under_the_same_terms(decodes: list[int]) -> None:
    memory = DecodedStatusLists()
    subject = _subject({7: 2})
    first = memory.decode(subject, status_size=2, **LIMITS)
    again = memory.decode(dict(subject), status_size=2, **LIMITS)  # an equal copy
    assert again is first
    assert again.get(7) == 2
    assert decodes == [2]
    memory.decode(subject, status_size=1, **LIMITS)  # another statusSize
    memory.decode(subject, status_size=2, minimum_entries=8, max_decompressed_size=1 << 20)
    memory.decode({**subject, "type": ["BitstringStatusList", "Other"]}, status_size=2, **LIMITS)
    assert decodes == [2, 1, 2, 2]
    assert len(memory) == 4


def test_another_encoded_list_is_read_afresh(decodes: list[int]) -> None:
    memory = DecodedStatusLists()
    assert memory.decode(_subject(), status_size=2, **LIMITS).get(7) == 0
    assert memory.decode(_subject({7: 1}), status_size=2, **LIMITS).get(7) == 1
    assert decodes == [2, 2]


def test_what_does_not_decode_is_refused_each_time(decodes: list[int]) -> None:
    memory = DecodedStatusLists()
    bad = [
        {**_subject(), "type": "SomethingElse"},
        {**_subject(), "encodedList": "u!!!"},
        {**_subject(), "encodedList": 42},
        {**_subject(), "type": {"not": "hashable"}},
    ]
    for subject in bad * 2:
        with pytest.raises(StatusListError):
            memory.decode(subject, status_size=2, **LIMITS)
    with pytest.raises(StatusListError):  # too few entries for the verifier's minimum
        memory.decode(
            _subject(), status_size=2, minimum_entries=1 << 22, max_decompressed_size=1 << 20
        )
    assert len(decodes) == 9
    assert len(memory) == 0


def test_the_verifier_reads_a_changed_list_at_once(decodes: list[int]) -> None:
    client = status_client()
    verifier = make_verifier(client)
    credential = sign_di(elm_credential())
    for _ in range(3):
        assert verifier.verify_credential(credential).verified
    assert decodes == [2]
    client.publish(
        ELM_LIST,
        status_list_credential(ELM_LIST, purpose="message", status_size=2, values={ELM_INDEX: 1}),
    )
    report = verifier.verify_credential(credential)
    assert report.check("status").code == "revoked"
    assert decodes == [2, 2]


def test_a_list_larger_than_the_budget_is_decoded_each_time(decodes: list[int]) -> None:
    memory = DecodedStatusLists(max_list_bytes=131_072 * 2 // 8 - 1)  # one byte short
    for _ in range(2):
        assert memory.decode(_subject({7: 2}), status_size=2, **LIMITS).get(7) == 2
    assert decodes == [2, 2]
    assert len(memory) == 0
    kept = DecodedStatusLists(max_list_bytes=131_072 * 2 // 8)
    for _ in range(2):
        kept.decode(_subject(), status_size=2, **LIMITS)
    assert len(kept) == 1


def test_a_type_with_an_object_in_it_is_decoded_without_the_memory() -> None:
    memory = DecodedStatusLists()
    subject = {**_subject({7: 1}), "type": ["BitstringStatusList", {"a": 1}]}
    assert memory.decode(subject, status_size=2, **LIMITS).get(7) == 1  # no TypeError
    assert len(memory) == 0
