"""``POST /api/v1/credentials/{id}/offers``: a credential offer for a learner's wallet.

It lives in the composition root because it joins two roles: the issuer's API keys decide who
may ask, the wallet bridge makes the offer (roles never import each other). The answer also
names the learner's offer page and its QR images (:mod:`mcred.offer_page`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, Field

from issuer.api_keys import ApiKeyService
from issuer.service import Issuer
from mcred.offer_page import offer_page_urls
from mcred.wallet import IssuerCredentialSource
from wallet_bridge.service import CreatedOffer, WalletBridge

__all__ = ["TX_CODE_LENGTH", "CredentialOfferCreated", "OfferRequest", "build_offer_router"]

TX_CODE_LENGTH = 6
"""Digits of the PIN (``tx_code``) an offer asks for."""


class OfferRequest(BaseModel):
    by_reference: bool = Field(True, description="credential_offer_uri (smaller QR) or by value")
    tx_code: bool = Field(True, description="Ask the wallet for a PIN sent by another channel")


class CredentialOfferCreated(BaseModel):
    """A credential offer (OpenID4VCI 1.0 §4.1): hand the learner ``offer_page_url`` (or
    ``offer_url``) by one channel and ``tx_code`` by another."""

    offer_id: str = Field(description="The offer's id (in credential_offer_uri and the page URL)")
    credential_offer_uri: str | None = Field(
        description="Where the wallet fetches the offer (§4.1.3); null for an offer by value"
    )
    offer_url: str = Field(
        description="The openid-credential-offer:// link, by reference or by value as asked"
    )
    tx_code: str | None = Field(
        description="The PIN the wallet asks for; send it by another channel than the link "
        "(null when the offer needs none). Shown only here, never on the offer page"
    )
    expires_at: datetime = Field(
        description="When the offer and its pre-authorized code expire (single use until then)"
    )
    offer_page_url: str = Field(
        description="The learner's page: QR code, wallet button, step-by-step instructions "
        "(English, German, French); never shows the PIN"
    )
    qr_svg_url: str = Field(
        description="The QR code (SVG) of the offer link by reference, whichever form was asked"
    )
    qr_png_url: str = Field(
        description="The QR code (PNG) of the offer link by reference, whichever form was asked"
    )

    @classmethod
    def of(cls, offer: CreatedOffer, public_url: str) -> CredentialOfferCreated:
        urls = offer_page_urls(public_url, offer.offer_id)
        return cls(
            offer_id=offer.offer_id,
            credential_offer_uri=offer.credential_offer_uri,
            offer_url=offer.link,
            tx_code=offer.tx_code,
            expires_at=offer.expires_at,
            offer_page_url=urls.page,
            qr_svg_url=urls.qr_svg,
            qr_png_url=urls.qr_png,
        )


def build_offer_router(issuer: Issuer, api_keys: ApiKeyService, bridge: WalletBridge) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["credentials"])

    @router.post(
        "/credentials/{credential_id}/offers",
        status_code=201,
        response_model=CredentialOfferCreated,
        summary="Create an OpenID4VCI credential offer (pre-authorized code, optional PIN)",
        responses={
            401: {"description": "No or an unknown API key"},
            403: {"description": "The key's alliance is not the credential's"},
            404: {"description": "No such credential"},
            409: {"description": "The credential is revoked or suspended, or has no wallet form"},
        },
    )
    async def create_offer(
        credential_id: str,
        authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
        body: OfferRequest | None = None,
    ) -> Response:
        # on the event loop like the wallet bridge's own routes: short store calls, no hop to
        # the thread pool; the answer is serialised once, by its model
        caller = api_keys.authenticate(authorization)
        source = bridge.source
        offerable = None
        if isinstance(source, IssuerCredentialSource):
            # 404 / 403 as for the record itself; the record's state read once, handed on
            offerable = source.offerable_for(caller, credential_id)
        else:
            issuer.get(caller, credential_id)
        request = body or OfferRequest()
        offer = bridge.create_offer(
            credential_id,
            by_reference=request.by_reference,
            tx_code_length=TX_CODE_LENGTH if request.tx_code else None,
            offerable=offerable,
        )
        created = CredentialOfferCreated.of(offer, bridge.metadata.credential_issuer)
        return Response(created.model_dump_json(), status_code=201, media_type="application/json")

    return router
