"""The JSON forms of the wallet bridge's records, as the Redis and SQL stores keep them.

Datetimes are ISO 8601 with their offset; tuples become lists; a :class:`HolderKey` is kept as
``{"did", "jwk"}`` (its public JWK) and its :class:`~vc_core.keys.PublicKey` is rebuilt from the
JWK on the way back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vc_core.keys import PublicKey
from wallet_bridge.ports import AccessToken, DeferredTransaction, HolderKey, Offer

__all__ = [
    "access_token_from_json",
    "access_token_to_json",
    "deferred_from_json",
    "deferred_to_json",
    "holders_from_json",
    "holders_to_json",
    "offer_from_json",
    "offer_to_json",
]


def holders_to_json(holders: tuple[HolderKey, ...]) -> list[dict[str, Any]]:
    return [{"did": holder.did, "jwk": dict(holder.jwk)} for holder in holders]


def holders_from_json(value: list[dict[str, Any]]) -> tuple[HolderKey, ...]:
    return tuple(
        HolderKey(item["did"], dict(item["jwk"]), PublicKey.from_jwk(item["jwk"])) for item in value
    )


def offer_to_json(offer: Offer) -> dict[str, Any]:
    return {
        "offer_id": offer.offer_id,
        "credential_id": offer.credential_id,
        "offer": dict(offer.offer),
        "expires_at": offer.expires_at.isoformat(),
    }


def offer_from_json(value: dict[str, Any]) -> Offer:
    return Offer(
        value["offer_id"],
        value["credential_id"],
        value["offer"],
        datetime.fromisoformat(value["expires_at"]),
    )


def access_token_to_json(token: AccessToken) -> dict[str, Any]:
    return {
        "token": token.token,
        "credential_id": token.credential_id,
        "configuration_ids": list(token.configuration_ids),
        "expires_at": token.expires_at.isoformat(),
    }


def access_token_from_json(value: dict[str, Any]) -> AccessToken:
    return AccessToken(
        value["token"],
        value["credential_id"],
        tuple(value["configuration_ids"]),
        datetime.fromisoformat(value["expires_at"]),
    )


def deferred_to_json(transaction: DeferredTransaction) -> dict[str, Any]:
    return {
        "transaction_id": transaction.transaction_id,
        "credential_id": transaction.credential_id,
        "configuration_id": transaction.configuration_id,
        "holders": holders_to_json(transaction.holders),
        "access_token": transaction.access_token,
        "expires_at": transaction.expires_at.isoformat(),
    }


def deferred_from_json(value: dict[str, Any]) -> DeferredTransaction:
    return DeferredTransaction(
        transaction_id=value["transaction_id"],
        credential_id=value["credential_id"],
        configuration_id=value["configuration_id"],
        holders=holders_from_json(value["holders"]),
        access_token=value["access_token"],
        expires_at=datetime.fromisoformat(value["expires_at"]),
    )
