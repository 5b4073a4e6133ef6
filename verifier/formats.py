"""Which securing format an input is, and its parts (specs.md §11 verifier step 1).

=====================  ===================================================================
``data_integrity``     a JSON object secured by an embedded ``proof`` (VC Data Integrity 1.0),
                       VCDM 1.1 or 2.0
``vc+jwt``             a VCDM 2.0 credential that *is* the JWT claims set (VC-JOSE-COSE 1.0),
                       compact or in an ``EnvelopedVerifiableCredential``
``jwt_vc_json``        a VCDM 1.1 credential in the ``vc`` claim of a JWT (VCDM 1.1 §6.3.1)
``vp+jwt``             a VCDM 2.0 presentation as JWT claims set, compact or in an
                       ``EnvelopedVerifiablePresentation``
=====================  ===================================================================

Detection never trusts the content beyond choosing the verification path: the header and
payload read here are *unverified* and only name the key to resolve. Input that cannot be read
at all raises :class:`~verifier.errors.UnverifiableInputError`; SD-JWT, JWE and COSE raise
:class:`~verifier.errors.UnsupportedFormatError`.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vc_core.errors import KeyFormatError, MalformedInputError
from vc_core.jose import (
    decode_unverified_header,
    parse_enveloped_credential,
    parse_enveloped_presentation,
)
from vc_core.keys import b64url_decode
from vc_core.strict_json import StrictJsonError, loads_strict
from verifier.errors import UnsupportedFormatError, UnverifiableInputError

__all__ = [
    "ParsedInput",
    "SecuringFormat",
    "input_size",
    "is_presentation_token",
    "load_json",
    "parse_credential_input",
    "parse_presentation_input",
    "types_of",
]

ENVELOPED_VC = "EnvelopedVerifiableCredential"
ENVELOPED_VP = "EnvelopedVerifiablePresentation"


class SecuringFormat(enum.StrEnum):
    DATA_INTEGRITY = "data_integrity"
    VC_JWT = "vc+jwt"
    JWT_VC_JSON = "jwt_vc_json"
    VP_JWT = "vp+jwt"
    UNKNOWN = "unknown"
    """Only in reports of inputs refused before their format was read (too large)."""


@dataclass(frozen=True)
class ParsedInput:
    """A readable input: a Data Integrity ``document``, or a compact ``token`` with its
    unverified ``header`` and ``claims``."""

    format: SecuringFormat
    document: dict[str, Any] | None = None
    token: str | None = None
    header: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    enveloped: bool = False


# -- strict JSON ----------------------------------------------------------------------------


def load_json(data: bytes | str, *, what: str = "the input") -> Any:
    """RFC 8259 JSON (UTF-8) with unique member names, no NaN/Infinity; else raises
    :class:`UnverifiableInputError`."""
    try:
        return loads_strict(data.encode("utf-8") if isinstance(data, str) else data)
    except UnicodeEncodeError:
        raise UnverifiableInputError(f"{what} is not valid Unicode") from None
    except StrictJsonError as exc:
        raise UnverifiableInputError(f"{what} {exc}") from None


def input_size(value: object) -> int:
    """UTF-8 bytes of ``value`` as compact JSON (a string: its own length)."""
    if isinstance(value, str):
        return len(value.encode("utf-8", errors="surrogatepass"))
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as exc:
        raise UnverifiableInputError(f"the input is not JSON: {exc}") from None
    return len(text.encode("utf-8", errors="surrogatepass"))


def types_of(document: Mapping[str, Any]) -> list[str]:
    """``type`` as a list of its string members (a string is a one-element list)."""
    value = document.get("type")
    items = value if isinstance(value, list) else [value]
    return [t for t in items if isinstance(t, str)]


# -- tokens ---------------------------------------------------------------------------------


def _media_type(typ: object) -> str | None:
    if not isinstance(typ, str):
        return None
    lowered = typ.lower()
    return lowered if "/" in lowered else "application/" + lowered


def _read_token(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The unverified header and claims of a compact JWS."""
    if "~" in token:
        raise UnsupportedFormatError("SD-JWT credentials are not verified by mcred yet")
    if token.count(".") == 4:
        raise UnsupportedFormatError("encrypted JWTs (JWE) are not verified")
    try:
        header = decode_unverified_header(token)
        claims = load_json(b64url_decode(token.split(".")[1]), what="the JWT payload")
    except KeyFormatError as exc:  # pragma: no cover - decode_unverified_header checked it
        raise UnverifiableInputError(f"not a compact JWS: {exc.message}") from None
    except UnverifiableInputError:
        raise
    except MalformedInputError as exc:
        raise UnverifiableInputError(
            f"not a compact JWS: {exc.message}", details={"cause": exc.code}
        ) from None
    if not isinstance(claims, dict):
        raise UnverifiableInputError("the JWT payload is not a JSON object")
    return header, claims


def _credential_token(token: str, *, enveloped: bool) -> ParsedInput:
    header, claims = _read_token(token)
    media = _media_type(header.get("typ"))
    if media == "application/vp+jwt" or "vp" in claims:
        raise UnverifiableInputError("this JWT is a presentation, not a credential")
    legacy = media in (None, "application/jwt", "application/vc+ld+json") and "vc" in claims
    fmt = SecuringFormat.JWT_VC_JSON if legacy and not enveloped else SecuringFormat.VC_JWT
    return ParsedInput(fmt, token=token, header=header, claims=claims, enveloped=enveloped)


def _presentation_token(token: str, *, enveloped: bool) -> ParsedInput:
    header, claims = _read_token(token)
    media = _media_type(header.get("typ"))
    if "vp" in claims and media != "application/vp+jwt":
        raise UnsupportedFormatError("VCDM 1.1 JWT presentations (a 'vp' claim) are not verified")
    if media == "application/vc+jwt" or "vc" in claims:
        raise UnverifiableInputError("this JWT is a credential, not a presentation")
    return ParsedInput(
        SecuringFormat.VP_JWT, token=token, header=header, claims=claims, enveloped=enveloped
    )


def _as_json(value: object) -> object:
    """A string holding a JSON object is read as one (a convenience for pasted input)."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        return load_json(value)
    return value


# -- entry points ---------------------------------------------------------------------------


def parse_credential_input(value: object) -> ParsedInput:
    """Detect and split a credential: a JSON object (DI or enveloped) or a compact JWT."""
    value = _as_json(value)
    if isinstance(value, str):
        return _credential_token(value.strip(), enveloped=False)
    if not isinstance(value, Mapping):
        raise UnverifiableInputError("a credential is a JSON object or a compact JWT")
    if ENVELOPED_VC in types_of(value):
        try:
            envelope = parse_enveloped_credential(value)
        except MalformedInputError as exc:
            raise UnverifiableInputError(
                f"unreadable {ENVELOPED_VC}: {exc.message}", details={"cause": exc.code}
            ) from None
        if envelope.media_type != "application/vc+jwt":
            raise UnsupportedFormatError(f"{envelope.media_type} credentials are not verified")
        return _credential_token(envelope.token, enveloped=True)
    return ParsedInput(SecuringFormat.DATA_INTEGRITY, document=dict(value))


def parse_presentation_input(value: object) -> ParsedInput:
    """Detect and split a presentation: a JSON object (DI or enveloped) or a ``vp+jwt``."""
    value = _as_json(value)
    if isinstance(value, str):
        return _presentation_token(value.strip(), enveloped=False)
    if not isinstance(value, Mapping):
        raise UnverifiableInputError("a presentation is a JSON object or a compact JWT")
    if ENVELOPED_VP in types_of(value):
        try:
            envelope = parse_enveloped_presentation(value)
        except MalformedInputError as exc:
            raise UnverifiableInputError(
                f"unreadable {ENVELOPED_VP}: {exc.message}", details={"cause": exc.code}
            ) from None
        if envelope.media_type != "application/vp+jwt":
            raise UnsupportedFormatError(f"{envelope.media_type} presentations are not verified")
        return _presentation_token(envelope.token, enveloped=True)
    return ParsedInput(SecuringFormat.DATA_INTEGRITY, document=dict(value))


def is_presentation_token(token: str) -> bool:
    """Whether a compact JWT announces a presentation (``typ`` ``vp+jwt`` or a ``vp`` claim)."""
    header, claims = _read_token(token.strip())
    return _media_type(header.get("typ")) == "application/vp+jwt" or "vp" in claims
