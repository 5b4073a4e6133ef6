"""SD-JWT VC (draft-ietf-oauth-sd-jwt-vc-18) on top of :mod:`vc_core.sd_jwt` (brief §4.2).

* §2.2.1: the Issuer-signed JWT has ``typ: dc+sd-jwt``. The legacy ``vc+sd-jwt`` (July 2023 to
  November 2024) is accepted on input by :func:`verify_sd_jwt_vc` and never emitted.
* §2.2.2.1: ``vct`` is REQUIRED, a case-sensitive string; §2.2.2.2 ``aka_vcts`` are more types.
* §2.2.2.3: ``iss``, ``nbf``, ``exp``, ``cnf``, ``vct``, ``vct#integrity``, ``aka_vcts`` and
  ``status`` "MUST NOT be included in the Disclosures" (:data:`NEVER_DISCLOSABLE`). mcred also
  keeps ``iat`` in clear when issuing (the draft allows disclosing it; HAIP wallets show it).
* §2.2.2.5: without selectively disclosable claims there is no ``_sd`` claim and no Disclosure.
* ``cnf``: ``{"jwk": <the wallet's public key>}`` (HAIP: MUST be ``jwk``); the KB-JWT proves it.
* ``status``: ``{"status_list": {"idx", "uri"}}`` (Token Status List §6.2), never disclosable;
  :func:`verify_sd_jwt_vc` returns the reference for the caller to check with
  :func:`vc_core.status_token.verify_status_list_token` (draft §2.4 "the status SHOULD be
  checked"; fetching is not done here).

Issuer key discovery (§2.5: JWT VC Issuer Metadata by ``iss`` + ``kid``, or ``x5c``) is the
caller's: read ``parse_sd_jwt(token)`` (``issuer_jwt`` header, ``unverified_claims()``) to choose
the key, then call :func:`verify_sd_jwt_vc` with it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vc_core.errors import MalformedInputError
from vc_core.jose import DEFAULT_LEEWAY, CompactJws
from vc_core.keys import PrivateKey, PublicKey
from vc_core.sd_jwt import (
    DEFAULT_MAX_KB_AGE,
    Disclosure,
    SdJwtFailure,
    SdJwtResult,
    issue_sd_jwt,
    verify_sd_jwt,
)
from vc_core.status_token import StatusListReference

__all__ = [
    "ISSUER_KEEPS_CLEAR",
    "LEGACY_SD_JWT_VC_TYP",
    "NEVER_DISCLOSABLE",
    "SD_JWT_VC_MEDIA_TYPE",
    "SD_JWT_VC_TYP",
    "SdJwtVcResult",
    "issue_sd_jwt_vc",
    "verify_sd_jwt_vc",
]

SD_JWT_VC_TYP = "dc+sd-jwt"
"""§2.2.1: "The typ value MUST use dc+sd-jwt"."""
LEGACY_SD_JWT_VC_TYP = "vc+sd-jwt"
"""§2.2.1 transition note: accepted on input only."""
SD_JWT_VC_MEDIA_TYPE = "application/dc+sd-jwt"
"""§2.1 (and the OpenID4VCI/OpenID4VP format identifier ``dc+sd-jwt``)."""
NEVER_DISCLOSABLE = frozenset(
    {"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "aka_vcts", "status"}
)
"""§2.2.2.3: registered claims that MUST NOT be included in the Disclosures."""
ISSUER_KEEPS_CLEAR = NEVER_DISCLOSABLE | {"iat"}
"""What :func:`issue_sd_jwt_vc` refuses to make disclosable (mcred keeps ``iat`` in clear)."""
_SET_BY_ISSUER = ("iss", "iat", "exp", "nbf", "vct", "vct#integrity", "cnf", "status")


@dataclass(frozen=True)
class SdJwtVcResult:
    """Outcome of :func:`verify_sd_jwt_vc`. ``claims`` is the Processed SD-JWT Payload.

    ``vct`` and ``status_list`` are read from the verified payload; ``status_list`` is the
    Token Status List reference the caller still has to check (``None`` when absent).
    """

    verified: bool
    header: dict[str, Any]
    claims: dict[str, Any] | None = None
    reason: SdJwtFailure | None = None
    detail: str = ""
    vct: str | None = None
    status_list: StatusListReference | None = None
    key_binding: dict[str, Any] | None = None
    disclosures: tuple[Disclosure, ...] = ()

    def to_problem(self) -> dict[str, Any] | None:
        """RFC 9457 ProblemDetails for a failure (VCDM 2.0 §7.2), ``None`` on success."""
        if self.reason is None:
            return None
        return {
            "type": self.reason.problem_type,
            "title": "SD-JWT VC verification failed",
            "detail": self.detail or self.reason.value,
            "code": self.reason.value,
        }


def _numeric_date(moment: datetime, what: str) -> int:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise MalformedInputError(f"{what} must be a timezone-aware datetime")
    return int(moment.timestamp())


def issue_sd_jwt_vc(
    claims: Mapping[str, Any],
    key: PrivateKey,
    *,
    vct: str,
    iss: str,
    kid: str,
    holder_jwk: Mapping[str, Any] | None,
    iat: datetime,
    status_list: StatusListReference | tuple[int, str] | None,
    exp: datetime | None = None,
    nbf: datetime | None = None,
    vct_integrity: str | None = None,
    x5c: Sequence[str] | None = None,
    disclosable: Iterable[Sequence[str | int | None]] = (),
    decoys: int = 0,
    salt_source: Callable[[], str] | None = None,
) -> str:
    """Issue an SD-JWT VC: header ``{"alg", "typ": "dc+sd-jwt", "kid"}`` (§2.2.1).

    The payload is ``iss``, ``iat``, ``exp``/``nbf`` if given, ``vct``, ``vct#integrity`` if
    given, ``cnf: {"jwk": holder_jwk}`` if given, ``status`` if ``status_list`` is given, and
    ``claims``. ``x5c`` (base64 DER certificates, leaf first, HAIP §6.1.1) goes into the
    header. ``disclosable`` claim paths (:data:`vc_core.sd_jwt.ClaimPath`) may not start with
    one of :data:`ISSUER_KEEPS_CLEAR`; ``claims`` may not carry the claims set by arguments.
    """
    if not isinstance(vct, str) or not vct:
        raise MalformedInputError("vct is a non-empty string (§2.2.2.1)")
    if not isinstance(iss, str) or not iss:
        raise MalformedInputError("iss is a non-empty string")
    if not isinstance(kid, str) or not kid:
        raise MalformedInputError("kid is a non-empty string (JWT VC Issuer Metadata §3.2)")
    if not isinstance(claims, Mapping):
        raise MalformedInputError("the claim set is a JSON object")
    clashing = sorted(name for name in _SET_BY_ISSUER if name in claims)
    if clashing:
        raise MalformedInputError(
            f"claims {clashing} are set by issue_sd_jwt_vc's arguments",
            details={"claims": clashing},
        )
    header: dict[str, Any] = {"typ": SD_JWT_VC_TYP, "kid": kid}
    if x5c is not None:
        if isinstance(x5c, str) or not x5c or not all(isinstance(c, str) and c for c in x5c):
            raise MalformedInputError("x5c is a non-empty list of base64 certificates")
        header["x5c"] = list(x5c)
    paths = [tuple(path) for path in disclosable]
    kept_clear = sorted({str(p[0]) for p in paths if p and p[0] in ISSUER_KEEPS_CLEAR})
    if kept_clear:
        raise MalformedInputError(
            f"{kept_clear} are never selectively disclosable (§2.2.2.3)",
            details={"claims": kept_clear},
        )
    payload: dict[str, Any] = {"iss": iss, "iat": _numeric_date(iat, "iat")}
    if exp is not None:
        payload["exp"] = _numeric_date(exp, "exp")
    if nbf is not None:
        payload["nbf"] = _numeric_date(nbf, "nbf")
    payload["vct"] = vct
    if vct_integrity is not None:
        payload["vct#integrity"] = vct_integrity
    if status_list is not None:
        reference = (
            status_list
            if isinstance(status_list, StatusListReference)
            else StatusListReference(*status_list)
        )
        payload["status"] = reference.to_claim()
    payload.update(claims)
    return issue_sd_jwt(
        payload,
        key,
        header=header,
        disclosable=paths,
        holder_jwk=holder_jwk,
        decoys=decoys,
        salt_source=salt_source,
    )


def _check_vc_claims(result: SdJwtResult, expected_vct: str | None) -> SdJwtVcResult:
    """The SD-JWT VC checks on a verified SD-JWT (§2.2.2, Token Status List §6.2)."""

    def failed(reason: SdJwtFailure, detail: str) -> SdJwtVcResult:
        return SdJwtVcResult(False, result.header, reason=reason, detail=detail)

    claims, signed = result.claims or {}, result.issuer_payload or {}
    disclosed = sorted(n for n in NEVER_DISCLOSABLE if n in claims and n not in signed)
    if disclosed:
        return failed(SdJwtFailure.DISCLOSED_RESERVED_CLAIM, f"{disclosed} came from Disclosures")
    vct = claims.get("vct")
    if not isinstance(vct, str) or not vct:
        return failed(SdJwtFailure.VCT_MISSING, "vct is REQUIRED and a non-empty string")
    aka = claims.get("aka_vcts", [])
    if (
        not isinstance(aka, list)
        or ("aka_vcts" in claims and not aka)
        or not all(isinstance(t, str) and t for t in aka)
        or vct in aka
    ):
        return failed(SdJwtFailure.INVALID_CLAIM, "aka_vcts is a non-empty array of other types")
    if expected_vct is not None and expected_vct != vct and expected_vct not in aka:
        return failed(SdJwtFailure.VCT_MISMATCH, f"vct {vct!r} is not {expected_vct!r}")
    if "iss" in claims and not isinstance(claims["iss"], str):
        return failed(SdJwtFailure.INVALID_CLAIM, "iss must be a string")
    reference = None
    if "status" in claims:
        try:
            reference = StatusListReference.from_status_claim(claims["status"])
        except MalformedInputError as exc:
            return failed(SdJwtFailure.INVALID_STATUS, exc.message)
    return SdJwtVcResult(
        True,
        result.header,
        claims=result.claims,
        vct=vct,
        status_list=reference,
        key_binding=result.key_binding,
        disclosures=result.disclosures,
    )


def verify_sd_jwt_vc(
    serialized: str,
    *,
    issuer_key: PublicKey,
    allowed_algs: Collection[str],
    require_key_binding: bool,
    expected_aud: str | None = None,
    expected_nonce: str | None = None,
    expected_vct: str | None = None,
    accept_legacy_typ: bool = True,
    now: datetime | None = None,
    max_kb_age: timedelta = DEFAULT_MAX_KB_AGE,
    leeway: timedelta = DEFAULT_LEEWAY,
    kb_allowed_algs: Collection[str] | None = None,
    issuer_jws: CompactJws | None = None,
) -> SdJwtVcResult:
    """Verify an SD-JWT VC presentation (§2.4): RFC 9901 §7 plus the SD-JWT VC rules.

    On top of :func:`vc_core.sd_jwt.verify_sd_jwt`: ``typ`` is ``dc+sd-jwt`` (or
    ``vc+sd-jwt`` when ``accept_legacy_typ``), no :data:`NEVER_DISCLOSABLE` claim came from a
    Disclosure, ``vct`` is present (and equals ``expected_vct`` or lists it in ``aka_vcts``),
    and ``status`` has the §6.2 shape. ``issuer_key`` must come from a key discovery mechanism
    permitted for the issuer (§2.5): that is the caller's job. ``issuer_jws``: as for
    :func:`~vc_core.sd_jwt.verify_sd_jwt`.
    """
    typs = (SD_JWT_VC_TYP, LEGACY_SD_JWT_VC_TYP) if accept_legacy_typ else (SD_JWT_VC_TYP,)
    result = verify_sd_jwt(
        serialized,
        issuer_key=issuer_key,
        allowed_algs=allowed_algs,
        expected_typ=typs,
        require_key_binding=require_key_binding,
        expected_aud=expected_aud,
        expected_nonce=expected_nonce,
        now=now,
        max_kb_age=max_kb_age,
        leeway=leeway,
        kb_allowed_algs=kb_allowed_algs,
        issuer_jws=issuer_jws,
    )
    if not result.verified:
        return SdJwtVcResult(False, result.header, reason=result.reason, detail=result.detail)
    return _check_vc_claims(result, expected_vct)
