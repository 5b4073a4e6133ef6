"""HTTP routes of the issuer role (FastAPI). They parse, call the services, and return.

* identity: ``/.well-known/did.json`` and ``/partners/{id}/did.json`` (hosted partners);
* status lists: ``/status/{list_id}`` (signed ``BitstringStatusListCredential``, ETag, 304);
* trust registries: ``/alliances/{alliance_id}/registry`` (the alliance's signed registry);
* the admin API under ``/api/v1`` (bearer API keys; errors are ProblemDetails);
* the VC-API (W3C VCALM) issuer endpoints ``/credentials/issue`` and ``/credentials/status``.
"""

from collections.abc import Callable
from datetime import datetime
from ipaddress import ip_address
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from issuer.api_keys import ApiKeyService, Principal, Role
from issuer.catalogue import AllianceFile
from issuer.errors import NotFound
from issuer.identity import IssuerIdentity
from issuer.ports import ApiKeyStore, CredentialQuery
from issuer.registry import REGISTRY_MEDIA_TYPE, RegistryPublisher
from issuer.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    AuditEventOut,
    CredentialOut,
    CredentialPageOut,
    IssueRequest,
    MandateUpload,
    StackedIssueRequest,
    StatusChange,
)
from issuer.service import Issuer
from issuer.stacking import PartVerifier, StackingUnavailable
from issuer.status_lists import StatusListService
from issuer.vc_api import VcApiIssuer

__all__ = [
    "LOOPBACK_PRINCIPAL",
    "build_admin_router",
    "build_identity_router",
    "build_registry_router",
    "build_status_router",
    "build_vc_api_router",
]

DID_JSON = "application/did+ld+json"  # DID Core 1.0 §6.3.1: JSON-LD with @context
STATUS_LIST_JWT = "application/statuslist+jwt"  # draft-ietf-oauth-status-list §5
VC_MEDIA_TYPE = "application/vc"  # VCDM 2.0 §6.3: a credential secured with an embedded proof
_PUBLIC_HEADERS = {"Access-Control-Allow-Origin": "*"}


def _did_response(document: dict[str, Any]) -> JSONResponse:
    return JSONResponse(
        document, media_type=DID_JSON, headers={**_PUBLIC_HEADERS, "Cache-Control": "max-age=300"}
    )


def build_identity_router(
    identity: IssuerIdentity, hosted_partner: Callable[[str], IssuerIdentity | None]
) -> APIRouter:
    router = APIRouter(tags=["identity"])

    @router.get(
        "/.well-known/did.json",
        summary="The coordinating provider's DID document (did:web)",
        response_description="DID document with every verification key, retired ones included",
        responses={200: {"content": {DID_JSON: {}}}},
    )
    def did_document() -> JSONResponse:
        return _did_response(identity.did_document())

    @router.get(
        "/partners/{partner_id}/did.json",
        summary="A hosted partner's DID document (did:web:<host>:partners:<id>)",
        responses={200: {"content": {DID_JSON: {}}}, 404: {"description": "no such partner"}},
    )
    def partner_did_document(partner_id: str) -> JSONResponse:
        partner = hosted_partner(partner_id)
        if partner is None:
            raise NotFound(f"mcred hosts no partner {partner_id!r}")
        return _did_response(partner.did_document())

    return router


_JSON_MEDIA_TYPES = ("application/ld+json", "application/json")


def _status_list_media_type(accept: str | None) -> str:
    """``application/vc`` (VCDM 2.0 §6.3, Bitstring Status List §4), unless the client asks
    only for JSON or JSON-LD: the same document, labelled as the client reads it (VCDM 2.0
    §6.2 "Media Type Precision")."""
    if not accept:
        return VC_MEDIA_TYPE
    wanted = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if VC_MEDIA_TYPE in wanted:
        return VC_MEDIA_TYPE
    return next((m for m in wanted if m in _JSON_MEDIA_TYPES), VC_MEDIA_TYPE)


def _cached(etag: str, max_age: int, if_none_match: str | None, **extra: str) -> Response | None:
    """``304`` when ``If-None-Match`` names ``etag``; else None (the caller sends the body with
    :func:`_cache_headers`)."""
    if if_none_match is not None and etag in {tag.strip() for tag in if_none_match.split(",")}:
        return Response(status_code=304, headers=_cache_headers(etag, max_age, **extra))
    return None


def _cache_headers(etag: str, max_age: int, **extra: str) -> dict[str, str]:
    return {
        **_PUBLIC_HEADERS,
        "ETag": etag,
        "Cache-Control": f"public, max-age={max_age}",
        **extra,
    }


def build_status_router(status: StatusListService) -> APIRouter:
    router = APIRouter(tags=["status lists"])

    @router.get(
        "/status/{list_id}",
        summary="A Bitstring Status List credential (signed, eddsa-rdfc-2022)",
        responses={200: {"content": {VC_MEDIA_TYPE: {}}}, 304: {"description": "not modified"}},
    )
    def status_list(
        list_id: str,
        if_none_match: Annotated[str | None, Header()] = None,
        accept: Annotated[str | None, Header()] = None,
    ) -> Response:
        published = status.published(list_id)
        media_type = _status_list_media_type(accept)
        etag = published.etag
        if media_type != VC_MEDIA_TYPE:  # one strong validator per representation (RFC 9110)
            etag = f'{etag[:-1]}.json"'
        not_modified = _cached(etag, published.max_age, if_none_match, Vary="Accept")
        if not_modified is not None:
            return not_modified
        headers = _cache_headers(etag, published.max_age, Vary="Accept")
        return JSONResponse(published.credential, media_type=media_type, headers=headers)

    @router.get(
        "/token-status/{list_id}",
        summary="The same two-bit list as an IETF Status List Token (statuslist+jwt, ES256)",
        responses={200: {"content": {STATUS_LIST_JWT: {}}}, 304: {"description": "not modified"}},
    )
    def status_list_token(
        list_id: str,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        published = status.published_token(list_id)
        not_modified = _cached(published.etag, published.max_age, if_none_match)
        headers = _cache_headers(published.etag, published.max_age)
        return not_modified or Response(
            published.token, media_type=STATUS_LIST_JWT, headers=headers
        )

    return router


def build_registry_router(registry: RegistryPublisher) -> APIRouter:
    """``GET /alliances/{alliance_id}/registry``: the alliance's trust registry, public."""
    router = APIRouter(tags=["trust registry"])

    @router.get(
        "/alliances/{alliance_id}/registry",
        summary="The alliance's trust registry: members and mandates (vc+jwt, ES256)",
        responses={
            200: {"content": {REGISTRY_MEDIA_TYPE: {}}},
            304: {"description": "not modified"},
            404: {"description": "no such alliance"},
        },
    )
    def alliance_registry(
        alliance_id: str,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        published = registry.published(alliance_id)
        not_modified = _cached(published.etag, published.max_age, if_none_match)
        headers = _cache_headers(published.etag, published.max_age)
        return not_modified or Response(
            published.token, media_type=REGISTRY_MEDIA_TYPE, headers=headers
        )

    return router


def build_admin_router(
    issuer: Issuer,
    api_keys: ApiKeyService,
    keys: ApiKeyStore,
    *,
    part_verifier: PartVerifier | None = None,
) -> APIRouter:
    """``/api/v1``: alliances, mandates, credentials, status changes, API keys.

    ``part_verifier`` checks the parts of stacked credentials (``POST
    /api/v1/credentials/stacked``); without one that endpoint answers 503."""
    router = APIRouter(prefix="/api/v1")

    async def principal(
        authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
    ) -> Principal:
        # a key verified moments ago is known without I/O: no hand-off to a worker thread
        kept = api_keys.authenticate_kept(authorization)
        if kept is not None:
            return kept
        return await run_in_threadpool(api_keys.authenticate, authorization)

    Caller = Annotated[Principal, Depends(principal)]

    def out(issued: Any) -> CredentialOut:
        return CredentialOut.of(issued, issuer.status.list_url)

    # -- alliances ----------------------------------------------------------------------------
    @router.post("/alliances", tags=["alliances"], status_code=201, summary="Load an alliance file")
    def load_alliance(body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        alliance = AllianceFile.parse(body)
        signed = issuer.load_alliance(alliance, caller)
        return {"alliance": alliance.alliance.id, "mandates_signed": signed}

    @router.get("/alliances", tags=["alliances"], summary="Alliance ids this key may see")
    def list_alliances(caller: Caller) -> list[str]:
        return [a for a in issuer.alliance_ids() if caller.alliance_id in (None, a)]

    @router.get("/alliances/{alliance_id}", tags=["alliances"], summary="An alliance file")
    def get_alliance(alliance_id: str, caller: Caller) -> dict[str, Any]:
        caller.require_alliance(alliance_id)
        return issuer.alliance(alliance_id).model_dump(mode="json", exclude_none=True)

    @router.post(
        "/alliances/{alliance_id}/mandates",
        tags=["alliances"],
        status_code=201,
        summary="Upload an awarding mandate signed by an external awarding body",
    )
    def upload_mandate(alliance_id: str, body: MandateUpload, caller: Caller) -> dict[str, str]:
        caller.require_alliance(alliance_id)
        issuer.add_mandate(alliance_id, body.specification, body.credential)
        return {"id": str(body.credential.get("id"))}

    # -- credentials --------------------------------------------------------------------------
    @router.post(
        "/credentials",
        tags=["credentials"],
        status_code=201,
        summary="Issue a joint micro-credential",
        response_model=CredentialOut,
    )
    def issue(
        body: IssueRequest,
        caller: Caller,
        idempotency_key: Annotated[
            str | None, Header(max_length=200, description="Retry-safe: one issuance per key")
        ] = None,
    ) -> Response:
        issued = issuer.issue(
            caller,
            body.alliance,
            body.issuance(),
            formats=body.formats,
            idempotency_key=idempotency_key,
            hold=body.hold,
        )
        # CredentialOut serialized once (the response model is for OpenAPI): the signed
        # document is sent as signed, not validated and dumped through the model again
        return Response(
            CredentialOut.json_bytes(issued, issuer.status.list_url),
            status_code=201,
            media_type="application/json",
        )

    @router.post(
        "/credentials/stacked",
        tags=["credentials"],
        status_code=201,
        summary="Issue a credential composed of module credentials (stacking)",
        response_model=CredentialOut,
        responses={
            422: {"description": "a part refused (details.parts) or a stacking rule not met"},
            503: {"description": "no part verifier configured"},
        },
    )
    def issue_stacked(
        body: StackedIssueRequest,
        caller: Caller,
        idempotency_key: Annotated[
            str | None, Header(max_length=200, description="Retry-safe: one issuance per key")
        ] = None,
    ) -> CredentialOut:
        if part_verifier is None:
            raise StackingUnavailable("this service has no verifier configured for parts")
        issued = issuer.issue_stacked(
            caller,
            body.alliance,
            body.issuance(),
            body.parts,
            part_verifier,
            formats=body.formats,
            idempotency_key=idempotency_key,
        )
        return out(issued)

    @router.get(
        "/credentials",
        tags=["credentials"],
        summary="Search issued credentials (newest first)",
        response_model=CredentialPageOut,
    )
    def search(
        caller: Caller,
        *,
        alliance: str | None = None,
        specification: str | None = None,
        learner: str | None = None,
        issued_from: datetime | None = None,
        issued_until: datetime | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: str | None = None,
    ) -> CredentialPageOut:
        page = issuer.search(
            caller,
            CredentialQuery(
                alliance_id=alliance,
                specification_id=specification,
                learner_ref=learner,
                issued_from=issued_from,
                issued_until=issued_until,
                limit=limit,
                after=cursor,
            ),
        )
        items = [out(issuer.get(caller, record.id)) for record in page.items]
        return CredentialPageOut(items=items, next_cursor=page.next_cursor)

    @router.get(
        "/credentials/{credential_id}",
        tags=["credentials"],
        summary="One issued credential with its state",
        response_model=CredentialOut,
    )
    def get_credential(credential_id: str, caller: Caller) -> CredentialOut:
        return out(issuer.get(caller, credential_id))

    @router.get(
        "/credentials/{credential_id}/events",
        tags=["credentials"],
        summary="The credential's audit trail (append-only)",
        response_model=list[AuditEventOut],
    )
    def events(credential_id: str, caller: Caller) -> list[AuditEventOut]:
        return [AuditEventOut.of(e) for e in issuer.events(caller, credential_id)]

    for action, change in (
        ("revoke", issuer.revoke),
        ("suspend", issuer.suspend),
        ("reinstate", issuer.reinstate),
    ):
        router.add_api_route(
            f"/credentials/{{credential_id}}/{action}",
            _status_change_endpoint(change, out, principal),
            methods=["POST"],
            tags=["credentials"],
            summary={
                "revoke": "Revoke a credential (final)",
                "suspend": "Suspend a credential (reversible)",
                "reinstate": "Reinstate a suspended credential",
            }[action],
            response_model=CredentialOut,
            name=action,
        )

    # -- API keys -----------------------------------------------------------------------------
    @router.post("/api-keys", tags=["api keys"], status_code=201, response_model=ApiKeyCreated)
    def create_key(body: ApiKeyCreate, caller: Caller) -> ApiKeyCreated:
        caller.require_admin()
        key, token = api_keys.create(body.role, alliance_id=body.alliance, label=body.label)
        return ApiKeyCreated(**_key_out(key).model_dump(), token=token)

    @router.get("/api-keys", tags=["api keys"], response_model=list[ApiKeyOut])
    def list_keys(caller: Caller) -> list[ApiKeyOut]:
        caller.require_admin()
        return [_key_out(k) for k in keys.list_keys()]

    @router.delete("/api-keys/{key_id}", tags=["api keys"], status_code=204)
    def revoke_key(key_id: str, caller: Caller) -> Response:
        caller.require_admin()
        api_keys.revoke(key_id)
        return Response(status_code=204)

    return router


def _key_out(key: Any) -> ApiKeyOut:
    return ApiKeyOut(
        key_id=key.key_id,
        role=key.role,
        alliance=key.alliance_id,
        label=key.label,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


def _status_change_endpoint(
    change: Callable[[Principal, str, str], Any],
    out: Callable[[Any], CredentialOut],
    principal: Callable[..., Any],
) -> Callable[..., CredentialOut]:
    def endpoint(
        credential_id: str,
        body: StatusChange,
        caller: Annotated[Principal, Depends(principal)],
        request: Request,
    ) -> CredentialOut:
        return out(change(caller, credential_id, body.reason))

    return endpoint


# -- VC-API (W3C VCALM) ------------------------------------------------------------------------

LOOPBACK_PRINCIPAL = Principal("loopback", Role.COORDINATOR, "", "unauthenticated loopback caller")
"""Who calls the VC-API without a key when ``MCRED_VC_API_OPEN_ON_LOOPBACK`` allows it: a
coordinator of no alliance, who sees only what such callers issued."""
_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def _from_loopback(request: Request) -> bool:
    """A direct connection from this machine (a proxied request never counts as loopback)."""
    if request.client is None or any(h in request.headers for h in _PROXY_HEADERS):
        return False
    try:
        return ip_address(request.client.host).is_loopback
    except ValueError:
        return False


def build_vc_api_router(
    vc_api: VcApiIssuer, api_keys: ApiKeyService, *, open_on_loopback: bool = False
) -> APIRouter:
    """``POST /credentials/issue`` and ``POST /credentials/status`` (VCALM §3.3).

    Both need an admin or coordinator API key (``Authorization: Bearer``, as the VC-API's
    OAuth2 client-credentials profile sends it), unless ``open_on_loopback`` lets callers on
    this machine in without one (for the W3C test suites; the settings refuse it in production).
    """
    router = APIRouter(tags=["VC-API"])

    def caller(
        request: Request,
        authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
    ) -> Principal:
        if authorization is None and open_on_loopback and _from_loopback(request):
            return LOOPBACK_PRINCIPAL
        return api_keys.authenticate(authorization)

    Caller = Annotated[Principal, Depends(caller)]
    RequestBody = Annotated[Any, Body(description="A VCALM request (JSON object)")]

    @router.post(
        "/credentials/issue",
        status_code=201,
        summary="Issue a credential as sent, with a Data Integrity proof (VCALM §3.3.1)",
        responses={
            201: {"description": '{"verifiableCredential": …}'},
            400: {"description": "malformed request or credential, foreign issuer"},
            422: {"description": "unprocessable (e.g. a context mcred does not pin)"},
        },
    )
    def issue_credential(body: RequestBody, caller: Caller) -> JSONResponse:
        secured = vc_api.issue(caller, body)
        return JSONResponse({"verifiableCredential": secured}, status_code=201)

    @router.post(
        "/credentials/status",
        summary="Revoke, suspend or reinstate an issued credential (VCALM Update Status)",
        responses={
            200: {"description": "status updated"},
            400: {"description": "malformed request"},
            404: {"description": "no such credential"},
            409: {"description": "the change is not allowed (revocation is final)"},
        },
    )
    def update_status(body: RequestBody, caller: Caller) -> dict[str, str]:
        state = vc_api.update_status(caller, body)
        return {"credentialId": str(body["credentialId"]), "state": state.value}

    return router
