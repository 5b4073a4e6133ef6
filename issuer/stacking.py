"""Stacking: a larger credential composed from module credentials (the *parts*).

A coordinator asks for a specification that has :class:`~issuer.catalogue.StackingRules`, for a
learner, with the part credentials the learner earned (JSON credentials or compact JWTs, as
received). :func:`check_parts` decides, part by part and then for the whole:

1. **verified** — each part goes through the injected :class:`PartVerifier` (the composition
   root passes mcred's verifier: proof, issuer key, validity, status, issuer trust). A part
   fails with the verifier's reasons (``revoked``, ``suspended``, ``invalid_signature``,
   ``unknown_issuer`` …); issuer trust must have *passed* (a skipped trust check does not
   count: a part from an issuer nobody vouches for is refused as ``issuer_not_trusted``);
2. **same learner** — the *subject rule*: when the issuance names the learner's holder DID,
   a part's ``credentialSubject.id`` must be that DID; otherwise (or when the part names no
   DID) one of the part's ELM ``Person.identifier`` entries must equal one of the learner's
   ``identifiers`` (same scheme name, same notation). A stacking issuance with neither is
   refused before any part is verified (``no_subject_to_match``);
3. **the rules** — every required part present once (a required part is recognised by its
   title in any language, or its qualification IRI, and its issuer when the rule names one);
   no unrequired part unless ``other_parts``; the parts' ECTS together at least
   ``min_total_ects``; each part's EQF level allowed; no part older than
   ``max_part_age_days`` on the date of issuing; no part given twice.

Every problem is collected, then :class:`StackingRefused` (HTTP 422) carries them all:
``details.parts`` lists each part with ``accepted`` and its ``reasons``, ``details.rules`` the
violated rules. When everything holds, the accepted parts become
:class:`~vc_core.model.microcredential.StackedPart` (id, digest, title, awarding bodies, ECTS,
EQF), which the ELM builder writes as the claim's ``hasPart``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from pydantic import ValidationError

from issuer.catalogue import AllianceFile, Issuance, Specification, StackingPart
from issuer.errors import IssuerError
from vc_core.model.microcredential import PartAwardingBody, StackedPart, field_errors

__all__ = [
    "MAX_PARTS",
    "PartCheck",
    "PartReason",
    "PartVerifier",
    "StackingRefused",
    "StackingUnavailable",
    "check_parts",
]

MAX_PARTS = 50
"""At most 50 parts per stacked credential (the model's limit)."""


@dataclass(frozen=True)
class PartReason:
    """Why a part (or the stack) is refused: a machine-readable ``code`` and a message."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class PartCheck:
    """What a :class:`PartVerifier` found out about one part credential.

    ``verified``: proof, issuer key, validity and status hold and the issuer is trusted;
    otherwise ``reasons`` say why. The rest is read from the part as verified (``None`` or
    empty when absent); ``digest`` is the SHA-256 of the part as received
    (:func:`vc_core.model.elm.part_digest`).
    """

    verified: bool
    digest: str
    reasons: tuple[PartReason, ...] = ()
    credential_id: str | None = None
    issuer: str | None = None
    subject_id: str | None = None
    subject_identifiers: tuple[tuple[str, str], ...] = ()
    title: Mapping[str, str] = field(default_factory=dict)
    qualification: str | None = None
    ects: Decimal | None = None
    eqf_level: int | None = None
    date_of_issue: datetime | None = None
    awarding_bodies: tuple[PartAwardingBody, ...] = ()
    trust: str | None = None
    """The issuer-trust message ("issued by X on behalf of …") when trusted."""


class PartVerifier(Protocol):
    """Verifies one part credential as received (a JSON object or a compact JWT)."""

    def __call__(self, part: object) -> PartCheck: ...


class StackingRefused(IssuerError):
    """The parts do not make the stacked credential (details: per part, and the rules)."""

    status_code: ClassVar[int] = 422
    code: ClassVar[str] = "stacking_refused"


class StackingUnavailable(IssuerError):
    """No part verifier is configured: this service cannot check parts."""

    status_code: ClassVar[int] = 503
    code: ClassVar[str] = "stacking_unavailable"


def _titles(texts: Mapping[str, str]) -> set[str]:
    return {" ".join(t.split()).casefold() for t in texts.values()}


def _matches(rule: StackingPart, check: PartCheck, alliance: AllianceFile) -> bool:
    if rule.issuer is not None and check.issuer != rule.issuer:
        return False
    if rule.qualification is not None and check.qualification == rule.qualification:
        return True
    titles: dict[str, str] = dict(rule.title or {})
    if not titles:
        try:
            titles = dict(alliance.specification(rule.specification).title)
        except KeyError:
            return False
    return bool(_titles(titles) & _titles(check.title))


def _same_learner(check: PartCheck, issuance: Issuance) -> bool:
    holder = issuance.holder
    if holder is not None and check.subject_id == holder:
        return True
    learner_ids = {(i.scheme_name, i.notation) for i in issuance.learner.identifiers}
    return bool(learner_ids & set(check.subject_identifiers))


def _part_out(index: int, check: PartCheck, reasons: list[PartReason]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "index": index,
        "id": check.credential_id,
        "digest": check.digest,
        "issuer": check.issuer,
        "accepted": not reasons,
        "reasons": [r.to_dict() for r in reasons],
    }
    if check.title:
        body["title"] = dict(check.title)
    return body


def check_parts(
    alliance: AllianceFile,
    spec: Specification,
    issuance: Issuance,
    parts: Sequence[object],
    verify_part: PartVerifier,
) -> tuple[StackedPart, ...]:
    """The parts of ``issuance`` (of stacked ``spec``) as verified :class:`StackedPart`.

    Raises :class:`StackingRefused` naming every problem (see the module doc); an
    :class:`~issuer.errors.InvalidRequest`-like refusal for a specification without stacking
    rules or an issuance whose learner cannot be matched is also :class:`StackingRefused`,
    with no part verified.
    """
    rules = spec.stacking
    if rules is None:
        raise StackingRefused(
            f"specification {spec.id!r} has no stacking rules: it is not composed of parts",
            details={"rules": [{"code": "not_stackable", "message": "no stacking rules"}]},
        )
    if not parts or len(parts) > MAX_PARTS:
        raise StackingRefused(
            f"a stacked credential needs 1 to {MAX_PARTS} parts, not {len(parts)}",
            details={"rules": [{"code": "part_count", "message": "1 to 50 parts"}]},
        )
    if issuance.holder is None and not issuance.learner.identifiers:
        raise StackingRefused(
            "to match the parts to the learner, give the learner's holder DID or an identifier",
            details={
                "rules": [
                    {
                        "code": "no_subject_to_match",
                        "message": "the learner has neither holder_did nor identifiers",
                    }
                ]
            },
        )
    on = issuance.result.date_of_issue
    checks = [verify_part(part) for part in parts]
    part_reasons: list[list[PartReason]] = []
    stacked: dict[int, StackedPart] = {}
    seen: dict[str, int] = {}
    for index, check in enumerate(checks):
        reasons: list[PartReason] = [] if check.verified else list(check.reasons)
        if not check.verified and not reasons:
            reasons.append(PartReason("not_verified", "the part did not verify"))
        if check.credential_id is None:
            reasons.append(PartReason("no_id", "the part credential has no id to reference"))
        elif check.credential_id in seen:
            reasons.append(
                PartReason("duplicate_part", f"the same as part {seen[check.credential_id]}")
            )
        else:
            seen[check.credential_id] = index
        if check.verified and not _same_learner(check, issuance):
            reasons.append(
                PartReason(
                    "foreign_subject",
                    f"the part is about {check.subject_id or 'another learner'}, not this "
                    "learner (holder DID or identifier)",
                )
            )
        allowed = rules.allowed_eqf_levels
        if check.verified and allowed and check.eqf_level not in allowed:
            reasons.append(
                PartReason(
                    "eqf_level_not_allowed",
                    f"EQF level {check.eqf_level} is not one of {list(allowed)}",
                )
            )
        if check.verified and rules.max_part_age_days is not None:
            if check.date_of_issue is None:
                reasons.append(PartReason("no_date_of_issue", "the part states no date of issue"))
            elif on - check.date_of_issue > timedelta(days=rules.max_part_age_days):
                reasons.append(
                    PartReason(
                        "part_too_old",
                        f"issued {check.date_of_issue:%Y-%m-%d}, more than "
                        f"{rules.max_part_age_days} days before {on:%Y-%m-%d}",
                    )
                )
        if check.verified and not check.awarding_bodies:
            reasons.append(PartReason("no_awarding_body", "the part names no awarding body"))
        if check.verified and not check.title:
            reasons.append(PartReason("no_title", "the part has no title"))
        if check.verified and not reasons:
            made = _stacked(check, on)
            if isinstance(made, PartReason):
                reasons.append(made)
            else:
                stacked[index] = made
        part_reasons.append(reasons)

    # required parts: each matched by exactly one part (first match wins)
    rule_problems: list[PartReason] = []
    matched: dict[int, int] = {}
    for r, rule in enumerate(rules.parts):
        for index, check in enumerate(checks):
            if index in matched.values() or part_reasons[index]:
                continue
            if _matches(rule, check, alliance):
                matched[r] = index
                break
        else:
            issuer = f" issued by {rule.issuer}" if rule.issuer else ""
            rule_problems.append(
                PartReason(
                    "missing_required_part",
                    f"no verified part is the required module {rule.specification!r}{issuer}",
                )
            )
    if not rules.other_parts:
        for index in range(len(checks)):
            if not part_reasons[index] and index not in matched.values():
                part_reasons[index].append(
                    PartReason(
                        "not_a_required_part",
                        "the part is none of the specification's required modules",
                    )
                )
    counted = [c for i, c in enumerate(checks) if not part_reasons[i]]
    total = sum((c.ects or Decimal(0) for c in counted), Decimal(0))
    if rules.min_total_ects is not None and total < rules.min_total_ects:
        rule_problems.append(
            PartReason(
                "ects_below_minimum",
                f"the parts give {format(total.normalize(), 'f')} ECTS; at least "
                f"{format(rules.min_total_ects.normalize(), 'f')} are required",
            )
        )
    if rule_problems or any(part_reasons):
        refused = sum(1 for r in part_reasons if r)
        raise StackingRefused(
            f"{refused} of {len(checks)} parts refused, {len(rule_problems)} stacking rules "
            "not met",
            details={
                "parts": [_part_out(i, c, part_reasons[i]) for i, c in enumerate(checks)],
                "rules": [p.to_dict() for p in rule_problems],
                "total_ects": format(total.normalize(), "f"),
            },
        )
    return tuple(stacked[index] for index in range(len(checks)))


def _stacked(check: PartCheck, on: datetime) -> StackedPart | PartReason:
    try:
        return StackedPart(
            credential_id=str(check.credential_id),
            digest=check.digest,
            issuer=str(check.issuer),
            title=dict(check.title),
            awarding_bodies=check.awarding_bodies,
            date_of_issue=check.date_of_issue or on,
            ects=check.ects,
            eqf_level=check.eqf_level,
        )
    except ValidationError as exc:
        problems = "; ".join(f"{e.loc}: {e.message}" for e in field_errors(exc))
        return PartReason("unreadable_part", f"the part cannot be referenced: {problems}")
