"""Status List Token in JWT format and the Referenced Token's ``status`` claim.

draft-ietf-oauth-status-list-20 (brief §7.2; the list codec is
:class:`~vc_core.status.token_status_list.TokenStatusList`):

* §5.1 Status List Token: header ``typ: statuslist+jwt``; claims ``sub`` (REQUIRED, "MUST
  specify the URI of the Status List Token ... equal to that of the uri claim contained in the
  status_list claim of the Referenced Token"), ``iat`` (REQUIRED), ``exp`` (RECOMMENDED),
  ``ttl`` (RECOMMENDED, "a positive number", seconds) and ``status_list`` (REQUIRED, §4.2).
  :func:`sign_status_list_token`, :func:`verify_status_list_token`.
* §6.2 Referenced Token: ``"status": {"status_list": {"idx": <non-negative integer>, "uri":
  "<URI>"}}`` (:class:`StatusListReference`).
* §8.3 validation: the Referenced Token first; then the Status List Token per RFC 7519 §7.2,
  ``sub`` == ``uri``, ``exp``; an index outside the list → reject (``StatusRangeError`` from
  :meth:`TokenStatusList.get`). Fetching (``Accept: application/statuslist+jwt``) and caching by
  ``ttl`` are the caller's; this module does no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from vc_core.errors import VCDM_PROBLEM, MalformedInputError, StatusListError
from vc_core.jose import (
    DEFAULT_LEEWAY,
    CompactJws,
    JoseFailure,
    MalformedJwsError,
    sign_jws,
    verify_jws,
)
from vc_core.keys import PrivateKey, PublicKey
from vc_core.status.bitstring_status_list import DEFAULT_MAX_DECOMPRESSED_SIZE
from vc_core.status.token_status_list import TokenStatusList
from vc_core.strict_json import normalize_media_type

__all__ = [
    "STATUS_LIST_MEDIA_TYPE",
    "STATUS_LIST_TOKEN_TYP",
    "StatusListReference",
    "StatusListTokenResult",
    "StatusTokenFailure",
    "sign_status_list_token",
    "token_time_failure",
    "verify_status_list_token",
]

STATUS_LIST_TOKEN_TYP = "statuslist+jwt"  # noqa: S105 - a media type, not a secret
"""§5.1: "The JWT type MUST be statuslist+jwt"."""
STATUS_LIST_MEDIA_TYPE = "application/statuslist+jwt"
"""§8.2: the content type of a Status List Token response."""


@dataclass(frozen=True)
class StatusListReference:
    """§6.2: the ``status_list`` member of a Referenced Token's ``status`` claim."""

    idx: int
    uri: str

    def __post_init__(self) -> None:
        if isinstance(self.idx, bool) or not isinstance(self.idx, int) or self.idx < 0:
            raise MalformedInputError("status_list.idx must be a non-negative integer (§6.2)")
        if not isinstance(self.uri, str) or ":" not in self.uri:
            raise MalformedInputError("status_list.uri must be an absolute URI string (§6.2)")

    def to_claim(self) -> dict[str, Any]:
        """``{"status_list": {"idx": ..., "uri": ...}}``: the value of the ``status`` claim."""
        return {"status_list": {"idx": self.idx, "uri": self.uri}}

    @classmethod
    def from_status_claim(cls, status: Any) -> Self | None:
        """Read a ``status`` claim value; ``None`` when it has no ``status_list`` member.

        Raises :class:`~vc_core.errors.MalformedInputError` when ``status`` is not an object or
        ``status_list`` lacks a valid ``idx``/``uri`` (§6.2). Other status mechanisms are kept
        out of the result (§6.1: "Other members ... may be defined by other specifications").
        """
        if not isinstance(status, Mapping):
            raise MalformedInputError("the status claim must be a JSON object (§6.2)")
        if "status_list" not in status:
            return None
        entry = status["status_list"]
        if not isinstance(entry, Mapping):
            raise MalformedInputError("status.status_list must be a JSON object (§6.2)")
        idx, uri = entry.get("idx"), entry.get("uri")
        if isinstance(idx, bool) or not isinstance(idx, int):
            raise MalformedInputError("status_list.idx must be a non-negative integer (§6.2)")
        if not isinstance(uri, str):
            raise MalformedInputError("status_list.uri must be an absolute URI string (§6.2)")
        return cls(idx, uri)


class StatusTokenFailure(enum.StrEnum):
    """Why a readable Status List Token was rejected. The value is the wire ``code``."""

    ALG_NOT_ALLOWED = "alg_not_allowed"
    ALG_KEY_MISMATCH = "alg_key_mismatch"
    CRIT_NOT_UNDERSTOOD = "crit_not_understood"
    INVALID_SIGNATURE = "invalid_signature"
    TYP_MISMATCH = "typ_mismatch"
    INVALID_CLAIM = "invalid_claim"
    """A required claim missing (``sub``, ``iat``, ``status_list``) or of the wrong type."""
    SUBJECT_MISMATCH = "subject_mismatch"
    """§8.3 step 4a: ``sub`` is not the ``uri`` of the Referenced Token."""
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    INVALID_STATUS_LIST = "invalid_status_list"
    """``status_list`` that cannot be decoded (§4.2: bits, base64url, ZLIB)."""

    @property
    def problem_type(self) -> str:
        """The Bitstring-style ProblemDetails ``type`` (brief §7.3 maps both lists alike)."""
        if self in (StatusTokenFailure.EXPIRED, StatusTokenFailure.NOT_YET_VALID):
            return VCDM_PROBLEM + "RANGE_ERROR"
        return "https://www.w3.org/ns/credentials/status-list#STATUS_VERIFICATION_ERROR"


_JWS_FAILURES = {
    JoseFailure.ALG_NOT_ALLOWED: StatusTokenFailure.ALG_NOT_ALLOWED,
    JoseFailure.ALG_KEY_MISMATCH: StatusTokenFailure.ALG_KEY_MISMATCH,
    JoseFailure.CRIT_NOT_UNDERSTOOD: StatusTokenFailure.CRIT_NOT_UNDERSTOOD,
    JoseFailure.INVALID_SIGNATURE: StatusTokenFailure.INVALID_SIGNATURE,
    JoseFailure.TYP_MISMATCH: StatusTokenFailure.TYP_MISMATCH,
}


@dataclass(frozen=True)
class StatusListTokenResult:
    """Outcome of :func:`verify_status_list_token`; ``status_list`` only when ``verified``."""

    verified: bool
    header: dict[str, Any]
    status_list: TokenStatusList | None = None
    claims: dict[str, Any] | None = None
    reason: StatusTokenFailure | None = None
    detail: str = ""

    @property
    def issued_at(self) -> datetime | None:
        return _from_numeric(self.claims.get("iat")) if self.claims else None

    @property
    def expires_at(self) -> datetime | None:
        return _from_numeric(self.claims.get("exp")) if self.claims else None

    @property
    def ttl(self) -> timedelta | None:
        """§5.1 ``ttl``: how long a consumer may cache the token (seconds on the wire)."""
        value = self.claims.get("ttl") if self.claims else None
        return None if value is None else timedelta(seconds=value)

    def to_problem(self) -> dict[str, Any] | None:
        """RFC 9457 ProblemDetails for a failure, ``None`` on success."""
        if self.reason is None:
            return None
        return {
            "type": self.reason.problem_type,
            "title": "Status List Token verification failed",
            "detail": self.detail or self.reason.value,
            "code": self.reason.value,
        }


def _from_numeric(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _numeric_date(moment: datetime, what: str) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware")
    return int(moment.timestamp())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_media_type = normalize_media_type


def sign_status_list_token(
    status_list: TokenStatusList,
    key: PrivateKey,
    *,
    uri: str,
    kid: str,
    iat: datetime,
    exp: datetime | None = None,
    ttl: timedelta | int | None = None,
    iss: str | None = None,
) -> str:
    """Sign a Status List Token (§5.1): header ``{"alg", "kid", "typ": "statuslist+jwt"}``.

    ``uri`` becomes ``sub`` and must be the ``uri`` the Referenced Tokens carry. ``ttl`` is a
    whole, positive number of seconds; ``exp`` must be after ``iat``. The same
    :class:`TokenStatusList` bits can back the W3C list via
    :meth:`TokenStatusList.to_bitstring_status_list`.
    """
    if not isinstance(status_list, TokenStatusList):
        raise MalformedInputError("status_list is a TokenStatusList")
    if not isinstance(uri, str) or ":" not in uri:
        raise MalformedInputError("uri (the token's sub) must be an absolute URI (§5.1)")
    if not isinstance(kid, str) or not kid:
        raise MalformedInputError("kid must be a non-empty string")
    claims: dict[str, Any] = {"sub": uri, "iat": _numeric_date(iat, "iat")}
    if iss is not None:
        claims["iss"] = iss
    if exp is not None:
        claims["exp"] = _numeric_date(exp, "exp")
        if claims["exp"] <= claims["iat"]:
            raise MalformedInputError("exp must be after iat")
    if ttl is not None:
        seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else ttl
        if isinstance(seconds, bool) or seconds != int(seconds) or seconds <= 0:
            raise MalformedInputError("ttl is a positive whole number of seconds (§5.1)")
        claims["ttl"] = int(seconds)
    claims["status_list"] = status_list.to_claim()
    return sign_jws(claims, key, header={"kid": kid, "typ": STATUS_LIST_TOKEN_TYP})


def token_time_failure(
    claims: Mapping[str, Any], *, now: datetime | None = None, leeway: timedelta = DEFAULT_LEEWAY
) -> tuple[StatusTokenFailure, str] | None:
    """Why a Status List Token with these (checked) ``claims`` is not valid at ``now``
    (``exp``/``nbf`` with ``leeway``; default: the current time), or ``None`` when it is —
    the time step of :func:`verify_status_list_token`, for a caller holding a token it
    verified earlier."""
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    moment, slack = (now or datetime.now(UTC)).timestamp(), leeway.total_seconds()
    if "exp" in claims and moment >= claims["exp"] + slack:
        return StatusTokenFailure.EXPIRED, f"the Status List Token expired at {claims['exp']}"
    if "nbf" in claims and moment < claims["nbf"] - slack:
        return StatusTokenFailure.NOT_YET_VALID, f"not valid before {claims['nbf']}"
    return None


def verify_status_list_token(
    token: str,
    key: PublicKey,
    *,
    allowed_algs: Collection[str],
    expected_uri: str,
    now: datetime | None = None,
    leeway: timedelta = DEFAULT_LEEWAY,
    max_decompressed_size: int = DEFAULT_MAX_DECOMPRESSED_SIZE,
    parsed: CompactJws | None = None,
) -> StatusListTokenResult:
    """Verify a Status List Token JWT (§5.1, §8.3 steps 3-5).

    Checks, in order: the JWS (alg allowlist, alg ↔ key, signature), ``typ`` =
    ``statuslist+jwt``, the required claims and their types, ``sub`` == ``expected_uri`` (the
    Referenced Token's ``uri``), ``exp``/``nbf`` against ``now`` with ``leeway``, and that
    ``status_list`` decodes (ZLIB bounded by ``max_decompressed_size``). Raises
    :class:`~vc_core.jose.MalformedJwsError` only for a token that is not a compact JWS.
    ``parsed``: :func:`~vc_core.jose.parse_compact_jws` of ``token``, when the caller read its
    header for the ``kid`` already.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    jws = verify_jws(token, key, allowed_algs=allowed_algs, expected_typ=None, parsed=parsed)

    def failed(reason: StatusTokenFailure, detail: str) -> StatusListTokenResult:
        return StatusListTokenResult(False, jws.header, reason=reason, detail=detail)

    if not jws.verified:
        reason = _JWS_FAILURES.get(jws.reason or JoseFailure.INVALID_SIGNATURE)
        return failed(reason or StatusTokenFailure.INVALID_SIGNATURE, jws.detail)
    typ = jws.header.get("typ")
    if typ is None or _media_type(typ) != STATUS_LIST_MEDIA_TYPE:
        return failed(StatusTokenFailure.TYP_MISMATCH, f"typ {typ!r}, expected statuslist+jwt")
    try:
        claims = jws.payload_json()
    except MalformedJwsError as exc:
        return failed(StatusTokenFailure.INVALID_CLAIM, exc.message)
    if not isinstance(claims.get("sub"), str):
        return failed(StatusTokenFailure.INVALID_CLAIM, "sub is REQUIRED and a string (§5.1)")
    for name in ("iat", "exp", "nbf", "ttl"):
        required = name == "iat"
        if (required or name in claims) and not _is_number(claims.get(name)):
            return failed(StatusTokenFailure.INVALID_CLAIM, f"{name!r} must be a number (§5.1)")
    if "ttl" in claims and claims["ttl"] <= 0:
        return failed(StatusTokenFailure.INVALID_CLAIM, "ttl must be a positive number (§5.1)")
    if "status_list" not in claims:
        return failed(StatusTokenFailure.INVALID_CLAIM, "status_list is REQUIRED (§5.1)")
    if claims["sub"] != expected_uri:
        return failed(
            StatusTokenFailure.SUBJECT_MISMATCH,
            f"sub {claims['sub']!r} is not the referenced uri {expected_uri!r} (§8.3 4a)",
        )
    outside = token_time_failure(claims, now=now, leeway=leeway)
    if outside is not None:
        return failed(*outside)
    try:
        status_list = TokenStatusList.from_claim(
            claims["status_list"], max_decompressed_size=max_decompressed_size
        )
    except StatusListError as exc:
        return failed(StatusTokenFailure.INVALID_STATUS_LIST, exc.message)
    return StatusListTokenResult(True, jws.header, status_list=status_list, claims=claims)
