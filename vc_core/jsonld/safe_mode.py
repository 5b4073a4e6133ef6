"""Safe mode: refuse JSON-LD data that would be silently left out of a signature.

VC Data Integrity 1.0 §2.4.3 ("Securing Data Losslessly") and VCDM 2.0 App. B.1: when a
property does not expand to an IRI, JSON-LD drops it and RDF canonicalization never sees it,
so a signature would not cover it. mcred refuses such documents when signing and verifying:

* a property that does not expand to an absolute IRI (an *undefined term*);
* an ``@type`` or ``@id`` value (or a typed literal's datatype) that stays relative;
* a float that does not survive the JSON-LD ``xsd:double`` canonical form (``%1.15E``);
* NaN/Infinity, and control characters other than TAB, LF and CR, in any key or string.

:func:`check_values` is the cheap JSON walk for the last two; :func:`check_expanded` walks
pyld's expanded output for the relative IRIs; dropped properties are caught by pyld's
``on_property_dropped`` hook while expanding (see :mod:`vc_core.jsonld.canonicalize`).
"""

from __future__ import annotations

import math
import re
from typing import Any

from vc_core.errors import UnsafeJsonLdError, UnsafeValueError

__all__ = [
    "check_expanded",
    "check_values",
    "has_control_character",
    "is_absolute_iri",
    "is_safe_float",
]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The test JSON-LD processors (pyld, jsonld.js) apply: a scheme, a colon, no white space.
_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+\-.]*|_):[^\s]*$")


def is_absolute_iri(value: str) -> bool:
    """True for ``scheme:…`` strings (RFC 3987 absolute IRI syntax, as JSON-LD tests it)."""
    return _ABSOLUTE_IRI.match(value) is not None


def has_control_character(text: str) -> bool:
    return _CONTROL.search(text) is not None


def is_safe_float(value: float) -> bool:
    """Finite, and equal to itself after the ``xsd:double`` canonical form's 15 digits."""
    return math.isfinite(value) and (value.is_integer() or float(f"{value:.15E}") == value)


def _check_string(text: str, path: str) -> None:
    match = _CONTROL.search(text)
    if match is not None:
        raise UnsafeValueError(
            f"control character U+{ord(match.group()):04X} at {path or '/'}: "
            "only TAB, LF and CR are allowed in signed text",
            details={"path": path or "/"},
        )


def check_float(value: float, path: str) -> None:
    if not math.isfinite(value):
        raise UnsafeValueError(f"non-finite number at {path or '/'}", details={"path": path})
    if not value.is_integer() and float(f"{value:.15E}") != value:
        raise UnsafeValueError(
            f"the number {value!r} at {path or '/'} does not round-trip through the "
            "xsd:double canonical form (15 digits); send it as a string",
            details={"path": path or "/"},
        )


def check_values(node: Any, path: str = "") -> None:
    """Refuse floats that do not round-trip, non-finite numbers and control characters."""
    if isinstance(node, dict):
        for key, value in node.items():
            _check_string(key, path)
            check_values(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            check_values(value, f"{path}/{i}")
    elif isinstance(node, str):
        _check_string(node, path)
    elif isinstance(node, float):
        check_float(node, path)


def _iri_ok(value: Any) -> bool:
    return isinstance(value, str) and (value.startswith("_:") or is_absolute_iri(value))


def check_expanded(node: Any, path: str = "") -> None:
    """Walk expanded JSON-LD; relative ``@id``/``@type`` values raise :class:`UnsafeJsonLdError`."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            check_expanded(item, f"{path}/{i}")
        return
    if not isinstance(node, dict):
        return
    node_id = node.get("@id")
    if node_id is not None and not _iri_ok(node_id):
        raise UnsafeJsonLdError(
            f"relative IRI {node_id!r} used as an identifier at {path or '/'}: "
            "it would be dropped from the signed data",
            details={"path": path or "/", "value": node_id},
        )
    types = node.get("@type")
    if types is not None and "@value" not in node:
        for value in types if isinstance(types, list) else [types]:
            if not _iri_ok(value):
                raise UnsafeJsonLdError(
                    f"type {value!r} at {path or '/'} is not defined by any context",
                    details={"path": path or "/", "value": value},
                )
    elif types is not None and types != "@json" and not _iri_ok(types):
        raise UnsafeJsonLdError(
            f"datatype {types!r} at {path or '/'} is not an absolute IRI",
            details={"path": path or "/", "value": types},
        )
    for key, value in node.items():
        if key in ("@id", "@type", "@value", "@language", "@direction", "@index"):
            continue
        check_expanded(value, f"{path}/{key}")
