"""Identities mcred hosts: the coordinating provider's did:web, and hosted partners'."""

from __future__ import annotations

from typing import Any

from issuer.ports import SigningKey, SigningKeyStore
from vc_core.dids.document import (
    KeyRepresentation,
    PublishedKey,
    Relationship,
    build_did_document,
)
from vc_core.keys import KeyType

__all__ = ["IssuerIdentity"]

_RELATIONSHIPS = frozenset({Relationship.ASSERTION_METHOD, Relationship.AUTHENTICATION})


class IssuerIdentity:
    """An identity mcred hosts: its DID, its keys, its DID document.

    Every key the store ever held is listed (specs.md §8.4): retired keys stay in
    ``verificationMethod`` and ``assertionMethod`` so credentials signed before a rotation keep
    verifying; only the active keys sign. Ed25519 keys are published as ``Multikey`` (Data
    Integrity), P-256 keys as ``JsonWebKey`` (JOSE, SD-JWT).
    """

    def __init__(self, did: str, keys: SigningKeyStore) -> None:
        self.did = did
        self._keys = keys

    def verification_method_id(self, key: SigningKey) -> str:
        return f"{self.did}#{key.fragment}"

    def signing_key(self, key_type: KeyType = KeyType.ED25519) -> SigningKey:
        return self._keys.active(key_type)

    def list_keys(self) -> list[SigningKey]:
        """Every key, active and retired (public parts are what callers should show)."""
        return self._keys.list_keys()

    def rotate(self, key_type: KeyType) -> SigningKey:
        """A new signing key; the old one stays in the DID document for verification only."""
        return self._keys.rotate(key_type)

    def did_document(self) -> dict[str, Any]:
        published = [
            PublishedKey(
                fragment=key.fragment,
                public_key=key.private_key.public_key,
                representation=KeyRepresentation.MULTIKEY
                if key.key_type is KeyType.ED25519
                else KeyRepresentation.JSON_WEB_KEY,
                relationships=_RELATIONSHIPS,
                retired=key.retired_at,
            )
            for key in self._keys.list_keys()
        ]
        return build_did_document(self.did, published)
