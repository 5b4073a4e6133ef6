"""did:key for Ed25519 (``z6Mk…``) and P-256 (``zDn…``) (did:key CCG draft v0.9; specs.md §8.2).

``did:key:`` + the key's ``publicKeyMultibase`` (base58btc ``z`` + multicodec varint + raw key:
``0xed01`` + 32 bytes, ``0x8024`` + 33-byte compressed point). The DID document has one
``Multikey`` verification method ``did:key:<mb>#<mb>`` listed under ``authentication``,
``assertionMethod``, ``capabilityInvocation`` and ``capabilityDelegation`` (Document Creation
Algorithm; the optional X25519 ``keyAgreement`` derivation is not done).

Refused, following the draft's error names in ``details["error"]``:

* ``invalidDid`` (:class:`DidSyntaxError`): not ``did:key:z<base58btc>``. The versioned form
  ``did:key:1:z…``, the ``u`` (base64url) multibase, fragments and non-minimal varints included;
  a private-key codec (``ed25519-priv`` ``z3u2…``);
* ``invalidPublicKeyLength`` / ``invalidPublicKey`` (:class:`DidSyntaxError`): wrong length, a
  point not on the curve, an uncompressed P-256 point;
* ``unsupportedPublicKeyType`` (:class:`DidResolutionError`): a valid did:key of another key type
  (P-384 ``z82…``, secp256k1 ``zQ3s…``, X25519 ``z6LS…``, BLS12-381 ``zUC7…``).

Decoding is a pure function of the DID: the last few hundred decoded did:keys are kept, so the
same DID read again (a key proof's ``kid`` and then its method id, a verifier seeing the same
signer) costs a lookup.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from vc_core.dids.document import (
    DID_V1_CONTEXT,
    MULTIKEY_V1_CONTEXT,
    Relationship,
)
from vc_core.errors import DidResolutionError, DidSyntaxError, KeyFormatError
from vc_core.keys import KeyType, PublicKey, unwrap_multikey

__all__ = [
    "DID_KEY_PREFIX",
    "did_key_document",
    "did_key_from_public_key",
    "did_key_verification_method_id",
    "public_key_from_did_key",
]

DID_KEY_PREFIX = "did:key:"

_MULTIBASE_Z = re.compile(r"z[1-9A-HJ-NP-Za-km-z]+")
_SUPPORTED = {"ed25519-pub": KeyType.ED25519, "p256-pub": KeyType.P256}
_KEY_LENGTH = {"ed25519-pub": 32, "p256-pub": 33}  # the draft's table: raw public key bytes
_KEPT = 512
"""How many decoded did:keys :func:`public_key_from_did_key` keeps."""
_RELATIONSHIPS = (
    Relationship.AUTHENTICATION,
    Relationship.ASSERTION_METHOD,
    Relationship.CAPABILITY_INVOCATION,
    Relationship.CAPABILITY_DELEGATION,
)


def _syntax(message: str, error: str = "invalidDid") -> DidSyntaxError:
    return DidSyntaxError(message, details={"error": error, "method": "key"})


def did_key_from_public_key(public_key: PublicKey) -> str:
    """``did:key:`` + ``public_key.multikey`` (``did:key:z6Mk…`` / ``did:key:zDn…``)."""
    return DID_KEY_PREFIX + public_key.multikey


def public_key_from_did_key(did: str) -> PublicKey:
    """Decode the public key of a did:key (Decode Public Key Algorithm, with the checks of the
    Signature Method Creation Algorithm). See the module doc for what is refused."""
    if not isinstance(did, str) or not did.startswith(DID_KEY_PREFIX):
        raise _syntax(f"not a did:key DID: {did!r}")
    return _decode(did)


@lru_cache(maxsize=_KEPT)
def _decode(did: str) -> PublicKey:
    value = did[len(DID_KEY_PREFIX) :]
    if _MULTIBASE_Z.fullmatch(value) is None:
        raise _syntax(f"a did:key is did:key:z<base58btc>, not {did!r}")
    try:
        codec, raw = unwrap_multikey(value)
    except (ValueError, KeyError) as exc:
        raise _syntax(f"{did}: invalid multicodec value: {exc}") from exc
    if codec.endswith("-priv"):
        raise _syntax(f"{did} carries a private key ({codec}), never publish one")
    if codec not in _SUPPORTED:
        raise DidResolutionError(
            f"{did}: unsupported key type {codec}",
            details={
                "error": "unsupportedPublicKeyType",
                "method": "key",
                "codec": codec,
                "supported": sorted(_SUPPORTED),
            },
        )
    if len(raw) != _KEY_LENGTH[codec]:
        raise _syntax(
            f"{did}: a {codec} key has {_KEY_LENGTH[codec]} bytes, not {len(raw)}",
            "invalidPublicKeyLength",
        )
    try:
        key = PublicKey.from_raw(_SUPPORTED[codec], raw)
    except KeyFormatError as exc:
        raise _syntax(f"{did}: {exc.message}", "invalidPublicKey") from exc
    if key.multikey != value:
        raise _syntax(f"{did} is not the canonical encoding of its key", "invalidPublicKey")
    return key


def did_key_verification_method_id(did: str) -> str:
    """``did:key:<mb>#<mb>``: the id of the one verification method (checked first)."""
    public_key_from_did_key(did)
    return f"{did}#{did[len(DID_KEY_PREFIX) :]}"


def did_key_document(did: str) -> dict[str, Any]:
    """The DID document of ``did`` (Document Creation Algorithm, ``publicKeyFormat`` Multikey)."""
    key = public_key_from_did_key(did)
    vm_id = f"{did}#{key.multikey}"
    document: dict[str, Any] = {
        "@context": [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT],
        "id": did,
        "verificationMethod": [
            {
                "id": vm_id,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key.multikey,
            }
        ],
    }
    for relationship in _RELATIONSHIPS:
        document[str(relationship)] = [vm_id]
    return document
