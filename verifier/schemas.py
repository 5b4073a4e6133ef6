"""Request and response bodies of the verifier's HTTP API (pydantic).

* mcred's own ``POST /api/v1/verify``: :class:`VerifyRequest` in, :class:`VerificationReportOut`
  out (the full report, ``200`` whatever the verdict).
* The W3C VC API (``/credentials/verify``, ``/presentations/verify``):
  :class:`VcApiVerifyCredentialRequest` / :class:`VcApiVerifyPresentationRequest` in,
  :class:`VcApiVerificationResult` out. ``options`` accepts members we do not use (other VC API
  implementations send them); ``checks`` can leave out ``status`` (see
  :class:`~verifier.policy.VerificationOptions`).

The response models document the API; the routes render reports with
:meth:`~verifier.report.VerificationReport.to_dict` / ``to_vc_api``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from verifier.policy import VerificationOptions

__all__ = [
    "CheckOut",
    "ProblemOut",
    "VcApiOptions",
    "VcApiVerificationResult",
    "VcApiVerifyCredentialRequest",
    "VcApiVerifyPresentationRequest",
    "VerificationReportOut",
    "VerifyOptionsIn",
    "VerifyRequest",
    "WarningOut",
]

_MAX_CHALLENGE = 1024
_MAX_DOMAIN = 2048
_MAX_CHECKS = 16


class VerifyOptionsIn(BaseModel):
    """Options of ``POST /api/v1/verify``."""

    model_config = ConfigDict(extra="forbid")

    challenge: str | None = Field(
        default=None,
        max_length=_MAX_CHALLENGE,
        description="The challenge (nonce) the holder was asked to sign (presentations).",
    )
    domain: str | None = Field(
        default=None,
        max_length=_MAX_DOMAIN,
        description="The domain (audience) the holder was asked to sign (presentations).",
    )
    force_fresh_status: bool = Field(
        default=False, description="Fetch status lists anew, bypassing caches."
    )

    def to_options(self) -> VerificationOptions:
        return VerificationOptions(
            challenge=self.challenge,
            domain=self.domain,
            force_fresh_status=self.force_fresh_status,
        )


class VerifyRequest(BaseModel):
    """Exactly one of ``credential``, ``presentation`` or ``jwt``.

    ``credential``/``presentation`` take a JSON object (Data Integrity, or an
    ``EnvelopedVerifiableCredential``/``Presentation``) or a compact JWT; ``jwt`` takes a
    compact JWT and tells credential from presentation by its ``typ``.
    """

    model_config = ConfigDict(extra="forbid")

    credential: dict[str, Any] | str | None = None
    presentation: dict[str, Any] | str | None = None
    jwt: str | None = None
    options: VerifyOptionsIn = Field(default_factory=VerifyOptionsIn)

    @model_validator(mode="after")
    def _exactly_one(self) -> VerifyRequest:
        given = [n for n in ("credential", "presentation", "jwt") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of 'credential', 'presentation' or 'jwt'"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self


class VcApiOptions(BaseModel):
    """``options`` of the VC API verify requests (unknown members are ignored)."""

    model_config = ConfigDict(extra="ignore")

    checks: list[str] | None = Field(default=None, max_length=_MAX_CHECKS)
    challenge: str | None = Field(default=None, max_length=_MAX_CHALLENGE)
    domain: str | None = Field(default=None, max_length=_MAX_DOMAIN)

    def to_options(self) -> VerificationOptions:
        return VerificationOptions(
            challenge=self.challenge,
            domain=self.domain,
            checks=frozenset(self.checks) if self.checks is not None else None,
        )


class VcApiVerifyCredentialRequest(BaseModel):
    """VC API ``VerifyCredentialRequest`` / ``VerifyEnvelopedCredentialRequest``."""

    model_config = ConfigDict(extra="ignore")

    verifiableCredential: dict[str, Any] | str
    options: VcApiOptions = Field(default_factory=VcApiOptions)


class VcApiVerifyPresentationRequest(BaseModel):
    """VC API ``VerifyPresentationRequest`` / ``VerifyEnvelopedPresentationRequest``."""

    model_config = ConfigDict(extra="ignore")

    verifiablePresentation: dict[str, Any] | str
    options: VcApiOptions = Field(default_factory=VcApiOptions)


# -- responses (documentation) ----------------------------------------------------------------


class CheckOut(BaseModel):
    name: str = Field(examples=["proof"])
    status: Literal["passed", "failed", "skipped"]
    code: str = Field(examples=["ok", "invalid_signature", "STATUS_RETRIEVAL_ERROR"])
    message: str
    problem_type: str | None = Field(
        default=None, examples=["https://w3id.org/security#PROOF_VERIFICATION_ERROR"]
    )
    details: dict[str, Any] | None = None


class WarningOut(BaseModel):
    code: str
    message: str


class VerificationReportOut(BaseModel):
    verified: bool
    kind: Literal["credential", "presentation"]
    format: str = Field(examples=["data_integrity", "vc+jwt", "jwt_vc_json", "vp+jwt", "dc+sd-jwt"])
    enveloped: bool
    checks: list[CheckOut]
    warnings: list[WarningOut]
    credentials: list[VerificationReportOut] | None = Field(
        default=None, description="Presentations only: one report per embedded credential."
    )
    document: dict[str, Any] | None = Field(
        default=None, description="The credential or presentation as signed (proof verified)."
    )


class ProblemOut(BaseModel):
    """RFC 9457 ProblemDetails (VCDM 2.0 §7.2)."""

    type: str
    title: str
    detail: str
    code: str
    check: str | None = None
    instance: str | None = None


class VcApiVerificationResult(BaseModel):
    verified: bool
    checks: list[str] = Field(examples=[["well_formed", "proof", "issuer_key", "validity"]])
    warnings: list[ProblemOut]
    errors: list[ProblemOut]
