"""The SD-JWT payload built by :func:`vc_core.sd_jwt.make_sd_payload` is the issuer's own JSON.

Claims with nothing disclosable inside are copied rather than walked claim by claim; the copy
must still be plain JSON made of fresh dicts and lists (tuples become lists), so that neither the
payload nor the caller's claims change when the other does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from vc_core.sd_jwt import SD_DIGESTS_KEY, make_sd_payload


def _containers(value: Any) -> Iterator[Any]:
    if isinstance(value, Mapping | list | tuple):
        yield value
        items = value.values() if isinstance(value, Mapping) else value
        for item in items:
            yield from _containers(item)


def _only_dicts_and_lists(value: Any) -> bool:
    return all(type(c) in (dict, list) for c in _containers(value))


def test_kept_claims_are_fresh_dicts_and_lists() -> None:
    claims: dict[str, Any] = {
        "learner": ["Ada"],
        "address": {"street": "1 Main St", "lines": ("a", "b")},
        "meta": {"tags": [("x", 1), {"y": None}]},
        "outcomes": [["one", "two"], {"n": 1.5}],
    }
    built = make_sd_payload(claims, disclosable=[("learner",)], salt_source=iter("abc").__next__)
    payload = built.payload
    assert payload["address"] == {"street": "1 Main St", "lines": ["a", "b"]}
    assert payload["meta"] == {"tags": [["x", 1], {"y": None}]}
    assert payload["outcomes"] == [["one", "two"], {"n": 1.5}]
    assert _only_dicts_and_lists(payload)
    ours = {id(c) for c in _containers(payload)}
    assert not ours & {id(c) for c in _containers(claims)}
    payload["outcomes"][0].append("three")
    assert claims["outcomes"][0] == ["one", "two"]
    assert len(payload[SD_DIGESTS_KEY]) == 1


json_leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
json_values = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text("abc", min_size=1, max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(claims=st.dictionaries(st.text("pqrs", min_size=1, max_size=3), json_values, max_size=4))
def test_nothing_disclosable_copies_the_claims_as_json(claims: dict[str, Any]) -> None:
    payload = make_sd_payload(claims).payload
    assert payload.pop("_sd_alg") == "sha-256"

    def as_json(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: as_json(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [as_json(v) for v in value]
        return value

    assert payload == as_json(claims)
    assert _only_dicts_and_lists(payload)
    assert not {id(c) for c in _containers(payload)} & {id(c) for c in _containers(claims)}
