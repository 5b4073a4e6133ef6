"""Wire shapes of the messages the bridge answers with (for typing and docs): OID4VCI 1.0 and
the SD-JWT VC discovery documents (draft-ietf-oauth-sd-jwt-vc §3, §4).

The requests are parsed by hand in :mod:`wallet_bridge.service` so that every malformed request
gets the spec's own error code (§6.3, §8.3.1) rather than a framework validation error.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

__all__ = [
    "CredentialOfferObject",
    "CredentialResponse",
    "DeferredResponse",
    "IssuedCredential",
    "JwtKeySet",
    "JwtVcIssuerMetadata",
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


class DeferredResponse(TypedDict):
    """§8.3 and §9.2, HTTP 202: not issued yet; ask the Deferred Credential Endpoint again
    after ``interval`` seconds with the same ``transaction_id``."""

    transaction_id: str
    interval: int


class JwtKeySet(TypedDict):
    """RFC 7517 §5."""

    keys: list[dict[str, Any]]


class JwtVcIssuerMetadata(TypedDict):
    """draft-ietf-oauth-sd-jwt-vc §3.2: ``issuer`` is identical to the SD-JWT VCs' ``iss``."""

    issuer: str
    jwks: JwtKeySet
