"""The wallet bridge's error tree; every error is one OpenID4VCI 1.0 / OAuth 2.0 wire code.

A subclass only sets ``error`` (the spec's code) and ``status``; :mod:`wallet_bridge.routes`
maps the whole tree to the wire once (``to_body()`` + ``status`` + ``headers()``)::

    WalletBridgeError
    ├── TokenError                          RFC 6749 §5.2, OID4VCI §6.3 (HTTP 400)
    │   ├── InvalidRequest                  invalid_request (tx_code missing or unexpected, …)
    │   ├── InvalidGrant                    invalid_grant (wrong tx_code, used/expired code)
    │   ├── InvalidClient                   invalid_client
    │   └── UnsupportedGrantType            unsupported_grant_type
    ├── CredentialError                     OID4VCI §8.3.1 (HTTP 400)
    │   ├── InvalidCredentialRequest        invalid_credential_request
    │   ├── UnknownCredentialConfiguration  unknown_credential_configuration
    │   ├── UnknownCredentialIdentifier     unknown_credential_identifier
    │   ├── InvalidProof                    invalid_proof
    │   ├── InvalidNonce                    invalid_nonce
    │   ├── InvalidEncryptionParameters     invalid_encryption_parameters
    │   └── CredentialRequestDenied         credential_request_denied
    ├── InvalidTransactionId                invalid_transaction_id (§9.3, HTTP 400)
    ├── IssuancePending                     issuance_pending + interval (draft 13 §9.3 only;
    │                                       1.0 answers "still pending" with HTTP 202, §9.2)
    ├── NotificationError                   §11.3 (HTTP 400)
    │   ├── InvalidNotificationId           invalid_notification_id
    │   └── InvalidNotificationRequest      invalid_notification_request
    ├── InvalidToken                        RFC 6750 §3.1 invalid_token (401 + WWW-Authenticate)
    ├── OfferNotFound                       the credential_offer_uri is unknown or expired (404)
    ├── MetadataNotFound                    no such jwt-vc-issuer / type metadata document (404)
    └── OfferRefused                        no offer for an unknown or revoked credential (409)

Descriptions are ASCII (OID4VCI §8.3.1: ``error_description`` is ASCII only).
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "CredentialError",
    "CredentialRequestDenied",
    "InvalidClient",
    "InvalidCredentialRequest",
    "InvalidEncryptionParameters",
    "InvalidGrant",
    "InvalidNonce",
    "InvalidNotificationId",
    "InvalidNotificationRequest",
    "InvalidProof",
    "InvalidRequest",
    "InvalidToken",
    "InvalidTransactionId",
    "IssuancePending",
    "MetadataNotFound",
    "NotificationError",
    "OfferNotFound",
    "OfferRefused",
    "TokenError",
    "UnknownCredentialConfiguration",
    "UnknownCredentialIdentifier",
    "UnsupportedGrantType",
    "WalletBridgeError",
]


class WalletBridgeError(Exception):
    """Base of the tree: ``error`` is the wire code, ``status`` the HTTP status."""

    error: ClassVar[str] = "server_error"
    status: ClassVar[int] = 400

    def __init__(self, description: str = "") -> None:
        super().__init__(description or self.error)
        self.description = description.encode("ascii", "replace").decode("ascii")

    def to_body(self) -> dict[str, Any]:
        """``{"error", "error_description"?}`` (RFC 6749 §5.2, OID4VCI §8.3.1)."""
        body: dict[str, Any] = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body

    def headers(self) -> dict[str, str]:
        """Extra response headers; errors are never cached (RFC 6749 §5.2)."""
        return {"Cache-Control": "no-store"}


class TokenError(WalletBridgeError):
    """Token endpoint errors (RFC 6749 §5.2, OID4VCI 1.0 §6.3)."""


class InvalidRequest(TokenError):
    error = "invalid_request"


class InvalidGrant(TokenError):
    error = "invalid_grant"


class InvalidClient(TokenError):
    error = "invalid_client"


class UnsupportedGrantType(TokenError):
    error = "unsupported_grant_type"


class CredentialError(WalletBridgeError):
    """Credential endpoint errors (OID4VCI 1.0 §8.3.1.2)."""


class InvalidCredentialRequest(CredentialError):
    error = "invalid_credential_request"


class UnknownCredentialConfiguration(CredentialError):
    error = "unknown_credential_configuration"


class UnknownCredentialIdentifier(CredentialError):
    error = "unknown_credential_identifier"


class InvalidProof(CredentialError):
    error = "invalid_proof"


class InvalidNonce(CredentialError):
    error = "invalid_nonce"


class InvalidEncryptionParameters(CredentialError):
    error = "invalid_encryption_parameters"


class CredentialRequestDenied(CredentialError):
    error = "credential_request_denied"


class InvalidTransactionId(WalletBridgeError):
    """Deferred credential endpoint (OID4VCI 1.0 §9.3)."""

    error = "invalid_transaction_id"


class IssuancePending(WalletBridgeError):
    """Draft 13 §9.3 only: "the Credential issuance is still pending", with ``interval`` (the
    seconds the wallet waits before asking again). OpenID4VCI 1.0 §9.2 answers a pending
    Deferred Credential Request with HTTP 202 ``{transaction_id, interval}`` instead; the bridge
    raises this only for transactions started by a draft-13 request."""

    error = "issuance_pending"

    def __init__(self, interval: int, description: str = "") -> None:
        super().__init__(description)
        self.interval = interval

    def to_body(self) -> dict[str, Any]:
        return {**super().to_body(), "interval": self.interval}


class NotificationError(WalletBridgeError):
    """Notification endpoint errors (OID4VCI 1.0 §11.3)."""


class InvalidNotificationId(NotificationError):
    error = "invalid_notification_id"


class InvalidNotificationRequest(NotificationError):
    error = "invalid_notification_request"


class InvalidToken(WalletBridgeError):
    """RFC 6750 §3.1: missing, unknown or expired access token (401 + ``WWW-Authenticate``)."""

    error = "invalid_token"
    status = 401

    def headers(self) -> dict[str, str]:
        challenge = f'Bearer error="{self.error}"'
        if self.description:
            safe = self.description.replace("\\", "").replace('"', "'")
            challenge += f', error_description="{safe}"'
        return {**super().headers(), "WWW-Authenticate": challenge}


class OfferNotFound(WalletBridgeError):
    """The ``credential_offer_uri`` names no live offer (OID4VCI 1.0 §4.1.3)."""

    error = "not_found"
    status = 404


class MetadataNotFound(WalletBridgeError):
    """No JWT VC Issuer Metadata or SD-JWT VC Type Metadata at this URL (draft-ietf-oauth-sd-jwt-vc
    §3.2, §4.3.1: "an error response MUST use the applicable HTTP status code")."""

    error = "not_found"
    status = 404


class OfferRefused(WalletBridgeError):
    """An offer was asked for a credential that is unknown or not active."""

    error = "credential_not_offerable"
    status = 409
