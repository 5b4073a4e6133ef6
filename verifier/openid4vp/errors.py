"""The OpenID4VP error tree; every error is one OpenID4VP 1.0 / OAuth 2.0 wire code.

A subclass only sets ``error`` (the spec's code, OID4VP 1.0 §8.5 and RFC 6749 §4.1.2.1) and
``status``; :mod:`verifier.routes` maps the whole tree to the wire once: ``to_body()`` for the
wallet-facing endpoints (``request_uri``, ``response_uri``) and ``to_problem()`` (RFC 9457) for
mcred's ``/api/v1/presentation-requests``::

    OpenId4VpError
    ├── InvalidRequest               invalid_request (400): a malformed request or response,
    │   │                            an unknown claim, a DCQL query we cannot read
    │   ├── UnknownState             a response whose ``state`` names no request
    │   ├── RequestAlreadyAnswered   the request was answered once already (replay)
    │   └── RequestExpired           the request's lifetime is over
    ├── AccessDenied                 access_denied (403): a same-device result fetched
    │                                without its ``response_code``
    ├── VpFormatsNotSupported        vp_formats_not_supported (400): no format both sides know
    ├── InvalidRequestUriMethod      invalid_request_uri_method (400): neither ``get`` nor ``post``
    └── RequestNotFound              not_found (404): no such presentation request (or its
                                     request object is no longer served)

Descriptions are ASCII (RFC 6749 §4.1.2.1: ``error_description`` is ASCII only).
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AccessDenied",
    "InvalidRequest",
    "InvalidRequestUriMethod",
    "OpenId4VpError",
    "RequestAlreadyAnswered",
    "RequestExpired",
    "RequestNotFound",
    "UnknownState",
    "VpFormatsNotSupported",
]

_PROBLEM_BASE = "https://openid.net/specs/openid-4-verifiable-presentations-1_0.html#"


class OpenId4VpError(Exception):
    """Base of the tree: ``error`` is the wire code, ``status`` the HTTP status."""

    error: ClassVar[str] = "server_error"
    status: ClassVar[int] = 400

    def __init__(self, description: str = "") -> None:
        super().__init__(description or self.error)
        self.description = description.encode("ascii", "replace").decode("ascii")

    def to_body(self) -> dict[str, str]:
        """``{"error", "error_description"?}`` (RFC 6749 §4.1.2.1, OID4VP 1.0 §8.5)."""
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body

    def to_problem(self) -> dict[str, Any]:
        """RFC 9457 ProblemDetails, ``code`` being the OAuth error code."""
        return {
            "type": _PROBLEM_BASE + "section-8.5",
            "title": self.error.replace("_", " "),
            "detail": self.description or self.error,
            "code": self.error,
            "status": self.status,
        }


class InvalidRequest(OpenId4VpError):
    error = "invalid_request"


class UnknownState(InvalidRequest):
    """The ``state`` of an Authorization Response names no presentation request (§8.2)."""


class RequestAlreadyAnswered(InvalidRequest):
    """Requests answer once: a second response is refused and changes nothing."""


class RequestExpired(InvalidRequest):
    """The presentation request's lifetime is over."""


class AccessDenied(OpenId4VpError):
    error = "access_denied"
    status = 403


class VpFormatsNotSupported(OpenId4VpError):
    error = "vp_formats_not_supported"


class InvalidRequestUriMethod(OpenId4VpError):
    error = "invalid_request_uri_method"


class RequestNotFound(OpenId4VpError):
    error = "not_found"
    status = 404
