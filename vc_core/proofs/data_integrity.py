"""Data Integrity proofs (VC Data Integrity 1.0) with the EdDSA and ECDSA cryptosuites.

Supported cryptosuites (``DataIntegrityProof``):

==================  =========  =====================================================
``eddsa-rdfc-2022``  Ed25519    RDFC-1.0 (VC-DI EdDSA 1.0 §3.2)
``eddsa-jcs-2022``   Ed25519    JCS, RFC 8785 (VC-DI EdDSA 1.0 §3.3)
``ecdsa-rdfc-2019``  P-256      RDFC-1.0, SHA-256 (VC-DI ECDSA 1.0 §3.2)
``ecdsa-jcs-2019``   P-256      JCS, SHA-256 (VC-DI ECDSA 1.0 §3.3)
==================  =========  =====================================================

For every suite the signed bytes are ``hash(canonical proof configuration) ‖ hash(canonical
document without proof)`` (proof-configuration hash first). The rdfc suites give the proof
configuration the document's ``@context`` while hashing and do not keep it in the proof; the
jcs suites keep it in the proof (EdDSA §3.3.5). ``proofValue`` is base58btc multibase.

:func:`add_proof` signs; :func:`verify_proofs` checks every proof of a secured document
against an explicit allowlist of cryptosuites and returns a :class:`ProofVerification`: it
raises only when the input is not a JSON object.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import base58
import rfc8785

from vc_core.errors import (
    SECURITY_PROBLEM,
    DidError,
    KeyFormatError,
    MalformedInputError,
    VcCoreError,
)
from vc_core.jsonld.canonicalize import Canonicalizer, default_canonicalizer
from vc_core.keys import KeyType, PrivateKey, PublicKey

__all__ = [
    "CRYPTOSUITES",
    "Cryptosuite",
    "KeyResolver",
    "ProofProblem",
    "ProofResult",
    "ProofVerification",
    "add_proof",
    "hash_data",
    "verify_proofs",
]

KeyResolver = Callable[[str, str], PublicKey]
"""``(verification_method_id, proof_purpose) -> PublicKey``; raises a :class:`DidError`."""

PROOF_TYPE = "DataIntegrityProof"


@dataclass(frozen=True)
class Cryptosuite:
    name: str
    key_type: KeyType
    canonicalization: Literal["rdfc", "jcs"]


CRYPTOSUITES: Mapping[str, Cryptosuite] = {
    s.name: s
    for s in (
        Cryptosuite("eddsa-rdfc-2022", KeyType.ED25519, "rdfc"),
        Cryptosuite("eddsa-jcs-2022", KeyType.ED25519, "jcs"),
        Cryptosuite("ecdsa-rdfc-2019", KeyType.P256, "rdfc"),
        Cryptosuite("ecdsa-jcs-2019", KeyType.P256, "jcs"),
    )
}


@dataclass(frozen=True)
class ProofProblem:
    """Why a proof failed: a mcred ``code`` and the VC-DI §4.7 ProblemDetails type."""

    code: str
    message: str
    problem_type: str = SECURITY_PROBLEM + "PROOF_VERIFICATION_ERROR"


@dataclass(frozen=True)
class ProofResult:
    verified: bool
    cryptosuite: str | None = None
    verification_method: str | None = None
    proof_purpose: str | None = None
    created: str | None = None
    problems: tuple[ProofProblem, ...] = ()


@dataclass(frozen=True)
class ProofVerification:
    """The outcome for a whole document: verified only if it has proofs and all verify."""

    verified: bool
    proofs: tuple[ProofResult, ...] = ()
    problems: tuple[ProofProblem, ...] = field(default=())


def _suite(name: str) -> Cryptosuite:
    suite = CRYPTOSUITES.get(name)
    if suite is None:
        raise MalformedInputError(
            f"unknown cryptosuite {name!r}", details={"supported": sorted(CRYPTOSUITES)}
        )
    return suite


def _timestamp(value: datetime | str | None) -> str:
    if value is None:
        value = datetime.now(UTC)
    if isinstance(value, str):
        _parse_datetime(value, "created")
        return value
    if value.tzinfo is None:
        raise MalformedInputError("proof timestamps need a timezone")
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_datetime(value: object, name: str) -> datetime:
    if not isinstance(value, str):
        raise MalformedInputError(f"proof {name} must be an XSD dateTimeStamp string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or "T" not in value:
        raise MalformedInputError(f"proof {name} {value!r} is not an XSD dateTimeStamp")
    return parsed


def hash_data(
    document: Mapping[str, Any],
    proof_config: Mapping[str, Any],
    suite: Cryptosuite,
    canonicalizer: Canonicalizer | None = None,
) -> bytes:
    """``SHA-256(canonical proof config) ‖ SHA-256(canonical document)`` (64 bytes)."""
    if suite.canonicalization == "jcs":
        try:
            config_bytes = rfc8785.dumps(dict(proof_config))
            doc_bytes = rfc8785.dumps(dict(document))
        except (rfc8785.CanonicalizationError, UnicodeError) as exc:
            raise MalformedInputError(
                f"the document cannot be canonicalized by JCS: {exc}"
            ) from exc
    else:
        engine = canonicalizer or default_canonicalizer()
        doc_nq, config_nq = engine.canonize_pair(document, proof_config)
        config_bytes, doc_bytes = config_nq.encode("utf-8"), doc_nq.encode("utf-8")
    return hashlib.sha256(config_bytes).digest() + hashlib.sha256(doc_bytes).digest()


def _proof_config(
    document: Mapping[str, Any], options: Mapping[str, Any], suite: Cryptosuite
) -> dict[str, Any]:
    """The proof options without ``proofValue``, with the document's ``@context``.

    A proof that carries its own ``@context`` (always so with the jcs suites) keeps it; the
    verifier checks beforehand that the document's ``@context`` starts with it.
    """
    config = {k: v for k, v in options.items() if k != "proofValue"}
    if "@context" in document and "@context" not in config:
        config["@context"] = document["@context"]
    return config


def add_proof(
    document: Mapping[str, Any],
    key: PrivateKey,
    *,
    verification_method: str,
    cryptosuite: str = "eddsa-rdfc-2022",
    proof_purpose: str = "assertionMethod",
    created: datetime | str | None = None,
    expires: datetime | str | None = None,
    challenge: str | None = None,
    domain: str | list[str] | None = None,
    nonce: str | None = None,
    canonicalizer: Canonicalizer | None = None,
) -> dict[str, Any]:
    """Return a copy of ``document`` with a ``DataIntegrityProof`` added (VC-DI §4.2).

    An existing ``proof`` is kept and the new one appended (a proof set, VC-DI §2.1.1).
    """
    if not isinstance(document, Mapping):
        raise MalformedInputError("only a JSON object can be secured")
    suite = _suite(cryptosuite)
    if key.key_type is not suite.key_type:
        raise KeyFormatError(f"{cryptosuite} signs with {suite.key_type} keys, not {key.key_type}")
    options: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": suite.name,
        "created": _timestamp(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    if expires is not None:
        options["expires"] = _timestamp(expires)
    if challenge is not None:
        options["challenge"] = challenge
    if domain is not None:
        options["domain"] = domain
    if nonce is not None:
        options["nonce"] = nonce
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = _proof_config(unsecured, options, suite)
    signature = key.sign(hash_data(unsecured, config, suite, canonicalizer))
    proof = dict(options)
    if suite.canonicalization == "jcs" and "@context" in config:
        proof["@context"] = config["@context"]
    proof["proofValue"] = "z" + base58.b58encode(signature).decode("ascii")
    existing = document.get("proof")
    secured = dict(document)
    if existing is None:
        secured["proof"] = proof
    else:
        secured["proof"] = [*(existing if isinstance(existing, list) else [existing]), proof]
    return secured


def _fail(
    proof: Mapping[str, Any],
    code: str,
    message: str,
    problem: str = "PROOF_VERIFICATION_ERROR",
) -> ProofResult:
    return ProofResult(
        verified=False,
        cryptosuite=proof.get("cryptosuite") if isinstance(proof.get("cryptosuite"), str) else None,
        verification_method=proof.get("verificationMethod")
        if isinstance(proof.get("verificationMethod"), str)
        else None,
        proof_purpose=proof.get("proofPurpose")
        if isinstance(proof.get("proofPurpose"), str)
        else None,
        created=proof.get("created") if isinstance(proof.get("created"), str) else None,
        problems=(ProofProblem(code, message, SECURITY_PROBLEM + problem),),
    )


def _verify_one(
    unsecured: Mapping[str, Any],
    proof: Any,
    *,
    resolve_key: KeyResolver,
    allowed: Collection[str],
    expected_purpose: str,
    challenge: str | None,
    domain: str | None,
    now: datetime,
    canonicalizer: Canonicalizer | None,
) -> ProofResult:
    if not isinstance(proof, Mapping):
        return _fail({}, "malformed_proof", "a proof must be a JSON object")
    if proof.get("type") != PROOF_TYPE:
        return _fail(proof, "unsupported_proof_type", f"proof type {proof.get('type')!r}")
    name = proof.get("cryptosuite")
    if not isinstance(name, str) or name not in CRYPTOSUITES:
        return _fail(proof, "unsupported_cryptosuite", f"cryptosuite {name!r} is not supported")
    if name not in allowed:
        return _fail(proof, "cryptosuite_not_allowed", f"cryptosuite {name!r} is not allowed")
    suite = CRYPTOSUITES[name]
    purpose = proof.get("proofPurpose")
    if purpose != expected_purpose:
        return _fail(
            proof,
            "proof_purpose_mismatch",
            f"proofPurpose {purpose!r} does not match the expected {expected_purpose!r}",
        )
    vm = proof.get("verificationMethod")
    value = proof.get("proofValue")
    if not isinstance(vm, str) or not isinstance(value, str):
        return _fail(proof, "malformed_proof", "verificationMethod and proofValue are required")
    try:
        if "created" in proof:
            _parse_datetime(proof["created"], "created")
        if "expires" in proof and _parse_datetime(proof["expires"], "expires") < now:
            return _fail(proof, "proof_expired", f"the proof expired at {proof['expires']}")
    except MalformedInputError as exc:
        return _fail(proof, "malformed_proof", exc.message)
    if challenge is not None and proof.get("challenge") != challenge:
        return _fail(
            proof,
            "challenge_mismatch",
            "the proof's challenge does not match the expected one",
            "INVALID_CHALLENGE_ERROR",
        )
    if domain is not None:
        got = proof.get("domain")
        if domain not in (got if isinstance(got, list) else [got]):
            return _fail(
                proof,
                "domain_mismatch",
                "the proof's domain does not match the expected one",
                "INVALID_DOMAIN_ERROR",
            )
    if "@context" in proof:
        # VC-DI EdDSA/ECDSA "Verify Proof": the document's @context must start with the
        # proof's, in order; the document is then verified with the proof's @context.
        ctx, doc_ctx = proof["@context"], unsecured.get("@context")
        expected = ctx if isinstance(ctx, list) else [ctx]
        actual = doc_ctx if isinstance(doc_ctx, list) else [doc_ctx]
        if actual[: len(expected)] != expected:
            return _fail(proof, "context_mismatch", "the proof's @context is not the document's")
        unsecured = {**unsecured, "@context": ctx}
    if not value.startswith("z"):
        return _fail(proof, "malformed_proof", "proofValue must be multibase base58btc (z…)")
    try:
        signature = base58.b58decode(value[1:])
    except ValueError:
        return _fail(proof, "malformed_proof", "proofValue is not valid base58btc")
    try:
        key = resolve_key(vm, expected_purpose)
    except (DidError, KeyFormatError) as exc:
        return _fail(proof, "key_resolution_failed", exc.message)
    if key.key_type is not suite.key_type:
        return _fail(
            proof, "key_type_mismatch", f"{name} needs a {suite.key_type} key, got {key.key_type}"
        )
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    try:
        config = _proof_config(unsecured, options, suite)
        data = hash_data(unsecured, config, suite, canonicalizer)
    except VcCoreError as exc:
        return _fail(proof, exc.code, exc.message, "PROOF_TRANSFORMATION_ERROR")
    if not key.verify(signature, data):
        return _fail(proof, "invalid_signature", "the signature does not verify")
    return ProofResult(
        verified=True,
        cryptosuite=name,
        verification_method=vm,
        proof_purpose=purpose,
        created=proof.get("created"),
    )


def verify_proofs(
    document: Mapping[str, Any],
    *,
    resolve_key: KeyResolver,
    allowed_cryptosuites: Collection[str],
    expected_proof_purpose: str = "assertionMethod",
    challenge: str | None = None,
    domain: str | None = None,
    now: datetime | None = None,
    canonicalizer: Canonicalizer | None = None,
) -> ProofVerification:
    """Verify every ``DataIntegrityProof`` of ``document`` (VC-DI §4.3).

    ``allowed_cryptosuites`` is required: a proof with any other suite fails. For
    presentations pass ``expected_proof_purpose="authentication"`` with the ``challenge`` and
    ``domain`` the verifier issued (VC-DI §4.4).
    """
    if not isinstance(document, Mapping):
        raise MalformedInputError("a secured document must be a JSON object")
    if not allowed_cryptosuites:
        raise ValueError("allowed_cryptosuites must name at least one cryptosuite")
    proofs = document.get("proof")
    if proofs is None:
        return ProofVerification(
            verified=False, problems=(ProofProblem("no_proof", "the document has no proof"),)
        )
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    results = tuple(
        _verify_one(
            unsecured,
            proof,
            resolve_key=resolve_key,
            allowed=allowed_cryptosuites,
            expected_purpose=expected_proof_purpose,
            challenge=challenge,
            domain=domain,
            now=now or datetime.now(UTC),
            canonicalizer=canonicalizer,
        )
        for proof in (proofs if isinstance(proofs, list) else [proofs])
    )
    return ProofVerification(
        verified=bool(results) and all(r.verified for r in results), proofs=results
    )
