"""The verification report: named checks, warnings, and the verdict (specs.md §1.3, §11).

A credential's report lists its checks in a fixed order — ``well_formed``, ``proof``,
``issuer_key``, ``validity``, ``status``, ``issuer_trust``, ``completeness`` (and
``holder_binding`` when it came inside a presentation). A presentation's report lists
``well_formed``, ``proof``, ``holder_key``, ``credentials`` and carries one report per
embedded credential. Each :class:`Check` is ``passed``, ``failed`` or ``skipped`` with a stable
``code`` and a message for developers; a report is ``verified`` when no check failed (and, for
a presentation, every credential is verified).

Two renderings:

* :meth:`VerificationReport.to_dict` — the full report (mcred's ``/api/v1/verify``);
* :meth:`VerificationReport.to_vc_api` — the W3C VC API ``VerificationResult`` shape
  ``{verified, checks, warnings, errors}``, where ``checks`` names the checks that ran and
  ``errors``/``warnings`` are RFC 9457 ProblemDetails (VCDM 2.0 §7.2; VC-DI §4.7 and Bitstring
  Status List §3.5 types where the spec defines one, ``urn:mcred:problem:<code>`` otherwise).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Check",
    "CheckName",
    "CheckStatus",
    "ReportWarning",
    "VerificationReport",
    "mcred_problem",
]


def mcred_problem(code: str) -> str:
    """The ProblemDetails ``type`` for an mcred code no spec defines (as the issuer's errors)."""
    return f"urn:mcred:problem:{code}"


class CheckStatus(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


class CheckName(enum.StrEnum):
    """The checks, in the order a report lists them."""

    WELL_FORMED = "well_formed"
    PROOF = "proof"
    ISSUER_KEY = "issuer_key"
    HOLDER_KEY = "holder_key"
    VALIDITY = "validity"
    STATUS = "status"
    ISSUER_TRUST = "issuer_trust"
    COMPLETENESS = "completeness"
    HOLDER_BINDING = "holder_binding"
    CREDENTIALS = "credentials"


@dataclass(frozen=True)
class Check:
    """One named check and its outcome.

    ``code`` is ``"ok"`` for a pass, says why for a skip (``"no_status"``), and names the
    failure otherwise (``"invalid_signature"``, ``"STATUS_RETRIEVAL_ERROR"``, ``"revoked"``).
    ``problem_type`` is the ProblemDetails ``type`` of a failure.
    """

    name: CheckName
    status: CheckStatus
    code: str
    message: str
    problem_type: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def passed(
        cls, name: CheckName, message: str, *, details: Mapping[str, Any] | None = None
    ) -> Check:
        return cls(name, CheckStatus.PASSED, "ok", message, details=dict(details or {}))

    @classmethod
    def skipped(cls, name: CheckName, code: str, message: str) -> Check:
        return cls(name, CheckStatus.SKIPPED, code, message)

    @classmethod
    def failed(
        cls,
        name: CheckName,
        code: str,
        message: str,
        *,
        problem_type: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> Check:
        return cls(
            name,
            CheckStatus.FAILED,
            code,
            message,
            problem_type or mcred_problem(code),
            dict(details or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": str(self.name),
            "status": str(self.status),
            "code": self.code,
            "message": self.message,
        }
        if self.problem_type is not None:
            body["problem_type"] = self.problem_type
        if self.details:
            body["details"] = dict(self.details)
        return body

    def to_problem(self, *, instance: str | None = None) -> dict[str, Any]:
        """RFC 9457 ProblemDetails for this (failed) check."""
        problem: dict[str, Any] = {
            "type": self.problem_type or mcred_problem(self.code),
            "title": f"{self.name} check failed",
            "detail": self.message,
            "code": self.code,
            "check": str(self.name),
        }
        if instance is not None:
            problem["instance"] = instance
        return problem


@dataclass(frozen=True)
class ReportWarning:
    """Something the verifier noticed that does not fail verification."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}

    def to_problem(self, *, instance: str | None = None) -> dict[str, Any]:
        problem: dict[str, Any] = {
            "type": mcred_problem(self.code),
            "title": self.code,
            "detail": self.message,
            "code": self.code,
        }
        if instance is not None:
            problem["instance"] = instance
        return problem


@dataclass(frozen=True)
class VerificationReport:
    """What a verification found (see the module doc).

    ``format`` is ``data_integrity``, ``vc+jwt``, ``jwt_vc_json``, ``vp+jwt`` or ``dc+sd-jwt``
    (an SD-JWT VC, whose ``document`` is its processed, disclosed claims); ``enveloped``
    says it came as an ``EnvelopedVerifiableCredential``/``Presentation``. ``document`` is the
    credential or presentation as signed (a JWT's payload, the ``vc`` claim of a
    ``jwt_vc_json``), set only when its proof verified.
    """

    kind: Literal["credential", "presentation"]
    format: str
    checks: tuple[Check, ...]
    warnings: tuple[ReportWarning, ...] = ()
    credentials: tuple[VerificationReport, ...] = ()
    document: Mapping[str, Any] | None = None
    enveloped: bool = False

    @property
    def verified(self) -> bool:
        return all(c.status is not CheckStatus.FAILED for c in self.checks) and all(
            report.verified for report in self.credentials
        )

    @property
    def failed(self) -> tuple[Check, ...]:
        """The failed checks of this report (not of its credentials)."""
        return tuple(c for c in self.checks if c.status is CheckStatus.FAILED)

    def check(self, name: CheckName | str) -> Check:
        wanted = CheckName(name)
        for item in self.checks:
            if item.name is wanted:
                return item
        raise KeyError(f"the report has no {wanted} check")

    def to_dict(self, *, include_document: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "verified": self.verified,
            "kind": self.kind,
            "format": self.format,
            "enveloped": self.enveloped,
            "checks": [c.to_dict() for c in self.checks],
            "warnings": [w.to_dict() for w in self.warnings],
        }
        if self.kind == "presentation":
            body["credentials"] = [
                r.to_dict(include_document=include_document) for r in self.credentials
            ]
        if include_document and self.document is not None:
            body["document"] = dict(self.document)
        return body

    def to_vc_api(self) -> dict[str, Any]:
        """The VC API ``VerificationResult``: ``{verified, checks, warnings, errors}``.

        ``checks`` names the checks that ran (passed or failed) for the input itself;
        ``errors`` has one ProblemDetails per failed check, those of embedded credentials with
        ``instance`` ``#/verifiableCredential/<i>``.
        """
        errors = [c.to_problem() for c in self.failed]
        warnings = [w.to_problem() for w in self.warnings]
        for index, report in enumerate(self.credentials):
            instance = f"#/verifiableCredential/{index}"
            errors.extend(c.to_problem(instance=instance) for c in report.failed)
            warnings.extend(w.to_problem(instance=instance) for w in report.warnings)
        return {
            "verified": self.verified,
            "checks": [str(c.name) for c in self.checks if c.status is not CheckStatus.SKIPPED],
            "warnings": warnings,
            "errors": errors,
        }
