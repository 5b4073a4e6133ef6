"""HTTP routes of credential shares (:mod:`mcred.shares`, ``docs/qr-payload.md``).

Admin API (bearer API keys, alliance scope as for the credential):

* ``POST /api/v1/credentials/{id}/shares`` ``{format?, ttl_days?}`` → ``201`` ``{share_id,
  share_url, expires_at, qr_svg, qr_png_base64, …}``. The QR images come inline: they encode
  the key, which the service does not keep, so they cannot be fetched later. ``no-store``.
* ``GET /api/v1/credentials/{id}/shares`` — the credential's shares (metadata, no links).
* ``DELETE /api/v1/shares/{share_id}`` → ``204``: revoked for good (again: ``204``).

Public:

* ``GET /shares/{share_id}`` — the envelope (``Access-Control-Allow-Origin: *``, so a page
  elsewhere can open it with the key in its own URL's fragment); ``404`` unknown, ``410``
  revoked or expired; ``no-store``.
* ``POST /api/v1/shares/verify`` ``{"url": "<the share link, with its #key>"}`` — the
  verification report of the shared credential, as ``POST /api/v1/verify`` answers it. No API
  key: the key in the link is the capability. The body is capped
  (:data:`MAX_VERIFY_BODY_BYTES`); the key is used for this request only, never stored or
  logged. ``400`` (with ``code``) for a link that is not a share link or whose key does not
  open the share, ``404``/``410`` as above, ``502`` when the link's host gives no envelope.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from issuer.api_keys import ApiKeyService
from issuer.errors import IssuerError
from mcred.offer_page import offer_qr, qr_png, qr_svg
from mcred.problems import problem_response
from mcred.shares import CreatedShare, ShareInfo, SharesService
from vc_core.errors import MalformedInputError
from vc_core.qr_payload import MAX_SHARE_URL_LENGTH
from verifier.errors import UnverifiableInputError
from verifier.formats import load_json
from verifier.routes import read_capped_body
from verifier.service import Verifier

__all__ = [
    "MAX_VERIFY_BODY_BYTES",
    "ShareCreated",
    "ShareOut",
    "ShareRequest",
    "ShareVerifyRequest",
    "build_share_router",
]

MAX_VERIFY_BODY_BYTES = 4096
"""The largest ``POST /api/v1/shares/verify`` body: one link (at most 2,048 characters)."""
_NO_STORE = {"Cache-Control": "no-store"}
_PUBLIC = {
    **_NO_STORE,
    "Access-Control-Allow-Origin": "*",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


class ShareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["ldp_vc", "jwt_vc_json"] | None = Field(
        None, description="The credential's form to share (default: ldp_vc if issued so)"
    )
    ttl_days: int | None = Field(
        None, ge=1, le=3650, description="Days the share lives (default 365; at most the limit)"
    )


class ShareCreated(BaseModel):
    """A new share: give the learner ``share_url`` or its QR code. Shown only here: the key
    in the link's fragment is not kept by the service."""

    share_id: str
    credential_id: str
    format: str
    share_url: str = Field(description="{public_url}/v/{share_id}#{key}: what the QR encodes")
    expires_at: datetime
    qr_version: int = Field(description="The QR code's version (error level M, byte mode)")
    qr_svg: str = Field(description="The QR code as SVG text")
    qr_png_base64: str = Field(description="The QR code as a PNG image, standard base64")

    @classmethod
    def of(cls, share: CreatedShare) -> ShareCreated:
        return cls(
            share_id=share.share_id,
            credential_id=share.credential_id,
            format=share.format,
            share_url=share.url,
            expires_at=share.expires_at,
            qr_version=int(offer_qr(share.url).version),
            qr_svg=qr_svg(share.url, title="Credential share QR code").decode("utf-8"),
            qr_png_base64=base64.b64encode(qr_png(share.url)).decode("ascii"),
        )


class ShareOut(BaseModel):
    """A share's metadata (never its link: the service does not have the key)."""

    share_id: str
    credential_id: str
    format: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    state: Literal["active", "expired", "revoked"]

    @classmethod
    def of(cls, info: ShareInfo, now: datetime) -> ShareOut:
        return cls(
            share_id=info.share_id,
            credential_id=info.credential_id,
            format=info.format,
            created_at=info.created_at,
            expires_at=info.expires_at,
            revoked_at=info.revoked_at,
            state=info.state(now),
        )


class ShareVerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=MAX_SHARE_URL_LENGTH,
        description="The share link as scanned, with its #key",
    )


def _problem(exc: MalformedInputError | IssuerError, headers: dict[str, str]) -> JSONResponse:
    status = exc.status_code if isinstance(exc, IssuerError | UnverifiableInputError) else 400
    response = problem_response(status, exc.to_problem())
    response.headers.update(headers)
    return response


def build_share_router(
    shares: SharesService,
    api_keys: ApiKeyService,
    verifier: Verifier,
) -> APIRouter:
    """The routes of the module doc (wired by :func:`mcred.app.create_app`)."""
    router = APIRouter(tags=["shares"])

    @router.post(
        "/api/v1/credentials/{credential_id}/shares",
        status_code=201,
        summary="Share a credential by a QR code: a link with its key in the fragment",
        responses={
            400: {"description": "ttl_days beyond the service's limit"},
            401: {"description": "No or an unknown API key"},
            403: {"description": "The key's alliance is not the credential's"},
            404: {"description": "No such credential"},
            409: {"description": "The credential is revoked or was not issued in that format"},
        },
    )
    def create_share(
        credential_id: str,
        response: Response,
        authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
        body: ShareRequest | None = None,
    ) -> ShareCreated:
        caller = api_keys.authenticate(authorization)
        request = body or ShareRequest()
        created = shares.create_share(
            caller,
            credential_id,
            credential_format=request.format,
            ttl=None if request.ttl_days is None else timedelta(days=request.ttl_days),
        )
        response.headers.update(_NO_STORE)  # the answer holds the key
        return ShareCreated.of(created)

    @router.get(
        "/api/v1/credentials/{credential_id}/shares",
        summary="A credential's shares (metadata only: the service keeps no link)",
    )
    def list_shares(
        credential_id: str,
        authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
    ) -> list[ShareOut]:
        caller = api_keys.authenticate(authorization)
        at = shares.now()
        return [ShareOut.of(info, at) for info in shares.shares_of(caller, credential_id)]

    @router.delete(
        "/api/v1/shares/{share_id}",
        status_code=204,
        summary="Revoke a share for good (its link stops working at once)",
        responses={404: {"description": "No such share"}},
    )
    def revoke_share(
        share_id: str,
        authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
    ) -> Response:
        caller = api_keys.authenticate(authorization)
        shares.revoke(caller, share_id)
        return Response(status_code=204)

    @router.get(
        "/shares/{share_id}",
        summary="A share's envelope: the credential sealed under the key in the link",
        responses={
            200: {"description": '{"v":1,"alg":"A256GCM","format","iv","ciphertext",…}'},
            404: {"description": "No such share"},
            410: {"description": "The share was revoked or has expired"},
        },
    )
    def envelope(share_id: str) -> JSONResponse:
        try:
            found = shares.get_envelope(share_id)
        except IssuerError as exc:
            return _problem(exc, _PUBLIC)
        return JSONResponse(found.to_json(), headers=_PUBLIC)

    @router.post(
        "/api/v1/shares/verify",
        summary="Verify the credential behind a share link (scanned from a learner's QR)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ShareVerifyRequest.model_json_schema()}},
            }
        },
        responses={
            200: {"description": "The verification report, as POST /api/v1/verify gives it"},
            400: {"description": "Not a share link, or its key does not open the share"},
            404: {"description": "No such share"},
            410: {"description": "The share was revoked or has expired"},
            413: {"description": "The body is over the cap"},
            502: {"description": "The link's host gave no usable envelope"},
        },
    )
    async def verify_share(request: Request) -> JSONResponse:
        try:
            data = load_json(
                await read_capped_body(request, MAX_VERIFY_BODY_BYTES), what="the request body"
            )
            try:
                body = ShareVerifyRequest.model_validate(data)
            except ValidationError as exc:
                raise UnverifiableInputError(
                    'the body is {"url": "<a share link>"}',
                    details={"errors": [e["msg"] for e in exc.errors()]},
                ) from None
            shared = await run_in_threadpool(shares.resolve, body.url)
            report = await run_in_threadpool(verifier.verify_credential, shared.credential)
        except (MalformedInputError, IssuerError) as exc:
            return _problem(exc, _NO_STORE)
        return JSONResponse(report.to_dict(), headers=_NO_STORE)

    return router
