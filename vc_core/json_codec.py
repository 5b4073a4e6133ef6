"""JSON that mcred itself wrote and reads back (stored records, documents it hands out): compact,
fast, and copied without ``copy.deepcopy``.

Not for input from outside: signed payloads are read with :func:`vc_core.strict_json.loads_strict`.

* :func:`dumps` — compact UTF-8 text (no spaces, no ASCII escaping) by :func:`orjson.dumps`,
  several times faster than :func:`json.dumps` on a 20 KB credential; :func:`json.dumps` with
  the same separators for what orjson refuses (integers beyond 64 bits, non-string keys).
  :func:`dump_bytes` — the same text, UTF-8 encoded (a response body).
* :func:`loads` — :func:`orjson.loads`, or :func:`json.loads` for what orjson refuses.
* :func:`json_copy` — a deep copy of JSON data, as :func:`copy.deepcopy` gives it.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar, cast

import orjson

__all__ = ["dump_bytes", "dumps", "json_copy", "loads"]

_T = TypeVar("_T")


def dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dump_bytes(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def json_copy(value: _T) -> _T:
    """A deep copy of JSON data (dicts, lists, tuples, scalars), as :func:`copy.deepcopy`
    gives it for such data, several times faster (shared documents handed out as copies)."""
    if isinstance(value, dict):
        return cast(_T, {key: json_copy(item) for key, item in value.items()})
    if isinstance(value, list):
        return cast(_T, [json_copy(item) for item in value])
    if isinstance(value, tuple):
        return cast(_T, tuple(json_copy(item) for item in value))
    return value
