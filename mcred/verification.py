"""The verifier's adapters: status lists over the guarded fetcher, and the :class:`Verifier`.

:class:`FetcherStatusListClient` is the :class:`~verifier.ports.StatusListClient` of
production: a GET through :class:`~mcred.http.GuardedFetcher` (its timeouts, size caps,
decompression limits, private-address blocking and cache) with ``Accept: application/vc,
application/vc+ld+json, application/json``. The list's own ``credentialSubject.ttl``
(milliseconds, Bitstring Status List 1.0 §2.2) sets how long the fetcher may serve it from
its cache — it wins over HTTP cache headers, capped by the fetcher's ``max_cache_ttl``.
Every :class:`~mcred.http.FetchError`, and a body that is not one strict JSON object, becomes
a :class:`~verifier.ports.StatusListRetrievalError` (``STATUS_RETRIEVAL_ERROR``, §3.2) with the
fetch error's ``code`` in ``details["fetch_error"]``.

:class:`FetcherIssuerMetadataClient` is the
:class:`~verifier.issuer_metadata.JwtVcIssuerMetadataClient` of production: JWT VC Issuer
Metadata and ``jwks_uri`` JWK Sets (draft-ietf-oauth-sd-jwt-vc §3) by a GET through the same
fetcher (``Accept: application/json``, the same limits and blocking), cached by the fetcher under
the response's HTTP cache headers (mcred's own ``/.well-known/jwt-vc-issuer`` says
``max-age=300``), at most its ``max_cache_ttl``; an unknown ``kid`` makes the verifier ask again
with ``force_fresh``. Every :class:`~mcred.http.FetchError`, and a body that is not one strict
JSON object, becomes :class:`~verifier.issuer_metadata.IssuerMetadataUnavailable` with the fetch
error's ``code`` in ``details["fetch_error"]``. ``http`` issuers are accepted (loopback hosts
only) when the fetcher may reach loopback (``MCRED_ALLOW_LOOPBACK_FETCH``).
:class:`LocalIssuerMetadataClient` answers for the service's own SD-JWT VC issuer from the wallet
bridge's :class:`~wallet_bridge.metadata.JwtVcIssuer` — the document ``/.well-known/jwt-vc-issuer``
serves, without HTTP to itself (so also for an ``http`` development URL) — and passes every
other URL on. Reading the keys is a database query, so it keeps that document while the DID
document of the service's DID (which lists the same keys; :class:`mcred.app`'s resolver keeps it
per active key) stays the same, at most :data:`OWN_ISSUER_METADATA_TTL` seconds, and builds it
again when asked ``force_fresh`` (the verifier does for a ``kid`` it does not know).

:func:`build_verifier` is what the app factory calls. :func:`run_offline_first` is how its
HTTP endpoints run a verification: on the event loop while every DID document, status list and
issuer metadata it needs is at hand (the service's own, or fresh in the fetcher's cache), and
in a worker thread, from the start, as soon as one would have to be fetched
(:func:`mcred.http.offline`). A verification that needs nothing from the network (the common
case: the service's own credentials, or foreign ones whose documents are cached) then costs no
thread hand-off, which is about a third of the CPU a small one takes; one that does never makes
the event loop wait on the network.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from fastapi.concurrency import run_in_threadpool

from mcred.http import FetchError, FetchResult, GuardedFetcher, NetworkNeeded, Ttl, offline
from vc_core.dids.resolver import DidResolver
from vc_core.errors import VcCoreError
from vc_core.json_codec import json_copy
from vc_core.jsonld.canonicalize import Canonicalizer
from verifier.errors import UnverifiableInputError
from verifier.formats import load_json
from verifier.issuer_metadata import (
    IssuerMetadataError,
    IssuerMetadataUnavailable,
    JwtVcIssuerMetadataClient,
    jwt_vc_issuer_metadata_url,
)
from verifier.policy import VerifierPolicy
from verifier.ports import Clock, StatusListClient, StatusListRetrievalError, TrustRegistry
from verifier.service import Verifier
from wallet_bridge.metadata import JwtVcIssuer

__all__ = [
    "INLINE_MAX_BYTES",
    "ISSUER_METADATA_ACCEPT",
    "OWN_ISSUER_METADATA_TTL",
    "STATUS_LIST_ACCEPT",
    "FetcherIssuerMetadataClient",
    "FetcherStatusListClient",
    "LocalIssuerMetadataClient",
    "build_verifier",
    "run_offline_first",
]

STATUS_LIST_ACCEPT = "application/vc, application/vc+ld+json, application/json"

_T = TypeVar("_T")


INLINE_MAX_BYTES = 64 * 1024
"""The largest request body :func:`run_offline_first` verifies on the event loop (a credential,
or a presentation of two or three): a larger one (a presentation of many credentials) goes to
a worker thread, where it shares the CPU with the requests behind it instead of holding them."""


async def run_offline_first(call: Callable[[], _T], *, size: int) -> _T:
    """``call()`` on the event loop with the fetcher :func:`~mcred.http.offline` when the body
    has at most :data:`INLINE_MAX_BYTES`; when it would need the network, ``call()`` again,
    from the start, in a worker thread (module doc). Larger bodies go to the thread at once."""
    if size <= INLINE_MAX_BYTES:
        try:
            with offline():
                return call()
        except NetworkNeeded:
            pass
    return await run_in_threadpool(call)


ISSUER_METADATA_ACCEPT = "application/json"
OWN_ISSUER_METADATA_TTL = 1.0
"""Seconds the service's own JWT VC Issuer Metadata is kept (``force_fresh`` builds it again)."""


def _ttl_seconds(result: FetchResult) -> float | None:
    """``credentialSubject.ttl`` (ms) of a fetched list, in seconds; ``None`` when absent."""
    try:
        document = load_json(result.body)
    except UnverifiableInputError:
        return None
    subject = document.get("credentialSubject") if isinstance(document, dict) else None
    ttl = subject.get("ttl") if isinstance(subject, dict) else None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl < 0:
        return None
    return float(ttl) / 1000


class FetcherStatusListClient:
    """A :class:`~verifier.ports.StatusListClient` (and ``StatusListTokenClient``) over the
    guarded fetcher (module doc)."""

    def __init__(self, fetcher: GuardedFetcher) -> None:
        self._fetcher = fetcher

    def fetch_status_list_credential(
        self, url: str, *, force_fresh: bool = False
    ) -> dict[str, Any]:
        return _fetch_json_object(
            self._fetcher,
            url,
            "the status list",
            accept=STATUS_LIST_ACCEPT,
            error=StatusListRetrievalError,
            ttl=_ttl_seconds,
            force_fresh=force_fresh,
        )

    def fetch_status_list_token(self, uri: str) -> str:
        """The Status List Token at ``uri`` (``application/statuslist+jwt``)."""
        return _fetch_status_list_token(self._fetcher, uri)


def _fetch_json_object(
    fetcher: GuardedFetcher,
    url: str,
    what: str,
    *,
    accept: str,
    error: type[StatusListRetrievalError] | type[IssuerMetadataUnavailable],
    ttl: Ttl | None = None,
    force_fresh: bool = False,
) -> dict[str, Any]:
    """A JSON object fetched through the guarded fetcher; every failure is ``error`` with the
    reason in ``details["fetch_error"]``."""
    try:
        result = fetcher.fetch(url, accept=accept, ttl=ttl, force_fresh=force_fresh)
    except FetchError as exc:
        raise error(
            f"cannot retrieve {what} {url}: {exc.message}",
            url=url,
            details={**exc.details, "fetch_error": exc.code},
        ) from exc
    try:
        document = load_json(result.body, what=what)
    except UnverifiableInputError as exc:
        raise error(f"{exc.message} ({url})", url=url, details={"fetch_error": "not_json"}) from exc
    if not isinstance(document, dict):
        raise error(
            f"{what} at {url} is not a JSON object",
            url=url,
            details={"fetch_error": "not_json_object"},
        )
    return document


class FetcherIssuerMetadataClient:
    """JWT VC Issuer Metadata and JWK Sets over the guarded fetcher (module doc)."""

    def __init__(self, fetcher: GuardedFetcher) -> None:
        self._fetcher = fetcher

    @property
    def allow_loopback_http(self) -> bool:
        return self._fetcher.policy.allow_loopback

    def fetch_jwt_vc_issuer_metadata(
        self, url: str, *, force_fresh: bool = False
    ) -> dict[str, Any]:
        return _fetch_json_object(
            self._fetcher,
            url,
            "the JWT VC Issuer Metadata",
            accept=ISSUER_METADATA_ACCEPT,
            error=IssuerMetadataUnavailable,
            force_fresh=force_fresh,
        )

    def fetch_jwk_set(self, url: str, *, force_fresh: bool = False) -> dict[str, Any]:
        return _fetch_json_object(
            self._fetcher,
            url,
            "the JWK Set",
            accept=ISSUER_METADATA_ACCEPT,
            error=IssuerMetadataUnavailable,
            force_fresh=force_fresh,
        )


@dataclass(frozen=True)
class _KeptMetadata:
    built: float
    document: dict[str, Any]
    did_documents: tuple[tuple[str, dict[str, Any]], ...]
    """The DID documents of the DIDs its ``kid`` s name, as ``resolver`` gave them."""


class LocalIssuerMetadataClient:
    """Answers the JWT VC Issuer Metadata of the service's own SD-JWT VC issuer from
    ``issuer`` (what the wallet bridge serves, no HTTP); other URLs go to ``fallback``.

    The document is kept at most ``ttl`` seconds, built again when asked ``force_fresh`` and,
    given a ``resolver``, as soon as the DID document of a DID its ``kid`` s name changes (the
    service's keys are its DID's: a rotation in this worker is seen at once).
    """

    def __init__(
        self,
        issuer: JwtVcIssuer,
        fallback: JwtVcIssuerMetadataClient,
        *,
        resolver: DidResolver | None = None,
        ttl: float = OWN_ISSUER_METADATA_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._issuer = issuer
        self._fallback = fallback
        self._resolver = resolver
        self._ttl = ttl
        self._clock = clock
        self._own: tuple[str, str | None] | None = None
        """(the issuer identifier, its metadata URL)"""
        self._kept: _KeptMetadata | None = None

    def _own_url(self) -> str | None:
        issuer = self._issuer.sd_jwt_vc_issuer
        own = self._own
        if own is not None and own[0] == issuer:
            return own[1]
        try:
            url: str | None = jwt_vc_issuer_metadata_url(issuer, allow_loopback_http=True)
        except IssuerMetadataError:
            url = None
        self._own = (issuer, url)
        return url

    def _own_metadata(self, *, force_fresh: bool) -> dict[str, Any]:
        now = self._clock()
        kept = self._kept
        if force_fresh or kept is None or not self._holds(kept, now):
            keys = self._issuer.sd_jwt_vc_keys()
            document = {"issuer": self._issuer.sd_jwt_vc_issuer, "jwks": {"keys": keys}}
            kept = _KeptMetadata(now, document, self._did_documents(keys))
            self._kept = kept
        return json_copy(kept.document)

    def _holds(self, kept: _KeptMetadata, now: float) -> bool:
        if not 0 <= now - kept.built < self._ttl:
            return False
        if self._resolver is None:
            return True
        for did, document in kept.did_documents:
            try:
                if self._resolver.resolve(did) != document:
                    return False
            except VcCoreError:
                return False
        return True

    def _did_documents(self, keys: list[dict[str, Any]]) -> tuple[tuple[str, dict[str, Any]], ...]:
        if self._resolver is None:
            return ()
        dids = sorted(
            {
                kid.split("#", 1)[0]
                for key in keys
                if isinstance(kid := key.get("kid"), str) and kid.startswith("did:")
            }
        )
        found: list[tuple[str, dict[str, Any]]] = []
        for did in dids:
            try:
                found.append((did, self._resolver.resolve(did)))
            except VcCoreError:
                continue  # checked again on the next use: kept at most ttl
        return tuple(found)

    @property
    def allow_loopback_http(self) -> bool:
        """The fallback's answer, or true when the service's own issuer is an ``http`` URL
        (development: it is answered here, never fetched; other ``http`` issuers are still
        refused by the fetcher unless it may reach loopback)."""
        own = self._issuer.sd_jwt_vc_issuer.startswith("http://")
        return own or self._fallback.allow_loopback_http

    def fetch_jwt_vc_issuer_metadata(
        self, url: str, *, force_fresh: bool = False
    ) -> dict[str, Any]:
        if url == self._own_url():
            return self._own_metadata(force_fresh=force_fresh)
        return self._fallback.fetch_jwt_vc_issuer_metadata(url, force_fresh=force_fresh)

    def fetch_jwk_set(self, url: str, *, force_fresh: bool = False) -> dict[str, Any]:
        return self._fallback.fetch_jwk_set(url, force_fresh=force_fresh)


class _CallableClock:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now()


def _as_clock(clock: Clock | Callable[[], datetime] | None) -> Clock | None:
    if clock is None or callable(getattr(clock, "now", None)):
        return cast(Clock | None, clock)
    return _CallableClock(cast(Callable[[], datetime], clock))


def build_verifier(
    fetcher: GuardedFetcher,
    resolver: DidResolver,
    *,
    clock: Clock | Callable[[], datetime] | None = None,
    policy: VerifierPolicy | None = None,
    trust_registry: TrustRegistry | None = None,
    canonicalizer: Canonicalizer | None = None,
    local_lists: Callable[[FetcherStatusListClient], StatusListClient] | None = None,
    jwt_vc_issuer: JwtVcIssuer | None = None,
) -> Verifier:
    """The verifier of the running service: DIDs through ``resolver`` (did:key/did:jwk locally,
    did:web over ``fetcher``: :func:`mcred.did_web_resolver.build_did_resolver`), status lists
    through ``fetcher``. ``clock`` is a :class:`~verifier.ports.Clock` or a ``() -> datetime``;
    ``canonicalizer`` the JSON-LD engine (e.g. one that also pins the test-suite contexts);
    ``local_lists`` wraps the fetching client to answer the service's own lists directly;
    ``jwt_vc_issuer`` (the wallet bridge's SD-JWT VC issuer) answers the service's own JWT VC
    Issuer Metadata directly, other https issuers' metadata is fetched."""
    client = FetcherStatusListClient(fetcher)
    issuer_metadata: JwtVcIssuerMetadataClient = FetcherIssuerMetadataClient(fetcher)
    if jwt_vc_issuer is not None:
        issuer_metadata = LocalIssuerMetadataClient(
            jwt_vc_issuer, issuer_metadata, resolver=resolver
        )
    return Verifier(
        resolver,
        local_lists(client) if local_lists else client,
        policy=policy,
        clock=_as_clock(clock),
        trust_registry=trust_registry,
        canonicalizer=canonicalizer,
        issuer_metadata=issuer_metadata,
    )


STATUS_LIST_JWT_ACCEPT = "application/statuslist+jwt"


def _fetch_status_list_token(fetcher: GuardedFetcher, uri: str) -> str:
    """GET a Status List Token (draft-ietf-oauth-status-list §8.1) through the guarded fetcher;
    the token's own ``exp``/``ttl`` are checked by the verifier."""
    try:
        result = fetcher.fetch(uri, accept=STATUS_LIST_JWT_ACCEPT)
    except FetchError as exc:
        raise StatusListRetrievalError(
            f"cannot retrieve the status list token {uri}: {exc.message}",
            url=uri,
            details={**exc.details, "fetch_error": exc.code},
        ) from exc
    try:
        return result.body.decode("ascii").strip()
    except UnicodeDecodeError:
        raise StatusListRetrievalError(
            f"the status list token at {uri} is not a compact JWT",
            url=uri,
            details={"fetch_error": "not_a_jwt"},
        ) from None
