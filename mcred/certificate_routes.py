"""HTTP routes of printable certificates (:mod:`mcred.certificate`, ``docs/certificate.md``).

* ``GET /api/v1/credentials/{id}/certificate.pdf?lang=de`` (bearer API key, alliance scope as
  for the credential) → ``200`` ``application/pdf``: the certificate in ``lang`` (``en``,
  ``de``, ``fr``; without ``lang`` the best of ``Accept-Language``, else English). Every
  download makes a new share for its QR code (listed under ``GET
  /api/v1/credentials/{id}/shares``, revocable), so the answer is ``no-store``. ``400`` for
  another language, ``409`` for a revoked, suspended or expired credential.
* ``POST /api/v1/verify/pdf`` (no API key, as ``POST /api/v1/verify``): a PDF as
  ``multipart/form-data`` (field ``file``) or as the body itself (``application/pdf``), at most
  :data:`~mcred.certificate.MAX_PDF_BYTES` → ``200`` ``{verified, credentials: [{filename,
  media_type, verified, report}], ignored: [{filename, media_type, ignored}]}``: the report of
  every credential embedded in it, verified or not. ``400`` (``invalid_certificate_pdf``) for
  a file that is not a readable PDF or embeds no credential, ``413`` over the caps.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from issuer.api_keys import ApiKeyService
from mcred.certificate import (
    MAX_PDF_BYTES,
    SUPPORTED_LANGUAGES,
    CertificatePdfError,
    CertificateService,
    verify_pdf,
)
from mcred.offer_page import negotiate_language
from mcred.problems import problem_response
from verifier.errors import UnverifiableInputError
from verifier.routes import read_capped_body
from verifier.service import Verifier

__all__ = ["MAX_UPLOAD_BYTES", "PDF_FIELD", "build_certificate_router"]

PDF_FIELD = "file"
"""The multipart field that carries the PDF."""
MAX_UPLOAD_BYTES = MAX_PDF_BYTES + 64 * 1024
"""The largest request body: one PDF and the multipart framing around it."""
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


async def _once(data: bytes) -> AsyncGenerator[bytes, None]:
    yield data


async def _uploaded_pdf(request: Request) -> bytes:
    """The PDF of the request: the ``file`` part of a multipart form, or the body itself."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await read_capped_body(request, MAX_UPLOAD_BYTES)
    if content_type == "application/pdf":
        return body
    if content_type != "multipart/form-data":
        raise CertificatePdfError(
            f"send the PDF as multipart/form-data (field {PDF_FIELD!r}) or as application/pdf"
        )
    parser = MultiPartParser(
        request.headers, _once(body), max_files=1, max_fields=8, max_part_size=64 * 1024
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise CertificatePdfError(f"the form cannot be read: {exc.message}") from None
    try:
        upload = form.get(PDF_FIELD)
        if not isinstance(upload, UploadFile):
            raise CertificatePdfError(f"the form has no file field {PDF_FIELD!r}")
        return await upload.read()
    finally:
        await form.close()


def build_certificate_router(
    certificates: CertificateService, api_keys: ApiKeyService, verifier: Verifier
) -> APIRouter:
    """The routes of the module doc (wired by :func:`mcred.app.create_app`)."""
    router = APIRouter(tags=["certificates"])

    @router.get(
        "/api/v1/credentials/{credential_id}/certificate.pdf",
        summary="A printable PDF certificate of a credential: QR to verify, credential attached",
        response_class=Response,
        responses={
            200: {"content": {"application/pdf": {}}, "description": "The certificate"},
            400: {"description": "A language other than en, de, fr"},
            401: {"description": "No or an unknown API key"},
            403: {"description": "The key's alliance is not the credential's"},
            404: {"description": "No such credential"},
            409: {"description": "The credential is revoked, suspended or expired"},
        },
    )
    def certificate(
        credential_id: str,
        lang: Annotated[
            str | None, Query(description="en, de or fr (default: Accept-Language, else en)")
        ] = None,
        accept_language: Annotated[str | None, Header()] = None,
        authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
    ) -> Response:
        caller = api_keys.authenticate(authorization)
        language = lang
        if language is None:
            negotiated = negotiate_language(None, accept_language)
            language = negotiated if negotiated in SUPPORTED_LANGUAGES else "en"
        made = certificates.certificate(caller, credential_id, lang=language)
        return Response(
            made.pdf,
            media_type="application/pdf",
            headers={
                **_NO_STORE,  # the QR code holds the share's key
                "Content-Disposition": f'attachment; filename="{made.filename}"',
                "Content-Language": made.lang,
            },
        )

    @router.post(
        "/api/v1/verify/pdf",
        summary="Verify the credential embedded in a PDF certificate",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": [PDF_FIELD],
                            "properties": {PDF_FIELD: {"type": "string", "format": "binary"}},
                        }
                    },
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        },
        responses={
            200: {"description": "The report of every embedded credential, verified or not"},
            400: {"description": "Not a readable PDF, or no credential embedded in it"},
            413: {"description": "The PDF or an embedded file is over the caps"},
        },
    )
    async def verify_certificate_pdf(request: Request) -> JSONResponse:
        try:
            pdf = await _uploaded_pdf(request)
            verification = await run_in_threadpool(verify_pdf, verifier, pdf)
        except UnverifiableInputError as exc:
            response = problem_response(exc.status_code, exc.to_problem())
            response.headers.update(_NO_STORE)
            return response
        return JSONResponse(verification.to_dict(), headers=_NO_STORE)

    return router
