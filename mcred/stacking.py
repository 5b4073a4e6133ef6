"""The part verifier for stacking: mcred's :class:`~verifier.service.Verifier` behind the
issuer's :class:`~issuer.stacking.PartVerifier` port (the roles never import each other).

A part passes when its report verified *and* its ``issuer_trust`` check passed (a skipped
trust check, with no registry configured, is not enough to stack a credential on). Every
failed check becomes a reason with the check's code (``revoked``, ``suspended``,
``invalid_signature``, ``unknown_issuer`` …); the part's subject, title, ECTS, EQF level and
awarding bodies are read from the verified document (:func:`vc_core.model.elm.read_part`).
"""

from __future__ import annotations

from issuer.stacking import PartCheck, PartReason
from vc_core.errors import MalformedInputError
from vc_core.model.elm import part_digest, read_part
from verifier.report import CheckName, CheckStatus
from verifier.service import Verifier

__all__ = ["VerifierPartCheck"]


class VerifierPartCheck:
    """Verifies a part credential with ``verifier`` (a :class:`~issuer.stacking.PartVerifier`)."""

    def __init__(self, verifier: Verifier) -> None:
        self._verifier = verifier

    def __call__(self, part: object) -> PartCheck:
        try:
            digest = part_digest(part)
        except MalformedInputError as exc:
            return PartCheck(False, "", (PartReason("unreadable_part", exc.message),))
        try:
            report = self._verifier.verify_credential(part)
        except MalformedInputError as exc:
            return PartCheck(False, digest, (PartReason("unreadable_part", exc.message),))
        reasons = [
            PartReason(check.code, f"{check.name}: {check.message}") for check in report.failed
        ]
        trust = report.check(CheckName.ISSUER_TRUST)
        if trust.status is CheckStatus.SKIPPED:
            reasons.append(
                PartReason(
                    "issuer_not_trusted", f"issuer trust was not established: {trust.message}"
                )
            )
        document = report.document
        if document is None:
            if not reasons:
                reasons.append(PartReason("not_verified", "the part's proof did not verify"))
            return PartCheck(False, digest, tuple(reasons))
        summary = read_part(document)
        return PartCheck(
            verified=not reasons,
            digest=digest,
            reasons=tuple(reasons),
            credential_id=summary.credential_id,
            issuer=summary.issuer,
            subject_id=summary.subject_id,
            subject_identifiers=summary.subject_identifiers,
            title=summary.title,
            qualification=summary.qualification,
            ects=summary.ects,
            eqf_level=summary.eqf_level,
            date_of_issue=summary.date_of_issue,
            awarding_bodies=summary.awarding_bodies,
            trust=trust.message if trust.status is CheckStatus.PASSED else None,
        )
