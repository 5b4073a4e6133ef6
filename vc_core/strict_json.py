"""Strict JSON for signed payloads: RFC 8259 in UTF-8, unique member names, finite numbers.

JWS headers and payloads (RFC 7515 §5.2), JWT claims (RFC 7519 §4) and SD-JWT disclosures
(RFC 9901) must not have duplicate member names: two parsers could read different values.
"""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

__all__ = ["StrictJsonError", "loads_strict", "normalize_media_type"]


class StrictJsonError(ValueError):
    """The bytes are not strict JSON; the message says why (duplicate member, encoding…)."""


class _DuplicateMemberError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # dict() in C, then one length comparison: a member-by-member loop here was a tenth of a
    # verification's CPU. The names are looked at one by one only to name the duplicate.
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise _DuplicateMemberError(name)
            seen.add(name)
    return result


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text} overflows a double")
    return value


def loads_strict(data: bytes) -> Any:
    """Parse ``data``; raise :class:`StrictJsonError` on anything but strict JSON."""
    try:
        return json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
        )
    except _DuplicateMemberError as exc:
        raise StrictJsonError(f"has a duplicate member {exc.args[0]!r}") from None
    except UnicodeDecodeError:
        raise StrictJsonError("is not UTF-8") from None
    except RecursionError:
        raise StrictJsonError("is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError and NaN/Infinity
        raise StrictJsonError(f"is not JSON: {exc}") from None


def normalize_media_type(value: str) -> str:
    """RFC 7515 §4.1.9 ``typ``/``cty``: case-insensitive, ``application/`` implied without ``/``."""
    lowered = value.lower()
    return lowered if "/" in lowered else "application/" + lowered
