"""vc_core.json_codec: dumps and loads agree with json, json_copy with copy.deepcopy."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from vc_core import json_codec
from vc_core.json_codec import json_copy

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
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


@given(_json)
def test_dumps_and_loads_round_trip_as_json_does(value: Any) -> None:
    text = json_codec.dumps(value)
    assert json_codec.loads(text) == json.loads(json.dumps(value))
    assert json_codec.loads(text.encode("utf-8")) == json_codec.loads(text)


def test_what_orjson_refuses_goes_through_json() -> None:
    value = {"big": 2**70, "é": [-(2**65), 0.1], 1: "non-string key"}
    assert json_codec.dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert json_codec.loads('{"big": 1180591620717411303424}') == {"big": 2**70}
    assert json_codec.dumps({"a": [1, "☃"]}) == '{"a":[1,"☃"]}'  # compact, not escaped


@given(_json)
def test_dump_bytes_is_the_text_of_dumps(value: Any) -> None:
    assert json_codec.dump_bytes(value) == json_codec.dumps(value).encode("utf-8")


def test_dump_bytes_of_what_orjson_refuses() -> None:
    value = {"big": 2**70, 1: "☃"}
    assert json_codec.dump_bytes(value) == '{"big":1180591620717411303424,"1":"☃"}'.encode()
