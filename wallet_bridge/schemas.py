"""Wire shapes of the OID4VCI 1.0 messages the bridge answers with (for typing and docs).

The requests are parsed by hand in :mod:`wallet_bridge.service` so that every malformed request
gets the spec's own error code (§6.3, §8.3.1) rather than a framework validation error.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

__all__ = [
    "CredentialOfferObject",
    "CredentialResponse",
    "IssuedCredential",
    "NonceResponse",
    "TokenResponse",
]


class CredentialOfferObject(TypedDict):
    """§4.1.1."""

    credential_issuer: str
    credential_configuration_ids: list[str]
    grants: dict[str, dict[str, Any]]


class TokenResponse(TypedDict):
    """§6.2 (RFC 6749 §5.1); ``c_nonce*`` only for draft-13 wallets."""

    access_token: str
    token_type: str
    expires_in: int
    c_nonce: NotRequired[str]
    c_nonce_expires_in: NotRequired[int]


class NonceResponse(TypedDict):
    """§7.2."""

    c_nonce: str


class IssuedCredential(TypedDict):
    credential: str | dict[str, Any]


class CredentialResponse(TypedDict):
    """§8.3."""

    credentials: list[IssuedCredential]
    notification_id: NotRequired[str]
