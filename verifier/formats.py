"""Which securing format an input is, and its parts (specs.md §11 verifier step 1).

=====================  ===================================================================
``data_integrity``     a JSON object secured by an embedded ``proof`` (VC Data Integrity 1.0),
                       VCDM 1.1 or 2.0
``vc+jwt``             a VCDM 2.0 credential that *is* the JWT claims set (VC-JOSE-COSE 1.0),
                       compact or in an ``EnvelopedVerifiableCredential``
``jwt_vc_json``        a VCDM 1.1 credential in the ``vc`` claim of a JWT (VCDM 1.1 §6.3.1)
``vp+jwt``             a VCDM 2.0 presentation as JWT claims set, compact or in an
                       ``EnvelopedVerifiablePresentation``
``dc+sd-jwt``          an SD-JWT VC (draft-ietf-oauth-sd-jwt-vc, specs.md §2.4; ``typ``
                       ``dc+sd-jwt`` or the legacy ``vc+sd-jwt``), ``~``-serialized, with or
                       without a KB-JWT, compact or in an ``EnvelopedVerifiableCredential``
=====================  ===================================================================

Detection never trusts the content beyond choosing the verification path: the header and
payload read here are *unverified* and only name the key to resolve. Input that cannot be read
at all raises :class:`~verifier.errors.UnverifiableInputError` — among them a credential or
presentation sent as a JSON *string* (VC API: a string is only ever a compact JWT, anything
else is a ``PARSING_ERROR``); other SD-JWTs, JWE and COSE raise
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
    CompactJws,
    parse_compact_jws,
    parse_enveloped_credential,
    parse_enveloped_presentation,
)
from vc_core.sd_jwt import MalformedSdJwtError, parse_sd_jwt
from vc_core.sd_jwt_vc import LEGACY_SD_JWT_VC_TYP, SD_JWT_VC_TYP
from vc_core.strict_json import StrictJsonError, loads_strict
from verifier.errors import UnsupportedFormatError, UnverifiableInputError

__all__ = [
    "REENCODED_GROWTH",
    "ParsedInput",
    "SecuringFormat",
    "input_size",
    "is_presentation_token",
    "is_sd_jwt",
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
    SD_JWT_VC = "dc+sd-jwt"
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
    key_bound: bool = False
    """An SD-JWT VC that carries a KB-JWT (an SD-JWT+KB, RFC 9901 §4.3)."""
    jws: CompactJws | None = None
    """A compact JWS ``token`` as decoded (``claims`` are its payload), or an SD-JWT's
    Issuer-signed JWT: verified without decoding it again."""


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


REENCODED_GROWTH = 5
"""How many times its own JSON text a value parsed from strict JSON can grow when
:func:`input_size` encodes it again: strings, names, literals and punctuation never grow
(escapes only shrink, whitespace goes), a number at most 4.5 times (``1e15`` is
``1000000000000000.0``). ``REENCODED_GROWTH * len(body)`` bounds every value in a body."""


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


_SD_JWT_VC_MEDIA = frozenset(
    {"application/" + SD_JWT_VC_TYP, "application/" + LEGACY_SD_JWT_VC_TYP}
)


def is_sd_jwt(token: str) -> bool:
    """Whether a string is ``~``-serialized (an SD-JWT, RFC 9901 §4)."""
    return "~" in token


def _issuer_payload(jws: CompactJws) -> dict[str, Any]:
    """The Issuer-signed JWT's payload, unverified, from the JWS already decoded (as
    :meth:`vc_core.sd_jwt.SdJwtParts.unverified_claims` reads it)."""
    try:
        payload = loads_strict(jws.payload)
    except StrictJsonError as exc:
        raise MalformedSdJwtError(f"the Issuer-signed JWT payload {exc}") from None
    if not isinstance(payload, dict):
        raise MalformedSdJwtError("the Issuer-signed JWT payload is not a JSON object")
    return payload


def _sd_jwt_token(token: str, *, enveloped: bool) -> ParsedInput:
    """An SD-JWT VC: the Issuer-signed JWT's unverified header and payload, for key discovery."""
    try:
        parts = parse_sd_jwt(token)
        jws = parse_compact_jws(parts.issuer_jwt)
        claims = _issuer_payload(jws)
    except (MalformedInputError, KeyFormatError) as exc:
        raise UnverifiableInputError(
            f"not an SD-JWT: {exc.message}", details={"cause": exc.code}
        ) from None
    header = dict(jws.header)
    if _media_type(header.get("typ")) not in _SD_JWT_VC_MEDIA:
        raise UnsupportedFormatError(
            f"only SD-JWT VCs (typ {SD_JWT_VC_TYP!r} or {LEGACY_SD_JWT_VC_TYP!r}) are verified, "
            f"not typ {header.get('typ')!r}"
        )
    return ParsedInput(
        SecuringFormat.SD_JWT_VC,
        token=token,
        header=header,
        claims=claims,
        enveloped=enveloped,
        key_bound=parts.kb_jwt is not None,
        jws=jws,
    )


def _read_token(token: str) -> tuple[dict[str, Any], dict[str, Any], CompactJws]:
    """The unverified header and claims of a compact JWS, and the JWS as decoded."""
    if is_sd_jwt(token):
        raise UnsupportedFormatError("only SD-JWT VCs are verified as SD-JWTs")
    if token.count(".") == 4:
        raise UnsupportedFormatError("encrypted JWTs (JWE) are not verified")
    try:
        jws = parse_compact_jws(token)
    except MalformedInputError as exc:
        raise UnverifiableInputError(
            f"not a compact JWS: {exc.message}", details={"cause": exc.code}
        ) from None
    claims = load_json(jws.payload, what="the JWT payload")
    if not isinstance(claims, dict):
        raise UnverifiableInputError("the JWT payload is not a JSON object")
    return dict(jws.header), claims, jws


def _credential_token(token: str, *, enveloped: bool) -> ParsedInput:
    if is_sd_jwt(token):
        return _sd_jwt_token(token, enveloped=enveloped)
    header, claims, jws = _read_token(token)
    media = _media_type(header.get("typ"))
    if media == "application/vp+jwt" or "vp" in claims:
        raise UnverifiableInputError("this JWT is a presentation, not a credential")
    legacy = media in (None, "application/jwt", "application/vc+ld+json") and "vc" in claims
    fmt = SecuringFormat.JWT_VC_JSON if legacy and not enveloped else SecuringFormat.VC_JWT
    return ParsedInput(fmt, token=token, header=header, claims=claims, enveloped=enveloped, jws=jws)


def _presentation_token(token: str, *, enveloped: bool) -> ParsedInput:
    header, claims, jws = _read_token(token)
    media = _media_type(header.get("typ"))
    if "vp" in claims and media != "application/vp+jwt":
        raise UnsupportedFormatError("VCDM 1.1 JWT presentations (a 'vp' claim) are not verified")
    if media == "application/vc+jwt" or "vc" in claims:
        raise UnverifiableInputError("this JWT is a credential, not a presentation")
    return ParsedInput(
        SecuringFormat.VP_JWT,
        token=token,
        header=header,
        claims=claims,
        enveloped=enveloped,
        jws=jws,
    )


def _enveloped_sd_jwt(envelope: Mapping[str, Any]) -> str | None:
    """The SD-JWT VC of an ``EnvelopedVerifiableCredential`` whose ``id`` is a
    ``data:application/dc+sd-jwt,`` (or legacy ``vc+sd-jwt``) URL (VCDM 2.0 §4.13.1; the
    SD-JWT alphabet needs no percent-encoding); ``None`` for any other envelope."""
    url = envelope.get("id")
    if not isinstance(url, str) or not url.startswith("data:"):
        return None
    media, comma, token = url[len("data:") :].partition(",")
    if not comma or media.lower() not in _SD_JWT_VC_MEDIA:
        return None
    return token


def _refuse_json_string(value: object, what: str) -> None:
    """A JSON-serialized object in a string is not a credential (VC API ``/credentials/verify``
    and the VCDM 2.0 test suite: only a compact JWT may be a string; else ``PARSING_ERROR``)."""
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        raise UnverifiableInputError(
            f"a {what} sent as a JSON string is not verified: send the JSON object itself, "
            "or a compact JWT"
        )


# -- entry points ---------------------------------------------------------------------------


def parse_credential_input(value: object) -> ParsedInput:
    """Detect and split a credential: a JSON object (DI or enveloped), a compact JWT or an
    SD-JWT VC."""
    _refuse_json_string(value, "credential")
    if isinstance(value, str):
        return _credential_token(value.strip(), enveloped=False)
    if not isinstance(value, Mapping):
        raise UnverifiableInputError("a credential is a JSON object or a compact JWT")
    if ENVELOPED_VC in types_of(value):
        sd_jwt = _enveloped_sd_jwt(value)
        if sd_jwt is not None:
            return _sd_jwt_token(sd_jwt, enveloped=True)
        try:
            envelope = parse_enveloped_credential(value)
        except MalformedInputError as exc:
            raise UnverifiableInputError(
                f"unreadable {ENVELOPED_VC}: {exc.message}", details={"cause": exc.code}
            ) from None
        if envelope.media_type in _SD_JWT_VC_MEDIA:
            return _sd_jwt_token(envelope.token, enveloped=True)
        if envelope.media_type != "application/vc+jwt":
            raise UnsupportedFormatError(f"{envelope.media_type} credentials are not verified")
        return _credential_token(envelope.token, enveloped=True)
    return ParsedInput(SecuringFormat.DATA_INTEGRITY, document=dict(value))


def parse_presentation_input(value: object) -> ParsedInput:
    """Detect and split a presentation: a JSON object (DI or enveloped), a ``vp+jwt``, or an
    SD-JWT VC (an SD-JWT+KB is itself a presentation, RFC 9901 §4.3)."""
    _refuse_json_string(value, "presentation")
    if isinstance(value, str):
        if is_sd_jwt(value):
            return _sd_jwt_token(value.strip(), enveloped=False)
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
    """Whether a compact JWT announces a presentation (``typ`` ``vp+jwt`` or a ``vp`` claim);
    an SD-JWT is one when it carries a KB-JWT."""
    if is_sd_jwt(token):
        return _sd_jwt_token(token.strip(), enveloped=False).key_bound
    header, claims, _ = _read_token(token.strip())
    return _media_type(header.get("typ")) == "application/vp+jwt" or "vp" in claims
