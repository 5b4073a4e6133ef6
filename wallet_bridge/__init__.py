"""The wallet bridge role: delivers issued credentials to learners' wallets by OpenID4VCI 1.0.

* :mod:`wallet_bridge.service`: the protocol (:class:`WalletBridge`), framework-free;
* :mod:`wallet_bridge.metadata`: Credential Issuer and AS metadata (§12);
* :mod:`wallet_bridge.proofs`: ``jwt`` key proofs (App. F.1);
* :mod:`wallet_bridge.ports` / :mod:`wallet_bridge.memory`: what it needs, and in-memory stores;
* :mod:`wallet_bridge.errors`: the spec's error codes; :mod:`wallet_bridge.routes`: the wire.
"""

from wallet_bridge.errors import WalletBridgeError
from wallet_bridge.metadata import CredentialIssuerMetadata
from wallet_bridge.ports import CredentialSource, HolderKey, OfferableCredential
from wallet_bridge.service import CreatedOffer, WalletBridge, WalletBridgeSettings

__all__ = [
    "CreatedOffer",
    "CredentialIssuerMetadata",
    "CredentialSource",
    "HolderKey",
    "OfferableCredential",
    "WalletBridge",
    "WalletBridgeError",
    "WalletBridgeSettings",
]
