"""HTTP routes of the verifier role (FastAPI). They read the body, call the verifier, return.

* ``POST /api/v1/verify`` — mcred's API: the full report, ``200`` whether or not the
  credential verified (the report says why); ``400`` only for input that cannot be verified at
  all (not JSON, not a JWT, no credential in it); ``413`` over the body cap.
* ``POST /credentials/verify`` and ``POST /presentations/verify`` — the W3C VC API
  (w3c-ccg/vc-api ``verifier.yml``): ``{verified, checks, warnings, errors}``, ``200`` when
  verified and ``400`` with the same shape when not — what the W3C Data Integrity test suites
  assert (``verificationFail``: status ``400`` or ``422``; the VCDM 2.0 suite treats a status
  ``>= 400`` or a non-empty ``errors`` as a rejection).

Verifying needs no authentication (verifiers are public), but the body is capped
(``max_body_bytes``, 256 KiB by default) while it is read, before any parsing; bodies must be
strict JSON (no duplicate member names, no ``NaN``). Verification resolves DIDs and fetches
status lists with blocking I/O, so it runs in the thread pool. Responses are ``no-store``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from vc_core.errors import MalformedInputError
from verifier.errors import InputTooLargeError, UnverifiableInputError
from verifier.formats import load_json
from verifier.policy import DEFAULT_MAX_INPUT_BYTES
from verifier.report import VerificationReport
from verifier.schemas import (
    ProblemOut,
    VcApiVerificationResult,
    VcApiVerifyCredentialRequest,
    VcApiVerifyPresentationRequest,
    VerificationReportOut,
    VerifyRequest,
)
from verifier.service import Verifier

__all__ = ["DEFAULT_MAX_BODY_BYTES", "build_verifier_router"]

DEFAULT_MAX_BODY_BYTES = DEFAULT_MAX_INPUT_BYTES + 4096
"""The largest request body read: the largest input plus room for ``options``."""
PROBLEM_JSON = "application/problem+json"
_NO_STORE = {"Cache-Control": "no-store"}
_Body = TypeVar("_Body", bound=BaseModel)


# -- the body -------------------------------------------------------------------------------


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise InputTooLargeError(
            f"the request body is {declared} bytes; at most {limit} are accepted",
            details={"max_body_bytes": limit},
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InputTooLargeError(
                f"the request body is over {limit} bytes", details={"max_body_bytes": limit}
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def _parse(request: Request, model: type[_Body], limit: int) -> _Body:
    data = load_json(await _read_body(request, limit), what="the request body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"loc": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        raise UnverifiableInputError(
            f"the request body is not a {model.__name__}: "
            + "; ".join(f"{e['loc'] or 'body'}: {e['message']}" for e in errors),
            details={"errors": errors},
        ) from None


def _status_of(exc: MalformedInputError) -> int:
    return exc.status_code if isinstance(exc, UnverifiableInputError) else 400


def _problem(exc: MalformedInputError) -> JSONResponse:
    status = _status_of(exc)
    return JSONResponse(
        {**exc.to_problem(), "status": status},
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=_NO_STORE,
    )


def _vc_api_error(exc: MalformedInputError) -> JSONResponse:
    body = {"verified": False, "checks": [], "warnings": [], "errors": [exc.to_problem()]}
    return JSONResponse(body, status_code=_status_of(exc), headers=_NO_STORE)


def _vc_api_result(report: VerificationReport) -> JSONResponse:
    return JSONResponse(
        report.to_vc_api(), status_code=200 if report.verified else 400, headers=_NO_STORE
    )


def _request_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting ``model`` as the JSON body (``$defs`` inlined)."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return inline({**definitions[ref.rsplit("/", 1)[1]], **rest})
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline(schema)}},
        }
    }


_INPUT_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ProblemOut, "description": "not JSON, not a JWT, not a credential"},
    413: {"model": ProblemOut, "description": "the body is over the verifier's cap"},
}


# -- the router -----------------------------------------------------------------------------


def build_verifier_router(
    verifier: Verifier, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> APIRouter:
    router = APIRouter(tags=["verifier"])

    def run_verify(body: VerifyRequest) -> VerificationReport:
        options = body.options.to_options()
        if body.credential is not None:
            return verifier.verify_credential(body.credential, options=options)
        if body.presentation is not None:
            return verifier.verify_presentation(body.presentation, options=options)
        return verifier.verify_jwt(body.jwt or "", options=options)

    @router.post(
        "/api/v1/verify",
        summary="Verify a credential or presentation: the full report",
        description=(
            "Runs every check (well_formed, proof, issuer_key, validity, status, issuer_trust, "
            "completeness; for presentations also holder_key, holder_binding, credentials) and "
            "answers 200 with the report, verified or not."
        ),
        openapi_extra=_request_body(VerifyRequest),
        responses={200: {"model": VerificationReportOut}, **_INPUT_ERRORS},
    )
    async def verify(request: Request) -> JSONResponse:
        try:
            body = await _parse(request, VerifyRequest, max_body_bytes)
            report = await run_in_threadpool(run_verify, body)
        except MalformedInputError as exc:
            return _problem(exc)
        return JSONResponse(report.to_dict(), headers=_NO_STORE)

    def vc_api(
        model: type[_Body], run: Callable[[_Body], VerificationReport]
    ) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> JSONResponse:
            try:
                body = await _parse(request, model, max_body_bytes)
                report = await run_in_threadpool(run, body)
            except MalformedInputError as exc:
                return _vc_api_error(exc)
            return _vc_api_result(report)

        return endpoint

    vc_api_responses: dict[int | str, dict[str, Any]] = {
        200: {"model": VcApiVerificationResult, "description": "verified"},
        400: {
            "model": VcApiVerificationResult,
            "description": "not verified (errors says why), or invalid input",
        },
        413: {"model": VcApiVerificationResult, "description": "the body is over the cap"},
    }
    router.add_api_route(
        "/credentials/verify",
        vc_api(
            VcApiVerifyCredentialRequest,
            lambda body: verifier.verify_credential(
                body.verifiableCredential, options=body.options.to_options()
            ),
        ),
        methods=["POST"],
        summary="W3C VC API: verify a credential",
        openapi_extra=_request_body(VcApiVerifyCredentialRequest),
        responses=vc_api_responses,
        name="vc_api_verify_credential",
    )
    router.add_api_route(
        "/presentations/verify",
        vc_api(
            VcApiVerifyPresentationRequest,
            lambda body: verifier.verify_presentation(
                body.verifiablePresentation, options=body.options.to_options()
            ),
        ),
        methods=["POST"],
        summary="W3C VC API: verify a presentation and its credentials",
        openapi_extra=_request_body(VcApiVerifyPresentationRequest),
        responses=vc_api_responses,
        name="vc_api_verify_presentation",
    )
    return router
