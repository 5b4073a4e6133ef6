"""``jwt_vc_json`` presentations: a VCDM 1.1 JWT VP (VCDM 1.1 §6.3.1; OID4VP 1.0 App. B.1.3.1).

What OpenID4VP wallets send for ``jwt_vc_json`` is a JWT whose ``vp`` claim is the
presentation and whose ``verifiableCredential`` holds the credentials as compact JWTs; ``iss``
is the holder, ``nonce`` the request's ``nonce`` and ``aud`` the verifier's ``client_id``.
:class:`~verifier.service.Verifier` verifies VCDM 2.0 presentations (``vp+jwt``) only, so
this module verifies the envelope with the same building blocks — the policy's ``alg``
allowlist, the guarded key resolver (``kid`` of the holder's DID, listed under
``authentication``), :func:`vc_core.jose.verify_jws` — and hands every credential to
:meth:`Verifier.verify_credential`, adding ``holder_binding`` (its subject is the holder).
The report has the shape of the verifier's presentation reports (``well_formed``,
``proof``, ``holder_key``, ``credentials``, one report per credential).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from vc_core.dids.resolver import DidResolver
from vc_core.errors import SECURITY_PROBLEM, DidError, KeyFormatError, MalformedInputError
from vc_core.jose import JoseFailure, decode_unverified_header, verify_jws
from vc_core.keys import b64url_decode
from verifier.checks import holder_binding, id_of
from verifier.errors import UnverifiableInputError
from verifier.formats import load_json, types_of
from verifier.proofs import KeyLog, guarded_key_resolver
from verifier.report import Check, CheckName, VerificationReport
from verifier.service import Verifier

__all__ = ["JWT_VP_FORMAT", "verify_jwt_vp_json"]

JWT_VP_FORMAT = "jwt_vc_json"
_PROOF_ERROR = SECURITY_PROBLEM + "PROOF_VERIFICATION_ERROR"
_REST = (CheckName.PROOF, CheckName.HOLDER_KEY, CheckName.CREDENTIALS)


def _refused(well: Check, rest_code: str, message: str) -> VerificationReport:
    skipped = tuple(Check.skipped(name, rest_code, message) for name in _REST)
    return VerificationReport("presentation", JWT_VP_FORMAT, (well, *skipped))


def _malformed(message: str) -> VerificationReport:
    well = Check.failed(CheckName.WELL_FORMED, "invalid_jwt_vp", message)
    return _refused(well, "not_well_formed", "the presentation is not well formed")


def _read(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        header = decode_unverified_header(token)
        claims = load_json(b64url_decode(token.split(".")[1]), what="the JWT payload")
    except (MalformedInputError, KeyFormatError) as exc:
        raise UnverifiableInputError(f"not a compact JWT: {exc.message}") from None
    if not isinstance(claims, dict):
        raise UnverifiableInputError("the JWT payload is not a JSON object")
    return header, claims


def _time_problem(
    claims: Mapping[str, Any], now: datetime, leeway: timedelta
) -> tuple[JoseFailure, str] | None:
    """``exp``, ``nbf`` and ``iat`` against ``now`` (a presentation's freshness)."""
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            return JoseFailure.INVALID_CLAIM, f"{name} is not a NumericDate"
        try:
            moment = datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return JoseFailure.INVALID_CLAIM, f"{name} is out of range"
        if name == "exp" and moment + leeway <= now:
            return JoseFailure.EXPIRED, "the presentation has expired"
        if name in ("nbf", "iat") and moment - leeway > now:
            return JoseFailure.NOT_YET_VALID, f"the presentation's {name} is in the future"
    return None


def verify_jwt_vp_json(
    token: str,
    *,
    verifier: Verifier,
    resolver: DidResolver,
    now: datetime,
    nonce: str,
    audience: str,
) -> VerificationReport:
    """Verify a VCDM 1.1 JWT VP bound to ``nonce`` and ``audience`` (module doc)."""
    policy = verifier.policy
    if not isinstance(token, str) or token.count(".") != 2:
        return _malformed("a jwt_vc_json presentation is a compact JWT")
    try:
        header, claims = _read(token)
    except UnverifiableInputError as exc:
        return _malformed(exc.message)
    vp = claims.get("vp")
    typ = header.get("typ")
    if not isinstance(vp, Mapping) or "VerifiablePresentation" not in types_of(vp):
        return _malformed("the JWT has no 'vp' claim with type VerifiablePresentation")
    if typ is not None and str(typ).lower() not in ("jwt", "application/jwt"):
        return _malformed(f"typ {typ!r} is not a VCDM 1.1 JWT presentation")
    entries = vp.get("verifiableCredential", [])
    entries = entries if isinstance(entries, list) else [entries]
    if len(entries) > policy.max_credentials:
        return _malformed(f"more than {policy.max_credentials} credentials")
    holder = claims.get("iss") if isinstance(claims.get("iss"), str) else id_of(vp.get("holder"))
    if holder is None or not holder.startswith("did:"):
        return _malformed("the presentation names no holder DID (iss)")
    well = Check.passed(CheckName.WELL_FORMED, "a VCDM 1.1 JWT presentation")
    alg = header.get("alg")
    log = KeyLog(CheckName.HOLDER_KEY)
    if alg not in policy.jws_algs:
        proof = Check.failed(
            CheckName.PROOF,
            JoseFailure.ALG_NOT_ALLOWED.value,
            f"alg {alg!r} is not one of {sorted(policy.jws_algs)}",
            problem_type=JoseFailure.ALG_NOT_ALLOWED.problem_type,
        )
        return _with_credentials(
            well, proof, log.check(), [], holder=holder, verifier=verifier, secured=False
        )
    kid = header.get("kid")
    vm = f"{holder}{kid}" if isinstance(kid, str) and kid.startswith("#") else kid
    resolve = guarded_key_resolver(resolver, expected_did=holder, now=now, log=log)
    try:
        if not isinstance(vm, str) or not vm:
            log.record("", "missing_kid", "the JOSE header has no kid naming the holder's key")
            raise KeyFormatError("no kid")
        key = resolve(vm, "authentication")
    except (DidError, KeyFormatError) as exc:
        proof = Check.failed(
            CheckName.PROOF,
            "key_resolution_failed",
            f"no usable key for {vm}: {exc.message}",
            problem_type=_PROOF_ERROR,
        )
        return _with_credentials(
            well, proof, log.check(), [], holder=holder, verifier=verifier, secured=False
        )
    signature = verify_jws(token, key, allowed_algs=policy.jws_algs, expected_typ=None)
    failure: tuple[JoseFailure, str] | None = None
    if not signature.verified:
        failure = (signature.reason or JoseFailure.INVALID_SIGNATURE, signature.detail)
    elif claims.get("nonce") != nonce:
        failure = (JoseFailure.NONCE_MISMATCH, "the nonce is missing or not the one issued")
    else:
        aud = claims.get("aud")
        if audience not in (aud if isinstance(aud, list) else [aud]):
            failure = (JoseFailure.AUDIENCE_MISMATCH, f"aud {aud!r} is not {audience!r}")
        else:
            failure = _time_problem(claims, now, policy.clock_skew)
    if failure is not None:
        reason, detail = failure
        proof = Check.failed(
            CheckName.PROOF, reason.value, detail or reason.value, problem_type=reason.problem_type
        )
        return _with_credentials(
            well, proof, log.check(), [], holder=holder, verifier=verifier, secured=False
        )
    proof = Check.passed(
        CheckName.PROOF,
        f"JWS signature ({alg}) verified, nonce and aud are this request's",
        details={"alg": alg, "kid": kid},
    )
    report = _with_credentials(
        well, proof, log.check(), entries, holder=holder, verifier=verifier, secured=True
    )
    return dataclasses.replace(report, document=claims)


def _with_credentials(
    well: Check,
    proof: Check,
    key: Check,
    entries: list[Any],
    *,
    holder: str,
    verifier: Verifier,
    secured: bool,
) -> VerificationReport:
    if not secured:
        summary = Check.skipped(
            CheckName.CREDENTIALS, "unverified", "the presentation's proof did not verify"
        )
        return VerificationReport("presentation", JWT_VP_FORMAT, (well, proof, key, summary))
    reports: list[VerificationReport] = []
    for entry in entries:
        try:
            report = verifier.verify_credential(entry)
        except UnverifiableInputError as exc:
            failed = Check.failed(CheckName.WELL_FORMED, exc.code, exc.message)
            reports.append(VerificationReport("credential", "unknown", (failed,)))
            continue
        binding = (
            holder_binding(report.document, holder)
            if report.document is not None
            else Check.skipped(
                CheckName.HOLDER_BINDING, "unverified", "the credential did not verify"
            )
        )
        reports.append(dataclasses.replace(report, checks=(*report.checks, binding)))
    failing = [i for i, r in enumerate(reports) if not r.verified]
    if not reports:
        summary = Check.skipped(
            CheckName.CREDENTIALS, "no_credentials", "the presentation has no credentials"
        )
    elif failing:
        summary = Check.failed(
            CheckName.CREDENTIALS,
            "credential_not_verified",
            f"credential(s) {failing} of {len(reports)} did not verify",
            details={"failed": failing},
        )
    else:
        summary = Check.passed(CheckName.CREDENTIALS, f"all {len(reports)} credential(s) verified")
    return VerificationReport(
        "presentation", JWT_VP_FORMAT, (well, proof, key, summary), credentials=tuple(reports)
    )
