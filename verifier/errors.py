"""Errors the verifier raises: only for input it cannot even start to verify.

A credential or presentation that *can* be read never raises, however broken: its
:class:`~verifier.report.VerificationReport` says which check failed and why (specs.md §1.3,
§11). The tree::

    vc_core.errors.MalformedInputError
    └── UnverifiableInputError      not JSON, not a compact JWS, not a credential-shaped input
        ├── UnsupportedFormatError  readable, but a securing format mcred does not verify
        │                           (an SD-JWT that is no SD-JWT VC, COSE, JWE, an
        │                           enveloped ``vp+sd-jwt``)
        └── InputTooLargeError      the request body is over the verifier's cap

``status_code`` is the HTTP status :mod:`verifier.routes` answers with (400, or 413 for
:class:`InputTooLargeError`); ``to_problem()`` gives the RFC 9457 body (VCDM 2.0 §7.2 types).
"""

from __future__ import annotations

from typing import ClassVar

from vc_core.errors import VCDM_PROBLEM, MalformedInputError

__all__ = ["InputTooLargeError", "UnsupportedFormatError", "UnverifiableInputError"]


class UnverifiableInputError(MalformedInputError):
    """The input is not JSON, not a JWT, or not shaped like what was asked to be verified."""

    code = "unverifiable_input"
    problem_type = VCDM_PROBLEM + "PARSING_ERROR"
    status_code: ClassVar[int] = 400


class UnsupportedFormatError(UnverifiableInputError):
    """A securing mechanism mcred does not verify (yet): COSE, JWE, non-VC SD-JWTs, ..."""

    code = "unsupported_format"


class InputTooLargeError(UnverifiableInputError):
    """The request body is larger than the verifier accepts (a denial-of-service guard)."""

    code = "input_too_large"
    status_code = 413
