"""The issuer's errors: one small tree, mapped to HTTP once (in ``mcred.problems``).

::

    IssuerError                    status, code, message
    ├── InvalidRequest        400  the request cannot be acted on as sent
    ├── Unauthorized          401  no or unknown API key
    ├── Forbidden             403  the key's role or alliance does not allow it
    ├── NotFound              404  no such credential, list, alliance, specification, key
    ├── Conflict              409  revoked twice, reinstating a revoked credential, idempotency
    └── MandateMissing        422  an awarding body gave no valid mandate for this award
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "Conflict",
    "Forbidden",
    "InvalidRequest",
    "IssuerError",
    "MandateMissing",
    "NotFound",
    "Unauthorized",
]


class IssuerError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "issuer_error"

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = dict(details or {})

    def to_problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"urn:mcred:problem:{self.code}",
            "title": type(self).__name__,
            "detail": self.message,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


class InvalidRequest(IssuerError):
    status_code = 400
    code = "invalid_request"


class Unauthorized(IssuerError):
    status_code = 401
    code = "unauthorized"


class Forbidden(IssuerError):
    status_code = 403
    code = "forbidden"


class NotFound(IssuerError):
    status_code = 404
    code = "not_found"


class Conflict(IssuerError):
    status_code = 409
    code = "conflict"


class MandateMissing(IssuerError):
    status_code = 422
    code = "mandate_missing"
