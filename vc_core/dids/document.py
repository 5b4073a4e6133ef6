"""DID documents: the builder for our did:web document and a reader for any DID document.

Spec: DID Core 1.0 §3.1 (DID syntax), §3.2 (DID URL syntax), §5.2 (verification methods),
§5.3 (verification relationships); Controlled Identifiers 1.0 §2.2 (``Multikey``,
``JsonWebKey``, ``expires``, ``revoked``); specs.md §8.1 (document skeleton), §8.4 (rotation).

* :func:`build_did_document` writes the coordinating provider's ``did.json``: absolute
  verification-method ids (did:web: "Whenever a DID URL is present within a did:web document, it
  must be an absolute URL ... [this] prevents key confusion attacks"), one ``controller`` per
  method, and the relationships each key is published for. A *retired* key (rotated out,
  specs.md §8.4) stays in ``verificationMethod`` and in ``assertionMethod`` so that credentials
  it signed keep verifying, but leaves every other relationship: it no longer proves control. A
  *revoked* key (compromise) stays listed with its ``revoked`` time and in no relationship.
* :class:`DidDocument` reads a document someone else published: it checks ``id``, finds a
  verification method by absolute or relative id, checks it is listed under a relationship (by
  reference or embedded), and turns it into a :class:`~vc_core.keys.PublicKey`. A method whose id
  or ``controller`` names another DID is refused for this document (key confusion guard).

Reader failures raise :class:`~vc_core.errors.DidResolutionError` whose ``details["error"]`` is
one of the DID Resolution error names: ``invalidDidDocument``, ``notFound``,
``invalidPublicKey``, ``unsupportedPublicKeyType``, or ours, ``notAuthorized`` (the method is not
listed under the relationship asked for).
"""

from __future__ import annotations

import copy
import enum
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vc_core.dids.did_web import did_web_to_url
from vc_core.errors import DidResolutionError, DidSyntaxError, KeyFormatError, MalformedInputError
from vc_core.keys import KeyType, PublicKey

__all__ = [
    "DID_V1_CONTEXT",
    "JWK_V1_CONTEXT",
    "JWS_2020_CONTEXT",
    "MULTIKEY_V1_CONTEXT",
    "SUPPORTED_VERIFICATION_METHOD_TYPES",
    "DidDocument",
    "KeyRepresentation",
    "PublishedKey",
    "Relationship",
    "VerificationMethod",
    "build_did_document",
    "check_did",
    "split_did_url",
]

DID_V1_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1_CONTEXT = "https://w3id.org/security/multikey/v1"
JWK_V1_CONTEXT = "https://w3id.org/security/jwk/v1"
JWS_2020_CONTEXT = "https://w3id.org/security/suites/jws-2020/v1"

# DID Core §3.1: did = "did:" method-name ":" method-specific-id
_IDCHAR = r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})"
_DID = re.compile(rf"did:[a-z0-9]+:(?:{_IDCHAR}*:)*{_IDCHAR}+")
# RFC 3986 §3.5 fragment = *( pchar / "/" / "?" ); we refuse an empty fragment.
_FRAGMENT = re.compile(r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})+")
# Fragments we publish ourselves: date-named ids such as "ed-2026-11" (specs.md §8.4).
_OWN_FRAGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]*")

_SECRET_MEMBERS = ("secretKeyMultibase", "secretKeyJwk", "privateKeyMultibase", "privateKeyJwk")


class Relationship(enum.StrEnum):
    """Verification relationships (DID Core §5.3); a proof's ``proofPurpose`` names one."""

    AUTHENTICATION = "authentication"
    ASSERTION_METHOD = "assertionMethod"
    KEY_AGREEMENT = "keyAgreement"
    CAPABILITY_INVOCATION = "capabilityInvocation"
    CAPABILITY_DELEGATION = "capabilityDelegation"

    @classmethod
    def named(cls, value: Relationship | str) -> Relationship:
        """The relationship called ``value``; anything else (``"id"``, ``"verificationMethod"``,
        another case) raises :class:`DidResolutionError` (``notAuthorized``): a proof purpose
        taken from a proof is never used to look up an arbitrary member of a document."""
        try:
            return cls(value)
        except ValueError as exc:
            raise DidResolutionError(
                f"{value!r} is not a verification relationship",
                details={"error": "notAuthorized", "supported": [str(r) for r in cls]},
            ) from exc


# the order the builder writes them in
_RELATIONSHIP_ORDER = (
    Relationship.ASSERTION_METHOD,
    Relationship.AUTHENTICATION,
    Relationship.CAPABILITY_INVOCATION,
    Relationship.CAPABILITY_DELEGATION,
    Relationship.KEY_AGREEMENT,
)


class KeyRepresentation(enum.StrEnum):
    """How the builder publishes a key (Controlled Identifiers 1.0 §2.2.2, §2.2.3)."""

    MULTIKEY = "Multikey"
    JSON_WEB_KEY = "JsonWebKey"


SUPPORTED_VERIFICATION_METHOD_TYPES = frozenset(
    {"Multikey", "JsonWebKey", "JsonWebKey2020", "Ed25519VerificationKey2020"}
)
"""Types the reader turns into keys (specs.md §8.1: "Verifiers should accept ...")."""


# -- DID and DID URL syntax ---------------------------------------------------------------------
def check_did(did: object) -> str:
    """Return ``did`` if it is a DID (DID Core §3.1) with no path, query or fragment.

    Raises :class:`DidSyntaxError` otherwise.
    """
    if not isinstance(did, str) or _DID.fullmatch(did) is None:
        raise DidSyntaxError(f"not a DID: {did!r}", details={"error": "invalidDid"})
    return did


def split_did_url(did_url: object) -> tuple[str, str | None]:
    """Split ``did#fragment`` into ``(did, fragment)``; ``fragment`` is None when absent.

    Only the DID URL forms a verification method id takes are accepted: a DID, optionally with
    a non-empty fragment (DID Core §3.2). A path or query is refused (:class:`DidSyntaxError`).
    """
    if not isinstance(did_url, str):
        raise DidSyntaxError("a DID URL must be a string", details={"error": "invalidDidUrl"})
    did, sep, fragment = did_url.partition("#")
    if _DID.fullmatch(did) is None:
        raise DidSyntaxError(
            f"not a DID URL of the form did:<method>:<id>[#fragment]: {did_url!r}",
            details={"error": "invalidDidUrl"},
        )
    if not sep:
        return did, None
    if _FRAGMENT.fullmatch(fragment) is None:
        raise DidSyntaxError(
            f"invalid fragment in DID URL {did_url!r}", details={"error": "invalidDidUrl"}
        )
    return did, fragment


def _xsd_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise MalformedInputError("key timestamps must be time-zone aware")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# -- builder --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PublishedKey:
    """One key the coordinating provider publishes in its DID document (specs.md §8.1, §8.4).

    ``fragment`` is the id within the document (``"ed-2026-11"``, no ``#``); never reuse one.
    ``retired`` is when the key was rotated out: it keeps ``assertionMethod`` only, so that the
    credentials it signed keep verifying. ``revoked`` (compromise) and ``expires`` are written as
    the Controlled Identifiers 1.0 properties of the same name; a revoked key is listed under no
    relationship.
    """

    fragment: str
    public_key: PublicKey
    representation: KeyRepresentation = KeyRepresentation.MULTIKEY
    relationships: frozenset[Relationship] = frozenset({Relationship.ASSERTION_METHOD})
    retired: datetime | None = None
    expires: datetime | None = None
    revoked: datetime | None = None

    def published_relationships(self) -> frozenset[Relationship]:
        """The relationships the key is listed under once rotation and revocation apply."""
        if self.revoked is not None:
            return frozenset()
        if self.retired is not None:
            return self.relationships & {Relationship.ASSERTION_METHOD}
        return frozenset(self.relationships)


def _verification_method_json(did: str, key: PublishedKey) -> dict[str, Any]:
    method: dict[str, Any] = {
        "id": f"{did}#{key.fragment}",
        "type": str(key.representation),
        "controller": did,
    }
    if key.representation is KeyRepresentation.MULTIKEY:
        method["publicKeyMultibase"] = key.public_key.multikey
    else:
        method["publicKeyJwk"] = key.public_key.to_jwk()
    if key.expires is not None:
        method["expires"] = _xsd_datetime(key.expires)
    if key.revoked is not None:
        method["revoked"] = _xsd_datetime(key.revoked)
    return method


def build_did_document(did: str, keys: Sequence[PublishedKey]) -> dict[str, Any]:
    """The DID document for ``did`` publishing ``keys`` (specs.md §8.1 skeleton, §8.4 rotation).

    ``@context`` is DID v1 + Multikey v1 + JWK v1. Every verification method id is absolute
    (``did:web:…#ed-2026-11``) and its ``controller`` is ``did``. Relationships with no key are
    left out. Raises :class:`DidSyntaxError` for a bad DID or fragment and
    :class:`MalformedInputError` for duplicate fragments, no keys, an Ed25519 key offered for
    ``keyAgreement``, or time-zone-naive timestamps.
    """
    check_did(did)
    if did.startswith("did:web:"):
        did_web_to_url(did)  # the stricter did:web syntax
    if not keys:
        raise MalformedInputError("a DID document needs at least one key")
    seen: set[str] = set()
    for key in keys:
        if not isinstance(key.fragment, str) or _OWN_FRAGMENT.fullmatch(key.fragment) is None:
            raise DidSyntaxError(
                f"invalid key fragment {key.fragment!r}: use letters, digits, '.', '_', '~', '-'",
                details={"error": "invalidDidUrl"},
            )
        if key.fragment in seen:
            raise MalformedInputError(f"key fragment {key.fragment!r} is used twice")
        seen.add(key.fragment)
        for instant in (key.retired, key.expires, key.revoked):
            if instant is not None:
                _xsd_datetime(instant)  # refuses naive datetimes
        if (
            Relationship.KEY_AGREEMENT in key.relationships
            and key.public_key.key_type is KeyType.ED25519
        ):
            raise MalformedInputError(f"Ed25519 key {key.fragment!r} cannot do keyAgreement")

    document: dict[str, Any] = {
        "@context": [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT, JWK_V1_CONTEXT],
        "id": did,
        "verificationMethod": [_verification_method_json(did, key) for key in keys],
    }
    for relationship in _RELATIONSHIP_ORDER:
        listed = [
            f"{did}#{key.fragment}" for key in keys if relationship in key.published_relationships()
        ]
        if listed:
            document[str(relationship)] = listed
    return document


# -- reader ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VerificationMethod:
    """A verification method read from a DID document, its key decoded.

    ``expires`` and ``revoked`` are the Controlled Identifiers 1.0 properties, when present; the
    caller compares them with its clock.
    """

    id: str
    type: str
    controller: str
    public_key: PublicKey
    expires: datetime | None = None
    revoked: datetime | None = None


def _invalid(message: str, **details: Any) -> DidResolutionError:
    return DidResolutionError(message, details={"error": "invalidDidDocument", **details})


def _parse_datetime(value: object, name: str, vm_id: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(f"{name} of {vm_id} must be an XSD dateTime string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _invalid(f"{name} of {vm_id} is not a dateTime: {value!r}") from exc
    if parsed.tzinfo is None:
        raise _invalid(f"{name} of {vm_id} has no time zone: {value!r}")
    return parsed


def _decode_key(method: Mapping[str, Any], vm_id: str) -> PublicKey:
    vm_type = method.get("type")
    if vm_type not in SUPPORTED_VERIFICATION_METHOD_TYPES:
        raise DidResolutionError(
            f"verification method {vm_id} has unsupported type {vm_type!r}",
            details={
                "error": "unsupportedPublicKeyType",
                "supported": sorted(SUPPORTED_VERIFICATION_METHOD_TYPES),
            },
        )
    secrets = [name for name in _SECRET_MEMBERS if name in method]
    if secrets:
        raise _invalid(f"verification method {vm_id} publishes secret key material", found=secrets)
    has_multibase = "publicKeyMultibase" in method
    has_jwk = "publicKeyJwk" in method
    if has_multibase == has_jwk:
        raise _invalid(
            f"verification method {vm_id} needs exactly one of publicKeyMultibase, publicKeyJwk"
        )
    multibase_types = {"Multikey", "Ed25519VerificationKey2020"}
    if has_multibase != (vm_type in multibase_types):
        member = "publicKeyMultibase" if has_multibase else "publicKeyJwk"
        raise _invalid(f"verification method {vm_id} of type {vm_type} cannot carry {member}")
    try:
        if has_multibase:
            key = PublicKey.from_multikey(method["publicKeyMultibase"])
        else:
            key = PublicKey.from_jwk(method["publicKeyJwk"])
    except KeyFormatError as exc:
        raise DidResolutionError(
            f"verification method {vm_id}: {exc.message}",
            details={"error": "invalidPublicKey", **exc.details},
        ) from exc
    if vm_type == "Ed25519VerificationKey2020" and key.key_type is not KeyType.ED25519:
        raise DidResolutionError(
            f"verification method {vm_id}: Ed25519VerificationKey2020 carries a {key.key_type} key",
            details={"error": "invalidPublicKey"},
        )
    return key


@dataclass(frozen=True)
class DidDocument:
    """A parsed DID document; build it with :meth:`parse`.

    ``document`` is a private deep copy of the JSON the resolver returned.
    """

    id: str
    document: Mapping[str, Any]

    @classmethod
    def parse(cls, document: Mapping[str, Any], *, did: str | None = None) -> DidDocument:
        """Check the document's shape, and that its ``id`` equals ``did`` when given.

        did:web Read step 7: "Verify that the ID of the resolved DID document matches the Web
        DID being resolved." Raises :class:`DidResolutionError` (``invalidDidDocument``).
        """
        if not isinstance(document, Mapping):
            raise _invalid("a DID document must be a JSON object")
        doc_id = document.get("id")
        if not isinstance(doc_id, str) or _DID.fullmatch(doc_id) is None:
            raise _invalid(f"the DID document id is not a DID: {doc_id!r}")
        if did is not None and doc_id != did:
            raise _invalid(
                f"the DID document id {doc_id!r} does not match the DID resolved, {did!r}",
                expected=did,
                found=doc_id,
            )
        methods = document.get("verificationMethod", [])
        if not isinstance(methods, list) or not all(isinstance(m, Mapping) for m in methods):
            raise _invalid("verificationMethod must be a list of objects")
        for relationship in Relationship:
            entries = document.get(str(relationship), [])
            if not isinstance(entries, list) or not all(
                isinstance(e, str | Mapping) for e in entries
            ):
                raise _invalid(f"{relationship} must be a list of references or objects")
        return cls(doc_id, copy.deepcopy(dict(document)))

    def absolute(self, reference: str) -> str:
        """``#key-1`` → ``<id>#key-1``; an absolute DID URL is checked and returned as is."""
        if isinstance(reference, str) and reference.startswith("#"):
            reference = self.id + reference
        split_did_url(reference)
        return reference

    def _method_id(self, method: Mapping[str, Any]) -> str:
        raw = method.get("id")
        if not isinstance(raw, str):
            raise _invalid("a verification method has no string id")
        try:
            return self.absolute(raw)
        except DidSyntaxError as exc:
            raise _invalid(f"verification method id {raw!r} is not a DID URL") from exc

    def _methods(self) -> Iterator[Mapping[str, Any]]:
        yield from self.document.get("verificationMethod", [])
        for relationship in Relationship:
            for entry in self.document.get(str(relationship), []):
                if isinstance(entry, Mapping):
                    yield entry

    def verification_method(self, vm_id: str) -> VerificationMethod:
        """Find the verification method ``vm_id`` (absolute, or ``#fragment``) and decode it.

        Refused (:class:`DidResolutionError`): an id whose DID is not this document's, no such
        method (``notFound``), two different methods under one id, a ``controller`` other than
        this document's DID, an unsupported type or a key that does not decode.
        """
        target = self.absolute(vm_id)
        did, fragment = split_did_url(target)
        if fragment is None:
            raise DidSyntaxError(
                f"a verification method id needs a fragment: {vm_id!r}",
                details={"error": "invalidDidUrl"},
            )
        if did != self.id:
            raise _invalid(f"{target} belongs to {did}, not to the DID document of {self.id}")
        matches = [m for m in self._methods() if self._method_id(m) == target]
        if not matches:
            raise DidResolutionError(
                f"no verification method {target} in the DID document of {self.id}",
                details={"error": "notFound"},
            )
        if any(m != matches[0] for m in matches[1:]):
            raise _invalid(f"two different verification methods share the id {target}")
        method = matches[0]
        controller = method.get("controller")
        if controller != self.id:
            raise _invalid(
                f"verification method {target} is controlled by {controller!r}, not {self.id}",
                expected=self.id,
                found=controller,
            )
        return VerificationMethod(
            id=target,
            type=str(method.get("type")),
            controller=self.id,
            public_key=_decode_key(method, target),
            expires=_parse_datetime(method.get("expires"), "expires", target),
            revoked=_parse_datetime(method.get("revoked"), "revoked", target),
        )

    def is_listed(self, vm_id: str, relationship: Relationship | str) -> bool:
        """True when ``vm_id`` is listed under ``relationship``, by reference or embedded."""
        target = self.absolute(vm_id)
        for entry in self.document.get(str(Relationship.named(relationship)), []):
            reference = entry if isinstance(entry, str) else entry.get("id")
            if not isinstance(reference, str):
                continue
            try:
                if self.absolute(reference) == target:
                    return True
            except DidSyntaxError:
                continue
        return False

    def verification_method_for(
        self, vm_id: str, relationship: Relationship | str
    ) -> VerificationMethod:
        """:meth:`verification_method`, refused unless listed under ``relationship``.

        The proof purpose names the relationship the key must be listed under (VC-DI §2.1
        ``proofPurpose``; checked at verification time, specs.md §8.4). An unknown relationship
        name (``"id"``, ``"verificationMethod"``...) is refused, never looked up.
        """
        wanted = Relationship.named(relationship)
        method = self.verification_method(vm_id)
        if not self.is_listed(method.id, wanted):
            raise DidResolutionError(
                f"verification method {method.id} is not listed under {wanted} "
                f"in the DID document of {self.id}",
                details={"error": "notAuthorized", "relationship": str(wanted)},
            )
        return method
