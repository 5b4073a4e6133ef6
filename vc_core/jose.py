"""JWS compact recipes and VC-JOSE-COSE 1.0 securing (``application/vc+jwt``, ``vp+jwt``).

Two layers, both typed (jwcrypto stays out of the public surface):

* **JWS recipes** (RFC 7515 compact serialization only): :func:`sign_jws`, :func:`verify_jws`,
  :func:`decode_unverified_header`. The ``alg`` comes from the key (RFC 8037 ``EdDSA`` for
  Ed25519, RFC 7518 §3.4 ``ES256`` with a 64-byte ``r ‖ s`` signature for P-256). The signing
  input is ``ASCII(BASE64URL(header) "." BASE64URL(payload))`` (RFC 7515 §5.1).
* **VC-JOSE-COSE 1.0 "With JOSE"** (``#securing-with-jose``, ``#securing-vps-with-jose``;
  brief §3.1): the credential or presentation JSON *is* the
  JWT Claims Set; header ``{"alg", "typ": "vc+jwt"|"vp+jwt", "cty": "vc"|"vp", "kid"}``;
  the ``vc`` and ``vp`` claim names MUST NOT be present ("JWT Format and Requirements").

Parsing vs verifying. Input that is not a JWS we can read raises :class:`MalformedJwsError`
(a :class:`~vc_core.errors.MalformedInputError`): not exactly three parts, base64url that is not
strict and canonical, a header or payload that is not UTF-8 JSON, duplicate JSON member names,
``NaN``/``Infinity``, a missing ``alg``, a malformed ``crit``. A *readable* token that fails a
check never raises: :func:`verify_jws` returns :class:`VerifiedJws` and the VC functions return
:class:`JoseVerificationResult`, each with ``verified=False`` and a :class:`JoseFailure` reason.

Policy (style.md §2.7, brief §3.1 "use an allow-list of alg, never none"):

* ``allowed_algs`` is a required argument; it must be a non-empty subset of
  :data:`SUPPORTED_JWS_ALGS` (``none``, ``HS*`` and anything we cannot verify are refused when the
  *caller* names them, so HMAC-with-the-public-key confusion cannot even be configured).
* The token's ``alg`` must be in the allowlist **and** be the algorithm of the key we were given
  (``ES256`` on an Ed25519 key is ``alg_key_mismatch``, never a fallback).
* Any ``crit`` header is refused (RFC 7515 §4.1.11): we implement no JWS extensions.
* ``typ`` is compared as a media type (RFC 7515 §4.1.9): case-insensitive, ``application/``
  implied when there is no ``/``.

Section anchors below are those of the REC (https://www.w3.org/TR/vc-jose-cose/#...).

Mirrored claims. VC-JOSE-COSE ``#jose-header-parameters-jwt-claims``: "Implementers SHOULD
avoid setting JWT claims to values that conflict ... `iss` and `issuer`, `jti` and `id`, and
`sub` and `credentialSubject.id`"; ``#iss``: "When issuer value is a string, iss value, if
present, MUST match issuer value". Our choice:

* :func:`sign_vc_jwt` adds ``iat`` (signing time) and mirrors ``iss`` = ``issuer``/``issuer.id``,
  ``jti`` = ``id``, ``sub`` = ``credentialSubject.id`` when there is exactly one subject with an
  ``id``. ``exp`` only when asked. Never ``nbf`` (NOT RECOMMENDED there).
* The verifiers refuse (``claim_conflict``) an ``iss``/``jti``/``sub`` that differs from its
  VC counterpart; ``sub`` must name one of the subjects' ids when any subject has one.
* ``exp``/``nbf`` must be NumericDates and are checked against ``now`` with a small leeway.
  ``iat`` is not evaluated; a non-numeric ``iat`` only adds a warning, because the W3C
  vc-jose-cose-test-suite vectors carry ``iat`` as an XSD date string.

The verified ``document`` is the decoded payload exactly as signed (VC-JOSE-COSE ``#alg-jose`` step
"Set document to the decoded JWS payload"), including the JWT claims.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NoReturn

from vc_core.errors import VCDM_PROBLEM, KeyFormatError, MalformedInputError
from vc_core.keys import PrivateKey, PublicKey, b64url_decode, b64url_encode
from vc_core.strict_json import StrictJsonError, loads_strict, normalize_media_type

__all__ = [
    "DEFAULT_LEEWAY",
    "JWT_VC_TYP",
    "MAX_TOKEN_CHARS",
    "SUPPORTED_JWS_ALGS",
    "VC_JWT_TYP",
    "VP_JWT_TYP",
    "CompactJws",
    "EnvelopedToken",
    "JoseFailure",
    "JoseVerificationResult",
    "MalformedJwsError",
    "VerifiedJws",
    "decode_unverified_header",
    "envelope_credential",
    "envelope_presentation",
    "parse_compact_jws",
    "parse_enveloped_credential",
    "parse_enveloped_presentation",
    "sign_jws",
    "sign_jwt_vc_json",
    "sign_vc_jwt",
    "sign_vp_jwt",
    "verify_jws",
    "verify_jwt_vc_json",
    "verify_vc_jwt",
    "verify_vp_jwt",
]

SUPPORTED_JWS_ALGS: frozenset[str] = frozenset({"EdDSA", "ES256"})
"""The JWS algorithms mcred can sign and verify (one per :class:`~vc_core.keys.KeyType`)."""

VC_JWT_TYP = "vc+jwt"
VP_JWT_TYP = "vp+jwt"
DEFAULT_LEEWAY = timedelta(seconds=60)
"""Clock skew tolerated on ``exp`` and ``nbf``."""
MAX_TOKEN_CHARS = 4 * 1024 * 1024
"""Longest compact JWS we parse (an EC micro-credential with images is about 150 KB)."""

VCDM_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
_VC_CTY = "vc"
_VP_CTY = "vp"
_ENVELOPED_VC = "EnvelopedVerifiableCredential"
_ENVELOPED_VP = "EnvelopedVerifiablePresentation"
_CREDENTIAL_ENVELOPE_TYPES = frozenset({"application/vc+jwt", "application/vc+sd-jwt"})
_PRESENTATION_ENVELOPE_TYPES = frozenset({"application/vp+jwt", "application/vp+sd-jwt"})
_FORBIDDEN_CLAIMS = ("vc", "vp")
_TIME_CLAIMS = ("iat", "exp", "nbf")

# RFC 7515 §4.1 / RFC 7516 §4.1 / RFC 7518 header names that ``crit`` must not list.
_REGISTERED_HEADERS = frozenset(
    {
        "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
        "enc", "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
    }
)  # fmt: skip
_ENVELOPE_DATA = re.compile(r"[A-Za-z0-9._~-]+")


# -- errors and results ---------------------------------------------------------------------


class MalformedJwsError(MalformedInputError):
    """The input is not a compact JWS we can read (RFC 7515 §7.1, RFC 7519 §7.2 steps 1-8)."""

    code = "malformed_jws"
    problem_type = VCDM_PROBLEM + "PARSING_ERROR"


_CRYPTO = VCDM_PROBLEM + "CRYPTOGRAPHIC_SECURITY_ERROR"
_MALFORMED = VCDM_PROBLEM + "MALFORMED_VALUE_ERROR"
_RANGE = VCDM_PROBLEM + "RANGE_ERROR"


class JoseFailure(enum.StrEnum):
    """Why a readable JWS did not verify. The value is the stable ``code`` on the wire."""

    ALG_NOT_ALLOWED = "alg_not_allowed"
    """``alg`` is ``none`` or outside the caller's allowlist."""
    ALG_KEY_MISMATCH = "alg_key_mismatch"
    """``alg`` is allowed but is not the algorithm of the verification key."""
    CRIT_NOT_UNDERSTOOD = "crit_not_understood"
    INVALID_SIGNATURE = "invalid_signature"
    TYP_MISMATCH = "typ_mismatch"
    CTY_MISMATCH = "cty_mismatch"
    FORBIDDEN_CLAIM = "forbidden_claim"
    """A ``vc`` or ``vp`` claim (VC-JOSE-COSE "JWT Format and Requirements")."""
    CLAIM_CONFLICT = "claim_conflict"
    """``iss``/``jti``/``sub`` disagree with ``issuer``/``holder``, ``id``, subject id."""
    INVALID_CLAIM = "invalid_claim"
    """A registered claim has the wrong JSON type (e.g. a string ``exp``)."""
    DOCUMENT_TYPE_MISMATCH = "document_type_mismatch"
    """The payload's ``type`` lacks ``VerifiableCredential``/``VerifiablePresentation``."""
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    NONCE_MISMATCH = "nonce_mismatch"
    AUDIENCE_MISMATCH = "audience_mismatch"
    INVALID_CREDENTIAL_ENTRY = "invalid_credential_entry"
    """A VP ``verifiableCredential`` entry that is unsecured or a broken envelope (VCDM §4.13)."""

    @property
    def problem_type(self) -> str:
        """The VCDM 2.0 §7.2 ProblemDetails ``type`` for this failure."""
        if self in _CRYPTO_FAILURES:
            return _CRYPTO
        if self in (JoseFailure.EXPIRED, JoseFailure.NOT_YET_VALID):
            return _RANGE
        return _MALFORMED


_CRYPTO_FAILURES = frozenset(
    {
        JoseFailure.ALG_NOT_ALLOWED,
        JoseFailure.ALG_KEY_MISMATCH,
        JoseFailure.CRIT_NOT_UNDERSTOOD,
        JoseFailure.INVALID_SIGNATURE,
        JoseFailure.NONCE_MISMATCH,
        JoseFailure.AUDIENCE_MISMATCH,
    }
)


@dataclass(frozen=True)
class VerifiedJws:
    """Outcome of :func:`verify_jws`. ``payload`` is set only when ``verified`` is true."""

    verified: bool
    header: dict[str, Any]
    payload: bytes | None
    reason: JoseFailure | None = None
    detail: str = ""

    def payload_json(self) -> dict[str, Any]:
        """The verified payload as a JSON object (strict: no duplicate names, no NaN)."""
        if not self.verified or self.payload is None:
            raise ValueError("the JWS did not verify; its payload must not be used")
        cached: dict[str, Any] | None = self.__dict__.get("_claims")
        if cached is not None:  # parsed once: the claims checks after the signature reuse it
            return cached
        claims = _loads_strict(self.payload, "payload")
        if not isinstance(claims, dict):
            raise MalformedJwsError("the JWS payload is not a JSON object")
        object.__setattr__(self, "_claims", claims)
        return claims

    def adopt_claims(self, claims: dict[str, Any], parsed_from: bytes) -> None:
        """Let :meth:`payload_json` answer ``claims``, which the caller parsed with
        :func:`~vc_core.strict_json.loads_strict` from ``parsed_from`` before the signature was
        checked; ignored unless ``parsed_from`` is exactly the verified payload."""
        if self.verified and self.payload is not None and parsed_from == self.payload:
            object.__setattr__(self, "_claims", claims)


@dataclass(frozen=True)
class EnvelopedToken:
    """A secured credential/presentation carried in a ``data:`` URL (VCDM 2.0 §4.13)."""

    media_type: str
    """Lower-case, e.g. ``application/vc+jwt``."""
    token: str


@dataclass(frozen=True)
class JoseVerificationResult:
    """VC-JOSE-COSE ``#alg-jose`` verification output: status, document and media type.

    ``document`` is ``None`` unless ``verified``. ``header`` is always the parsed protected
    header (useful for logging ``kid``); never trust it when ``verified`` is false.
    """

    verified: bool
    media_type: Literal["vc", "vp"] | None
    document: dict[str, Any] | None
    header: dict[str, Any]
    reason: JoseFailure | None = None
    detail: str = ""
    warnings: tuple[str, ...] = ()
    enveloped_credentials: tuple[EnvelopedToken, ...] = ()
    """For a VP: its ``EnvelopedVerifiableCredential`` entries, still to be verified."""

    def to_problem(self) -> dict[str, Any] | None:
        """RFC 9457 ProblemDetails for a failure (VCDM 2.0 §7.2), ``None`` on success."""
        if self.reason is None:
            return None
        return {
            "type": self.reason.problem_type,
            "title": "JOSE verification failed",
            "detail": self.detail or self.reason.value,
            "code": self.reason.value,
        }


# -- strict parsing -------------------------------------------------------------------------


def _fail(message: str, **details: Any) -> NoReturn:
    raise MalformedJwsError(message, details=details or None)


def _b64url_decode_strict(part: str, what: str) -> bytes:
    """RFC 7515 §2 base64url: URL-safe alphabet, no padding, canonical (zero) trailing bits."""
    try:
        return b64url_decode(part)
    except KeyFormatError:
        _fail(f"the JWS {what} is not canonical unpadded base64url")


def _loads_strict(data: bytes, what: str) -> Any:
    """RFC 8259 JSON in UTF-8 with unique member names (RFC 7515 §5.2 step 4, RFC 7519 §4)."""
    try:
        return loads_strict(data)
    except StrictJsonError as exc:
        _fail(f"the JWS {what} {exc}")


def _dumps(value: Mapping[str, Any]) -> bytes:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
            "utf-8"
        )
    except (TypeError, ValueError) as exc:
        raise MalformedInputError(f"cannot serialise as JSON: {exc}") from exc


@dataclass(frozen=True)
class CompactJws:
    """A compact JWS read with :func:`verify_jws`'s strictness but *not verified*: give it to
    :func:`verify_jws` as ``parsed`` so that the token is not decoded twice."""

    token: str
    header: dict[str, Any]
    """The protected header; never trust it before :func:`verify_jws` says ``verified``."""
    signing_input: bytes
    payload: bytes
    signature: bytes


def _check_header(header: Any) -> dict[str, Any]:
    if not isinstance(header, dict):
        _fail("the JOSE header is not a JSON object")
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg:
        _fail("the JOSE header has no 'alg' string (RFC 7515 §4.1.1)")
    for name in ("typ", "cty", "kid"):
        if name in header and not isinstance(header[name], str):
            _fail(f"the JOSE header parameter {name!r} must be a string")
    if "crit" in header:
        crit = header["crit"]
        if (
            not isinstance(crit, list)
            or not crit
            or not all(isinstance(n, str) and n for n in crit)
            or len(set(crit)) != len(crit)
        ):
            _fail("'crit' must be a non-empty array of distinct names (RFC 7515 §4.1.11)")
        registered = sorted(set(crit) & _REGISTERED_HEADERS)
        if registered:
            _fail("'crit' must not list registered header parameters", names=registered)
        missing = sorted(n for n in crit if n not in header)
        if missing:
            _fail("'crit' lists header parameters that are absent", names=missing)
    return header


def parse_compact_jws(token: str) -> CompactJws:
    """Split and decode a compact JWS (RFC 7515 §7.1) without verifying it.

    Raises :class:`MalformedJwsError` as :func:`verify_jws` would (three canonical base64url
    parts, a strict JSON header with a usable ``alg``)."""
    return _parse_compact(token)


def _parse_compact(token: str) -> CompactJws:
    if not isinstance(token, str):
        _fail("a compact JWS is a string")
    if len(token) > MAX_TOKEN_CHARS:
        _fail(f"the JWS is longer than {MAX_TOKEN_CHARS} characters")
    parts = token.split(".")
    if len(parts) != 3:
        _fail(
            f"a compact JWS has exactly 3 parts, this one has {len(parts)}"
            + (" (a JWE?)" if len(parts) == 5 else ""),
            parts=len(parts),
        )
    header_b64, payload_b64, signature_b64 = parts
    if not header_b64:
        _fail("the JOSE header is empty")
    header_bytes = _b64url_decode_strict(header_b64, "header")
    payload = _b64url_decode_strict(payload_b64, "payload")
    signature = _b64url_decode_strict(signature_b64, "signature")
    header = _check_header(_loads_strict(header_bytes, "header"))
    return CompactJws(
        token=token,
        header=header,
        signing_input=f"{header_b64}.{payload_b64}".encode("ascii"),
        payload=payload,
        signature=signature,
    )


_media_type = normalize_media_type


def _check_allowed_algs(allowed_algs: Collection[str]) -> frozenset[str]:
    if isinstance(allowed_algs, str | bytes):
        raise TypeError("allowed_algs is a collection of algorithm names, not a string")
    allowed = frozenset(allowed_algs)
    if not allowed:
        raise ValueError("allowed_algs must name at least one algorithm")
    if any(not isinstance(a, str) or a.lower() == "none" for a in allowed):
        raise ValueError("'none' can never be an allowed JWS algorithm")
    unsupported = allowed - SUPPORTED_JWS_ALGS
    if unsupported:
        raise ValueError(
            f"unsupported JWS algorithms {sorted(unsupported)}; "
            f"mcred verifies only {sorted(SUPPORTED_JWS_ALGS)}"
        )
    return allowed


# -- JWS recipes ----------------------------------------------------------------------------


def decode_unverified_header(token: str) -> dict[str, Any]:
    """The protected header of a compact JWS, *not verified*: only for choosing the key (``kid``).

    The whole token is parsed with the same strictness as :func:`verify_jws`.
    """
    return dict(_parse_compact(token).header)


def sign_jws(
    payload: bytes | Mapping[str, Any], key: PrivateKey, *, header: Mapping[str, Any]
) -> str:
    """Sign ``payload`` as a compact JWS (RFC 7515 §5.1, §7.1).

    ``alg`` is the key's algorithm and comes first in the header; ``header`` supplies the rest
    (``typ``, ``cty``, ``kid`` ...). A mapping payload is serialised as compact UTF-8 JSON.
    ``crit`` and ``b64`` are refused: we implement no JWS extensions.
    """
    alg = key.key_type.jws_alg
    if header.get("alg", alg) != alg:
        raise MalformedInputError(
            f"header alg {header['alg']!r} does not match the {key.key_type} key ({alg})"
        )
    for name in ("crit", "b64"):
        if name in header:
            raise MalformedInputError(f"the JOSE header parameter {name!r} is not supported")
    full_header = {"alg": alg, **{k: v for k, v in header.items() if k != "alg"}}
    _check_header(json.loads(_dumps(full_header)))
    if isinstance(payload, bytes):
        payload_bytes = payload
    elif isinstance(payload, Mapping):
        payload_bytes = _dumps(dict(payload))
    else:
        raise MalformedInputError("a JWS payload is bytes or a JSON object")
    signing_input = f"{b64url_encode(_dumps(full_header))}.{b64url_encode(payload_bytes)}"
    signature = key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


def verify_jws(
    token: str,
    key: PublicKey,
    *,
    allowed_algs: Collection[str],
    expected_typ: str | None,
    parsed: CompactJws | None = None,
) -> VerifiedJws:
    """Verify a compact JWS with ``key`` (RFC 7515 §5.2), refusing what the policy forbids.

    Raises :class:`MalformedJwsError` only when ``token`` cannot be parsed; every check after
    that is reported in the result. ``expected_typ=None`` means "do not check ``typ``".
    ``parsed``: :func:`parse_compact_jws` of this very ``token``, already at hand.
    """
    allowed = _check_allowed_algs(allowed_algs)
    if parsed is None:
        parsed = _parse_compact(token)
    elif parsed.token != token:
        raise ValueError("parsed is not the parse of this token")
    header = parsed.header
    alg: str = header["alg"]

    def failed(reason: JoseFailure, detail: str) -> VerifiedJws:
        return VerifiedJws(False, header, None, reason, detail)

    if alg not in allowed:
        return failed(JoseFailure.ALG_NOT_ALLOWED, f"alg {alg!r} is not in {sorted(allowed)}")
    if alg != key.key_type.jws_alg:
        return failed(
            JoseFailure.ALG_KEY_MISMATCH,
            f"alg {alg!r} cannot be verified with a {key.key_type} key",
        )
    if "crit" in header:
        return failed(
            JoseFailure.CRIT_NOT_UNDERSTOOD,
            f"critical header parameters {header['crit']} are not understood",
        )
    if not key.verify(parsed.signature, parsed.signing_input):
        return failed(JoseFailure.INVALID_SIGNATURE, "the signature does not verify")
    if expected_typ is not None:
        typ = header.get("typ")
        if typ is None or _media_type(typ) != _media_type(expected_typ):
            return failed(JoseFailure.TYP_MISMATCH, f"typ {typ!r}, expected {expected_typ!r}")
    return VerifiedJws(True, header, parsed.payload)


def _jws_of(
    token: str,
    key: PublicKey,
    *,
    allowed_algs: Collection[str],
    expected_typ: str | None,
    verified: VerifiedJws | None,
) -> VerifiedJws:
    """:func:`verify_jws`, or the caller's own ``verify_jws(token, key, allowed_algs=…,
    expected_typ=None)`` result with only the ``typ`` check left (it comes last there too)."""
    if verified is None:
        return verify_jws(token, key, allowed_algs=allowed_algs, expected_typ=expected_typ)
    if not verified.verified or expected_typ is None:
        return verified
    typ = verified.header.get("typ")
    if typ is None or _media_type(typ) != _media_type(expected_typ):
        return VerifiedJws(
            False,
            verified.header,
            None,
            JoseFailure.TYP_MISMATCH,
            f"typ {typ!r}, expected {expected_typ!r}",
        )
    return verified


# -- VC-JOSE-COSE ---------------------------------------------------------------------------


def _id_of(value: Any) -> str | None:
    """``issuer``/``holder`` as a URL string or an object's ``id`` (VCDM 2.0 §4.7)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def _subject_ids(credential: Mapping[str, Any]) -> list[str]:
    subjects = credential.get("credentialSubject")
    items = subjects if isinstance(subjects, list) else [subjects]
    return [str(s["id"]) for s in items if isinstance(s, Mapping) and isinstance(s.get("id"), str)]


def _types(document: Mapping[str, Any]) -> list[Any]:
    value = document.get("type")
    return value if isinstance(value, list) else [value]


def _numeric_date(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise MalformedInputError("JWT times need a timezone-aware datetime")
    return int(moment.timestamp())


def _mirrored_claims(document: Mapping[str, Any], *, party: str, with_sub: bool) -> dict[str, str]:
    """``iss``/``jti``/``sub`` mirroring ``issuer``/``holder``, ``id``, the single subject id."""
    mirrors: dict[str, str | None] = {"iss": _id_of(document.get(party)), "jti": None}
    if isinstance(document.get("id"), str):
        mirrors["jti"] = document["id"]
    if with_sub:
        ids = _subject_ids(document)
        subjects = document.get("credentialSubject")
        single = not isinstance(subjects, list) or len(subjects) == 1
        mirrors["sub"] = ids[0] if single and len(ids) == 1 else None
    claims: dict[str, str] = {}
    for claim, value in mirrors.items():
        if value is None:
            continue
        if claim in document and document[claim] != value:
            raise MalformedInputError(
                f"the document's {claim!r} claim {document[claim]!r} conflicts with {value!r}"
            )
        claims[claim] = value
    return claims


def _prepare_claims(
    document: Mapping[str, Any],
    *,
    kind: Literal["vc", "vp"],
    issued_at: datetime | None,
    expires_at: datetime | None,
) -> dict[str, Any]:
    if not isinstance(document, Mapping):
        raise MalformedInputError(f"a {kind} must be a JSON object")
    forbidden = [c for c in _FORBIDDEN_CLAIMS if c in document]
    if forbidden:
        raise MalformedInputError(
            f"the JWT claim names {forbidden} MUST NOT be present (VC-JOSE-COSE)"
        )
    present = [c for c in _TIME_CLAIMS if c in document]
    if present:
        raise MalformedInputError(f"{present} are set by the signer, not by the document")
    expected_type = "VerifiableCredential" if kind == "vc" else "VerifiablePresentation"
    if expected_type not in _types(document):
        raise MalformedInputError(f"a {kind} has type {expected_type!r}")
    party = "issuer" if kind == "vc" else "holder"
    claims = dict(document)
    claims.update(_mirrored_claims(document, party=party, with_sub=kind == "vc"))
    claims["iat"] = _numeric_date(issued_at or datetime.now(UTC))
    if expires_at is not None:
        claims["exp"] = _numeric_date(expires_at)
    return claims


def _check_kid(kid: str) -> None:
    if not isinstance(kid, str) or not kid:
        raise MalformedInputError("kid must be a non-empty string (VC-JOSE-COSE #kid)")


def sign_vc_jwt(
    credential: Mapping[str, Any],
    key: PrivateKey,
    *,
    kid: str,
    issued_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> str:
    """Secure a VCDM 2.0 credential as ``application/vc+jwt`` (``#securing-with-jose``).

    The payload is the credential plus ``iat`` (``issued_at``, default now), the mirrored
    ``iss``/``jti``/``sub`` (see the module docstring) and ``exp`` when ``expires_at`` is given.
    Raises :class:`~vc_core.errors.MalformedInputError` for a ``vc``/``vp`` member, a
    pre-set ``iat``/``exp``/``nbf``, a conflicting ``iss``/``jti``/``sub``, or no
    ``VerifiableCredential`` type.
    """
    _check_kid(kid)
    claims = _prepare_claims(credential, kind="vc", issued_at=issued_at, expires_at=expires_at)
    return sign_jws(claims, key, header={"typ": VC_JWT_TYP, "cty": _VC_CTY, "kid": kid})


def sign_vp_jwt(
    presentation: Mapping[str, Any],
    key: PrivateKey,
    *,
    kid: str,
    nonce: str,
    aud: str,
    issued_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> str:
    """Secure a VCDM 2.0 presentation as ``application/vp+jwt`` (``#securing-vps-with-jose``).

    Adds ``nonce`` and ``aud`` (the challenge binding, VCDM 2.0 §4.13), ``iat``, ``exp`` when
    given, ``iss`` = ``holder``/``holder.id`` and ``jti`` = ``id``. Every
    ``verifiableCredential`` entry must be an object (VCDM 2.0 §4.13: strings are not allowed).
    """
    _check_kid(kid)
    if not isinstance(nonce, str) or not nonce:
        raise MalformedInputError("nonce must be a non-empty string")
    if not isinstance(aud, str) or not aud:
        raise MalformedInputError("aud must be a non-empty string")
    claims = _prepare_claims(presentation, kind="vp", issued_at=issued_at, expires_at=expires_at)
    entries = claims.get("verifiableCredential", [])
    for entry in entries if isinstance(entries, list) else [entries]:
        if not isinstance(entry, Mapping):
            raise MalformedInputError(
                "verifiableCredential entries are objects; wrap a JWT with envelope_credential()"
            )
    for claim, value in (("nonce", nonce), ("aud", aud)):
        if claim in claims and claims[claim] != value:
            raise MalformedInputError(f"the presentation's {claim!r} conflicts with {value!r}")
        claims[claim] = value
    return sign_jws(claims, key, header={"typ": VP_JWT_TYP, "cty": _VP_CTY, "kid": kid})


@dataclass(frozen=True)
class _ClaimCheck:
    reason: JoseFailure
    detail: str


def _check_common_claims(
    claims: Mapping[str, Any],
    *,
    kind: Literal["vc", "vp"],
    now: datetime,
    leeway: timedelta,
    warnings: list[str],
) -> _ClaimCheck | None:
    forbidden = [c for c in _FORBIDDEN_CLAIMS if c in claims]
    if forbidden:
        return _ClaimCheck(JoseFailure.FORBIDDEN_CLAIM, f"claims {forbidden} MUST NOT be present")
    expected_type = "VerifiableCredential" if kind == "vc" else "VerifiablePresentation"
    if expected_type not in _types(claims):
        return _ClaimCheck(
            JoseFailure.DOCUMENT_TYPE_MISMATCH, f"the payload's type lacks {expected_type!r}"
        )
    for claim in ("iss", "jti", "sub"):
        if claim in claims and not isinstance(claims[claim], str):
            return _ClaimCheck(JoseFailure.INVALID_CLAIM, f"{claim!r} must be a string")
    party = "issuer" if kind == "vc" else "holder"
    party_id = _id_of(claims.get(party))
    if "iss" in claims and party_id is not None and claims["iss"] != party_id:
        return _ClaimCheck(
            JoseFailure.CLAIM_CONFLICT, f"iss {claims['iss']!r} does not match {party} {party_id!r}"
        )
    if "jti" in claims and isinstance(claims.get("id"), str) and claims["jti"] != claims["id"]:
        return _ClaimCheck(
            JoseFailure.CLAIM_CONFLICT, f"jti {claims['jti']!r} does not match id {claims['id']!r}"
        )
    if kind == "vc" and "sub" in claims:
        ids = _subject_ids(claims)
        if ids and claims["sub"] not in ids:
            return _ClaimCheck(
                JoseFailure.CLAIM_CONFLICT,
                f"sub {claims['sub']!r} is not a credentialSubject id {ids}",
            )
    moment = now.timestamp()
    for claim in ("exp", "nbf"):
        value = claims.get(claim)
        if claim in claims and (isinstance(value, bool) or not isinstance(value, int | float)):
            return _ClaimCheck(JoseFailure.INVALID_CLAIM, f"{claim!r} must be a NumericDate")
    if "exp" in claims and moment >= claims["exp"] + leeway.total_seconds():
        return _ClaimCheck(JoseFailure.EXPIRED, f"the JWT expired at {claims['exp']}")
    if "nbf" in claims and moment < claims["nbf"] - leeway.total_seconds():
        return _ClaimCheck(
            JoseFailure.NOT_YET_VALID, f"the JWT is not valid before {claims['nbf']}"
        )
    iat = claims.get("iat")
    if "iat" in claims and (isinstance(iat, bool) or not isinstance(iat, int | float)):
        warnings.append("iat_not_numeric_date")
    return None


def _verify_secured(
    token: str,
    key: PublicKey,
    *,
    kind: Literal["vc", "vp"],
    allowed_algs: Collection[str],
    now: datetime | None,
    leeway: timedelta,
    verified: VerifiedJws | None,
) -> tuple[JoseVerificationResult, dict[str, Any] | None, list[str]]:
    """Steps shared by vc+jwt and vp+jwt; returns a failed result or the verified claims."""
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    typ, cty = (VC_JWT_TYP, _VC_CTY) if kind == "vc" else (VP_JWT_TYP, _VP_CTY)
    jws = _jws_of(token, key, allowed_algs=allowed_algs, expected_typ=typ, verified=verified)

    def failed(reason: JoseFailure, detail: str) -> JoseVerificationResult:
        return JoseVerificationResult(False, None, None, jws.header, reason, detail)

    if not jws.verified:
        return failed(jws.reason or JoseFailure.INVALID_SIGNATURE, jws.detail), None, []
    header_cty = jws.header.get("cty")
    if header_cty is not None and _media_type(header_cty) != _media_type(cty):
        return failed(JoseFailure.CTY_MISMATCH, f"cty {header_cty!r}, expected {cty!r}"), None, []
    claims = jws.payload_json()
    warnings: list[str] = []
    problem = _check_common_claims(
        claims, kind=kind, now=now or datetime.now(UTC), leeway=leeway, warnings=warnings
    )
    if problem is not None:
        return failed(problem.reason, problem.detail), None, warnings
    ok = JoseVerificationResult(True, kind, claims, jws.header, warnings=tuple(warnings))
    return ok, claims, warnings


def verify_vc_jwt(
    token: str,
    key: PublicKey,
    *,
    allowed_algs: Collection[str],
    now: datetime | None = None,
    leeway: timedelta = DEFAULT_LEEWAY,
    verified: VerifiedJws | None = None,
) -> JoseVerificationResult:
    """Verify an ``application/vc+jwt`` credential (VC-JOSE-COSE ``#alg-jose``, RFC 7519 §7.2).

    Checks, in order: the JWS (alg allowlist, alg ↔ key, ``crit``, signature, ``typ`` =
    ``vc+jwt``), ``cty`` = ``vc`` when present, no ``vc``/``vp`` claim, ``type`` contains
    ``VerifiableCredential``, ``iss``/``jti``/``sub`` consistency, ``exp``/``nbf`` against
    ``now`` (default: the current time). Raises :class:`MalformedJwsError` only for an
    unreadable token or a verified payload that is not a strict JSON object.
    ``verified``, when given, must be ``verify_jws(token, key, allowed_algs=allowed_algs,
    expected_typ=None)`` for this very token and key (a caller that already checked the
    signature): the signature is then not verified again nor the payload parsed again.
    """
    result, _, _ = _verify_secured(
        token, key, kind="vc", allowed_algs=allowed_algs, now=now, leeway=leeway, verified=verified
    )
    return result


def verify_vp_jwt(
    token: str,
    key: PublicKey,
    *,
    allowed_algs: Collection[str],
    expected_nonce: str | None,
    expected_aud: str | None,
    now: datetime | None = None,
    leeway: timedelta = DEFAULT_LEEWAY,
    verified: VerifiedJws | None = None,
) -> JoseVerificationResult:
    """Verify an ``application/vp+jwt`` presentation (VC-JOSE-COSE ``#alg-jose``, VCDM 2.0 §4.13).

    As :func:`verify_vc_jwt` with ``typ`` = ``vp+jwt``, ``iss`` ↔ ``holder``, plus: ``nonce``
    equals ``expected_nonce`` and ``aud`` (a string or an array) contains ``expected_aud``;
    pass ``None`` only where no challenge was issued. Every ``verifiableCredential`` entry must
    be an object that is secured: a readable ``EnvelopedVerifiableCredential`` (returned in
    ``enveloped_credentials`` for the caller to verify with the issuer's key) or an embedded
    credential with a ``proof``.
    ``verified``, when given, must be ``verify_jws(token, key, allowed_algs=allowed_algs,
    expected_typ=None)`` for this very token and key (a caller that already checked the
    signature): the signature is then not verified again nor the payload parsed again.
    """
    result, claims, warnings = _verify_secured(
        token, key, kind="vp", allowed_algs=allowed_algs, now=now, leeway=leeway, verified=verified
    )
    if claims is None:
        return result

    def failed(reason: JoseFailure, detail: str) -> JoseVerificationResult:
        return JoseVerificationResult(
            False, None, None, result.header, reason, detail, warnings=tuple(warnings)
        )

    if expected_nonce is not None and claims.get("nonce") != expected_nonce:
        return failed(JoseFailure.NONCE_MISMATCH, "the nonce is missing or not the one issued")
    if expected_aud is not None:
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if expected_aud not in audiences:
            return failed(JoseFailure.AUDIENCE_MISMATCH, f"aud {aud!r} lacks {expected_aud!r}")
    entries = claims.get("verifiableCredential", [])
    enveloped: list[EnvelopedToken] = []
    for index, entry in enumerate(entries if isinstance(entries, list) else [entries]):
        if not isinstance(entry, dict):
            return failed(
                JoseFailure.INVALID_CREDENTIAL_ENTRY,
                f"verifiableCredential[{index}] is not an object",
            )
        if _ENVELOPED_VC in _types(entry):
            try:
                enveloped.append(parse_enveloped_credential(entry))
            except MalformedInputError as exc:
                return failed(
                    JoseFailure.INVALID_CREDENTIAL_ENTRY,
                    f"verifiableCredential[{index}]: {exc.message}",
                )
        elif "proof" not in entry:
            return failed(
                JoseFailure.INVALID_CREDENTIAL_ENTRY,
                f"verifiableCredential[{index}] is not secured (no proof, not enveloped)",
            )
    return JoseVerificationResult(
        True,
        "vp",
        claims,
        result.header,
        warnings=tuple(warnings),
        enveloped_credentials=tuple(enveloped),
    )


# -- Enveloped credentials and presentations (VCDM 2.0 §4.13) ---------------------------------


def _envelope(token: str, media_type: str, kind: str, allowed: frozenset[str]) -> dict[str, Any]:
    media = media_type.lower()
    if media not in allowed:
        raise MalformedInputError(f"unsupported media type {media_type!r} for an {kind}")
    _check_envelope_data(token, media)
    return {"@context": [VCDM_V2_CONTEXT], "id": f"data:{media},{token}", "type": kind}


def _check_envelope_data(token: str, media: str) -> None:
    if not isinstance(token, str) or _ENVELOPE_DATA.fullmatch(token) is None:
        raise MalformedInputError("the enveloped token has characters a compact JWT never has")
    if media.endswith("+jwt"):
        _parse_compact(token)


def _parse_envelope(obj: Any, kind: str, allowed: frozenset[str]) -> EnvelopedToken:
    if not isinstance(obj, Mapping):
        raise MalformedInputError(f"an {kind} is a JSON object")
    context = obj.get("@context")
    first = context[0] if isinstance(context, list) and context else context
    if first != VCDM_V2_CONTEXT:
        raise MalformedInputError(f"an {kind} starts its @context with {VCDM_V2_CONTEXT}")
    if kind not in _types(obj):
        raise MalformedInputError(f"the object's type is not {kind!r}")
    url = obj.get("id")
    if not isinstance(url, str) or not url.startswith("data:") or "," not in url:
        raise MalformedInputError(f"an {kind} id is a data: URL (RFC 2397)")
    media, token = url[len("data:") :].split(",", 1)
    media = media.lower()
    if media not in allowed:
        raise MalformedInputError(
            f"unsupported media type {media!r} in an {kind}", details={"allowed": sorted(allowed)}
        )
    _check_envelope_data(token, media)
    return EnvelopedToken(media_type=media, token=token)


def envelope_credential(token: str, *, media_type: str = "application/vc+jwt") -> dict[str, Any]:
    """``{"@context", "id": "data:application/vc+jwt,<jwt>", "type":
    "EnvelopedVerifiableCredential"}`` for a VP's ``verifiableCredential`` (VCDM 2.0 §4.13)."""
    return _envelope(token, media_type, _ENVELOPED_VC, _CREDENTIAL_ENVELOPE_TYPES)


def envelope_presentation(token: str, *, media_type: str = "application/vp+jwt") -> dict[str, Any]:
    """An ``EnvelopedVerifiablePresentation`` object (VCDM 2.0 §4.13.1)."""
    return _envelope(token, media_type, _ENVELOPED_VP, _PRESENTATION_ENVELOPE_TYPES)


def parse_enveloped_credential(obj: Any) -> EnvelopedToken:
    """Media type and token of an ``EnvelopedVerifiableCredential`` (not verified).

    Accepts ``application/vc+jwt`` (the token must be a readable compact JWS) and
    ``application/vc+sd-jwt``; raises :class:`~vc_core.errors.MalformedInputError` otherwise.
    """
    return _parse_envelope(obj, _ENVELOPED_VC, _CREDENTIAL_ENVELOPE_TYPES)


def parse_enveloped_presentation(obj: Any) -> EnvelopedToken:
    """Media type and token of an ``EnvelopedVerifiablePresentation`` (not verified)."""
    return _parse_envelope(obj, _ENVELOPED_VP, _PRESENTATION_ENVELOPE_TYPES)


# -- VCDM 1.1 JWT encoding (jwt_vc_json) -----------------------------------------------------

JWT_VC_TYP = "JWT"


def sign_jwt_vc_json(
    credential: Mapping[str, Any],
    key: PrivateKey,
    *,
    kid: str,
    issued_at: datetime | None = None,
) -> str:
    """Encode a VCDM **1.1** credential as a JWT (VCDM 1.1 §6.3.1; OpenID4VCI ``jwt_vc_json``).

    VC-JOSE-COSE (``vc+jwt``) secures VCDM 2.0 credentials only; ELM credentials keep the
    VCDM 1.1 envelope (specs.md §0.1), so their JWT form is this one: header ``typ: JWT``, the
    credential under the ``vc`` claim, and ``iss``/``sub``/``jti``/``nbf``/``exp`` mirrored from
    ``issuer``/``credentialSubject.id``/``id``/``issuanceDate`` (or ``validFrom``)/
    ``expirationDate`` (or ``validUntil``). The ``vc`` claim is the credential unchanged.
    """
    _check_kid(kid)
    if not isinstance(credential, Mapping) or "VerifiableCredential" not in _types(credential):
        raise MalformedInputError("a jwt_vc_json payload is a VerifiableCredential object")
    claims: dict[str, Any] = {"vc": dict(credential)}
    issuer = _id_of(credential.get("issuer"))
    if issuer is None:
        raise MalformedInputError("the credential needs an issuer (iss)")
    claims["iss"] = issuer
    subjects = _subject_ids(credential)
    if len(subjects) == 1:
        claims["sub"] = subjects[0]
    if isinstance(credential.get("id"), str):
        claims["jti"] = credential["id"]
    for claim, names in (
        ("nbf", ("issuanceDate", "validFrom")),
        ("exp", ("expirationDate", "validUntil")),
    ):
        value = next((credential[n] for n in names if isinstance(credential.get(n), str)), None)
        if value is not None:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                raise MalformedInputError(f"{names[0]} {value!r} is not a date-time") from None
            if moment.tzinfo is None:
                raise MalformedInputError(f"{names[0]} {value!r} has no time zone")
            claims[claim] = _numeric_date(moment)
    claims["iat"] = _numeric_date(issued_at or datetime.now(UTC))
    return sign_jws(claims, key, header={"typ": JWT_VC_TYP, "kid": kid})


def verify_jwt_vc_json(
    token: str,
    key: PublicKey,
    *,
    allowed_algs: Collection[str],
    now: datetime | None = None,
    leeway: timedelta = DEFAULT_LEEWAY,
    verified: VerifiedJws | None = None,
) -> JoseVerificationResult:
    """Verify a VCDM 1.1 JWT credential (see :func:`sign_jwt_vc_json`).

    ``document`` is the ``vc`` claim as signed. ``iss`` must match ``vc.issuer``, ``jti`` the
    ``vc.id`` and ``sub`` a subject id when both are present; ``exp``/``nbf`` are enforced.
    ``verified``, when given, must be ``verify_jws(token, key, allowed_algs=allowed_algs,
    expected_typ=None)`` for this very token and key (a caller that already checked the
    signature): the signature is then not verified again nor the payload parsed again.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    jws = _jws_of(token, key, allowed_algs=allowed_algs, expected_typ=None, verified=verified)

    def failed(reason: JoseFailure, detail: str) -> JoseVerificationResult:
        return JoseVerificationResult(False, None, None, jws.header, reason, detail)

    if not jws.verified:
        return failed(jws.reason or JoseFailure.INVALID_SIGNATURE, jws.detail)
    typ = jws.header.get("typ")
    if typ is not None and _media_type(typ) != _media_type(JWT_VC_TYP):
        return failed(JoseFailure.TYP_MISMATCH, f"typ {typ!r} is not a VCDM 1.1 JWT")
    claims = jws.payload_json()
    vc = claims.get("vc")
    if not isinstance(vc, dict):
        return failed(JoseFailure.DOCUMENT_TYPE_MISMATCH, "the JWT has no 'vc' object claim")
    mirrored = {k: v for k, v in claims.items() if k in ("iss", "jti", "sub", "exp", "nbf", "iat")}
    warnings: list[str] = []
    check = _check_common_claims(
        {**vc, **mirrored},
        kind="vc",
        now=now or datetime.now(UTC),
        leeway=leeway,
        warnings=warnings,
    )
    if check is not None:
        return failed(check.reason, check.detail)
    return JoseVerificationResult(True, "vc", vc, jws.header, warnings=tuple(warnings))
