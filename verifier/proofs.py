"""The ``proof`` check and the key checks (``issuer_key``, ``holder_key``), for every format.

Keys are resolved through a *guarded* resolver (specs.md §11 step 4): before any DID is
resolved, the verification method's DID must be the one the document says signed it — the
credential's ``issuer`` (or ``issuer.id``), a presentation's ``holder``, a status list's
``issuer``. A proof made with someone else's key (a *key confusion* attack: an attacker signs
with their own, perfectly resolvable key and names the victim as issuer) therefore fails with
``key_confusion`` and no DID is fetched. Then
:func:`vc_core.dids.resolver.resolve_verification_method` checks the DID document's ``id``, the
method's controller, that it is listed under the proof's relationship (``assertionMethod`` for
credentials, ``authentication`` for presentations; VC-DI §5.10) and not revoked or expired.

* Data Integrity: :func:`verify_data_integrity` runs
  :func:`vc_core.proofs.data_integrity.verify_proofs` with the policy's cryptosuite allowlist.
* JOSE: :func:`verify_jose` checks ``alg`` against the policy's allowlist *before* resolving
  anything (so ``alg: none`` costs nothing), resolves ``kid`` (a DID URL, or ``#fragment``
  relative to ``iss``), then runs :mod:`vc_core.jose`. ``exp``/``nbf`` failures are not
  reported here but by the ``validity`` check, which reads the same claims.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from vc_core.dids.document import split_did_url
from vc_core.dids.resolver import DidResolver, resolve_verification_method
from vc_core.errors import (
    SECURITY_PROBLEM,
    VCDM_PROBLEM,
    DidError,
    DidResolutionError,
    DidSyntaxError,
    KeyFormatError,
)
from vc_core.jose import (
    JoseFailure,
    JoseVerificationResult,
    verify_jws,
    verify_jwt_vc_json,
    verify_vc_jwt,
    verify_vp_jwt,
)
from vc_core.jsonld.canonicalize import Canonicalizer
from vc_core.keys import PublicKey
from vc_core.proofs.data_integrity import KeyResolver, verify_proofs
from verifier.formats import ParsedInput, SecuringFormat
from verifier.report import Check, CheckName

__all__ = [
    "KeyLog",
    "ProofOutcome",
    "claimed_signer",
    "guarded_key_resolver",
    "jwt_vc_json_document",
    "verify_data_integrity",
    "verify_jose",
]

_PROOF_ERROR = SECURITY_PROBLEM + "PROOF_VERIFICATION_ERROR"
_CRYPTO_ERROR = VCDM_PROBLEM + "CRYPTOGRAPHIC_SECURITY_ERROR"
_TIME_FAILURES = frozenset({JoseFailure.EXPIRED, JoseFailure.NOT_YET_VALID})

# DID Resolution error names (details["error"]) → the key check's code
_KEY_CODES = {
    "notFound": "did_not_found",
    "internalError": "did_resolution_failed",
    "methodNotSupported": "did_method_not_supported",
    "invalidDidDocument": "invalid_did_document",
    "invalidDid": "invalid_verification_method",
    "invalidDidUrl": "invalid_verification_method",
    "notAuthorized": "key_not_authorized",
    "revoked": "key_revoked",
    "expired": "key_expired",
    "invalidPublicKey": "invalid_public_key",
    "unsupportedPublicKeyType": "unsupported_public_key_type",
}


@dataclass(frozen=True)
class _Attempt:
    verification_method: str
    code: str
    message: str

    @property
    def ok(self) -> bool:
        return self.code == "ok"


@dataclass
class KeyLog:
    """What the guarded resolver did, turned into the ``issuer_key``/``holder_key`` check."""

    name: CheckName
    attempts: list[_Attempt] = field(default_factory=list)

    def record(self, verification_method: str, code: str, message: str) -> None:
        self.attempts.append(_Attempt(verification_method, code, message))

    @property
    def signers(self) -> tuple[str, ...]:
        """DIDs whose keys were resolved."""
        dids = (a.verification_method.split("#", 1)[0] for a in self.attempts if a.ok)
        return tuple(dict.fromkeys(dids))

    def check(self) -> Check:
        if not self.attempts:
            return Check.skipped(
                self.name, "no_key_resolved", "the proof was refused before its key was needed"
            )
        for attempt in self.attempts:
            if not attempt.ok:
                return Check.failed(
                    self.name,
                    attempt.code,
                    attempt.message,
                    problem_type=_PROOF_ERROR,
                    details={"verification_method": attempt.verification_method},
                )
        methods = [a.verification_method for a in self.attempts]
        return Check.passed(
            self.name,
            "; ".join(a.message for a in self.attempts),
            details={"verification_methods": methods},
        )


def guarded_key_resolver(
    resolver: DidResolver, *, expected_did: str | None, now: datetime, log: KeyLog
) -> KeyResolver:
    """A ``(verification_method, proof_purpose) -> PublicKey`` resolver that refuses methods of
    any DID but ``expected_did`` (``None``: any DID, e.g. a presentation without ``holder``) and
    records every outcome in ``log``."""

    def resolve(vm_id: str, proof_purpose: str) -> PublicKey:
        try:
            did, _ = split_did_url(vm_id)
        except DidSyntaxError as exc:
            log.record(str(vm_id), "invalid_verification_method", exc.message)
            raise
        if expected_did is not None and did != expected_did:
            message = f"the verification method {vm_id} belongs to {did}, not to {expected_did}"
            log.record(vm_id, "key_confusion", message)
            raise DidResolutionError(message, details={"error": "notAuthorized"})
        try:
            key = resolve_verification_method(resolver, vm_id, proof_purpose, now=now)
        except DidError as exc:
            error = exc.details.get("error")
            log.record(vm_id, _KEY_CODES.get(str(error), "did_resolution_failed"), exc.message)
            raise
        except KeyFormatError as exc:
            log.record(vm_id, "invalid_public_key", exc.message)
            raise
        log.record(vm_id, "ok", f"{vm_id} is listed under {proof_purpose} by {did}")
        return key

    return resolve


@dataclass(frozen=True)
class ProofOutcome:
    """The ``proof`` check, the key check, and what the proof let us read."""

    proof: Check
    key: Check
    signers: tuple[str, ...] = ()
    document: dict[str, Any] | None = None
    """The verified document (a JWT's claims set, a ``jwt_vc_json``'s ``vc``)."""
    jwt_claims: dict[str, Any] | None = None


def verify_data_integrity(
    document: Mapping[str, Any],
    *,
    resolver: DidResolver,
    expected_did: str | None,
    key_check: CheckName,
    cryptosuites: frozenset[str],
    now: datetime,
    proof_purpose: str = "assertionMethod",
    challenge: str | None = None,
    domain: str | None = None,
    canonicalizer: Canonicalizer | None = None,
) -> ProofOutcome:
    """Every ``DataIntegrityProof`` of ``document`` (VC-DI §4.3), keys through the guard.

    A proof set or chain (several proofs) may hold proofs by other parties (a countersignature,
    a notary): their keys are resolved without the issuer guard, and the key check then wants at
    least one *verified* proof by ``expected_did`` (else ``key_confusion``)."""
    log = KeyLog(key_check)
    several = isinstance(document.get("proof"), list) and len(document["proof"]) > 1
    guard = None if several else expected_did
    verification = verify_proofs(
        document,
        resolve_key=guarded_key_resolver(resolver, expected_did=guard, now=now, log=log),
        allowed_cryptosuites=cryptosuites,
        expected_proof_purpose=proof_purpose,
        challenge=challenge,
        domain=domain,
        now=now,
        canonicalizer=canonicalizer,
    )
    proofs = [
        {
            "verified": r.verified,
            "cryptosuite": r.cryptosuite,
            "verification_method": r.verification_method,
            "proof_purpose": r.proof_purpose,
            "created": r.created,
            **({"code": r.problems[0].code} if r.problems else {}),
        }
        for r in verification.proofs
    ]
    if several and expected_did is not None:
        by_expected = [
            r
            for r in verification.proofs
            if r.verified and (r.verification_method or "").split("#", 1)[0] == expected_did
        ]
        if not by_expected:
            log.record(
                str(verification.proofs[0].verification_method if verification.proofs else ""),
                "key_confusion",
                f"none of the {len(verification.proofs)} proofs is a verified proof by "
                f"{expected_did}",
            )
    if verification.verified:
        suites = sorted({r.cryptosuite for r in verification.proofs if r.cryptosuite})
        proof = Check.passed(
            CheckName.PROOF,
            f"{len(proofs)} Data Integrity proof(s) verified ({', '.join(suites)})",
            details={"proofs": proofs},
        )
        return ProofOutcome(proof, log.check(), log.signers, dict(document))
    problems = list(verification.problems) + [
        p for r in verification.proofs if not r.verified for p in r.problems
    ]
    first = problems[0] if problems else None
    proof = Check.failed(
        CheckName.PROOF,
        first.code if first else "proof_failed",
        first.message if first else "the proof did not verify",
        problem_type=first.problem_type if first else _PROOF_ERROR,
        details={"proofs": proofs},
    )
    return ProofOutcome(proof, log.check(), log.signers)


def _numeric_date(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return None


def jwt_vc_json_document(claims: Mapping[str, Any]) -> dict[str, Any]:
    """VCDM 1.1 §6.3.1 decoding: the ``vc`` claim, completed from ``iss`` (``issuer``),
    ``jti`` (``id``), ``sub`` (``credentialSubject.id``), ``nbf`` (``issuanceDate``) and ``exp``
    (``expirationDate``) where the ``vc`` claim leaves them out."""
    vc = claims.get("vc")
    document = dict(vc) if isinstance(vc, Mapping) else {}
    if "issuer" not in document and isinstance(claims.get("iss"), str):
        document["issuer"] = claims["iss"]
    if "id" not in document and isinstance(claims.get("jti"), str):
        document["id"] = claims["jti"]
    for claim, name in (("nbf", "issuanceDate"), ("exp", "expirationDate")):
        stamp = _numeric_date(claims.get(claim))
        if name not in document and stamp is not None:
            document[name] = stamp
    subject = document.get("credentialSubject")
    if isinstance(subject, Mapping) and "id" not in subject and isinstance(claims.get("sub"), str):
        document["credentialSubject"] = {**subject, "id": claims["sub"]}
    return document


def claimed_signer(parsed: ParsedInput) -> str | None:
    """Who the unverified token says signed it: ``iss``, else ``issuer``/``holder``."""
    claims = parsed.claims
    if isinstance(claims.get("iss"), str):
        return str(claims["iss"])
    party = claims.get("holder") if parsed.format is SecuringFormat.VP_JWT else claims.get("issuer")
    if parsed.format is SecuringFormat.JWT_VC_JSON and isinstance(claims.get("vc"), Mapping):
        party = claims["vc"].get("issuer")
    if isinstance(party, str):
        return party
    if isinstance(party, Mapping) and isinstance(party.get("id"), str):
        return str(party["id"])
    return None


def _jose_failure(result: JoseVerificationResult | None, reason: JoseFailure, detail: str) -> Check:
    return Check.failed(
        CheckName.PROOF,
        reason.value,
        detail or reason.value,
        problem_type=reason.problem_type,
        details={"alg": result.header.get("alg")} if result is not None else None,
    )


def verify_jose(
    parsed: ParsedInput,
    *,
    resolver: DidResolver,
    expected_did: str | None,
    key_check: CheckName,
    jws_algs: frozenset[str],
    now: datetime,
    leeway: timedelta,
    challenge: str | None = None,
    domain: str | None = None,
) -> ProofOutcome:
    """A ``vc+jwt``, ``jwt_vc_json`` or ``vp+jwt`` token (VC-JOSE-COSE ``#alg-jose``)."""
    token = parsed.token
    if token is None:  # pragma: no cover - the caller passes tokens only
        raise ValueError("verify_jose needs a token")
    log = KeyLog(key_check)
    alg = parsed.header.get("alg")
    if alg not in jws_algs:
        proof = Check.failed(
            CheckName.PROOF,
            JoseFailure.ALG_NOT_ALLOWED.value,
            f"alg {alg!r} is not one of {sorted(jws_algs)}",
            problem_type=_CRYPTO_ERROR,
        )
        return ProofOutcome(proof, log.check())
    kid = parsed.header.get("kid")
    if not isinstance(kid, str) or not kid:
        log.record("", "missing_kid", "the JOSE header has no kid naming the key (VC-JOSE-COSE)")
        proof = Check.failed(
            CheckName.PROOF, "key_resolution_failed", "no key to verify with: the JWT has no kid"
        )
        return ProofOutcome(proof, log.check())
    vm = f"{expected_did}{kid}" if kid.startswith("#") and expected_did else kid
    purpose = "authentication" if parsed.format is SecuringFormat.VP_JWT else "assertionMethod"
    resolve = guarded_key_resolver(resolver, expected_did=expected_did, now=now, log=log)
    try:
        key = resolve(vm, purpose)
    except (DidError, KeyFormatError) as exc:
        proof = Check.failed(
            CheckName.PROOF,
            "key_resolution_failed",
            f"no usable key for {vm}: {exc.message}",
            problem_type=_PROOF_ERROR,
        )
        return ProofOutcome(proof, log.check())
    signature = verify_jws(token, key, allowed_algs=jws_algs, expected_typ=None, parsed=parsed.jws)
    if not signature.verified:
        reason = signature.reason or JoseFailure.INVALID_SIGNATURE
        return ProofOutcome(_jose_failure(None, reason, signature.detail), log.check(), ())
    if parsed.jws is not None:  # the claims read for key discovery are the signed ones
        signature.adopt_claims(parsed.claims, parsed.jws.payload)
    claims = signature.payload_json()
    if parsed.format is SecuringFormat.VP_JWT:
        result = verify_vp_jwt(
            token,
            key,
            allowed_algs=jws_algs,
            expected_nonce=challenge,
            expected_aud=domain,
            now=now,
            leeway=leeway,
            verified=signature,
        )
        time_ok = False  # a presentation's exp/nbf are its freshness: part of the proof
    elif parsed.format is SecuringFormat.JWT_VC_JSON:
        result = verify_jwt_vc_json(
            token, key, allowed_algs=jws_algs, now=now, leeway=leeway, verified=signature
        )
        time_ok = True
    else:
        result = verify_vc_jwt(
            token, key, allowed_algs=jws_algs, now=now, leeway=leeway, verified=signature
        )
        time_ok = True
    refused = not result.verified and result.reason is not None
    if refused and result.reason is not None and not (time_ok and result.reason in _TIME_FAILURES):
        return ProofOutcome(
            _jose_failure(result, result.reason, result.detail), log.check(), log.signers
        )
    document = (
        jwt_vc_json_document(claims) if parsed.format is SecuringFormat.JWT_VC_JSON else claims
    )
    proof = Check.passed(
        CheckName.PROOF,
        f"JWS signature ({alg}) verified",
        details={"alg": alg, "kid": kid, "typ": parsed.header.get("typ")},
    )
    return ProofOutcome(proof, log.check(), log.signers, document, claims)
