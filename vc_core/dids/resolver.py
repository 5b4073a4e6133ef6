"""DID resolution seams: the :class:`DidResolver` protocol, resolvers without I/O, and the
verification-method lookup every proof check uses (specs.md §8, §11 verifier step 4).

``vc_core`` never fetches: did:key and did:jwk are expanded locally by
:class:`LocalDidResolver`, which hands every other method to a resolver it is given (the
composition root plugs in did:web over HTTPS; tests and pinned trust use
:class:`StaticDidResolver`). :func:`resolve_verification_method` then checks, in order: the
relationship name, the DID URL syntax, the document ``id`` (did:web Read step 7), the method's
id and ``controller`` (key confusion), that it is listed under the relationship, and that it is
not ``revoked``.

Errors: :class:`~vc_core.errors.DidSyntaxError` when a DID or DID URL is malformed,
:class:`~vc_core.errors.DidResolutionError` when no usable document or key could be had; both
are :class:`~vc_core.errors.DidError`. ``details["error"]`` names the case (``invalidDid``,
``notFound``, ``methodNotSupported``, ``invalidDidDocument``, ``unsupportedPublicKeyType``,
``invalidPublicKey``, ``notAuthorized``, ``revoked``).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from vc_core.dids.did_jwk import DID_JWK_PREFIX, did_jwk_document
from vc_core.dids.did_key import DID_KEY_PREFIX, did_key_document
from vc_core.dids.document import (
    DidDocument,
    Relationship,
    VerificationMethod,
    check_did,
    split_did_url,
)
from vc_core.errors import DidResolutionError, DidSyntaxError
from vc_core.keys import PublicKey
from vc_core.memo import LruMemo

__all__ = [
    "DidResolver",
    "LocalDidResolver",
    "StaticDidResolver",
    "key_resolver",
    "resolve_verification_method",
]


class DidResolver(Protocol):
    """Anything that turns a DID into its DID document (DID Core §7.1 ``resolve``).

    ``resolve`` returns the document as a JSON object, or raises
    :class:`~vc_core.errors.DidResolutionError` (``notFound``, ``methodNotSupported``, a network
    failure...) or :class:`~vc_core.errors.DidSyntaxError` (the DID is malformed). It need not
    check the document's ``id``: :func:`resolve_verification_method` does.
    """

    def resolve(self, did: str) -> dict[str, Any]: ...


class StaticDidResolver:
    """A map-backed resolver: tests, and DIDs whose documents are pinned by configuration.

    Documents are copied in and out, so callers cannot change what it serves.
    """

    def __init__(self, documents: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self._documents: dict[str, dict[str, Any]] = {
            did: copy.deepcopy(dict(document)) for did, document in (documents or {}).items()
        }

    @classmethod
    def of(cls, *documents: Mapping[str, Any]) -> StaticDidResolver:
        """A resolver serving each document under its own ``id``."""
        resolver = cls()
        for document in documents:
            resolver.add(document)
        return resolver

    def add(self, document: Mapping[str, Any], *, did: str | None = None) -> None:
        """Serve ``document`` for ``did`` (default: its ``id``)."""
        key = did if did is not None else document.get("id")
        self._documents[check_did(key)] = copy.deepcopy(dict(document))

    def resolve(self, did: str) -> dict[str, Any]:
        try:
            return copy.deepcopy(self._documents[did])
        except KeyError:
            raise DidResolutionError(
                f"no DID document for {did}", details={"error": "notFound", "did": did}
            ) from None


class LocalDidResolver:
    """did:key and did:jwk, expanded without I/O; any other method goes to ``fallback``.

    Without a ``fallback``, other methods raise :class:`DidResolutionError`
    (``methodNotSupported``).
    """

    def __init__(self, fallback: DidResolver | None = None) -> None:
        self._fallback = fallback

    def resolve(self, did: str) -> dict[str, Any]:
        if isinstance(did, str) and did.startswith(DID_KEY_PREFIX):
            return did_key_document(did)
        if isinstance(did, str) and did.startswith(DID_JWK_PREFIX):
            return did_jwk_document(did)
        check_did(did)
        if self._fallback is None:
            method = did.split(":")[1]
            raise DidResolutionError(
                f"DID method {method!r} is not supported here: {did}",
                details={"error": "methodNotSupported", "method": method},
            )
        return self._fallback.resolve(did)


def resolve_verification_method(
    resolver: DidResolver,
    vm_id: str,
    relationship: Relationship | str,
    *,
    now: datetime | None = None,
) -> PublicKey:
    """The key of verification method ``vm_id`` if its controller lists it under
    ``relationship`` (``assertionMethod`` for credentials, ``authentication`` for
    presentations).

    ``vm_id`` must be an absolute DID URL with a fragment. The DID is resolved; the document's
    ``id`` must equal it; the method must belong to that DID and be controlled by it, be listed
    under ``relationship``, carry no ``revoked``, and not have ``expires`` before ``now``
    (default: the current time; Controlled Identifiers 1.0 §2.2). A revoked key is refused
    whatever the proof's ``created``: after a compromise, the signer's clock is the attacker's.
    """
    wanted = Relationship.named(relationship)  # before any resolution
    did, fragment = split_did_url(vm_id)
    if fragment is None:
        raise DidSyntaxError(
            f"a verification method id is a DID URL with a fragment, not {vm_id!r}",
            details={"error": "invalidDidUrl"},
        )
    method = _method_for(resolver.resolve(did), did, vm_id, wanted)
    if method.revoked is not None:
        raise DidResolutionError(
            f"verification method {method.id} was revoked at {method.revoked.isoformat()}",
            details={"error": "revoked", "revoked": method.revoked.isoformat()},
        )
    moment = now or datetime.now(UTC)
    if method.expires is not None and method.expires <= moment:
        raise DidResolutionError(
            f"verification method {method.id} expired at {method.expires.isoformat()}",
            details={"error": "expired", "expires": method.expires.isoformat()},
        )
    return method.public_key


_METHODS: LruMemo[tuple[bytes, str, str, Relationship], VerificationMethod] = LruMemo(512)
"""Verification methods found before, by the exact JSON of the document they were read from
(its SHA-256, so that large documents cost no memory here):
parsing a DID document and decoding its keys is most of what resolving a key costs, and the
same few documents come back in thousands of verifications."""


_PLAIN_JSON_ONLY = (  # what orjson would write as if it were JSON (datetimes...) is refused
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _method_for(
    raw: Mapping[str, Any], did: str, vm_id: str, wanted: Relationship
) -> VerificationMethod:
    """``DidDocument.parse(raw, did=did).verification_method_for(vm_id, wanted)``, from
    :data:`_METHODS` when this very document gave it before (only successes are kept)."""
    try:
        text = orjson.dumps(raw, option=_PLAIN_JSON_ONLY)
    except TypeError:  # not plain JSON data: parsed (and refused) as it is, never kept
        return DidDocument.parse(raw, did=did).verification_method_for(vm_id, wanted)
    key = (hashlib.sha256(text).digest(), did, vm_id, wanted)  # a digest: entries stay small
    method = _METHODS.get(key)
    if method is None:
        method = DidDocument.parse(raw, did=did).verification_method_for(vm_id, wanted)
        _METHODS.put(key, method)
    return method


def key_resolver(
    resolver: DidResolver, *, clock: Callable[[], datetime] | None = None
) -> Callable[[str, str], PublicKey]:
    """``(verification_method_id, proof_purpose) -> PublicKey`` over ``resolver``: the
    ``KeyResolver`` that :mod:`vc_core.proofs` asks for (``clock`` decides key expiry)."""

    def resolve_key(vm_id: str, proof_purpose: str) -> PublicKey:
        return resolve_verification_method(
            resolver, vm_id, proof_purpose, now=clock() if clock else None
        )

    return resolve_key
