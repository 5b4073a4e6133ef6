"""SD-JWT VC verification: issuer key discovery, the SD-JWT proof, key binding and the Token
Status List (specs.md §2.4, §7.3, §11; draft-ietf-oauth-sd-jwt-vc; RFC 9901;
draft-ietf-oauth-status-list).

* **Issuer key** (SD-JWT VC §2.5): an ``iss`` that is a DID names the key with the header's
  ``kid`` (a DID URL of *that* DID, or ``#fragment`` relative to it). The key goes through the
  same guarded resolver as every other format (:func:`verifier.proofs.guarded_key_resolver`):
  a ``kid`` of another DID is ``key_confusion`` and nothing is resolved; the method must be
  listed under ``assertionMethod``. An ``https`` issuer would need JWT VC Issuer Metadata
  (``/.well-known/jwt-vc-issuer``), which mcred does not fetch yet: ``issuer_key`` fails with
  ``issuer_metadata_not_supported``.
* **Proof**: :func:`vc_core.sd_jwt_vc.verify_sd_jwt_vc` with the policy's JWS ``alg``
  allowlist (issuer signature, ``typ``, Disclosures, ``vct``, ``exp``/``nbf``, and the KB-JWT
  when present: ``nonce`` = the verifier's ``challenge``, ``aud`` = its ``domain``).
* **Status** (Token Status List §8.3): the ``status.status_list`` ``uri`` is dereferenced through
  :class:`~verifier.ports.StatusListTokenClient`; the token must be signed by a key of the same
  issuer DID (``assertionMethod``), its ``sub`` must be the ``uri``; the value at ``idx`` is read:
  ``0`` VALID, ``1`` INVALID (``revoked``), ``2`` SUSPENDED (``suspended``); anything else fails
  as ``unknown_status``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vc_core.dids.resolver import DidResolver
from vc_core.errors import (
    SECURITY_PROBLEM,
    STATUS_PROBLEM,
    VCDM_PROBLEM,
    DidError,
    KeyFormatError,
    MalformedInputError,
    StatusRangeError,
)
from vc_core.jose import decode_unverified_header
from vc_core.keys import PublicKey
from vc_core.sd_jwt import SdJwtFailure
from vc_core.sd_jwt_vc import verify_sd_jwt_vc
from vc_core.status_token import StatusListReference, verify_status_list_token
from verifier.formats import ParsedInput
from verifier.ports import StatusListRetrievalError
from verifier.proofs import KeyLog, guarded_key_resolver
from verifier.report import Check, CheckName

__all__ = [
    "KEY_BINDING_FAILURES",
    "SdJwtVcOutcome",
    "TokenFetcher",
    "check_token_status",
    "verify_sd_jwt_vc_input",
]

_PROOF_ERROR = SECURITY_PROBLEM + "PROOF_VERIFICATION_ERROR"
_CRYPTO_ERROR = VCDM_PROBLEM + "CRYPTOGRAPHIC_SECURITY_ERROR"
_RETRIEVAL = "STATUS_RETRIEVAL_ERROR"
_VERIFICATION = "STATUS_VERIFICATION_ERROR"

KEY_BINDING_FAILURES = frozenset(
    {
        SdJwtFailure.KEY_BINDING_REQUIRED,
        SdJwtFailure.HOLDER_KEY_MISSING,
        SdJwtFailure.KB_ALG_NOT_ALLOWED,
        SdJwtFailure.KB_INVALID_SIGNATURE,
        SdJwtFailure.KB_TYP_MISMATCH,
        SdJwtFailure.KB_INVALID_CLAIM,
        SdJwtFailure.KB_IAT_OUT_OF_WINDOW,
        SdJwtFailure.AUDIENCE_MISMATCH,
        SdJwtFailure.NONCE_MISMATCH,
        SdJwtFailure.SD_HASH_MISMATCH,
    }
)
"""Failures of the holder's KB-JWT (RFC 9901 §7.3), not of the issuer's signature."""

TokenFetcher = Callable[[str], str]
"""``uri -> Status List Token`` (the service memoizes the port per verification)."""


@dataclass(frozen=True)
class SdJwtVcOutcome:
    """The ``proof`` and ``issuer_key`` checks of an SD-JWT VC, and what they let us read.

    ``key_binding`` is the holder's KB-JWT: passed, failed (with an RFC 9901 §7.3 code) or
    skipped (no KB-JWT, or the issuer part failed first). ``claims`` are the processed claims
    (disclosed ones included) when the proof verified.
    """

    proof: Check
    key: Check
    key_binding: Check
    issuer: str | None
    issuer_key: PublicKey | None = None
    claims: dict[str, Any] | None = None
    status_list: StatusListReference | None = None


def _kb_check(code: str, message: str, *, failed: bool, problem_type: str | None = None) -> Check:
    if failed:
        return Check.failed(CheckName.HOLDER_KEY, code, message, problem_type=problem_type)
    return Check.skipped(CheckName.HOLDER_KEY, code, message)


def _verification_method(kid: str, did: str) -> str:
    return f"{did}{kid}" if kid.startswith("#") else kid


def verify_sd_jwt_vc_input(
    parsed: ParsedInput,
    *,
    resolver: DidResolver,
    jws_algs: frozenset[str],
    now: datetime,
    leeway: timedelta,
    require_key_binding: bool,
    nonce: str | None,
    aud: str | None,
) -> SdJwtVcOutcome:
    """Discover the issuer's key and verify the SD-JWT VC (module doc).

    With ``require_key_binding`` a KB-JWT must be present; it is checked against ``nonce`` and
    ``aud`` when they are given. A KB-JWT that is present is always verified.
    """
    token = parsed.token
    if token is None:  # pragma: no cover - the caller passes tokens only
        raise ValueError("verify_sd_jwt_vc_input needs a token")
    log = KeyLog(CheckName.ISSUER_KEY)
    iss = parsed.claims.get("iss")
    issuer = iss if isinstance(iss, str) else None
    not_reached = _kb_check(
        "credential_not_verified", "the issuer's part did not verify", failed=False
    )
    alg = parsed.header.get("alg")
    if alg not in jws_algs:
        proof = Check.failed(
            CheckName.PROOF,
            SdJwtFailure.ALG_NOT_ALLOWED.value,
            f"alg {alg!r} is not one of {sorted(jws_algs)}",
            problem_type=_CRYPTO_ERROR,
        )
        return SdJwtVcOutcome(proof, log.check(), not_reached, issuer)
    if issuer is None or not issuer.startswith("did:"):
        if issuer is not None and issuer.startswith("https://"):
            code, message = (
                "issuer_metadata_not_supported",
                f"{issuer} is an https issuer: jwt-vc-issuer metadata not supported yet",
            )
        else:
            code, message = "invalid_issuer", f"iss {iss!r} is neither a DID nor an https URL"
        key = Check.failed(CheckName.ISSUER_KEY, code, message, problem_type=_PROOF_ERROR)
        proof = Check.skipped(CheckName.PROOF, "no_issuer_key", "no key of the issuer to verify")
        return SdJwtVcOutcome(proof, key, not_reached, issuer)
    kid = parsed.header.get("kid")
    if not isinstance(kid, str) or not kid:
        log.record("", "missing_kid", "the Issuer-signed JWT has no kid naming the issuer's key")
        proof = Check.failed(
            CheckName.PROOF, "key_resolution_failed", "no key to verify with: no kid"
        )
        return SdJwtVcOutcome(proof, log.check(), not_reached, issuer)
    vm = _verification_method(kid, issuer)
    resolve = guarded_key_resolver(resolver, expected_did=issuer, now=now, log=log)
    try:
        issuer_key = resolve(vm, "assertionMethod")
    except (DidError, KeyFormatError) as exc:
        proof = Check.failed(
            CheckName.PROOF,
            "key_resolution_failed",
            f"no usable key for {vm}: {exc.message}",
            problem_type=_PROOF_ERROR,
        )
        return SdJwtVcOutcome(proof, log.check(), not_reached, issuer)
    if require_key_binding and not parsed.key_bound:
        failure = SdJwtFailure.KEY_BINDING_REQUIRED
        message = "a presented SD-JWT VC needs a KB-JWT (RFC 9901 §7.3 step 2)"
        proof = Check.failed(CheckName.PROOF, failure.value, message, problem_type=_CRYPTO_ERROR)
        binding = _kb_check(failure.value, message, failed=True, problem_type=_CRYPTO_ERROR)
        return SdJwtVcOutcome(proof, log.check(), binding, issuer, issuer_key)
    try:
        result = verify_sd_jwt_vc(
            token,
            issuer_key=issuer_key,
            allowed_algs=jws_algs,
            require_key_binding=require_key_binding and nonce is not None and aud is not None,
            expected_aud=aud,
            expected_nonce=nonce,
            now=now,
            leeway=leeway,
        )
    except MalformedInputError as exc:
        proof = Check.failed(
            CheckName.PROOF,
            "malformed_sd_jwt",
            f"the SD-JWT cannot be read: {exc.message}",
            problem_type=VCDM_PROBLEM + "MALFORMED_VALUE_ERROR",
        )
        return SdJwtVcOutcome(proof, log.check(), not_reached, issuer, issuer_key)
    if not result.verified:
        reason = result.reason or SdJwtFailure.INVALID_SIGNATURE
        proof = Check.failed(
            CheckName.PROOF,
            reason.value,
            result.detail or reason.value,
            problem_type=reason.problem_type,
            details={"alg": alg, "kid": kid},
        )
        binding = (
            _kb_check(reason.value, proof.message, failed=True, problem_type=reason.problem_type)
            if reason in KEY_BINDING_FAILURES
            else not_reached
        )
        return SdJwtVcOutcome(proof, log.check(), binding, issuer, issuer_key)
    bound = result.key_binding is not None
    proof = Check.passed(
        CheckName.PROOF,
        f"SD-JWT VC ({alg}) verified with {len(result.disclosures)} Disclosure(s)"
        + (" and a KB-JWT" if bound else ""),
        details={
            "alg": alg,
            "kid": kid,
            "typ": result.header.get("typ"),
            "vct": result.vct,
            "disclosures": len(result.disclosures),
            "key_binding": bound,
        },
    )
    binding = (
        Check.passed(CheckName.HOLDER_KEY, "the KB-JWT is signed with the cnf key")
        if bound
        else _kb_check("no_key_binding", "the SD-JWT VC has no KB-JWT", failed=False)
    )
    return SdJwtVcOutcome(
        proof, log.check(), binding, issuer, issuer_key, result.claims, result.status_list
    )


def _status_failed(code: str, message: str, details: dict[str, Any]) -> Check:
    problem = STATUS_PROBLEM + code if code in (_RETRIEVAL, _VERIFICATION) else None
    if code == "RANGE_ERROR":
        problem = VCDM_PROBLEM + code
    return Check.failed(CheckName.STATUS, code, message, problem_type=problem, details=details)


def check_token_status(
    reference: StatusListReference,
    *,
    issuer: str,
    fetch: TokenFetcher | None,
    resolver: DidResolver,
    jws_algs: frozenset[str],
    now: datetime,
    leeway: timedelta,
) -> Check:
    """Token Status List §8.3 for one Referenced Token (module doc)."""
    uri, idx = reference.uri, reference.idx
    details: dict[str, Any] = {"uri": uri, "idx": idx}
    if fetch is None:
        return _status_failed(_RETRIEVAL, "no Status List Token client is configured", details)
    try:
        token = fetch(uri)
    except StatusListRetrievalError as exc:
        return _status_failed(_RETRIEVAL, exc.message, {**details, **exc.details})
    try:
        header = decode_unverified_header(token)
    except (MalformedInputError, KeyFormatError) as exc:
        return _status_failed(_VERIFICATION, f"not a Status List Token: {exc.message}", details)
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        return _status_failed(_VERIFICATION, "the Status List Token has no kid", details)
    log = KeyLog(CheckName.ISSUER_KEY)
    resolve = guarded_key_resolver(resolver, expected_did=issuer, now=now, log=log)
    vm = _verification_method(kid, issuer)
    try:
        key = resolve(vm, "assertionMethod")
    except (DidError, KeyFormatError) as exc:
        message = f"the Status List Token's key {vm} is not the issuer's: {exc.message}"
        return _status_failed(_VERIFICATION, message, {**details, "reason": log.check().code})
    try:
        result = verify_status_list_token(
            token, key, allowed_algs=jws_algs, expected_uri=uri, now=now, leeway=leeway
        )
    except MalformedInputError as exc:
        return _status_failed(
            _VERIFICATION, f"unreadable Status List Token: {exc.message}", details
        )
    if not result.verified or result.status_list is None:
        reason = result.reason.value if result.reason else "invalid"
        message = f"the Status List Token did not verify ({reason}): {result.detail}"
        return _status_failed(_VERIFICATION, message, {**details, "reason": reason})
    try:
        value = result.status_list.get(idx)
    except StatusRangeError as exc:
        return _status_failed("RANGE_ERROR", exc.message, details)
    details["status"] = value
    if value == 0:
        return Check.passed(
            CheckName.STATUS, f"VALID in the Status List Token {uri}", details=details
        )
    if value == 1:
        return Check.failed(
            CheckName.STATUS, "revoked", "the credential is INVALID (revoked)", details=details
        )
    if value == 2:
        return Check.failed(
            CheckName.STATUS, "suspended", "the credential is SUSPENDED", details=details
        )
    return Check.failed(
        CheckName.STATUS, "unknown_status", f"status value {value:#x} is not VALID", details=details
    )
