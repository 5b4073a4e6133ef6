"""SD-JWT VC verification: issuer key discovery, the SD-JWT proof, key binding and the Token
Status List (specs.md §2.4, §7.3, §11; draft-ietf-oauth-sd-jwt-vc; RFC 9901;
draft-ietf-oauth-status-list).

* **Issuer key** (SD-JWT VC §2.5): an ``iss`` that is a DID names the key with the header's
  ``kid`` (a DID URL of *that* DID, or ``#fragment`` relative to it). The key goes through the
  same guarded resolver as every other format (:func:`verifier.proofs.guarded_key_resolver`):
  a ``kid`` of another DID is ``key_confusion`` and nothing is resolved; the method must be
  listed under ``assertionMethod``. An ``https`` issuer's keys come from its JWT VC Issuer
  Metadata (§3, :mod:`verifier.issuer_metadata`) through the verifier's
  :class:`~verifier.issuer_metadata.JwtVcIssuerMetadataClient`: the document's ``issuer`` must
  be ``iss`` exactly (``issuer_metadata_mismatch``), the key is the one whose ``kid`` is the
  header's (without ``kid``: the only key of a one-key set), else ``unknown_key``; a document
  that cannot be had is ``issuer_metadata_unavailable``, a broken one
  ``invalid_issuer_metadata``. ``http`` issuers only on loopback hosts and only when the client
  allows it (development, tests); a verifier without a metadata client fails ``issuer_key`` with
  ``issuer_metadata_not_supported``. Any other ``iss`` is ``invalid_issuer``. An ``x5c`` header
  chain is not evaluated (HAIP's X.509 issuer keys are not supported yet): the key always comes
  from ``iss``, and an ``iss`` that is neither with an ``x5c`` header is ``x5c_not_supported``.
  **Linked DID:** when, after the proof verified, the https issuer's ``kid`` is a DID URL whose
  DID document lists that very key under ``assertionMethod`` (mcred's own habit), the DID is
  given as :attr:`SdJwtVcOutcome.issuer_did` (and in the ``issuer_key`` details): the signer
  holds the DID's key, so trust registries that list DIDs can judge the credential by it. A DID
  that does not resolve or lists another key links nothing and fails nothing.
* **Proof**: :func:`vc_core.sd_jwt_vc.verify_sd_jwt_vc` with the policy's JWS ``alg``
  allowlist (issuer signature, ``typ``, Disclosures, ``vct``, ``exp``/``nbf``, and the KB-JWT
  when present: ``nonce`` = the verifier's ``challenge``, ``aud`` = its ``domain``).
* **Status** (Token Status List §8.3): the ``status.status_list`` ``uri`` is dereferenced through
  :class:`~verifier.ports.StatusListTokenClient`; its ``sub`` must be the ``uri``; the value at
  ``idx`` is read: ``0`` VALID, ``1`` INVALID (``revoked``), ``2`` SUSPENDED (``suspended``);
  anything else fails as ``unknown_status``. **Who may sign it:** a key of the *Referenced
  Token's issuer's key set*, chosen by the Status List Token's own ``kid`` by the same rules as
  the credential's key — for a DID issuer a verification method of that DID under
  ``assertionMethod`` (another DID's is ``key_confusion``), for an https issuer a key of the JWT
  VC Issuer Metadata already read for the credential (no second fetch). The Status List Token's
  own ``iss``, if any, is not compared with the credential's: one issuer may name itself by its
  DID in one and by its URL in the other (mcred signs both with the same P-256 key, whose
  ``kid`` is its DID URL in the JWT VC Issuer Metadata too); what counts is the key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vc_core.dids.document import split_did_url
from vc_core.dids.resolver import DidResolver, resolve_verification_method
from vc_core.errors import (
    SECURITY_PROBLEM,
    STATUS_PROBLEM,
    VCDM_PROBLEM,
    DidError,
    KeyFormatError,
    MalformedInputError,
    StatusRangeError,
)
from vc_core.jose import CompactJws, parse_compact_jws
from vc_core.keys import PublicKey
from vc_core.memo import LruMemo
from vc_core.sd_jwt import SdJwtFailure
from vc_core.sd_jwt_vc import verify_sd_jwt_vc
from vc_core.status_token import (
    StatusListReference,
    StatusListTokenResult,
    token_time_failure,
    verify_status_list_token,
)
from verifier.formats import ParsedInput
from verifier.issuer_metadata import (
    IssuerKeySet,
    IssuerMetadataError,
    JwtVcIssuerMetadataClient,
    is_https_issuer,
    issuer_key,
    jwt_vc_issuer_metadata_url,
)
from verifier.policy import REMEMBERED_LIST_BYTES
from verifier.ports import StatusListRetrievalError
from verifier.proofs import KeyLog, guarded_key_resolver
from verifier.report import Check, CheckName

__all__ = [
    "KEY_BINDING_FAILURES",
    "SdJwtVcOutcome",
    "TokenFetcher",
    "VerifiedStatusTokens",
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
    issuer_keys: IssuerKeySet | None = None
    """An https issuer's key set (JWT VC Issuer Metadata): the Status List Token's signer is
    looked up in it (module doc)."""
    issuer_did: str | None = None
    """The DID an https issuer's key is linked to (module doc), once the proof verified."""


def _kb_check(code: str, message: str, *, failed: bool, problem_type: str | None = None) -> Check:
    if failed:
        return Check.failed(CheckName.HOLDER_KEY, code, message, problem_type=problem_type)
    return Check.skipped(CheckName.HOLDER_KEY, code, message)


def _verification_method(kid: str, did: str) -> str:
    return f"{did}{kid}" if kid.startswith("#") else kid


@dataclass(frozen=True)
class _FoundKey:
    """The ``issuer_key`` check and the key; without a key, the ``proof`` check to report."""

    check: Check
    key: PublicKey | None = None
    keys: IssuerKeySet | None = None
    proof: Check | None = None


def _no_issuer_key(code: str, message: str, details: dict[str, Any] | None = None) -> _FoundKey:
    return _FoundKey(
        Check.failed(
            CheckName.ISSUER_KEY, code, message, problem_type=_PROOF_ERROR, details=details
        ),
        proof=Check.skipped(CheckName.PROOF, "no_issuer_key", "no key of the issuer to verify"),
    )


def _did_issuer_key(
    header: dict[str, Any], did: str, *, resolver: DidResolver, now: datetime
) -> _FoundKey:
    """The ``kid`` of a DID issuer, through the guarded resolver (module doc)."""
    log = KeyLog(CheckName.ISSUER_KEY)
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        log.record("", "missing_kid", "the Issuer-signed JWT has no kid naming the issuer's key")
        proof = Check.failed(
            CheckName.PROOF, "key_resolution_failed", "no key to verify with: no kid"
        )
        return _FoundKey(log.check(), proof=proof)
    vm = _verification_method(kid, did)
    resolve = guarded_key_resolver(resolver, expected_did=did, now=now, log=log)
    try:
        key = resolve(vm, "assertionMethod")
    except (DidError, KeyFormatError) as exc:
        proof = Check.failed(
            CheckName.PROOF,
            "key_resolution_failed",
            f"no usable key for {vm}: {exc.message}",
            problem_type=_PROOF_ERROR,
        )
        return _FoundKey(log.check(), proof=proof)
    return _FoundKey(log.check(), key)


def _linked_did(kid: object, key: PublicKey, *, resolver: DidResolver, now: datetime) -> str | None:
    """The DID of a ``kid`` that is a DID URL listing ``key`` itself under ``assertionMethod``
    (module doc); None otherwise — never an error."""
    if not isinstance(kid, str) or not kid.startswith("did:"):
        return None
    try:
        did, _ = split_did_url(kid)
        listed = resolve_verification_method(resolver, kid, "assertionMethod", now=now)
    except (DidError, KeyFormatError):
        return None
    return did if listed == key else None


def _metadata_issuer_key(
    header: dict[str, Any], issuer: str, *, client: JwtVcIssuerMetadataClient | None
) -> _FoundKey:
    """The key of an https issuer from its JWT VC Issuer Metadata (module doc)."""
    if client is None:
        try:
            jwt_vc_issuer_metadata_url(issuer)
        except IssuerMetadataError as exc:
            return _no_issuer_key(exc.code, exc.message)
        return _no_issuer_key(
            "issuer_metadata_not_supported",
            f"{issuer} is an https issuer and this verifier reads no JWT VC Issuer Metadata",
        )
    raw_kid = header.get("kid")
    if raw_kid is not None and (not isinstance(raw_kid, str) or not raw_kid):
        return _no_issuer_key("unknown_key", "the header's kid is not a non-empty string")
    kid = raw_kid if isinstance(raw_kid, str) else None
    alg = header.get("alg")
    try:
        keys, key = issuer_key(issuer, kid, alg if isinstance(alg, str) else None, client)
    except IssuerMetadataError as exc:
        check = Check.failed(
            CheckName.ISSUER_KEY,
            exc.code,
            exc.message,
            problem_type=_PROOF_ERROR,
            details={**exc.details, "kid": kid},
        )
        if exc.code == "invalid_issuer":
            proof = Check.skipped(CheckName.PROOF, "no_issuer_key", "no key of the issuer")
            return _FoundKey(check, proof=proof)
        proof = Check.failed(
            CheckName.PROOF,
            "key_resolution_failed",
            f"no key of {issuer} to verify with: {exc.message}",
            problem_type=_PROOF_ERROR,
        )
        return _FoundKey(check, proof=proof)
    named = f"the key {kid}" if kid is not None else "the only key"
    check = Check.passed(
        CheckName.ISSUER_KEY,
        f"{named} of {issuer} in its JWT VC Issuer Metadata",
        details={"kid": kid, "keys_from": keys.source},
    )
    return _FoundKey(check, key, keys)


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
    issuer_metadata: JwtVcIssuerMetadataClient | None = None,
) -> SdJwtVcOutcome:
    """Discover the issuer's key and verify the SD-JWT VC (module doc).

    With ``require_key_binding`` a KB-JWT must be present; it is checked against ``nonce`` and
    ``aud`` when they are given. A KB-JWT that is present is always verified. ``issuer_metadata``
    gives https issuers' keys (none: such issuers fail ``issuer_key``).
    """
    token = parsed.token
    if token is None:  # pragma: no cover - the caller passes tokens only
        raise ValueError("verify_sd_jwt_vc_input needs a token")
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
        return SdJwtVcOutcome(proof, KeyLog(CheckName.ISSUER_KEY).check(), not_reached, issuer)
    if issuer is not None and issuer.startswith("did:"):
        found = _did_issuer_key(parsed.header, issuer, resolver=resolver, now=now)
    elif issuer is not None and is_https_issuer(issuer):
        found = _metadata_issuer_key(parsed.header, issuer, client=issuer_metadata)
    elif "x5c" in parsed.header:
        found = _no_issuer_key(
            "x5c_not_supported",
            f"iss {iss!r} is neither a DID nor an https URL, and X.509 (x5c) issuer keys are "
            "not supported",
        )
    else:
        found = _no_issuer_key("invalid_issuer", f"iss {iss!r} is neither a DID nor an https URL")
    if found.key is None:
        proof = found.proof or Check.skipped(CheckName.PROOF, "no_issuer_key", "no issuer key")
        return SdJwtVcOutcome(proof, found.check, not_reached, issuer, issuer_keys=found.keys)
    issuer_key_check, issuer_key, issuer_keys = found.check, found.key, found.keys
    kid = parsed.header.get("kid")
    if require_key_binding and not parsed.key_bound:
        failure = SdJwtFailure.KEY_BINDING_REQUIRED
        message = "a presented SD-JWT VC needs a KB-JWT (RFC 9901 §7.3 step 2)"
        proof = Check.failed(CheckName.PROOF, failure.value, message, problem_type=_CRYPTO_ERROR)
        binding = _kb_check(failure.value, message, failed=True, problem_type=_CRYPTO_ERROR)
        return SdJwtVcOutcome(
            proof, issuer_key_check, binding, issuer, issuer_key, issuer_keys=issuer_keys
        )
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
            issuer_jws=parsed.jws,
        )
    except MalformedInputError as exc:
        proof = Check.failed(
            CheckName.PROOF,
            "malformed_sd_jwt",
            f"the SD-JWT cannot be read: {exc.message}",
            problem_type=VCDM_PROBLEM + "MALFORMED_VALUE_ERROR",
        )
        return SdJwtVcOutcome(
            proof, issuer_key_check, not_reached, issuer, issuer_key, issuer_keys=issuer_keys
        )
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
        return SdJwtVcOutcome(
            proof, issuer_key_check, binding, issuer, issuer_key, issuer_keys=issuer_keys
        )
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
    issuer_did = None
    if issuer_keys is not None:
        issuer_did = _linked_did(kid, issuer_key, resolver=resolver, now=now)
        if issuer_did is not None:
            issuer_key_check = Check.passed(
                CheckName.ISSUER_KEY,
                f"{issuer_key_check.message}; {issuer_did} lists the same key",
                details={**issuer_key_check.details, "did": issuer_did},
            )
    return SdJwtVcOutcome(
        proof,
        issuer_key_check,
        binding,
        issuer,
        issuer_key,
        result.claims,
        result.status_list,
        issuer_keys,
        issuer_did,
    )


def _status_failed(code: str, message: str, details: dict[str, Any]) -> Check:
    problem = STATUS_PROBLEM + code if code in (_RETRIEVAL, _VERIFICATION) else None
    if code == "RANGE_ERROR":
        problem = VCDM_PROBLEM + code
    return Check.failed(CheckName.STATUS, code, message, problem_type=problem, details=details)


def _status_token_key(
    header: dict[str, Any],
    *,
    issuer: str,
    issuer_keys: IssuerKeySet | None,
    resolver: DidResolver,
    now: datetime,
    refresh_issuer_keys: Callable[[], IssuerKeySet] | None = None,
) -> PublicKey | str:
    """The Status List Token's key from the Referenced Token's issuer's key set (module doc),
    or why there is none. A ``kid`` the set lacks refetches it once (``refresh_issuer_keys``:
    the issuer may have rotated since the cached metadata was fetched)."""
    kid = header.get("kid")
    if issuer.startswith("did:"):
        if not isinstance(kid, str) or not kid:
            return "the Status List Token has no kid"
        log = KeyLog(CheckName.ISSUER_KEY)
        resolve = guarded_key_resolver(resolver, expected_did=issuer, now=now, log=log)
        vm = _verification_method(kid, issuer)
        try:
            return resolve(vm, "assertionMethod")
        except (DidError, KeyFormatError) as exc:
            return f"the Status List Token's key {vm} is not the issuer's: {exc.message}"
    if issuer_keys is None:
        return f"no key set of {issuer!r} to check the Status List Token's signer against"
    if kid is not None and (not isinstance(kid, str) or not kid):
        return "the Status List Token's kid is not a non-empty string"
    if kid is not None and kid not in issuer_keys.kids and refresh_issuer_keys is not None:
        try:
            issuer_keys = refresh_issuer_keys()
        except IssuerMetadataError as exc:
            return f"the Status List Token's key is not one of {issuer}'s: {exc.message}"
    alg = header.get("alg")
    try:
        return issuer_keys.key_for(kid, alg=alg if isinstance(alg, str) else None)
    except IssuerMetadataError as exc:
        return f"the Status List Token's key is not one of {issuer}'s: {exc.message}"


class VerifiedStatusTokens:
    """Status List Tokens whose signature and claims verified, remembered across verifications.

    One list's token answers for thousands of Referenced Tokens until it is re-signed; verifying
    its JWS and inflating its ``status_list`` again each time is most of what the ``status``
    check of an SD-JWT VC costs. An entry is keyed by everything the outcome depends on: the
    exact token (its SHA-256), the key that verified it, the allowed algorithms and the ``uri``
    it must be for; the time step (``exp``/``nbf``) is checked again on every use. Only tokens
    that verified are kept (no cache of failures an attacker could fill), and only when their
    decoded list takes at most ``max_list_bytes`` (anyone can sign a token of a huge list): at
    most ``size`` of them, least recently used first out (:class:`~vc_core.memo.LruMemo`), so
    at most ``size * max_list_bytes`` of memory. Thread-safe.
    """

    def __init__(self, size: int = 32, *, max_list_bytes: int = REMEMBERED_LIST_BYTES) -> None:
        self._entries: LruMemo[Hashable, StatusListTokenResult] = LruMemo(size)
        self._max_list_bytes = max_list_bytes

    def __len__(self) -> int:
        return len(self._entries)

    def verify(
        self,
        token: str,
        key: PublicKey,
        *,
        allowed_algs: Collection[str],
        expected_uri: str,
        now: datetime,
        leeway: timedelta,
        parsed: CompactJws | None = None,
    ) -> StatusListTokenResult:
        """:func:`~vc_core.status_token.verify_status_list_token`, from memory when this token
        verified before with this key, these algorithms and this ``uri``."""
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        entry = (digest, key, frozenset(allowed_algs), expected_uri)
        known = self._entries.get(entry)
        if known is None:
            result = verify_status_list_token(
                token,
                key,
                allowed_algs=allowed_algs,
                expected_uri=expected_uri,
                now=now,
                leeway=leeway,
                parsed=parsed,
            )
            statuses = result.status_list
            if result.verified and statuses is not None and statuses.nbytes <= self._max_list_bytes:
                self._entries.put(entry, result)
            return result
        outside = token_time_failure(known.claims or {}, now=now, leeway=leeway)
        if outside is None:
            return known
        reason, detail = outside
        return StatusListTokenResult(False, known.header, reason=reason, detail=detail)


def check_token_status(
    reference: StatusListReference,
    *,
    issuer: str,
    fetch: TokenFetcher | None,
    resolver: DidResolver,
    jws_algs: frozenset[str],
    now: datetime,
    leeway: timedelta,
    issuer_keys: IssuerKeySet | None = None,
    refresh_issuer_keys: Callable[[], IssuerKeySet] | None = None,
    verified_tokens: VerifiedStatusTokens | None = None,
) -> Check:
    """Token Status List §8.3 for one Referenced Token (module doc); ``issuer_keys`` is an https
    issuer's key set (:attr:`SdJwtVcOutcome.issuer_keys`); ``verified_tokens`` remembers the
    Status List Tokens that verified (none: each is verified again)."""
    uri, idx = reference.uri, reference.idx
    details: dict[str, Any] = {"uri": uri, "idx": idx}
    if fetch is None:
        return _status_failed(_RETRIEVAL, "no Status List Token client is configured", details)
    try:
        token = fetch(uri)
    except StatusListRetrievalError as exc:
        return _status_failed(_RETRIEVAL, exc.message, {**details, **exc.details})
    try:
        parsed = parse_compact_jws(token)
    except (MalformedInputError, KeyFormatError) as exc:
        return _status_failed(_VERIFICATION, f"not a Status List Token: {exc.message}", details)
    header = dict(parsed.header)
    key = _status_token_key(
        header,
        issuer=issuer,
        issuer_keys=issuer_keys,
        resolver=resolver,
        now=now,
        refresh_issuer_keys=refresh_issuer_keys,
    )
    if isinstance(key, str):
        return _status_failed(_VERIFICATION, key, details)
    verify = verify_status_list_token if verified_tokens is None else verified_tokens.verify
    try:
        result = verify(
            token,
            key,
            allowed_algs=jws_algs,
            expected_uri=uri,
            now=now,
            leeway=leeway,
            parsed=parsed,
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
