"""Request and response bodies of the verifier's HTTP API (pydantic).

* mcred's own ``POST /api/v1/verify``: :class:`VerifyRequest` in, :class:`VerificationReportOut`
  out (the full report, ``200`` whatever the verdict).
* OpenID4VP presentation requests (``/api/v1/presentation-requests``):
  :class:`PresentationRequestIn` in, :class:`PresentationRequestCreatedOut` /
  :class:`PresentationRequestStatusOut` out; the wallet-facing endpoints answer
  :class:`DirectPostResultOut` or :class:`OAuthErrorOut`.
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

from verifier.openid4vp.service import WhatToAsk
from verifier.policy import VerificationOptions

__all__ = [
    "CheckOut",
    "DirectPostResultOut",
    "OAuthErrorOut",
    "PresentationRequestCreatedOut",
    "PresentationRequestIn",
    "PresentationRequestStatusOut",
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
    parts: list[dict[str, Any] | str] | None = Field(
        default=None,
        max_length=50,
        description="With ``credential``: the module credentials a stacked credential names "
        "(as received); each is matched by digest and verified",
    )
    options: VerifyOptionsIn = Field(default_factory=VerifyOptionsIn)

    @model_validator(mode="after")
    def _exactly_one(self) -> VerifyRequest:
        given = [n for n in ("credential", "presentation", "jwt") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of 'credential', 'presentation' or 'jwt'"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.parts is not None and self.credential is None:
            raise ValueError("'parts' go with a stacked 'credential'")
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


# -- OpenID4VP presentation requests ---------------------------------------------------------


class PresentationRequestIn(BaseModel):
    """What to ask the learner's wallet for (``POST /api/v1/presentation-requests``)."""

    model_config = ConfigDict(extra="forbid")

    alliance: str = Field(
        min_length=1,
        max_length=100,
        description="The alliance whose credential is asked for.",
        examples=["arqus"],
    )
    credential: str = Field(
        default="micro-credential",
        min_length=1,
        max_length=100,
        description="The credential type of that alliance.",
    )
    claims: list[str] | None = Field(
        default=None,
        max_length=32,
        description=(
            "Only these claims (names the credential type defines, e.g. 'learner', 'grade'); "
            "SD-JWT wallets then disclose nothing else. Omitted: no selectively disclosable "
            "claim is asked for."
        ),
        examples=[["learner", "title", "grade"]],
    )
    formats: list[str] | None = Field(
        default=None,
        max_length=3,
        description="Offer only these formats (dc+sd-jwt, ldp_vc, jwt_vc_json); default all.",
    )
    redirect_uri: str | None = Field(
        default=None,
        max_length=2048,
        description=(
            "Same-device flow: where the wallet sends the user after answering, with a "
            "'response_code' query parameter that GET .../{id} then needs. Omitted: "
            "cross-device (QR code) flow."
        ),
    )
    request_uri_method: str | None = Field(
        default=None,
        max_length=8,
        description="'get' or 'post' in the link (default: the server's setting).",
    )

    def to_what(self) -> WhatToAsk:
        return WhatToAsk(
            alliance=self.alliance,
            credential=self.credential,
            claims=tuple(self.claims) if self.claims is not None else None,
            formats=tuple(self.formats) if self.formats is not None else None,
            redirect_uri=self.redirect_uri,
            request_uri_method=self.request_uri_method,
        )


class PresentationRequestCreatedOut(BaseModel):
    id: str = Field(description="The handle for GET /api/v1/presentation-requests/{id}.")
    request_url: str = Field(
        description="The openid4vp:// link: show it as a QR code, or as a same-device link.",
        examples=["openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3A…"],
    )
    request_uri: str = Field(description="Where the wallet fetches the signed Request Object.")
    expires_at: str
    dcql_query: dict[str, Any] = Field(description="The DCQL query sent to the wallet.")


class PresentationRequestStatusOut(BaseModel):
    id: str
    status: Literal["pending", "expired", "answered"]
    created_at: str
    expires_at: str
    answered_at: str | None = None
    verified: bool | None = Field(
        default=None, description="Answered: the presentations satisfy the request and verified."
    )
    report: dict[str, Any] | None = Field(
        default=None,
        description=(
            "Answered with a vp_token: one entry per DCQL credential query, each presentation "
            "with its verification report and the requested claims found."
        ),
    )
    wallet_error: dict[str, str] | None = Field(
        default=None, description="Answered with an error by the wallet (e.g. access_denied)."
    )


class DirectPostResultOut(BaseModel):
    """The response_uri's answer to the wallet (OID4VP 1.0 §8.2)."""

    redirect_uri: str | None = Field(
        default=None, description="Same-device flow only: where the wallet sends the user."
    )


class OAuthErrorOut(BaseModel):
    error: str = Field(examples=["invalid_request", "vp_formats_not_supported"])
    error_description: str | None = None
