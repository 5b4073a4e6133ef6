"""did:web resolution over the guarded fetcher (did:web CCG draft "Read (Resolve)";
specs.md §8.1 steps 1-7).

Steps 1-5 (DID → URL) are :func:`vc_core.dids.did_web.did_web_to_url`; step 6 is a GET through
:class:`~mcred.http.GuardedFetcher` (its timeouts, size caps, address guard and cache); step 7
is :meth:`vc_core.dids.document.DidDocument.parse` with ``did=``. The URL is ``https``, except
for a loopback host (``localhost``, ``*.localhost``) when the fetch policy allows loopback:
then ``http``, the way mcred serves its own DID in development. The response's media type is
not checked (hosts send ``application/json``, ``application/did+json``, sometimes
``text/plain``): the body must be one UTF-8 JSON object with unique member names.

Errors are :class:`~vc_core.errors.DidResolutionError` with ``details["error"]`` from DID
Resolution:

==========================  ================================================================
``notFound``                no document could be had: ``404``/``410`` or another non-``5xx``
                            status, a timeout, a network failure, or the fetch was refused
                            by policy (private or loopback address, scheme, redirects) — the
                            message says "refused" and ``details["fetch_error"]`` is
                            ``fetch_blocked``, ``details["kind"]`` the address kind
``internalError``           the DID's host failed: a ``5xx`` status
``invalidDidDocument``      something came back but is not this DID's document: too large,
                            a broken ``Content-Encoding``, not JSON, a duplicate member, not
                            an object, or an ``id`` other than the DID
==========================  ================================================================

``details`` always carries ``did``, ``url`` and, for fetch failures, ``fetch_error`` (the
:class:`~mcred.http.FetchError` code). A malformed DID raises
:class:`~vc_core.errors.DidSyntaxError` before any fetch.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from mcred.http import (
    FetchError,
    FetchInvalid,
    FetchStatusError,
    FetchTooLarge,
    GuardedFetcher,
)
from vc_core.dids.did_web import DID_WEB_PREFIX, did_web_to_url, is_loopback_host
from vc_core.dids.document import DidDocument
from vc_core.dids.resolver import DidResolver, LocalDidResolver
from vc_core.errors import DidResolutionError
from vc_core.strict_json import StrictJsonError, loads_strict

__all__ = ["DID_DOCUMENT_ACCEPT", "WebDidResolver", "build_did_resolver"]

DID_DOCUMENT_ACCEPT = "application/did+json, application/did+ld+json, application/json"
_SERVER_ERROR = 500


class WebDidResolver:
    """A :class:`~vc_core.dids.resolver.DidResolver` for did:web DIDs (see the module doc)."""

    def __init__(self, fetcher: GuardedFetcher) -> None:
        self._fetcher = fetcher

    def document_url(self, did: str) -> str:
        """Where the DID document of ``did`` is fetched from (did:web Read steps 1-5)."""
        url = did_web_to_url(did)
        host = urlsplit(url).hostname or ""
        if self._fetcher.policy.allow_loopback and is_loopback_host(host):
            return did_web_to_url(did, scheme="http")
        return url

    def resolve(self, did: str, *, force_fresh: bool = False) -> dict[str, Any]:
        """The DID document of ``did``, checked to be a document whose ``id`` is ``did``.

        ``force_fresh`` bypasses the fetcher's cache (e.g. to retry after an unknown key id,
        in case the issuer has just rotated its keys).
        """
        if not isinstance(did, str) or not did.startswith(DID_WEB_PREFIX):
            raise DidResolutionError(
                f"not a did:web DID: {did!r}",
                details={"error": "methodNotSupported", "did": did},
            )
        url = self.document_url(did)
        try:
            result = self._fetcher.fetch(url, accept=DID_DOCUMENT_ACCEPT, force_fresh=force_fresh)
        except FetchError as exc:
            raise self._fetch_failed(did, url, exc) from exc
        document = self._parse_json(did, result.url, result.body)
        DidDocument.parse(document, did=did)  # step 7, and the document's shape
        return document

    @staticmethod
    def _fetch_failed(did: str, url: str, exc: FetchError) -> DidResolutionError:
        if isinstance(exc, FetchTooLarge | FetchInvalid):
            error = "invalidDidDocument"
        elif isinstance(exc, FetchStatusError) and exc.status >= _SERVER_ERROR:
            error = "internalError"
        else:
            error = "notFound"
        details = {**exc.details, "error": error, "did": did, "url": url, "fetch_error": exc.code}
        return DidResolutionError(f"cannot resolve {did}: {exc.message}", details=details)

    @staticmethod
    def _parse_json(did: str, url: str, body: bytes) -> dict[str, Any]:
        def invalid(reason: str) -> DidResolutionError:
            return DidResolutionError(
                f"cannot resolve {did}: the document at {url} {reason}",
                details={"error": "invalidDidDocument", "did": did, "url": url},
            )

        try:
            document = loads_strict(body)
        except StrictJsonError as exc:
            raise invalid(str(exc)) from exc
        if not isinstance(document, dict):
            raise invalid("is not a JSON object")
        return document


def build_did_resolver(fetcher: GuardedFetcher) -> DidResolver:
    """did:key and did:jwk locally, did:web through ``fetcher``; other methods are refused
    (``methodNotSupported``)."""
    return LocalDidResolver(fallback=WebDidResolver(fetcher))
