"""Awarding mandates: an awarding body authorises the coordinator to award a specification.

One issuer, many awarders (specs.md §9.5): the coordinating provider is the credential's only
``issuer``, and it awards on behalf of the partners by *mandate* (ELM's issued-by-mandate
profile, ``EDC-issuedByMandate.ttl``, which requires an ``evidence`` with an
``evidenceStatement``). So that a verifier can check that every named partner consented, a mandate
is itself a small VCDM 2.0 credential signed by the awarding body's own DID::

    {
      "@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/mcred/v1"],
      "id": "urn:uuid:…",
      "type": ["VerifiableCredential", "AwardingMandateCredential"],
      "issuer": "<awarding body DID>",
      "validFrom": "2026-01-01T00:00:00Z",
      "validUntil": "2028-12-31T23:59:59Z",
      "credentialSubject": {
        "id": "<coordinator DID>",
        "type": "AwardingMandate",
        "specification": "urn:mcred:<alliance>:specification:<id>",
        "alliance": "urn:mcred:<alliance>",
        "description": "…"
      },
      "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", …}
    }

``https://w3id.org/mcred/v1`` is mcred's own pinned context (``contexts/mcred-v1.jsonld``): a
name, never fetched. :func:`verify_mandate` never raises on a bad mandate: it returns a
:class:`MandateCheck` whose ``reason`` says what failed. :func:`check_mandate_coverage` answers
the issuing question: does every awarding body have a valid mandate today?
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from issuer.catalogue import (
    AllianceFile,
    MandateDeclaration,
    alliance_iri,
    specification_iri,
)
from vc_core.dids.document import split_did_url
from vc_core.errors import DidSyntaxError, MalformedInputError, VcCoreError
from vc_core.keys import KeyType, PrivateKey
from vc_core.model.elm import format_datetime
from vc_core.proofs.data_integrity import KeyResolver, ProofVerification, add_proof, verify_proofs

__all__ = [
    "MANDATE_CONTEXT",
    "MANDATE_CREDENTIAL_TYPE",
    "MANDATE_CRYPTOSUITES",
    "MANDATE_SUBJECT_TYPE",
    "MCRED_V1_CONTEXT",
    "MandateCheck",
    "MandateCoverage",
    "MandateReason",
    "build_mandate",
    "check_mandate_coverage",
    "coverage_of",
    "declared_mandate",
    "sign_mandate",
    "verify_mandate",
]

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
MCRED_V1_CONTEXT = "https://w3id.org/mcred/v1"
MANDATE_CONTEXT: tuple[str, ...] = (VC_V2_CONTEXT, MCRED_V1_CONTEXT)
MANDATE_CREDENTIAL_TYPE = "AwardingMandateCredential"
MANDATE_SUBJECT_TYPE = "AwardingMandate"
MANDATE_CRYPTOSUITES = frozenset({"eddsa-rdfc-2022", "ecdsa-rdfc-2019"})
"""Mandates are Data Integrity credentials with an RDFC suite (decision D3)."""

_SUITE_FOR_KEY = {KeyType.ED25519: "eddsa-rdfc-2022", KeyType.P256: "ecdsa-rdfc-2019"}


def build_mandate(
    *,
    awarding_body_did: str,
    coordinator_did: str,
    alliance_iri: str,
    specification_iri: str,
    valid_from: datetime,
    valid_until: datetime,
    mandate_id: str | None = None,
    name: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """The unsigned mandate credential (see the module docstring).

    ``mandate_id`` defaults to a fresh ``urn:uuid:``. Raises :class:`MalformedInputError` for
    time-zone-naive dates or a period that ends before it starts.
    """
    if valid_from.tzinfo is None or valid_until.tzinfo is None:
        raise MalformedInputError("a mandate's period needs time-zone-aware dates")
    if valid_until <= valid_from:
        raise MalformedInputError("a mandate's validUntil must be later than its validFrom")
    subject: dict[str, Any] = {
        "id": coordinator_did,
        "type": MANDATE_SUBJECT_TYPE,
        "specification": specification_iri,
        "alliance": alliance_iri,
    }
    if description is not None:
        subject["description"] = description
    mandate: dict[str, Any] = {
        "@context": list(MANDATE_CONTEXT),
        "id": mandate_id or f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", MANDATE_CREDENTIAL_TYPE],
        "issuer": awarding_body_did,
        "validFrom": format_datetime(valid_from),
        "validUntil": format_datetime(valid_until),
        "credentialSubject": subject,
    }
    if name is not None:
        mandate["name"] = name
    return mandate


def _pick(texts: Mapping[str, str], language: str) -> str:
    return texts.get(language) or texts.get("en") or next(iter(texts.values()))


def declared_mandate(
    alliance_file: AllianceFile,
    declaration: MandateDeclaration,
    *,
    awarding_body_did: str,
    coordinator_did: str,
    mandate_id: str | None = None,
) -> dict[str, Any]:
    """The unsigned mandate for a mandate declared in the alliance file, with a ``name`` and a
    ``description`` naming both parties and the specification (in its primary language)."""
    spec = alliance_file.specification(declaration.specification)
    partner = alliance_file.partner(declaration.partner)
    coordinator = alliance_file.coordinator_partner
    language = spec.primary_language
    title = _pick(spec.title, language)
    return build_mandate(
        awarding_body_did=awarding_body_did,
        coordinator_did=coordinator_did,
        alliance_iri=alliance_iri(alliance_file.alliance.id),
        specification_iri=specification_iri(alliance_file.alliance.id, spec.id),
        valid_from=declaration.valid_from,
        valid_until=declaration.valid_until,
        mandate_id=mandate_id,
        name=f"Awarding mandate: {title}",
        description=(
            f"{_pick(partner.legal_name, language)} authorises "
            f"{_pick(coordinator.legal_name, language)} to award the micro-credential "
            f"'{title}' on its behalf, as coordinator of "
            f"{_pick(alliance_file.alliance.name, language)}."
        ),
    )


def sign_mandate(
    mandate: Mapping[str, Any],
    key: PrivateKey,
    verification_method: str,
    *,
    created: datetime | None = None,
) -> dict[str, Any]:
    """``mandate`` with a Data Integrity proof by the awarding body (``assertionMethod``):
    ``eddsa-rdfc-2022`` for an Ed25519 key, ``ecdsa-rdfc-2019`` for a P-256 key.

    ``verification_method`` must be a key of the mandate's ``issuer`` (else
    :class:`MalformedInputError`: :func:`verify_mandate` would refuse it anyway).
    """
    if not isinstance(mandate, Mapping):
        raise MalformedInputError("a mandate must be a JSON object")
    issuer = _issuer_id(mandate.get("issuer"))
    vm_did, fragment = split_did_url(verification_method)
    if fragment is None or vm_did != issuer:
        raise MalformedInputError(
            f"{verification_method!r} is not a key of the mandate's issuer {issuer!r}"
        )
    return add_proof(
        mandate,
        key,
        verification_method=verification_method,
        cryptosuite=_SUITE_FOR_KEY[key.key_type],
        created=created,
    )


# --------------------------------------------------------------------------- verification


class MandateReason(enum.StrEnum):
    """Why a mandate does not hold (:attr:`MandateCheck.reason`)."""

    WRONG_TYPE = "wrong_type"
    """Not an ``AwardingMandateCredential`` in the mandate ``@context``."""
    MALFORMED = "malformed"
    """A member is missing or of the wrong shape (issuer, subject, dates)."""
    PROOF_INVALID = "proof_invalid"
    """No proof, a bad signature, or a key its DID document does not list."""
    WRONG_ISSUER = "wrong_issuer"
    """Signed by a key of another DID than ``issuer``, or not by the awarding body expected."""
    WRONG_SUBJECT = "wrong_subject"
    """The mandate authorises someone other than this coordinator."""
    WRONG_SPECIFICATION = "wrong_specification"
    """The mandate is for another specification."""
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"


@dataclass(frozen=True)
class MandateCheck:
    """The outcome of :func:`verify_mandate`: ``ok``, or the first ``reason`` it failed.

    The other fields are what could be read from the mandate (``None`` when absent).
    """

    ok: bool
    reason: MandateReason | None = None
    message: str = ""
    mandate_id: str | None = None
    awarding_body: str | None = None
    specification: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    proof: ProofVerification | None = None


def _issuer_id(issuer: Any) -> str | None:
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def _types(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def verify_mandate(
    mandate: Any,
    *,
    resolve_key: KeyResolver,
    coordinator_did: str,
    specification_iri: str,
    on: datetime,
    awarding_body_did: str | None = None,
) -> MandateCheck:
    """Does ``mandate`` authorise ``coordinator_did`` to award ``specification_iri`` on ``on``?

    Checked in order: type and ``@context``; shape; every proof verifies (allowlist
    :data:`MANDATE_CRYPTOSUITES`, ``assertionMethod``, key from ``resolve_key``) and is made with
    a key of the ``issuer`` (and the issuer is ``awarding_body_did`` when given); subject;
    specification; period (``validFrom <= on <= validUntil``). Never raises on a bad mandate;
    raises :class:`MalformedInputError` only when ``mandate`` is not a JSON object.
    """
    if not isinstance(mandate, Mapping):
        raise MalformedInputError("a mandate must be a JSON object")
    if on.tzinfo is None:
        raise MalformedInputError("the date to check a mandate on must be time-zone aware")
    mandate_id = mandate.get("id") if isinstance(mandate.get("id"), str) else None
    issuer = _issuer_id(mandate.get("issuer"))
    subject = mandate.get("credentialSubject")
    specification = subject.get("specification") if isinstance(subject, Mapping) else None
    valid_from = _datetime(mandate.get("validFrom"))
    valid_until = _datetime(mandate.get("validUntil"))

    def fail(
        reason: MandateReason, message: str, proof: ProofVerification | None = None
    ) -> MandateCheck:
        return MandateCheck(
            ok=False,
            reason=reason,
            message=message,
            mandate_id=mandate_id,
            awarding_body=issuer,
            specification=specification if isinstance(specification, str) else None,
            valid_from=valid_from,
            valid_until=valid_until,
            proof=proof,
        )

    types = _types(mandate.get("type"))
    if "VerifiableCredential" not in types or MANDATE_CREDENTIAL_TYPE not in types:
        return fail(MandateReason.WRONG_TYPE, f"not an {MANDATE_CREDENTIAL_TYPE}")
    if mandate.get("@context") != list(MANDATE_CONTEXT):
        return fail(MandateReason.WRONG_TYPE, f"@context must be {list(MANDATE_CONTEXT)}")
    if not isinstance(subject, Mapping) or MANDATE_SUBJECT_TYPE not in _types(subject.get("type")):
        return fail(MandateReason.WRONG_TYPE, f"credentialSubject is not an {MANDATE_SUBJECT_TYPE}")
    if issuer is None:
        return fail(MandateReason.MALFORMED, "issuer must be a DID")
    if not isinstance(subject.get("id"), str) or not isinstance(specification, str):
        return fail(MandateReason.MALFORMED, "credentialSubject needs an id and a specification")
    if valid_from is None or valid_until is None:
        return fail(MandateReason.MALFORMED, "validFrom and validUntil must be XSD dateTimeStamps")

    try:
        proof = verify_proofs(
            mandate,
            resolve_key=resolve_key,
            allowed_cryptosuites=MANDATE_CRYPTOSUITES,
            now=on,
        )
    except VcCoreError as exc:
        return fail(MandateReason.PROOF_INVALID, exc.message)
    if not proof.verified:
        problems = [p.message for p in proof.problems]
        problems += [p.message for r in proof.proofs for p in r.problems]
        return fail(MandateReason.PROOF_INVALID, "; ".join(problems) or "no valid proof", proof)
    for result in proof.proofs:
        try:
            signer, _ = split_did_url(result.verification_method)
        except DidSyntaxError:
            signer = None
        if signer != issuer:
            return fail(
                MandateReason.WRONG_ISSUER,
                f"signed with {result.verification_method}, not with a key of the issuer {issuer}",
                proof,
            )
    if awarding_body_did is not None and issuer != awarding_body_did:
        return fail(
            MandateReason.WRONG_ISSUER,
            f"issued by {issuer}, not by the awarding body {awarding_body_did}",
            proof,
        )
    if subject["id"] != coordinator_did:
        return fail(
            MandateReason.WRONG_SUBJECT,
            f"the mandate authorises {subject['id']}, not {coordinator_did}",
            proof,
        )
    if specification != specification_iri:
        return fail(
            MandateReason.WRONG_SPECIFICATION,
            f"the mandate is for {specification}, not {specification_iri}",
            proof,
        )
    if on < valid_from:
        return fail(MandateReason.NOT_YET_VALID, f"valid from {mandate['validFrom']}", proof)
    if on > valid_until:
        return fail(MandateReason.EXPIRED, f"expired at {mandate['validUntil']}", proof)
    return MandateCheck(
        ok=True,
        mandate_id=mandate_id,
        awarding_body=issuer,
        specification=specification,
        valid_from=valid_from,
        valid_until=valid_until,
        proof=proof,
    )


@dataclass(frozen=True)
class MandateCoverage:
    """Whether every awarding body has a valid mandate: ``valid`` maps each covered body's DID to
    the check of its mandate; ``missing`` lists the bodies with none; ``rejected`` holds the
    checks of every mandate that did not hold (for the error message)."""

    ok: bool
    valid: Mapping[str, MandateCheck]
    missing: tuple[str, ...]
    rejected: tuple[MandateCheck, ...] = ()


def check_mandate_coverage(
    mandates: Sequence[Any],
    *,
    awarding_body_dids: Collection[str],
    resolve_key: KeyResolver,
    coordinator_did: str,
    specification_iri: str,
    on: datetime,
) -> MandateCoverage:
    """Check ``mandates`` and say which awarding bodies have none that holds on ``on``.

    Issuing for a body in ``missing`` is refused (specs.md §9.5). A mandate that is not a JSON
    object counts as rejected (``malformed``), it does not raise.
    """
    checks: list[MandateCheck] = []
    for mandate in mandates:
        if not isinstance(mandate, Mapping):
            checks.append(
                MandateCheck(ok=False, reason=MandateReason.MALFORMED, message="not an object")
            )
            continue
        checks.append(
            verify_mandate(
                mandate,
                resolve_key=resolve_key,
                coordinator_did=coordinator_did,
                specification_iri=specification_iri,
                on=on,
            )
        )
    return coverage_of(checks, awarding_body_dids=awarding_body_dids, on=on)


def coverage_of(
    checks: Sequence[MandateCheck], *, awarding_body_dids: Collection[str], on: datetime
) -> MandateCoverage:
    """Which awarding bodies hold a mandate valid on ``on``, from mandates already checked.

    A check counts when it passed and its period contains ``on``; the issuer verifies each
    stored mandate once and asks this on every issuance.
    """
    valid: dict[str, MandateCheck] = {}
    rejected: list[MandateCheck] = []
    for check in checks:
        in_period = (
            check.valid_from is not None
            and check.valid_until is not None
            and check.valid_from <= on <= check.valid_until
        )
        if not check.ok or check.awarding_body is None or not in_period:
            rejected.append(check)
        elif check.awarding_body in awarding_body_dids:
            valid.setdefault(check.awarding_body, check)
    missing = tuple(did for did in awarding_body_dids if did not in valid)
    return MandateCoverage(ok=not missing, valid=valid, missing=missing, rejected=tuple(rejected))
