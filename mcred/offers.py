"""``POST /api/v1/credentials/{id}/offers``: a credential offer for a learner's wallet.

It lives in the composition root because it joins two roles: the issuer's API keys decide who
may ask, the wallet bridge makes the offer (roles never import each other).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field

from issuer.api_keys import ApiKeyService
from issuer.service import Issuer
from wallet_bridge.service import WalletBridge

__all__ = ["OfferRequest", "build_offer_router"]


class OfferRequest(BaseModel):
    by_reference: bool = Field(True, description="credential_offer_uri (smaller QR) or by value")
    tx_code: bool = Field(True, description="Ask the wallet for a PIN sent by another channel")


def build_offer_router(issuer: Issuer, api_keys: ApiKeyService, bridge: WalletBridge) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["credentials"])

    @router.post(
        "/credentials/{credential_id}/offers",
        status_code=201,
        summary="Create an OpenID4VCI credential offer (pre-authorized code, optional PIN)",
    )
    def create_offer(
        credential_id: str,
        authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
        body: OfferRequest | None = None,
    ) -> dict[str, Any]:
        caller = api_keys.authenticate(authorization)
        issuer.get(caller, credential_id)  # 404 / 403 as for the record itself
        request = body or OfferRequest()
        offer = bridge.create_offer(
            credential_id,
            by_reference=request.by_reference,
            tx_code_length=6 if request.tx_code else None,
        )
        return {
            "offer_id": offer.offer_id,
            "credential_offer_uri": offer.credential_offer_uri,
            "offer_url": offer.link,
            "tx_code": offer.tx_code,
            "expires_at": offer.expires_at.isoformat(),
        }

    return router
