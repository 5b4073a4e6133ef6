"""JWT VC Issuer Metadata: the keys of an SD-JWT VC issuer whose ``iss`` is an https URL.

draft-ietf-oauth-sd-jwt-vc §3 ("JWT VC Issuer Metadata"; brief §4.2):

* §3.1 the document lives at the issuer's host with ``/.well-known/jwt-vc-issuer`` inserted
  between host and path, any trailing ``/`` of the path removed first:
  ``https://uni.example/alliance/x`` → ``https://uni.example/.well-known/jwt-vc-issuer/alliance/x``
  (:func:`jwt_vc_issuer_metadata_url`). ``iss`` is an ``https`` URL with a host, no query, no
  fragment (and here: no user information). ``http`` is accepted only for a loopback host and only
  when the client says so (:attr:`JwtVcIssuerMetadataClient.allow_loopback_http`: development
  and tests), else the issuer is ``invalid_issuer``.
* §3.2/§3.3 the response is a JSON object whose ``issuer`` "MUST be identical to the ``iss``
  value in the JWT" (exact string equality, else ``issuer_metadata_mismatch``) and which holds
  the keys either by value (``jwks``, a JWK Set, RFC 7517 §5) or by reference (``jwks_uri``,
  fetched under the same URL rule) — exactly one of the two.
* The key is the one whose ``kid`` is the Issuer-signed JWT header's ``kid``; a header without
  ``kid`` may use the only key of a one-key set. Anything else is ``unknown_key``.

What :func:`parse_jwt_vc_issuer_metadata` / :func:`parse_jwk_set` refuse (the whole document,
``invalid_issuer_metadata``): not an object, ``jwks`` and ``jwks_uri`` both or neither, a JWK Set
that is not ``{"keys": [objects with a string kty]}`` or holds more than :data:`MAX_KEYS`, *any*
private or secret key member (``d``, ``p``, ``q``, ``dp``, ``dq``, ``qi``, ``oth``, ``k``: an issuer
publishing those has leaked them), two keys with the same ``kid``. What makes only the chosen key
unusable (:meth:`IssuerKeySet.key_for`): ``use`` other than ``sig`` or ``key_ops`` without
``verify`` (``key_not_usable``), an ``alg`` other than the JWS header's (``key_not_usable``), a
JWK ``vc_core`` cannot read (``invalid_public_key``: unsupported types elsewhere in the set are
fine).

:class:`JwtVcIssuerMetadataClient` is the port the composition root fills in (the guarded
fetcher, and local answers for the service's own issuer); :class:`StaticIssuerMetadataClient`
serves fixed documents (tests, pinned configuration). :func:`fetch_issuer_keys` and
:func:`issuer_key` put the rules and the port together; an unknown ``kid`` refetches the document
once with ``force_fresh`` (a key rotated in since it was cached).

The error tree (``code`` is the ``issuer_key`` check's code)::

    vc_core.errors.VcCoreError
    └── IssuerMetadataError              invalid_issuer_metadata
        ├── InvalidIssuerUrl             invalid_issuer
        ├── IssuerMetadataUnavailable    issuer_metadata_unavailable (what clients raise)
        ├── IssuerMetadataMismatch       issuer_metadata_mismatch
        ├── UnknownIssuerKey             unknown_key
        ├── IssuerKeyNotUsable           key_not_usable
        └── InvalidIssuerKey             invalid_public_key
"""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol
from urllib.parse import SplitResult, urlsplit

from vc_core.errors import SECURITY_PROBLEM, KeyFormatError, VcCoreError
from vc_core.json_codec import json_copy
from vc_core.keys import PublicKey

__all__ = [
    "MAX_KEYS",
    "PRIVATE_KEY_MEMBERS",
    "WELL_KNOWN_JWT_VC_ISSUER",
    "InvalidIssuerKey",
    "InvalidIssuerUrl",
    "IssuerJwk",
    "IssuerKeyNotUsable",
    "IssuerKeySet",
    "IssuerMetadataError",
    "IssuerMetadataMismatch",
    "IssuerMetadataUnavailable",
    "JwtVcIssuerMetadata",
    "JwtVcIssuerMetadataClient",
    "StaticIssuerMetadataClient",
    "UnknownIssuerKey",
    "fetch_issuer_keys",
    "is_https_issuer",
    "issuer_key",
    "jwt_vc_issuer_metadata_url",
    "parse_jwk_set",
    "parse_jwt_vc_issuer_metadata",
]

WELL_KNOWN_JWT_VC_ISSUER = "/.well-known/jwt-vc-issuer"
MAX_KEYS = 64
"""Keys read from one JWK Set (a denial-of-service guard; an issuer keeps a handful)."""
PRIVATE_KEY_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
"""RFC 7518 §6.2.2, §6.3.2 (EC/RSA private parts) and §6.4.1 (``k``, a symmetric secret)."""

_PROOF_ERROR = SECURITY_PROBLEM + "PROOF_VERIFICATION_ERROR"


# -- errors ------------------------------------------------------------------------------------


class IssuerMetadataError(VcCoreError):
    """The issuer's key cannot be had from its JWT VC Issuer Metadata (module doc)."""

    code: ClassVar[str] = "invalid_issuer_metadata"
    problem_type: ClassVar[str] = _PROOF_ERROR


class InvalidIssuerUrl(IssuerMetadataError):
    """``iss`` cannot name JWT VC Issuer Metadata (not https, a query, a fragment, …)."""

    code = "invalid_issuer"


class IssuerMetadataUnavailable(IssuerMetadataError):
    """The document could not be retrieved: network, HTTP status, size, not a JSON object.

    Raised by :class:`JwtVcIssuerMetadataClient` implementations; ``details["fetch_error"]``
    says why when the client knows."""

    code = "issuer_metadata_unavailable"

    def __init__(self, message: str, *, url: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, details={**(details or {}), "url": url})
        self.url = url


class IssuerMetadataMismatch(IssuerMetadataError):
    """The document's ``issuer`` is not the credential's ``iss`` (§3.3)."""

    code = "issuer_metadata_mismatch"


class UnknownIssuerKey(IssuerMetadataError):
    """No key of the set is named by the header (or no ``kid`` and not exactly one key)."""

    code = "unknown_key"


class IssuerKeyNotUsable(IssuerMetadataError):
    """The named key is not for verifying signatures with the header's ``alg``."""

    code = "key_not_usable"


class InvalidIssuerKey(IssuerMetadataError):
    """The named key is a JWK ``vc_core`` cannot read (type, curve, coordinates)."""

    code = "invalid_public_key"


# -- the URL rule --------------------------------------------------------------------------------


def _is_loopback_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_https_issuer(iss: str) -> bool:
    """Whether ``iss`` is a URL that names JWT VC Issuer Metadata (``https:``, or ``http:`` for
    the loopback rule): what is no DID and looks like a web URL goes through this module."""
    return iss.startswith(("https://", "http://"))


def _web_url(url: str, *, allow_loopback_http: bool, what: str) -> SplitResult:
    """``url`` split, if it is an https URL with a host and without user information (``http``
    only for a loopback host with ``allow_loopback_http``); else :class:`InvalidIssuerUrl`."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port outside 0-65535
    except ValueError as exc:
        raise InvalidIssuerUrl(f"{what} {url!r} is not a URL: {exc}") from None
    host = parts.hostname
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidIssuerUrl(f"{what} {url!r} is not an https URL with a host")
    if parts.scheme == "http" and not (allow_loopback_http and _is_loopback_host(host)):
        raise InvalidIssuerUrl(
            f"{what} {url!r} is an http URL: only https is accepted"
            + (" (http for loopback hosts only)" if allow_loopback_http else ""),
            details={"scheme": "http"},
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidIssuerUrl(f"{what} {url!r} carries user information")
    return parts


def jwt_vc_issuer_metadata_url(issuer: str, *, allow_loopback_http: bool = False) -> str:
    """Where the JWT VC Issuer Metadata of ``issuer`` is (§3.1); raises
    :class:`InvalidIssuerUrl` for an ``iss`` that cannot have any (module doc)."""
    parts = _web_url(issuer, allow_loopback_http=allow_loopback_http, what="iss")
    if parts.query or parts.fragment or "?" in issuer or "#" in issuer:
        raise InvalidIssuerUrl(f"iss {issuer!r} has a query or fragment (§3.1)")
    return f"{parts.scheme}://{parts.netloc}{WELL_KNOWN_JWT_VC_ISSUER}{parts.path.rstrip('/')}"


# -- documents -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuerJwk:
    """One key of an issuer's JWK Set, as published (public members only)."""

    jwk: Mapping[str, Any]

    @property
    def kid(self) -> str | None:
        kid = self.jwk.get("kid")
        return kid if isinstance(kid, str) else None

    def public_key(self, alg: str | None) -> PublicKey:
        """The key for verifying a JWS with ``alg``; raises :class:`IssuerKeyNotUsable` or
        :class:`InvalidIssuerKey`."""
        name = self.kid or "the only key"
        use = self.jwk.get("use")
        if use is not None and use != "sig":
            raise IssuerKeyNotUsable(f"{name} is published for use {use!r}, not for signatures")
        ops = self.jwk.get("key_ops")
        if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
            raise IssuerKeyNotUsable(f"{name} is published with key_ops {ops!r}, without verify")
        key_alg = self.jwk.get("alg")
        if key_alg is not None and key_alg != alg:
            raise IssuerKeyNotUsable(f"{name} is published for alg {key_alg!r}, the JWS is {alg!r}")
        try:
            return _public_key(self.jwk)
        except KeyFormatError as exc:
            raise InvalidIssuerKey(f"{name}: {exc.message}") from None


_PUBLIC_KEYS: dict[tuple[str, str, str, str], PublicKey] = {}
_PUBLIC_KEYS_MAX = 256


def _public_key(jwk: Mapping[str, Any]) -> PublicKey:
    """:meth:`PublicKey.from_jwk`, decoded once per key (``kty``, ``crv``, ``x``, ``y`` are all
    it reads): every verification of an https issuer's credential and Status List Token would
    otherwise decode its JWK again. Refusals are not remembered."""
    kty, crv, x, y = (jwk.get(name, "") for name in ("kty", "crv", "x", "y"))
    if "d" in jwk or not all(isinstance(part, str) for part in (kty, crv, x, y)):
        return PublicKey.from_jwk(jwk)
    cache_key = (kty, crv, x, y)
    key = _PUBLIC_KEYS.get(cache_key)
    if key is None:
        key = PublicKey.from_jwk(jwk)
        if len(_PUBLIC_KEYS) >= _PUBLIC_KEYS_MAX:
            _PUBLIC_KEYS.clear()
        _PUBLIC_KEYS[cache_key] = key
    return key


@dataclass(frozen=True)
class IssuerKeySet:
    """The validated keys of one issuer: ``issuer`` (= its ``iss``), where they came from."""

    issuer: str
    source: str
    keys: tuple[IssuerJwk, ...]

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(k.kid for k in self.keys if k.kid is not None)

    def find(self, kid: str | None) -> IssuerJwk:
        """The key named ``kid``; without ``kid``, the only key of a one-key set."""
        if kid is None:
            if len(self.keys) == 1:
                return self.keys[0]
            raise UnknownIssuerKey(
                f"the JWS names no kid and {self.source} publishes {len(self.keys)} keys",
                details={"keys": len(self.keys)},
            )
        for key in self.keys:
            if key.kid == kid:
                return key
        raise UnknownIssuerKey(
            f"{self.source} publishes no key {kid!r}", details={"kid": kid, "kids": self.kids}
        )

    def key_for(self, kid: str | None, *, alg: str | None) -> PublicKey:
        """:meth:`find`, then :meth:`IssuerJwk.public_key` for ``alg``."""
        return self.find(kid).public_key(alg)


def parse_jwk_set(document: object, *, source: str) -> tuple[IssuerJwk, ...]:
    """The keys of a JWK Set (RFC 7517 §5) under the rules of the module doc."""
    if not isinstance(document, Mapping):
        raise IssuerMetadataError(f"the JWK Set of {source} is not a JSON object")
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise IssuerMetadataError(f"the JWK Set of {source} has no keys array")
    if len(keys) > MAX_KEYS:
        raise IssuerMetadataError(
            f"the JWK Set of {source} has {len(keys)} keys; at most {MAX_KEYS} are read",
            details={"keys": len(keys), "max_keys": MAX_KEYS},
        )
    parsed: list[IssuerJwk] = []
    seen: set[str] = set()
    for index, key in enumerate(keys):
        if not isinstance(key, Mapping) or not isinstance(key.get("kty"), str):
            raise IssuerMetadataError(
                f"key [{index}] of {source} is not a JWK (an object with a string kty)",
                details={"index": index},
            )
        private = sorted(PRIVATE_KEY_MEMBERS & set(key))
        if private:
            raise IssuerMetadataError(
                f"key [{index}] of {source} publishes private key members {private}",
                details={"index": index, "members": private},
            )
        kid = key.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise IssuerMetadataError(
                f"key [{index}] of {source} has a kid that is not a string",
                details={"index": index},
            )
        if kid is not None:
            if kid in seen:
                raise IssuerMetadataError(
                    f"{source} publishes two keys with kid {kid!r}", details={"kid": kid}
                )
            seen.add(kid)
        parsed.append(IssuerJwk(json_copy(dict(key))))
    return tuple(parsed)


@dataclass(frozen=True)
class JwtVcIssuerMetadata:
    """A checked metadata document: its keys by value (``jwks``) or by reference."""

    issuer: str
    jwks: tuple[IssuerJwk, ...] | None
    jwks_uri: str | None


def parse_jwt_vc_issuer_metadata(
    document: object, *, issuer: str, source: str
) -> JwtVcIssuerMetadata:
    """Check a JWT VC Issuer Metadata document for ``issuer`` (§3.2, §3.3): keys by value, or
    the ``jwks_uri`` to fetch them from."""
    if not isinstance(document, Mapping):
        raise IssuerMetadataError(f"the JWT VC Issuer Metadata at {source} is not a JSON object")
    published = document.get("issuer")
    if published != issuer:
        raise IssuerMetadataMismatch(
            f"the JWT VC Issuer Metadata at {source} is for issuer {published!r}, not {issuer!r}",
            details={"issuer": published if isinstance(published, str) else None},
        )
    has_jwks, has_uri = "jwks" in document, "jwks_uri" in document
    if has_jwks == has_uri:
        raise IssuerMetadataError(
            f"the JWT VC Issuer Metadata at {source} must have exactly one of jwks and jwks_uri"
        )
    if has_jwks:
        return JwtVcIssuerMetadata(issuer, parse_jwk_set(document["jwks"], source=source), None)
    uri = document["jwks_uri"]
    if not isinstance(uri, str) or not uri:
        raise IssuerMetadataError(f"the jwks_uri of {source} is not a URL string")
    return JwtVcIssuerMetadata(issuer, None, uri)


# -- the port ------------------------------------------------------------------------------------


class JwtVcIssuerMetadataClient(Protocol):
    """Retrieves JWT VC Issuer Metadata and JWK Sets; all the checks are this module's."""

    @property
    def allow_loopback_http(self) -> bool:
        """Whether ``http://`` issuers on loopback hosts are accepted (development, tests)."""
        ...

    def fetch_jwt_vc_issuer_metadata(
        self, url: str, *, force_fresh: bool = False
    ) -> dict[str, Any]:
        """The JSON object served at ``url`` (:func:`jwt_vc_issuer_metadata_url`), not yet
        checked; ``force_fresh`` bypasses any cache. Raises :class:`IssuerMetadataUnavailable`."""
        ...

    def fetch_jwk_set(self, url: str, *, force_fresh: bool = False) -> dict[str, Any]:
        """The JSON object served at a ``jwks_uri``. Raises :class:`IssuerMetadataUnavailable`."""
        ...


class StaticIssuerMetadataClient:
    """A :class:`JwtVcIssuerMetadataClient` over URL → document maps; records every request
    as ``(url, force_fresh)``. Documents are copied in and out; an unknown URL raises
    :class:`IssuerMetadataUnavailable` (as a ``404`` would)."""

    def __init__(
        self,
        documents: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        jwk_sets: Mapping[str, Mapping[str, Any]] | None = None,
        allow_loopback_http: bool = False,
    ) -> None:
        self._documents = {u: copy.deepcopy(dict(d)) for u, d in (documents or {}).items()}
        self._jwk_sets = {u: copy.deepcopy(dict(d)) for u, d in (jwk_sets or {}).items()}
        self.allow_loopback_http = allow_loopback_http
        self.requests: list[tuple[str, bool]] = []

    def publish(self, issuer: str, document: Mapping[str, Any]) -> str:
        """Serve ``document`` as the metadata of ``issuer``; returns its URL."""
        url = jwt_vc_issuer_metadata_url(issuer, allow_loopback_http=True)
        self._documents[url] = copy.deepcopy(dict(document))
        return url

    def publish_jwk_set(self, url: str, document: Mapping[str, Any]) -> None:
        self._jwk_sets[url] = copy.deepcopy(dict(document))

    @staticmethod
    def _get(table: dict[str, dict[str, Any]], url: str) -> dict[str, Any]:
        try:
            return copy.deepcopy(table[url])
        except KeyError:
            raise IssuerMetadataUnavailable(
                f"nothing is published at {url}", url=url, details={"status": 404}
            ) from None

    def fetch_jwt_vc_issuer_metadata(
        self, url: str, *, force_fresh: bool = False
    ) -> dict[str, Any]:
        self.requests.append((url, force_fresh))
        return self._get(self._documents, url)

    def fetch_jwk_set(self, url: str, *, force_fresh: bool = False) -> dict[str, Any]:
        self.requests.append((url, force_fresh))
        return self._get(self._jwk_sets, url)


# -- rules + port --------------------------------------------------------------------------------


def fetch_issuer_keys(
    issuer: str, client: JwtVcIssuerMetadataClient, *, force_fresh: bool = False
) -> IssuerKeySet:
    """The validated key set of the https ``issuer`` (module doc); raises
    :class:`IssuerMetadataError` (a subclass naming the reason)."""
    allow_http = client.allow_loopback_http
    url = jwt_vc_issuer_metadata_url(issuer, allow_loopback_http=allow_http)
    document = client.fetch_jwt_vc_issuer_metadata(url, force_fresh=force_fresh)
    metadata = parse_jwt_vc_issuer_metadata(document, issuer=issuer, source=url)
    if metadata.jwks is not None:
        return IssuerKeySet(issuer, url, metadata.jwks)
    uri = metadata.jwks_uri or ""
    try:
        _web_url(uri, allow_loopback_http=allow_http, what="jwks_uri")
    except InvalidIssuerUrl as exc:
        raise IssuerMetadataError(
            f"the jwks_uri of {url} is refused: {exc.message}", details={"jwks_uri": uri}
        ) from None
    keys = parse_jwk_set(client.fetch_jwk_set(uri, force_fresh=force_fresh), source=uri)
    return IssuerKeySet(issuer, uri, keys)


def issuer_key(
    issuer: str, kid: str | None, alg: str | None, client: JwtVcIssuerMetadataClient
) -> tuple[IssuerKeySet, PublicKey]:
    """The key of the https ``issuer`` named by ``kid`` for a JWS with ``alg``, and the key set
    it came from. An unknown ``kid`` refetches the metadata once, bypassing caches."""
    keys = fetch_issuer_keys(issuer, client)
    if kid is not None and kid not in keys.kids:
        keys = fetch_issuer_keys(issuer, client, force_fresh=True)
    return keys, keys.key_for(kid, alg=alg)
