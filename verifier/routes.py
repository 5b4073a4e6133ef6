"""HTTP routes of the verifier role (FastAPI). They read the body, call the verifier, return.

* ``POST /api/v1/verify`` — mcred's API: the full report, ``200`` whether or not the
  credential verified (the report says why); ``400`` only for input that cannot be verified at
  all (not JSON, not a JWT, no credential in it); ``413`` over the body cap.
* ``POST /credentials/verify`` and ``POST /presentations/verify`` — the W3C VC API
  (w3c-ccg/vc-api ``verifier.yml``): ``{verified, checks, warnings, errors}``, ``200`` when
  verified and ``400`` with the same shape when not — what the W3C Data Integrity test suites
  assert (``verificationFail``: status ``400`` or ``422``; the VCDM 2.0 suite treats a status
  ``>= 400`` or a non-empty ``errors`` as a rejection).

OpenID4VP 1.0 (:func:`build_presentation_request_router`, :mod:`verifier.openid4vp`):

* ``POST /api/v1/presentation-requests`` (API key) — what to ask for → ``201``
  ``{id, request_url, request_uri, expires_at, dcql_query}``, ``request_url`` being the
  ``openid4vp://`` link for a QR code or a same-device link;
* ``GET /api/v1/presentation-requests/{id}`` (API key) — ``pending``, ``expired`` or
  ``answered`` with the report (same-device: with ``?response_code=``);
* ``GET|POST {request_path}/{state}`` — the ``request_uri``: the Request Object,
  ``application/oauth-authz-req+jwt`` (POST: ``wallet_metadata``, ``wallet_nonce``, §5.10);
* ``POST {response_path}`` — the ``response_uri`` (``direct_post``, form-encoded
  ``vp_token`` + ``state``): ``200`` ``{}`` or ``{"redirect_uri": …}``.

Errors of :mod:`verifier.openid4vp.errors` are written once here: ``{error,
error_description}`` on the wallet-facing endpoints, ProblemDetails (``code`` = the OAuth
code) on ``/api/v1``. The API-key check is injected (``authenticate``): the verifier role does
not know the issuer's keys; whatever it raises reaches the app's error handlers.

Verifying needs no authentication (verifiers are public), but the body is capped
(``max_body_bytes``, 256 KiB by default) while it is read, before any parsing; bodies must be
strict JSON (no duplicate member names, no ``NaN``). Verification resolves DIDs and fetches
status lists with blocking I/O, so it runs in the thread pool. Responses are ``no-store``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from vc_core.errors import MalformedInputError
from vc_core.json_codec import dump_bytes
from vc_core.model.elm import stacked_parts
from verifier.errors import InputTooLargeError, UnverifiableInputError
from verifier.formats import REENCODED_GROWTH, load_json
from verifier.openid4vp.errors import InvalidRequest, OpenId4VpError
from verifier.openid4vp.request import REQUEST_OBJECT_MEDIA_TYPE
from verifier.openid4vp.service import PresentationRequests
from verifier.policy import DEFAULT_MAX_INPUT_BYTES, VerificationOptions
from verifier.report import VerificationReport
from verifier.schemas import (
    DirectPostResultOut,
    OAuthErrorOut,
    PresentationRequestCreatedOut,
    PresentationRequestIn,
    PresentationRequestStatusOut,
    ProblemOut,
    VcApiVerificationResult,
    VcApiVerifyCredentialRequest,
    VcApiVerifyPresentationRequest,
    VerificationReportOut,
    VerifyRequest,
)
from verifier.service import Verifier

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "MAX_DIRECT_POST_BYTES",
    "Authenticate",
    "build_presentation_request_router",
    "build_verifier_router",
    "read_capped_body",
]

DEFAULT_MAX_BODY_BYTES = DEFAULT_MAX_INPUT_BYTES + 4096
"""The largest request body read: the largest input plus room for ``options``."""
MAX_DIRECT_POST_BYTES = 1024 * 1024
"""The largest ``direct_post`` body: a form-encoded ``vp_token`` (percent-encoding JSON about
doubles it) with a presentation of up to the verifier's input cap."""
PROBLEM_JSON = "application/problem+json"
_NO_STORE = {"Cache-Control": "no-store"}
_Body = TypeVar("_Body", bound=BaseModel)
_Result = TypeVar("_Result")


# -- the body -------------------------------------------------------------------------------


async def read_capped_body(request: Request, limit: int) -> bytes:
    """The body, refused (:class:`InputTooLargeError`, 413) as soon as it passes ``limit``
    bytes (the declared ``Content-Length`` first, then what actually arrives)."""
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


def _validate(raw: bytes, model: type[_Body]) -> _Body:
    data = load_json(raw, what="the request body")
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


def _report_json(content: dict[str, Any], status_code: int = 200) -> Response:
    """A report as ``application/json`` (orjson: reports are large and sent on every call)."""
    return Response(
        dump_bytes(content),
        status_code=status_code,
        media_type="application/json",
        headers=_NO_STORE,
    )


def _vc_api_result(report: VerificationReport) -> Response:
    return _report_json(report.to_vc_api(), 200 if report.verified else 400)


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


class VerificationRunner(Protocol):
    """Runs one verification (a blocking call) of a request body of ``size`` bytes for an
    endpoint: by default in a worker thread (:func:`~fastapi.concurrency.run_in_threadpool`),
    so that the event loop never waits on a DID or status list fetch; the composition root may
    pass a runner that verifies small bodies on the event loop when nothing has to be fetched
    (:func:`mcred.verification.run_offline_first`)."""

    def __call__(self, call: Callable[[], _Result], *, size: int) -> Awaitable[_Result]: ...


def _in_threadpool(call: Callable[[], _Result], *, size: int) -> Awaitable[_Result]:
    return run_in_threadpool(call)


def build_verifier_router(
    verifier: Verifier,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    run: VerificationRunner = _in_threadpool,
) -> APIRouter:
    """``POST /api/v1/verify`` and the W3C VC API's verify endpoints over ``verifier``; each
    verification is run by ``run`` (see :class:`VerificationRunner`)."""
    router = APIRouter(tags=["verifier"])

    def run_verify(body: VerifyRequest, body_bytes: int) -> dict[str, Any]:
        """The report; a stacked credential's also lists its parts (checked when given)."""
        options = body.options.to_options()
        if body.credential is not None and body.parts is not None:
            return verifier.verify_stacked(body.credential, body.parts, options=options).to_dict()
        report = _run_verify(body, options, REENCODED_GROWTH * body_bytes)
        out = report.to_dict()
        named = stacked_parts(report.document) if report.document is not None else ()
        if named:
            out["parts"] = [part.to_dict() for part in named]
        return out

    def _run_verify(
        body: VerifyRequest, options: VerificationOptions, size_at_most: int
    ) -> VerificationReport:
        if body.credential is not None:
            return verifier.verify_credential(
                body.credential, options=options, size_at_most=size_at_most
            )
        if body.presentation is not None:
            return verifier.verify_presentation(
                body.presentation, options=options, size_at_most=size_at_most
            )
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
    async def verify(request: Request) -> Response:
        try:
            raw = await read_capped_body(request, max_body_bytes)
            body = _validate(raw, VerifyRequest)
            result = await run(partial(run_verify, body, len(raw)), size=len(raw))
        except MalformedInputError as exc:
            return _problem(exc)
        return _report_json(result)

    def vc_api(
        model: type[_Body], verify_body: Callable[[_Body], VerificationReport]
    ) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            try:
                raw = await read_capped_body(request, max_body_bytes)
                body = _validate(raw, model)
                report = await run(partial(verify_body, body), size=len(raw))
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


# -- OpenID4VP --------------------------------------------------------------------------------

Authenticate = Callable[[str | None], str]
"""``Authorization`` header value → a label of the caller (stored as ``requested_by``);
raises when the caller may not use the API (the app's handlers answer ``401``/``403``)."""
_FORM = "application/x-www-form-urlencoded"


async def _form(request: Request, limit: int) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (UTF-8), each parameter at most once."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != _FORM:
        raise InvalidRequest(f"the body must be {_FORM}")
    try:
        raw = await read_capped_body(request, limit)
    except InputTooLargeError as exc:
        raise InvalidRequest(exc.message) from None
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw))
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("the body is not a valid UTF-8 form") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:  # RFC 6749 §3.1: parameters MUST NOT be included more than once
            raise InvalidRequest(f"parameter {name!r} is repeated")
        form[name] = value
    return form


def _oauth_error(exc: OpenId4VpError) -> JSONResponse:
    return JSONResponse(exc.to_body(), status_code=exc.status, headers=_NO_STORE)


def _api_error(exc: OpenId4VpError) -> JSONResponse:
    return JSONResponse(
        exc.to_problem(), status_code=exc.status, media_type=PROBLEM_JSON, headers=_NO_STORE
    )


_Endpoint = Callable[[Request], Awaitable[Response]]


def _handled(endpoint: _Endpoint, render: Callable[[OpenId4VpError], JSONResponse]) -> _Endpoint:
    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except OpenId4VpError as exc:
            return render(exc)

    return run


def build_presentation_request_router(
    service: PresentationRequests,
    *,
    authenticate: Authenticate | None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_direct_post_bytes: int = MAX_DIRECT_POST_BYTES,
) -> APIRouter:
    """The OpenID4VP wire of ``service`` (module doc). ``authenticate`` guards
    ``/api/v1/presentation-requests``; pass ``None`` only to leave that API open on purpose.
    The wallet-facing paths are those of the service's settings."""
    router = APIRouter(tags=["openid4vp"])
    request_path, response_path = service.settings.request_path, service.settings.response_path

    def caller(request: Request) -> str | None:
        if authenticate is None:
            return None
        return authenticate(request.headers.get("authorization"))

    async def create(request: Request) -> Response:
        requested_by = caller(request)
        data = await read_capped_body(request, max_body_bytes)
        try:
            body = PresentationRequestIn.model_validate(load_json(data, what="the body"))
        except UnverifiableInputError as exc:
            raise InvalidRequest(exc.message) from None
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
            )
            raise InvalidRequest(f"invalid presentation request: {problems}") from None
        created = await run_in_threadpool(
            lambda: service.create(body.to_what(), requested_by=requested_by)
        )
        out = PresentationRequestCreatedOut(
            id=created.id,
            request_url=created.request_url,
            request_uri=created.request_uri,
            expires_at=created.expires_at.isoformat(),
            dcql_query=dict(created.dcql_query),
        )
        return JSONResponse(out.model_dump(), status_code=201, headers=_NO_STORE)

    async def status(request: Request) -> Response:
        caller(request)
        found = await run_in_threadpool(
            lambda: service.status(
                request.path_params["request_id"],
                response_code=request.query_params.get("response_code"),
            )
        )
        return JSONResponse(found.to_dict(), headers=_NO_STORE)

    async def request_object(request: Request) -> Response:
        state = request.path_params["state"]
        if request.method == "POST":
            form = await _form(request, max_body_bytes)
            token = await run_in_threadpool(
                lambda: service.request_object(
                    state,
                    wallet_metadata=form.get("wallet_metadata"),
                    wallet_nonce=form.get("wallet_nonce"),
                )
            )
        else:
            token = await run_in_threadpool(service.request_object, state)
        return Response(token, media_type=REQUEST_OBJECT_MEDIA_TYPE, headers=_NO_STORE)

    async def direct_post(request: Request) -> Response:
        form = await _form(request, max_direct_post_bytes)
        body = await run_in_threadpool(service.respond, form)
        return JSONResponse(body, headers=_NO_STORE)

    oauth_errors: dict[int | str, dict[str, Any]] = {
        400: {"model": OAuthErrorOut, "description": "refused (OAuth error code)"},
        404: {"model": OAuthErrorOut, "description": "no such pending request"},
    }
    api_errors: dict[int | str, dict[str, Any]] = {
        400: {"model": ProblemOut, "description": "invalid_request, vp_formats_not_supported…"},
        401: {"model": ProblemOut, "description": "no or an unknown API key"},
    }
    router.add_api_route(
        "/api/v1/presentation-requests",
        _handled(create, _api_error),
        methods=["POST"],
        status_code=201,
        summary="Ask a learner's wallet for a credential (OpenID4VP): an openid4vp:// link",
        description=(
            "Creates a presentation request: a DCQL query for the alliance's credential type "
            "(every format it can be asked in, or those named; only the named claims), a fresh "
            "nonce, a signed Request Object by reference. Show request_url as a QR code "
            "(cross-device) or as a link (same-device, with redirect_uri). Requests expire and "
            "answer once."
        ),
        openapi_extra=_request_body(PresentationRequestIn),
        responses={201: {"model": PresentationRequestCreatedOut}, **api_errors},
        name="create_presentation_request",
    )
    router.add_api_route(
        "/api/v1/presentation-requests/{request_id}",
        _handled(status, _api_error),
        methods=["GET"],
        summary="A presentation request: pending, expired, or the report once answered",
        description=(
            "Poll until status is 'answered' (or 'expired'). A same-device request is shown "
            "answered only with ?response_code= (from the redirect), against session fixation."
        ),
        responses={
            200: {"model": PresentationRequestStatusOut},
            403: {"model": ProblemOut, "description": "access_denied: response_code missing"},
            404: {"model": ProblemOut, "description": "no such presentation request"},
            **api_errors,
        },
        name="presentation_request_status",
    )
    for method, note in (
        ("GET", ""),
        ("POST", " (request_uri_method=post: form with wallet_metadata, wallet_nonce)"),
    ):
        router.add_api_route(
            request_path + "/{state}",
            _handled(request_object, _oauth_error),
            methods=[method],
            summary="OpenID4VP request_uri: the Request Object" + note,
            responses={
                200: {"content": {REQUEST_OBJECT_MEDIA_TYPE: {"schema": {"type": "string"}}}},
                **oauth_errors,
            },
            name=f"openid4vp_request_object_{method.lower()}",
        )
    router.add_api_route(
        response_path,
        _handled(direct_post, _oauth_error),
        methods=["POST"],
        summary="OpenID4VP response_uri (direct_post): the wallet's vp_token and state",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    _FORM: {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "vp_token": {"type": "string"},
                                "state": {"type": "string"},
                                "error": {"type": "string"},
                                "error_description": {"type": "string"},
                            },
                            "required": ["state"],
                        }
                    }
                },
            }
        },
        responses={200: {"model": DirectPostResultOut}, **oauth_errors},
        name="openid4vp_response",
    )
    return router
