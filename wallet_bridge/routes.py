"""HTTP routes of the wallet bridge (FastAPI). They parse, call :class:`WalletBridge`, return.

* ``GET /.well-known/openid-credential-issuer`` (§12.2.2),
  ``GET /.well-known/oauth-authorization-server`` and ``/.well-known/openid-configuration``
  (RFC 8414; brief §5.1: some wallets look there);
* ``GET /oid4vci/offers/{id}``: the ``credential_offer_uri`` target (§4.1.3);
* ``POST /oid4vci/token`` (form-encoded, §6), ``POST /oid4vci/nonce`` (§7, ``no-store``),
  ``POST /oid4vci/credential`` (Bearer, §8; 202 when deferred), ``POST /oid4vci/deferred``
  (Bearer, §9; 200 or 202), ``POST /oid4vci/notification`` (§11, 204);
* ``GET /.well-known/jwt-vc-issuer[<path of iss>]``: JWT VC Issuer Metadata
  (draft-ietf-oauth-sd-jwt-vc §3), and ``GET /vct/{…}``: SD-JWT VC Type Metadata at its
  ``vct`` URL (§4), served byte for byte (``vct#integrity`` hashes those bytes).

Errors of :mod:`wallet_bridge.errors` are mapped to the wire in one place (:func:`_error`).
Request bodies are capped; an oversized or unreadable body gets the endpoint's
"malformed request" code.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from wallet_bridge.errors import (
    InvalidCredentialRequest,
    InvalidNotificationRequest,
    InvalidRequest,
    WalletBridgeError,
)
from wallet_bridge.service import WalletBridge

__all__ = ["MAX_BODY_BYTES", "build_wallet_bridge_router"]

MAX_BODY_BYTES = 64 * 1024
"""Cap on request bodies: 5 proofs and a request object fit easily."""

_NO_STORE = {"Cache-Control": "no-store"}
_PUBLIC = {"Access-Control-Allow-Origin": "*"}
_DISCOVERY = {**_PUBLIC, "Cache-Control": "public, max-age=300"}
"""Key sets change on rotation only; a few minutes of caching keep verifiers fast."""


def _error(exc: WalletBridgeError) -> JSONResponse:
    return JSONResponse(exc.to_body(), status_code=exc.status, headers=exc.headers())


async def _read_capped(request: Request, malformed: type[WalletBridgeError]) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise malformed(f"the request body exceeds {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise malformed(f"the request body exceeds {MAX_BODY_BYTES} bytes")
    return bytes(body)


async def _json_body(request: Request, malformed: type[WalletBridgeError]) -> Any:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise malformed("the request body must be application/json")
    raw = await _read_capped(request, malformed)
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise malformed("the request body is not valid JSON") from exc


async def _form_body(request: Request) -> dict[str, str]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise InvalidRequest("the token request must be application/x-www-form-urlencoded")
    raw = await _read_capped(request, InvalidRequest)
    try:
        pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, strict_parsing=bool(raw))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest("the token request is not a valid form") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:  # RFC 6749 §3.2: parameters MUST NOT be included more than once
            raise InvalidRequest(f"parameter {name!r} is repeated")
        form[name] = value
    return form


def _accept_language(header: str) -> list[str]:
    """Primary language tags of ``Accept-Language`` (RFC 9110 §12.5.4), best first."""
    weighted: list[tuple[float, str]] = []
    for part in header.split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().split("-")[0].lower()
        if primary and primary != "*" and quality > 0:
            weighted.append((quality, primary))
    return [tag for _, tag in sorted(weighted, key=lambda pair: -pair[0])]


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _handled(
    endpoint: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except WalletBridgeError as exc:
            return _error(exc)

    return run


def build_wallet_bridge_router(service: WalletBridge) -> APIRouter:
    """The OID4VCI 1.0 wire of ``service``; mount it at the Credential Issuer's root."""
    router = APIRouter(tags=["oid4vci"])

    async def issuer_metadata(request: Request) -> Response:
        languages = _accept_language(request.headers.get("accept-language", ""))
        return JSONResponse(
            service.issuer_metadata(languages), headers={**_PUBLIC, "Vary": "Accept-Language"}
        )

    async def as_metadata(request: Request) -> Response:
        return JSONResponse(service.authorization_server_metadata(), headers=_PUBLIC)

    async def jwt_vc_issuer(request: Request) -> Response:
        body = service.jwt_vc_issuer_metadata(request.path_params["issuer_path"])
        return JSONResponse(body, headers=_DISCOVERY)

    async def type_metadata(request: Request) -> Response:
        document = service.type_metadata(request.path_params["vct_path"])
        return Response(document, media_type="application/json", headers=_DISCOVERY)

    async def offer(request: Request) -> Response:
        body = service.offer_by_reference(request.path_params["offer_id"])
        return JSONResponse(body, headers=_NO_STORE)

    async def token(request: Request) -> Response:
        return JSONResponse(service.token(await _form_body(request)), headers=_NO_STORE)

    async def nonce(request: Request) -> Response:
        return JSONResponse(service.nonce(), headers=_NO_STORE)

    async def credential(request: Request) -> Response:
        token = service.authenticate(_bearer(request))  # RFC 6750: before the body
        body = await _json_body(request, InvalidCredentialRequest)
        result = service.credential(token, body)
        return JSONResponse(result.body, status_code=result.status, headers=_NO_STORE)

    async def deferred(request: Request) -> Response:
        token = service.authenticate(_bearer(request))  # RFC 6750: before the body
        body = await _json_body(request, InvalidCredentialRequest)
        result = service.deferred(token, body)
        return JSONResponse(result.body, status_code=result.status, headers=_NO_STORE)

    async def notification(request: Request) -> Response:
        token = service.authenticate(_bearer(request))
        body = await _json_body(request, InvalidNotificationRequest)
        service.notification(token, body)
        return Response(status_code=204)

    for path, handler, method in (
        ("/.well-known/openid-credential-issuer", issuer_metadata, "GET"),
        ("/.well-known/oauth-authorization-server", as_metadata, "GET"),
        ("/.well-known/openid-configuration", as_metadata, "GET"),
        ("/.well-known/jwt-vc-issuer{issuer_path:path}", jwt_vc_issuer, "GET"),
        ("/vct/{vct_path:path}", type_metadata, "GET"),
        ("/oid4vci/offers/{offer_id}", offer, "GET"),
        ("/oid4vci/token", token, "POST"),
        ("/oid4vci/nonce", nonce, "POST"),
        ("/oid4vci/credential", credential, "POST"),
        ("/oid4vci/deferred", deferred, "POST"),
        ("/oid4vci/notification", notification, "POST"),
    ):
        router.add_api_route(path, _handled(handler), methods=[method], include_in_schema=True)
    return router
