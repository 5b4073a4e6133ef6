"""Safe mode: refuse JSON-LD data that would be silently left out of a signature.

VC Data Integrity 1.0 §2.4.3 ("Securing Data Losslessly") and VCDM 2.0 App. B.1: when a
property does not expand to an IRI, JSON-LD drops it and RDF canonicalization never sees it,
so a signature would not cover it. mcred refuses such documents when signing and verifying:

* a property that does not expand to an absolute IRI (an *undefined term*);
* an ``@type`` or ``@id`` value (or a typed literal's datatype) that stays relative;
* an IRI with characters N-Quads cannot carry (white space, ``<>"{}|^`\\``): canonicalizers
  disagree on them, and an escape such as ``\u0069`` could make two IRIs sign alike;
* a blank-node property (``"_:x": …``), ``@index`` and ``@direction``: RDF drops them;
* a string typed ``xsd:double``: processors rewrite it (``"1"`` → ``"1.0E0"``), so different
  strings would sign alike;
* a float that does not survive the JSON-LD ``xsd:double`` canonical form (``%1.15E``);
* NaN/Infinity; control characters other than TAB, LF and CR; lone surrogates; and the
  noncharacters U+FFFE/U+FFFF (serializers escape them differently).
* integers outside ±2^53 (they do not survive JavaScript or JCS, RFC 8785 §3.2.2.3).

:func:`check_values` is the cheap JSON walk for the values; :func:`check_expanded` walks
pyld's expanded output for IRIs and the dropped keywords; dropped properties are caught by
pyld's ``on_property_dropped`` hook while expanding (see :mod:`vc_core.jsonld.canonicalize`).
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
    "has_iri_forbidden_character",
    "is_absolute_iri",
    "is_safe_float",
    "is_safe_integer",
    "is_safe_iri",
]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_MAX_SAFE_INTEGER = 2**53
XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
# The test JSON-LD processors (pyld, jsonld.js) apply: a scheme, a colon, no white space.
_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+\-.]*|_):[^\s]*$")


def is_absolute_iri(value: str) -> bool:
    """True for ``scheme:…`` strings (RFC 3987 absolute IRI syntax, as JSON-LD tests it)."""
    return _ABSOLUTE_IRI.match(value) is not None


# The bytes of the refused characters below U+0080 (in UTF-8 each is one byte, and no other
# character's encoding holds one of them), and the UTF-8 of U+FFFE and U+FFFF.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_OTHER_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
_NONCHARACTERS = ("\ufffe".encode(), "\uffff".encode())


def has_control_character(text: str) -> bool:
    """True if ``text`` holds a character safe mode refuses (see :data:`_CONTROL`).

    The same answer as searching ``_CONTROL``, in C loops over the UTF-8 bytes (long texts
    are checked on the signing hot path): a lone surrogate cannot be encoded, the other
    characters are found by their bytes."""
    if text.isascii():
        return bool(text.encode("ascii").translate(None, _OTHER_BYTES))
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return True  # a lone surrogate (U+D800…U+DFFF)
    if data.translate(None, _OTHER_BYTES):
        return True
    return b"\xef\xbf" in data and (_NONCHARACTERS[0] in data or _NONCHARACTERS[1] in data)


def is_safe_float(value: float) -> bool:
    """Finite, and equal to itself after the ``xsd:double`` canonical form's 15 digits."""
    return math.isfinite(value) and (value.is_integer() or float(f"{value:.15E}") == value)


def _check_string(text: str, path: str) -> None:
    match = _CONTROL.search(text)
    if match is not None:
        raise UnsafeValueError(
            f"character U+{ord(match.group()):04X} at {path or '/'} is not allowed in signed "
            "text (control characters but TAB, LF and CR; lone surrogates; U+FFFE, U+FFFF)",
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
    """Refuse unsafe numbers and characters anywhere in a JSON document (keys included)."""
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
    elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > _MAX_SAFE_INTEGER:
        raise UnsafeValueError(
            f"the integer at {path or '/'} is outside ±2^53; send it as a string",
            details={"path": path or "/"},
        )


def has_iri_forbidden_character(value: str) -> bool:
    return _IRI_FORBIDDEN.search(value) is not None


def is_safe_integer(value: int) -> bool:
    return abs(value) <= _MAX_SAFE_INTEGER


def is_safe_iri(value: str) -> bool:
    """Absolute (or a blank node label), and free of characters N-Quads IRIs cannot carry."""
    return (value.startswith("_:") or is_absolute_iri(value)) and not _IRI_FORBIDDEN.search(value)


def _unsafe(message: str, path: str, **details: Any) -> UnsafeJsonLdError:
    return UnsafeJsonLdError(message, details={"path": path or "/", **details})


def _check_iri(value: Any, path: str, what: str) -> None:
    if not isinstance(value, str) or not (value.startswith("_:") or is_absolute_iri(value)):
        raise _unsafe(
            f"relative IRI {value!r} used as {what} at {path or '/'}: it would be dropped "
            "from the signed data (is the term or type defined by a context?)",
            path,
            value=value,
        )
    if _IRI_FORBIDDEN.search(value):
        raise _unsafe(
            f"the IRI {value!r} at {path or '/'} holds characters an IRI cannot carry "
            '(white space, <>"{}|^`\\)',
            path,
            value=value,
        )


_DROPPED_KEYWORDS = ("@index", "@direction")


def check_expanded(node: Any, path: str = "") -> None:
    """Walk expanded JSON-LD and refuse what RDF would drop or processors read differently."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            check_expanded(item, f"{path}/{i}")
        return
    if not isinstance(node, dict):
        return
    for keyword in _DROPPED_KEYWORDS:
        if keyword in node:
            raise _unsafe(f"{keyword} at {path or '/'} is not carried into RDF", path)
    if "@value" in node:
        datatype = node.get("@type")
        if datatype is not None and datatype != "@json":
            _check_iri(datatype, path, "a datatype")
        if datatype == XSD_DOUBLE and isinstance(node["@value"], str):
            raise _unsafe(
                f"a string typed xsd:double at {path or '/'} is rewritten by JSON-LD "
                "processors; send a JSON number",
                path,
            )
        return
    if "@id" in node:
        _check_iri(node["@id"], path, "an identifier")
    types = node.get("@type")
    for value in types if isinstance(types, list) else ([] if types is None else [types]):
        _check_iri(value, path, "a type")
    for key, value in node.items():
        if key.startswith("_:"):
            raise _unsafe(f"the blank-node property {key!r} at {path or '/'} has no IRI", path)
        if key in ("@id", "@type"):
            continue
        check_expanded(value, f"{path}/{key}")
