"""The one place where errors become HTTP responses (RFC 9457 ProblemDetails).

Every error a role or :mod:`vc_core` raises carries a machine-readable ``code``; this module
maps each error family to its status once, so routes never build error bodies themselves.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from issuer.errors import IssuerError
from vc_core.errors import (
    ContextNotAllowedError,
    DidResolutionError,
    MalformedInputError,
    ModelValidationError,
    VcCoreError,
)
from wallet_bridge.errors import WalletBridgeError

__all__ = ["install_problem_handlers", "problem_response"]

PROBLEM_JSON = "application/problem+json"
_UPSTREAM_FAILURES = frozenset({"notFound", "internalError"})


def problem_response(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse({**body, "status": status}, status_code=status, media_type=PROBLEM_JSON)


def _status_for(exc: VcCoreError) -> int:
    if isinstance(exc, ModelValidationError | ContextNotAllowedError):
        return 422
    if isinstance(exc, MalformedInputError):
        return 400
    if isinstance(exc, DidResolutionError):
        # the DID's host failed us (gateway error); a document we could read but must refuse
        # (notAuthorized, invalidDidDocument, revoked …) is the request's problem
        return 502 if exc.details.get("error") in _UPSTREAM_FAILURES else 422
    return 400


async def _vc_core_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VcCoreError)  # noqa: S101 - registered for this type only
    return problem_response(_status_for(exc), exc.to_problem())


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type only
    errors = [
        {"loc": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "type": e["type"]}
        for e in exc.errors()
    ]
    return problem_response(
        422,
        {
            "type": "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR",
            "title": "Invalid request",
            "detail": f"{len(errors)} invalid field(s)",
            "code": "invalid_request",
            "errors": errors,
        },
    )


async def _issuer_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IssuerError)  # noqa: S101 - registered for this type only
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    response = problem_response(exc.status_code, exc.to_problem())
    if headers:
        response.headers.update(headers)
    return response


async def _wallet_bridge_error(_: Request, exc: Exception) -> JSONResponse:
    """OpenID4VCI errors keep their own wire shape (``error``, ``error_description``)."""
    assert isinstance(exc, WalletBridgeError)  # noqa: S101 - registered for this type only
    return JSONResponse(exc.to_body(), status_code=exc.status, headers=exc.headers())


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(IssuerError, _issuer_error)
    app.add_exception_handler(WalletBridgeError, _wallet_bridge_error)
    app.add_exception_handler(VcCoreError, _vc_core_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
