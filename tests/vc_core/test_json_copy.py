"""``json_copy`` gives what ``copy.deepcopy`` gives for JSON data, and shares nothing mutable."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from vc_core.strict_json import json_copy

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
        | st.tuples(inner, inner)
    ),
    max_leaves=30,
)


def _containers(value: Any) -> list[Any]:
    found = []
    if isinstance(value, dict | list):
        found.append(value)
    children = value.values() if isinstance(value, dict) else value
    if isinstance(value, dict | list | tuple):
        for child in children:
            found += _containers(child)
    return found


@given(_json)
def test_a_copy_equals_deepcopy_and_shares_no_container(value: Any) -> None:
    copied = json_copy(value)
    assert copied == copy.deepcopy(value)
    assert type(copied) is type(value)
    if isinstance(value, dict):
        assert list(copied) == list(value)  # key order kept
    originals = {id(c) for c in _containers(value)}
    assert not originals & {id(c) for c in _containers(copied)}


def test_changing_the_copy_leaves_the_original() -> None:
    document = {"proof": {"type": "DataIntegrityProof"}, "type": ["VerifiableCredential"]}
    copied = json_copy(document)
    copied["proof"]["type"] = "changed"
    copied["type"].append("x")
    assert document == {"proof": {"type": "DataIntegrityProof"}, "type": ["VerifiableCredential"]}
