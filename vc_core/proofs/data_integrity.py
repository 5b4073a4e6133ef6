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

Verified, never signed: the legacy ``Ed25519Signature2020`` suite (VC-DI EdDSA 1.0 §4,
:data:`LEGACY_PROOF_TYPES`): the ``eddsa-rdfc-2022`` algorithm under its own proof ``type``, with
no ``cryptosuite`` property; the document must use its context
(``https://w3id.org/security/suites/ed25519-2020/v1``, pinned in ``contexts/``). An allowlist
names it by that type.

Proof sets and proof chains (VC-DI 1.0 §2.1, §4.3 "Add Proof Set/Chain", §4.5 "Verify Proof
Sets and Chains"): a proof with ``previousProof`` (an ``id`` or a list of ids of other proofs of
the same document) is made and checked over the document whose ``proof`` is the list of the
proofs it names, and verifies only if those proofs verify too. A proof without
``previousProof`` is over the document without any proof.

:func:`add_proof` signs (into a set or a chain); :func:`verify_proofs` checks every proof of a
secured document against an explicit allowlist of cryptosuites and returns a
:class:`ProofVerification`: it raises only when the input is not a JSON object.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
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
    "ED25519_2020_CONTEXT",
    "LEGACY_PROOF_TYPES",
    "VERIFIABLE_SUITES",
    "Cryptosuite",
    "KeyResolver",
    "ProofGenerationError",
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
"""``DataIntegrityProof`` cryptosuites, by ``cryptosuite`` name: signed and verified."""

ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"

LEGACY_PROOF_TYPES: Mapping[str, Cryptosuite] = {
    "Ed25519Signature2020": Cryptosuite("Ed25519Signature2020", KeyType.ED25519, "rdfc"),
}
"""Verify-only suites, named by their proof ``type`` (VC-DI EdDSA 1.0 §4)."""

_LEGACY_CONTEXTS: Mapping[str, str] = {"Ed25519Signature2020": ED25519_2020_CONTEXT}

VERIFIABLE_SUITES = frozenset(CRYPTOSUITES) | frozenset(LEGACY_PROOF_TYPES)
"""Every name an allowlist of :func:`verify_proofs` may contain."""


class ProofGenerationError(MalformedInputError):
    """A proof cannot be made as asked (VC-DI §4.3: a ``previousProof`` names no proof)."""

    code = "proof_generation"
    problem_type = SECURITY_PROBLEM + "PROOF_GENERATION_ERROR"


@dataclass(frozen=True)
class ProofProblem:
    """Why a proof failed: a mcred ``code`` and the VC-DI §4.7 ProblemDetails type."""

    code: str
    message: str
    problem_type: str = SECURITY_PROBLEM + "PROOF_VERIFICATION_ERROR"


@dataclass(frozen=True)
class ProofResult:
    """One proof's outcome; ``cryptosuite`` is the proof ``type`` for a legacy suite."""

    verified: bool
    cryptosuite: str | None = None
    verification_method: str | None = None
    proof_purpose: str | None = None
    created: str | None = None
    problems: tuple[ProofProblem, ...] = ()
    id: str | None = None
    previous_proof: tuple[str, ...] = ()


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
    proof_id: str | None = None,
    previous_proof: str | Sequence[str] | None = None,
    canonicalizer: Canonicalizer | None = None,
) -> dict[str, Any]:
    """Return a copy of ``document`` with a ``DataIntegrityProof`` added (VC-DI §4.2, §4.3).

    An existing ``proof`` is kept and the new one appended (a proof set, VC-DI §2.1.1).
    ``proof_id`` gives the new proof an ``id`` (a URL) that a later proof can name;
    ``previous_proof`` (an ``id`` or a list of them) makes it a link of a proof chain: it is
    then made over the document whose ``proof`` is the list of the named proofs, and a name
    that matches no existing proof raises :class:`ProofGenerationError`.
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
    existing = document.get("proof")
    all_proofs: list[Any] = (
        [] if existing is None else list(existing) if isinstance(existing, list) else [existing]
    )
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    if proof_id is not None:
        if not isinstance(proof_id, str) or not proof_id:
            raise MalformedInputError("a proof id must be a non-empty string (a URL)")
        if any(isinstance(p, Mapping) and p.get("id") == proof_id for p in all_proofs):
            raise ProofGenerationError(f"the document already has a proof with id {proof_id!r}")
        options["id"] = proof_id
    to_sign: dict[str, Any] = unsecured
    if previous_proof is not None:
        names = _previous_proof_names(previous_proof)
        if names is None:
            raise MalformedInputError(
                "previousProof must be a string or a non-empty list of strings"
            )
        matching, missing = _matching_proofs(all_proofs, names)
        if missing:
            raise ProofGenerationError(
                f"previousProof names no proof of the document: {', '.join(missing)}",
                details={"missing": missing},
            )
        options["previousProof"] = previous_proof if isinstance(previous_proof, str) else names
        to_sign = {**unsecured, "proof": matching}
    config = _proof_config(to_sign, options, suite)
    signature = key.sign(hash_data(to_sign, config, suite, canonicalizer))
    proof = dict(options)
    if suite.canonicalization == "jcs" and "@context" in config:
        proof["@context"] = config["@context"]
    proof["proofValue"] = "z" + base58.b58encode(signature).decode("ascii")
    secured = dict(document)
    secured["proof"] = proof if existing is None else [*all_proofs, proof]
    return secured


def _previous_proof_names(value: object) -> list[str] | None:
    """The ids a ``previousProof`` names, or ``None`` when it is not a string or a non-empty
    list of non-empty strings (VC-DI §2.1: "a string value or an unordered list of strings")."""
    if isinstance(value, str):
        return [value] if value else None
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return list(dict.fromkeys(value))
    return None


def _matching_proofs(
    all_proofs: Sequence[Any], names: Sequence[str]
) -> tuple[list[Any], list[str]]:
    """The proofs of ``all_proofs`` whose ``id`` is one of ``names`` (in the document's order),
    and the names no proof has."""
    matching = [p for p in all_proofs if isinstance(p, Mapping) and p.get("id") in names]
    found = {p.get("id") for p in matching}
    return matching, [n for n in names if n not in found]


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
        id=proof.get("id") if isinstance(proof.get("id"), str) else None,
        previous_proof=tuple(_previous_proof_names(proof.get("previousProof")) or ()),
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
    proof_type = proof.get("type")
    if proof_type == PROOF_TYPE:
        name = proof.get("cryptosuite")
        if not isinstance(name, str) or name not in CRYPTOSUITES:
            return _fail(proof, "unsupported_cryptosuite", f"cryptosuite {name!r} is not supported")
        suite = CRYPTOSUITES[name]
    elif isinstance(proof_type, str) and proof_type in LEGACY_PROOF_TYPES:
        name, suite = proof_type, LEGACY_PROOF_TYPES[proof_type]
    else:
        return _fail(proof, "unsupported_proof_type", f"proof type {proof_type!r}")
    if name not in allowed:
        return _fail(proof, "cryptosuite_not_allowed", f"cryptosuite {name!r} is not allowed")
    if name in _LEGACY_CONTEXTS:
        # The suite's terms (its type, Ed25519VerificationKey2020) are defined only there.
        doc_ctx = unsecured.get("@context")
        if _LEGACY_CONTEXTS[name] not in (doc_ctx if isinstance(doc_ctx, list) else [doc_ctx]):
            return _fail(
                proof,
                "suite_context_missing",
                f"a {name} proof needs {_LEGACY_CONTEXTS[name]} in the document's @context",
            )
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
        id=proof.get("id") if isinstance(proof.get("id"), str) else None,
        previous_proof=tuple(_previous_proof_names(proof.get("previousProof")) or ()),
    )


def _chain_failure(result: ProofResult, code: str, message: str) -> ProofResult:
    problem = ProofProblem(code, message, SECURITY_PROBLEM + "PROOF_VERIFICATION_ERROR")
    return ProofResult(
        verified=False,
        cryptosuite=result.cryptosuite,
        verification_method=result.verification_method,
        proof_purpose=result.proof_purpose,
        created=result.created,
        problems=(problem, *result.problems),
        id=result.id,
        previous_proof=result.previous_proof,
    )


def _settle_chains(
    results: list[ProofResult], references: list[list[int]]
) -> tuple[ProofResult, ...]:
    """A proof verifies only if every proof it names (transitively) verifies (VC-DI §2.1
    ``previousProof``: "another data integrity proof that MUST verify"); a cycle never does."""
    state: dict[int, bool | None] = {}  # None: being settled (a cycle if met again)

    def settle(i: int) -> bool:
        if i in state:
            done = state[i]
            if done is None:
                results[i] = _chain_failure(
                    results[i], "previous_proof_cycle", "the proofs' previousProof form a cycle"
                )
                return False
            return done
        state[i] = None
        ok = results[i].verified
        for j in references[i]:
            if not settle(j) and ok:
                ok = False
                results[i] = _chain_failure(
                    results[i],
                    "previous_proof_not_verified",
                    f"the previous proof {results[j].id!r} does not verify",
                )
        state[i] = ok
        return ok

    for i in range(len(results)):
        settle(i)
    return tuple(results)


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
    """Verify every proof of ``document``, as a proof set or chain (VC-DI §4.5).

    ``allowed_cryptosuites`` is required (names from :data:`VERIFIABLE_SUITES`): a proof with
    any other suite fails. A proof with ``previousProof`` is checked over the document with
    the proofs it names and fails when one of them is missing (``previous_proof_not_found``),
    named twice over (``previous_proof_ambiguous``) or does not verify. For
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
    all_proofs: list[Any] = proofs if isinstance(proofs, list) else [proofs]
    positions: dict[str, list[int]] = {}
    for i, proof in enumerate(all_proofs):
        if isinstance(proof, Mapping) and isinstance(proof.get("id"), str):
            positions.setdefault(proof["id"], []).append(i)
    results: list[ProofResult] = []
    references: list[list[int]] = []
    for proof in all_proofs:
        refs: list[int] = []
        references.append(refs)
        input_document: Mapping[str, Any] = unsecured
        if isinstance(proof, Mapping) and "previousProof" in proof:
            names = _previous_proof_names(proof["previousProof"])
            if names is None:
                results.append(
                    _fail(
                        proof,
                        "malformed_proof",
                        "previousProof must be a string or a non-empty list of strings",
                    )
                )
                continue
            missing = [n for n in names if n not in positions]
            if missing:
                results.append(
                    _fail(
                        proof,
                        "previous_proof_not_found",
                        f"previousProof names no proof of the document: {', '.join(missing)}",
                    )
                )
                continue
            ambiguous = [n for n in names if len(positions[n]) > 1]
            if ambiguous:
                results.append(
                    _fail(
                        proof,
                        "previous_proof_ambiguous",
                        f"more than one proof has the id {', '.join(ambiguous)}",
                    )
                )
                continue
            refs.extend(positions[n][0] for n in names)
            matching, _ = _matching_proofs(all_proofs, names)
            input_document = {**unsecured, "proof": matching}
        results.append(
            _verify_one(
                input_document,
                proof,
                resolve_key=resolve_key,
                allowed=allowed_cryptosuites,
                expected_purpose=expected_proof_purpose,
                challenge=challenge,
                domain=domain,
                now=now or datetime.now(UTC),
                canonicalizer=canonicalizer,
            )
        )
    settled = _settle_chains(results, references)
    return ProofVerification(
        verified=bool(settled) and all(r.verified for r in settled), proofs=settled
    )
