"""Errors raised by :mod:`vc_core`.

``vc_core`` raises only on input it cannot work with (malformed documents, unknown
contexts, bad keys). A *verification* that runs to the end never raises: it returns a
result object whose checks say what failed (see :mod:`vc_core.proofs`).

The tree::

    VcCoreError
    ├── MalformedInputError          the input is not what the spec allows
    │   ├── UnsafeJsonLdError        safe mode: a term or type does not expand to an absolute IRI
    │   ├── UnsafeValueError         a float that does not round-trip, a control character
    │   └── ContextNotAllowedError   a context URL outside contexts/manifest.json (never fetched)
    ├── KeyFormatError               a key or multikey/JWK encoding we refuse
    ├── DidError
    │   ├── DidSyntaxError           not a DID of the method claimed
    │   └── DidResolutionError       no DID document could be had for the DID
    ├── StatusListError              a status list that cannot be decoded or is too short
    │   └── StatusRangeError         an index or status value outside the list (RANGE_ERROR)
    └── ModelValidationError         micro-credential input that breaks rules (names every field)

Each error carries ``code`` (a stable machine-readable string) and ``problem_type``, the
ProblemDetails ``type`` URL from the spec that defines it (VCDM 2.0 §7.2, VC-DI §4.7,
Bitstring Status List §3.5), so that the web layer maps every error to the wire once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "VCDM_PROBLEM",
    "ContextNotAllowedError",
    "DidError",
    "DidResolutionError",
    "DidSyntaxError",
    "FieldError",
    "KeyFormatError",
    "MalformedInputError",
    "ModelValidationError",
    "StatusListError",
    "StatusRangeError",
    "UnsafeJsonLdError",
    "UnsafeValueError",
    "VcCoreError",
]

VCDM_PROBLEM = "https://www.w3.org/TR/vc-data-model#"
SECURITY_PROBLEM = "https://w3id.org/security#"
STATUS_PROBLEM = "https://www.w3.org/ns/credentials/status-list#"


class VcCoreError(Exception):
    """Base of every error :mod:`vc_core` raises."""

    code: ClassVar[str] = "vc_core_error"
    problem_type: ClassVar[str] = VCDM_PROBLEM + "PARSING_ERROR"

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def to_problem(self) -> dict[str, Any]:
        """RFC 9457 ProblemDetails body (``type``, ``title``, ``detail``, ``code``)."""
        body: dict[str, Any] = {
            "type": self.problem_type,
            "title": type(self).__name__,
            "detail": self.message,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


class MalformedInputError(VcCoreError):
    code = "malformed_input"
    problem_type = VCDM_PROBLEM + "MALFORMED_VALUE_ERROR"


class UnsafeJsonLdError(MalformedInputError):
    """Safe mode (VC-DI §2.4.3): data that would be silently dropped from the signature."""

    code = "unsafe_jsonld"
    problem_type = SECURITY_PROBLEM + "PROOF_TRANSFORMATION_ERROR"


class UnsafeValueError(MalformedInputError):
    code = "unsafe_value"


class ContextNotAllowedError(MalformedInputError):
    code = "context_not_allowed"
    problem_type = VCDM_PROBLEM + "PARSING_ERROR"


class KeyFormatError(VcCoreError):
    code = "key_format"
    problem_type = VCDM_PROBLEM + "MALFORMED_VALUE_ERROR"


class DidError(VcCoreError):
    code = "did_error"


class DidSyntaxError(DidError):
    code = "did_syntax"
    problem_type = VCDM_PROBLEM + "MALFORMED_VALUE_ERROR"


class DidResolutionError(DidError):
    code = "did_resolution"
    problem_type = SECURITY_PROBLEM + "PROOF_VERIFICATION_ERROR"


class StatusListError(VcCoreError):
    code = "status_list"
    problem_type = STATUS_PROBLEM + "STATUS_VERIFICATION_ERROR"

    def __init__(
        self,
        message: str,
        *,
        status_code: str = "STATUS_VERIFICATION_ERROR",
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.status_code = status_code

    def to_problem(self) -> dict[str, Any]:
        body = super().to_problem()
        body["type"] = STATUS_PROBLEM + self.status_code
        return body


@dataclass(frozen=True)
class FieldError:
    """One offending field: a dotted ``loc`` (``awarding_bodies.1.country``) and a message."""

    loc: str
    message: str
    type: str = "value_error"


class ModelValidationError(VcCoreError):
    """Model input broke one or more rules; ``errors`` names every offending field."""

    code = "invalid_model"
    problem_type = VCDM_PROBLEM + "MALFORMED_VALUE_ERROR"

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        listing = "; ".join(f"{e.loc}: {e.message}" for e in self.errors)
        super().__init__(
            f"{len(self.errors)} invalid field(s): {listing}",
            details={"errors": [e.__dict__ for e in self.errors]},
        )


class StatusRangeError(StatusListError):
    """An index or a status value outside the list (VCDM 2.0 §7.2 ``RANGE_ERROR``).

    Bitstring Status List §3.2: "If the credentialIndex multiplied by the size is a value
    outside of the range of the bitstring, a RANGE_ERROR MUST be raised." IETF Token Status List
    §8.3: an index out of bounds means the Referenced Token "MUST be rejected".
    """

    code = "status_range"
    problem_type = VCDM_PROBLEM + "RANGE_ERROR"

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, status_code="RANGE_ERROR", details=details)

    def to_problem(self) -> dict[str, Any]:
        body = super().to_problem()
        body["type"] = self.problem_type  # a VCDM code, not one of the status-list# codes
        return body
