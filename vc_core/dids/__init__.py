"""Decentralized identifiers (specs.md §8): did:web, did:key, did:jwk and DID documents.

* :mod:`vc_core.dids.did_web`: did:web ↔ document URL, pure (the fetch is the edge's job).
* :mod:`vc_core.dids.did_key`: did:key for Ed25519 and P-256, and its DID document.
* :mod:`vc_core.dids.did_jwk`: did:jwk from a public JWK, and its DID document.
* :mod:`vc_core.dids.document`: the builder for our did:web document (key rotation, §8.4) and a
  reader that finds verification methods and guards against key confusion.
* :mod:`vc_core.dids.resolver`: the :class:`DidResolver` protocol, resolvers without I/O, and
  :func:`resolve_verification_method` for proof checks.
"""

from vc_core.dids.did_jwk import (
    did_jwk_document,
    did_jwk_from_jwk,
    did_jwk_from_public_key,
    did_jwk_verification_method_id,
    jwk_from_did_jwk,
    public_key_from_did_jwk,
)
from vc_core.dids.did_key import (
    did_key_document,
    did_key_from_public_key,
    did_key_verification_method_id,
    public_key_from_did_key,
)
from vc_core.dids.did_web import did_web_to_url, is_loopback_host, url_to_did_web
from vc_core.dids.document import (
    DID_V1_CONTEXT,
    JWK_V1_CONTEXT,
    JWS_2020_CONTEXT,
    MULTIKEY_V1_CONTEXT,
    SUPPORTED_VERIFICATION_METHOD_TYPES,
    DidDocument,
    KeyRepresentation,
    PublishedKey,
    Relationship,
    VerificationMethod,
    build_did_document,
    check_did,
    split_did_url,
)
from vc_core.dids.resolver import (
    DidResolver,
    LocalDidResolver,
    StaticDidResolver,
    key_resolver,
    resolve_verification_method,
)

__all__ = [
    "DID_V1_CONTEXT",
    "JWK_V1_CONTEXT",
    "JWS_2020_CONTEXT",
    "MULTIKEY_V1_CONTEXT",
    "SUPPORTED_VERIFICATION_METHOD_TYPES",
    "DidDocument",
    "DidResolver",
    "KeyRepresentation",
    "LocalDidResolver",
    "PublishedKey",
    "Relationship",
    "StaticDidResolver",
    "VerificationMethod",
    "build_did_document",
    "check_did",
    "did_jwk_document",
    "did_jwk_from_jwk",
    "did_jwk_from_public_key",
    "did_jwk_verification_method_id",
    "did_key_document",
    "did_key_from_public_key",
    "did_key_verification_method_id",
    "did_web_to_url",
    "is_loopback_host",
    "jwk_from_did_jwk",
    "key_resolver",
    "public_key_from_did_jwk",
    "public_key_from_did_key",
    "resolve_verification_method",
    "split_did_url",
    "url_to_did_web",
]
