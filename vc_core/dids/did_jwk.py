"""did:jwk (did:jwk v1, github.com/quartzjer/did-jwk spec.md; specs.md §8.3).

``did:jwk:`` + base64url(UTF-8 JSON of a *public* JWK). We write the JSON in JCS form (RFC
8785: "Canonicalization such as JCS is not required but may be helpful"), so one key gives one
DID; we read any serialization. The DID document has exactly one verification method, ``#0``, of
type ``JsonWebKey2020`` whose ``publicKeyJwk`` is the JWK as decoded. Relationships follow the
JWK's ``use``: absent → all five; ``"sig"`` → all but ``keyAgreement``; ``"enc"`` → only
``keyAgreement``.

Refused with :class:`~vc_core.errors.DidSyntaxError` (Security: "Only JWKs containing public
key material may be used, a JWK for a private key must never be used and must be rejected"):
private members (``d``, ``p``, ``q``, ``dp``, ``dq``, ``qi``, ``oth``, ``k``), symmetric ``oct``
keys, ``kty`` other than ``EC``/``OKP``/``RSA``, missing or non-base64url key members, a ``use``
other than ``sig``/``enc``, duplicate JSON members, padded or non-canonical base64url, and ids
longer than :data:`MAX_DID_JWK_LENGTH`. Ed25519 and P-256 keys are also checked to be valid
points. Documents can be made for other public keys (X25519, P-384, RSA…), but
:func:`public_key_from_did_jwk` only returns Ed25519 and P-256 keys (:class:`DidResolutionError`
``unsupportedPublicKeyType`` otherwise).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import rfc8785

from vc_core.dids.document import DID_V1_CONTEXT, JWS_2020_CONTEXT, Relationship
from vc_core.errors import DidResolutionError, DidSyntaxError, KeyFormatError
from vc_core.keys import PublicKey, b64url_decode, b64url_encode

__all__ = [
    "DID_JWK_PREFIX",
    "MAX_DID_JWK_LENGTH",
    "did_jwk_document",
    "did_jwk_from_jwk",
    "did_jwk_from_public_key",
    "did_jwk_verification_method_id",
    "jwk_from_did_jwk",
    "public_key_from_did_jwk",
]

DID_JWK_PREFIX = "did:jwk:"
MAX_DID_JWK_LENGTH = 4096
"""Longest method-specific id we decode (an RSA-8192 JWK needs about 1,900 characters)."""

_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
_KEY_MEMBERS = {"EC": ("crv", "x", "y"), "OKP": ("crv", "x"), "RSA": ("n", "e")}
_SUPPORTED = {("OKP", "Ed25519"), ("EC", "P-256")}
_RELATIONSHIPS = {
    None: tuple(Relationship),
    "sig": tuple(r for r in Relationship if r is not Relationship.KEY_AGREEMENT),
    "enc": (Relationship.KEY_AGREEMENT,),
}
_DOCUMENT_ORDER = (
    Relationship.ASSERTION_METHOD,
    Relationship.AUTHENTICATION,
    Relationship.CAPABILITY_INVOCATION,
    Relationship.CAPABILITY_DELEGATION,
    Relationship.KEY_AGREEMENT,
)


def _syntax(message: str, error: str = "invalidDid") -> DidSyntaxError:
    return DidSyntaxError(message, details={"error": error, "method": "jwk"})


def _check_public_jwk(jwk: Mapping[str, Any], source: str) -> None:
    private = [name for name in _PRIVATE_MEMBERS if name in jwk]
    if private:
        raise _syntax(f"{source}: a did:jwk must hold a public JWK, found {private}", "invalidJwk")
    kty = jwk.get("kty")
    if kty not in _KEY_MEMBERS:
        raise _syntax(f"{source}: unsupported or non-public kty {kty!r}", "invalidJwk")
    for name in _KEY_MEMBERS[kty]:
        value = jwk.get(name)
        if not isinstance(value, str) or not value:
            raise _syntax(f"{source}: the {kty} JWK lacks {name!r}", "invalidJwk")
        if name != "crv":
            try:
                b64url_decode(value)
            except KeyFormatError as exc:
                message = f"{source}: JWK member {name!r}: {exc.message}"
                raise _syntax(message, "invalidJwk") from exc
    use = jwk.get("use")
    if use is not None and use not in ("sig", "enc"):
        raise _syntax(f"{source}: JWK use must be 'sig' or 'enc', not {use!r}", "invalidJwk")
    if (kty, jwk.get("crv")) in _SUPPORTED:
        try:
            PublicKey.from_jwk(jwk)
        except KeyFormatError as exc:
            raise _syntax(f"{source}: {exc.message}", "invalidPublicKey") from exc


def did_jwk_from_jwk(jwk: Mapping[str, Any]) -> str:
    """``did:jwk:`` + base64url(JCS(jwk)); ``jwk`` must be public (see the module doc)."""
    if not isinstance(jwk, Mapping):
        raise _syntax("a JWK must be a JSON object", "invalidJwk")
    _check_public_jwk(jwk, "did:jwk")
    try:
        canonical = rfc8785.dumps(dict(jwk))
    except (rfc8785.CanonicalizationError, TypeError) as exc:
        raise _syntax(f"the JWK is not canonicalizable JSON: {exc}", "invalidJwk") from exc
    return DID_JWK_PREFIX + b64url_encode(canonical)


def did_jwk_from_public_key(public_key: PublicKey) -> str:
    """The did:jwk of ``public_key``'s minimal JWK (``kty``, ``crv``, ``x`` [, ``y``])."""
    return did_jwk_from_jwk(public_key.to_jwk())


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise _syntax(f"the JWK has the member {name!r} twice", "invalidJwk")
        result[name] = value
    return result


def jwk_from_did_jwk(did: str) -> dict[str, Any]:
    """The public JWK a did:jwk encodes (Read steps 1-4), members as serialized."""
    if not isinstance(did, str) or not did.startswith(DID_JWK_PREFIX):
        raise _syntax(f"not a did:jwk DID: {did!r}")
    value = did[len(DID_JWK_PREFIX) :]
    if len(value) > MAX_DID_JWK_LENGTH:
        raise _syntax(f"a did:jwk longer than {MAX_DID_JWK_LENGTH} characters is refused")
    if _B64URL.fullmatch(value) is None:
        raise _syntax(f"a did:jwk is did:jwk:<base64url>, not {did[:80]!r}")
    try:
        text = b64url_decode(value).decode("utf-8")
        jwk = json.loads(text, object_pairs_hook=_refuse_duplicates)
    except KeyFormatError as exc:
        raise _syntax(f"did:jwk: {exc.message}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _syntax(f"did:jwk does not encode UTF-8 JSON: {exc}") from exc
    if not isinstance(jwk, dict):
        raise _syntax("did:jwk does not encode a JSON object", "invalidJwk")
    _check_public_jwk(jwk, "did:jwk")
    return jwk


def public_key_from_did_jwk(did: str) -> PublicKey:
    """The Ed25519 or P-256 key of a did:jwk (other key types: ``unsupportedPublicKeyType``)."""
    jwk = jwk_from_did_jwk(did)
    if (jwk.get("kty"), jwk.get("crv")) not in _SUPPORTED:
        raise DidResolutionError(
            f"did:jwk key type kty={jwk.get('kty')!r} crv={jwk.get('crv')!r} is not supported",
            details={"error": "unsupportedPublicKeyType", "method": "jwk"},
        )
    return PublicKey.from_jwk(jwk)


def did_jwk_verification_method_id(did: str) -> str:
    """``<did>#0``: "the DID URL fragment identifier is always a fixed #0 value" (checked)."""
    jwk_from_did_jwk(did)
    return did + "#0"


def did_jwk_document(did: str) -> dict[str, Any]:
    """The DID document of ``did`` ("To create the DID Document")."""
    jwk = jwk_from_did_jwk(did)
    vm_id = did + "#0"
    document: dict[str, Any] = {
        "@context": [DID_V1_CONTEXT, JWS_2020_CONTEXT],
        "id": did,
        "verificationMethod": [
            {"id": vm_id, "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": jwk}
        ],
    }
    listed = _RELATIONSHIPS[jwk.get("use")]
    for relationship in _DOCUMENT_ORDER:
        if relationship in listed:
            document[str(relationship)] = [vm_id]
    return document
