"""HTTP routes of the issuer role (FastAPI). They parse, call :mod:`issuer.service`, return."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from issuer.identity import IssuerIdentity

__all__ = ["build_identity_router"]

DID_JSON = "application/did+ld+json"  # DID Core 1.0 §6.3.1: JSON-LD with @context


def build_identity_router(identity: IssuerIdentity) -> APIRouter:
    router = APIRouter(tags=["identity"])

    @router.get(
        "/.well-known/did.json",
        summary="The coordinating provider's DID document (did:web)",
        response_description="DID document with every verification key, retired ones included",
        responses={200: {"content": {DID_JSON: {}}}},
    )
    def did_document() -> JSONResponse:
        body: dict[str, Any] = identity.did_document()
        return JSONResponse(
            body,
            media_type=DID_JSON,
            headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "max-age=300"},
        )

    return router
