"""The one guarded fetcher for every outbound GET: did:web documents and status lists.

Developers' guide: "every outbound fetch (did:web, status lists) goes through one fetcher with
timeouts, size caps, decompression limits and private-address blocking (loopback allowed only
by explicit setting)". did:web (specs.md §8.1) step 6 and Bitstring Status List §3.2 step 2
("dereference ``statusListCredential``") both land here; their callers map
:class:`FetchError` to their own error codes.

**Per request** (:meth:`GuardedFetcher.fetch`):

* the URL is ``https`` (``http`` only to loopback addresses with ``allow_loopback``, or when a
  policy lists it in ``allowed_schemes``), without credentials; the fragment is dropped;
* the host is resolved and refused if *any* address is private, loopback, link-local,
  multicast, reserved or unspecified (:mod:`mcred.http_guard`; loopback and private ranges
  only by explicit setting), and the default transport connects to a vetted address only
  (pinning — the module doc of :mod:`mcred.http_guard` explains how);
* redirects (301, 302, 303, 307, 308) are followed by hand, at most ``max_redirects``, each
  target checked again as above;
* connect and read timeouts per socket operation, and a total deadline checked between
  operations (so a trickling server is cut off at most one read timeout late);
* the body is streamed: ``Content-Length`` above the cap is refused before reading, and the
  bytes are counted anyway (the header is not trusted); ``Content-Encoding`` ``gzip`` and
  ``deflate`` (zlib) are inflated here in bounded steps, so a GZIP bomb stops one step past
  ``max_decompressed_bytes`` without ever holding more; other codings are refused;
* only ``200`` is a result (a ``304`` answers our own revalidation); anything else raises
  :class:`FetchStatusError`. No cookies are kept or sent, no proxy or environment is used.

**Freshness policy** (in-process LRU, keyed by URL and ``Accept``; ``Vary`` is not read):

1. ``force_fresh=True`` skips the cache and sends an unconditional request; the answer
   replaces the stored one.
2. A stored response is served without a request while it is fresh. Its lifetime is, in
   order: the caller's ``ttl`` (seconds, or a function of the result — e.g. a status list's
   ``ttl``, which then wins over HTTP headers); else ``0`` under ``no-cache``; else
   ``max-age`` minus ``Age``; else ``default_max_age`` (default **0**: without a directive,
   every use revalidates). It is never longer than ``max_cache_ttl`` (default **1 hour**, the
   status list ``ttl`` our issuer publishes — key rotations and revocations show within it).
3. A stale response with an ``ETag`` or ``Last-Modified`` is revalidated (``If-None-Match``,
   ``If-Modified-Since``); a ``304`` refreshes its headers and lifetime and serves the stored
   body (``from_cache=True, revalidated=True``).
4. ``no-store`` responses are never stored (a caller's ``ttl`` does not override it), and
   only ``200`` responses are; a stored response without a validator is kept only while fresh.

``Expires`` and ``s-maxage`` are ignored (``max-age`` is what our own issuer sends).

**Offline first** (:func:`offline`): inside the block, a fetch the cache cannot answer raises
:class:`NetworkNeeded` instead of going to the network. It derives from :class:`BaseException`
so that it passes every handler that turns fetch errors into verification results, up to
the caller that started the block, which then runs the whole operation again where it may wait
(:func:`mcred.verification.run_offline_first`: on the event loop when everything is at hand,
in a worker thread when not).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Self, TypeAlias

import httpx

from mcred.http_cache import CacheControl, LruCache, freshness_lifetime
from mcred.http_errors import (
    FetchBlocked,
    FetchError,
    FetchInvalid,
    FetchNetworkError,
    FetchStatusError,
    FetchTimeout,
    FetchTooLarge,
)
from mcred.http_guard import (
    AddressGuard,
    AddressResolver,
    PinnedTransport,
    is_loopback_address,
    system_resolver,
)

if TYPE_CHECKING:
    from mcred.settings import Settings

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "FetchBlocked",
    "FetchError",
    "FetchInvalid",
    "FetchNetworkError",
    "FetchPolicy",
    "FetchResult",
    "FetchStatusError",
    "FetchTimeout",
    "FetchTooLarge",
    "GuardedFetcher",
    "NetworkNeeded",
    "Ttl",
    "offline",
]

_OFFLINE: ContextVar[bool] = ContextVar("mcred_fetch_offline", default=False)


class NetworkNeeded(BaseException):
    """A fetch inside :func:`offline` that only the network could answer (its URL in
    ``args[0]``). Not an :class:`Exception`: no error handler on the way may take it for a
    failed fetch."""


@contextmanager
def offline() -> Iterator[None]:
    """Fetches in this block (this thread or task) answer from the cache or raise
    :class:`NetworkNeeded`; nothing is sent."""
    token = _OFFLINE.set(True)
    try:
        yield
    finally:
        _OFFLINE.reset(token)


_MIB = 1024 * 1024
DEFAULT_MAX_RESPONSE_BYTES = 1 * _MIB
_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ACCEPT_ENCODING = "gzip, deflate"
_GZIP_WBITS = 31  # gzip container only (RFC 1952)
_ZLIB_WBITS = 15  # HTTP "deflate" is the zlib format (RFC 9110 §8.4.1.2)


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of the guarded fetcher; the defaults suit DID documents and status lists.

    Timeouts are seconds. ``max_response_bytes`` caps the body as sent (compressed);
    ``max_decompressed_bytes`` caps it decoded. ``allow_loopback`` also lets plain ``http``
    reach loopback addresses (local development); ``allow_private`` opens private ranges
    (an intranet deployment); link-local, multicast, reserved and unspecified addresses stay
    closed whatever the policy. Cache fields: see the freshness policy in the module doc.
    """

    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 20.0
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_decompressed_bytes: int = 4 * _MIB
    allowed_schemes: frozenset[str] = frozenset({"https"})
    allow_loopback: bool = False
    allow_private: bool = False
    max_redirects: int = 3
    user_agent: str = "mcred"
    default_max_age: float = 0.0
    max_cache_ttl: float = 3600.0
    cache_max_entries: int = 256
    cache_max_bytes: int = 16 * _MIB

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"FetchPolicy.{name} must be positive")
        for name in ("max_response_bytes", "max_decompressed_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"FetchPolicy.{name} must be positive")
        for name in ("max_redirects", "default_max_age", "max_cache_ttl", "cache_max_entries"):
            if getattr(self, name) < 0:
                raise ValueError(f"FetchPolicy.{name} must not be negative")
        if self.cache_max_bytes < 0:
            raise ValueError("FetchPolicy.cache_max_bytes must not be negative")
        if not self.allowed_schemes or not self.allowed_schemes <= _SCHEMES:
            raise ValueError(f"FetchPolicy.allowed_schemes must be a subset of {sorted(_SCHEMES)}")

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchPolicy:
        """The policy mcred runs with: the defaults, plus ``MCRED_ALLOW_LOOPBACK_FETCH``."""
        return cls(allow_loopback=settings.allow_loopback_fetch)

    def timeout(self, remaining: float) -> httpx.Timeout:
        """Per-operation timeouts, none longer than what is left of the total."""
        return httpx.Timeout(
            connect=min(self.connect_timeout, remaining),
            read=min(self.read_timeout, remaining),
            write=min(self.read_timeout, remaining),
            pool=min(self.connect_timeout, remaining),
        )


@dataclass(frozen=True)
class FetchResult:
    """A ``200`` response: ``url`` after redirects, lower-cased ``headers`` (repeats joined
    with ``", "``), the decoded ``body``; ``fetched_at`` is when the body was last confirmed
    by the server (fetched or revalidated)."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes = field(repr=False)
    fetched_at: datetime
    from_cache: bool = False
    revalidated: bool = False

    @property
    def content_type(self) -> str | None:
        """The media type without parameters, lower-cased (``application/did+json``)."""
        value = self.headers.get("content-type")
        if not value:
            return None
        return value.split(";", 1)[0].strip().lower() or None


Ttl: TypeAlias = float | Callable[[FetchResult], float | None]
"""A caller's freshness in seconds, or a function of the result giving it (``None``: use the
HTTP headers)."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _headers(response: httpx.Response) -> Mapping[str, str]:
    headers: dict[str, str] = {}
    for name, value in response.headers.multi_items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return MappingProxyType(headers)  # cached results are shared: read-only


def _decimal(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() else None


class _BoundedDecoder:
    """Decodes the body as it arrives; never holds more than ``limit`` + 1 decoded bytes."""

    def __init__(self, content_encoding: str | None, *, limit: int, url: str) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        self._url = url
        self._limit = limit
        self._size = 0
        self._parts: list[bytes] = []
        self._inflater: zlib._Decompress | None = None
        if len(codings) > 1:
            raise FetchInvalid(
                f"stacked content codings are not accepted: {content_encoding!r}", url=url
            )
        if codings and codings[0] in {"gzip", "x-gzip"}:
            self._inflater = zlib.decompressobj(wbits=_GZIP_WBITS)
        elif codings and codings[0] == "deflate":
            self._inflater = zlib.decompressobj(wbits=_ZLIB_WBITS)
        elif codings:
            raise FetchInvalid(f"unsupported Content-Encoding {codings[0]!r}", url=url)

    def _keep(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._limit:
            raise FetchTooLarge(
                f"the decoded body is larger than {self._limit} bytes",
                url=self._url,
                details={"limit": self._limit, "read": self._size},
            )
        self._parts.append(data)

    def feed(self, chunk: bytes) -> None:
        inflater = self._inflater
        if inflater is None:
            self._keep(chunk)
            return
        data = chunk
        while data:
            if inflater.eof:
                raise FetchInvalid("data after the end of the compressed body", url=self._url)
            try:
                out = inflater.decompress(data, self._limit - self._size + 1)
            except zlib.error as exc:
                raise FetchInvalid(f"corrupt compressed body: {exc}", url=self._url) from exc
            self._keep(out)
            data = inflater.unconsumed_tail or inflater.unused_data

    def finish(self) -> bytes:
        if self._inflater is not None and not self._inflater.eof:
            raise FetchInvalid("the compressed body is truncated", url=self._url)
        return b"".join(self._parts)


class GuardedFetcher:
    """GETs a URL under a :class:`FetchPolicy`; see the module doc for every rule.

    ``transport`` defaults to :class:`~mcred.http_guard.PinnedTransport` (real sockets to
    vetted addresses); tests pass ``httpx.MockTransport``. ``resolver`` replaces
    ``getaddrinfo``; ``clock`` (aware UTC ``datetime``) drives the cache and ``timer``
    (monotonic seconds) the total deadline. Thread-safe; :meth:`close` releases connections.
    """

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        resolver: AddressResolver = system_resolver,
        clock: Callable[[], datetime] = _utcnow,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._policy = policy or FetchPolicy()
        self._guard = AddressGuard(
            allow_loopback=self._policy.allow_loopback,
            allow_private=self._policy.allow_private,
            resolver=resolver,
        )
        self._transport = transport if transport is not None else PinnedTransport(self._guard)
        self._clock = clock
        self._timer = timer
        self._cache: LruCache[tuple[str, str], FetchResult] = LruCache(
            max_entries=self._policy.cache_max_entries, max_bytes=self._policy.cache_max_bytes
        )

    @property
    def policy(self) -> FetchPolicy:
        return self._policy

    def fetch(
        self,
        url: str,
        *,
        accept: str | None = None,
        ttl: Ttl | None = None,
        force_fresh: bool = False,
    ) -> FetchResult:
        """The ``200`` body of ``url`` (decoded), from the cache when fresh.

        Raises :class:`FetchBlocked`, :class:`FetchTooLarge`, :class:`FetchTimeout`,
        :class:`FetchNetworkError`, :class:`FetchStatusError` or :class:`FetchInvalid`.
        """
        deadline = self._timer() + self._policy.total_timeout
        target = self._checked_url(url)
        key = (str(target), accept or "")
        entry = None if force_fresh else self._cache.get(key)
        conditional: dict[str, str] = {}
        if entry is not None:
            if self._clock() < entry.fresh_until:
                return replace(entry.value, from_cache=True)
            stored = entry.value
            if etag := stored.headers.get("etag"):
                conditional["If-None-Match"] = etag
            if last_modified := stored.headers.get("last-modified"):
                conditional["If-Modified-Since"] = last_modified
        if _OFFLINE.get():
            raise NetworkNeeded(str(target))
        response, final_url = self._send(target, accept, conditional, deadline)
        try:
            if (
                response.status_code == httpx.codes.NOT_MODIFIED
                and entry is not None
                and conditional
            ):
                result = self._revalidated(entry.value, response)
            elif response.status_code == httpx.codes.OK:
                body = self._read_body(response, str(final_url), deadline)
                result = FetchResult(
                    url=str(final_url),
                    status=response.status_code,
                    headers=_headers(response),
                    body=body,
                    fetched_at=self._clock(),
                )
            else:
                raise FetchStatusError(
                    f"GET {final_url} answered {response.status_code}",
                    status=response.status_code,
                    url=str(final_url),
                )
        finally:
            response.close()
        self._store(key, result, ttl)
        return result

    def clear_cache(self) -> None:
        self._cache.clear()

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- URL and address checks -------------------------------------------------------

    def _checked_url(self, url: str | httpx.URL) -> httpx.URL:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise FetchInvalid(f"not a URL: {url!r}: {exc}", url=str(url)) from exc
        if parsed.scheme not in _SCHEMES:
            raise FetchBlocked(
                f"refused to fetch {parsed}: only https is fetched",
                url=str(parsed),
                details={"reason": "scheme", "scheme": parsed.scheme},
            )
        if not parsed.host:
            raise FetchInvalid(f"the URL has no host: {url!r}", url=str(url))
        if parsed.userinfo:
            raise FetchInvalid("credentials in a URL are not sent", url=str(url))
        if parsed.scheme not in self._policy.allowed_schemes and not self._policy.allow_loopback:
            raise self._scheme_refused(parsed)
        return parsed.copy_with(fragment=None)

    def _scheme_refused(self, url: httpx.URL) -> FetchBlocked:
        loopback = " (or loopback with allow_loopback)" if url.scheme == "http" else ""
        return FetchBlocked(
            f"refused to fetch {url}: {url.scheme} is not allowed here{loopback}",
            url=str(url),
            details={"reason": "scheme", "scheme": url.scheme},
        )

    def _vet(self, url: httpx.URL) -> None:
        host = url.raw_host.decode("ascii")
        port = url.port or _DEFAULT_PORTS[url.scheme]
        addresses = self._guard.vet(host, port, url=str(url))
        if url.scheme not in self._policy.allowed_schemes and not (
            self._policy.allow_loopback and all(is_loopback_address(ip) for ip in addresses)
        ):
            raise self._scheme_refused(url)

    # --- the exchange -----------------------------------------------------------------

    def _remaining(self, deadline: float, url: str) -> float:
        remaining = deadline - self._timer()
        if remaining <= 0:
            raise FetchTimeout(
                f"GET {url}: total timeout of {self._policy.total_timeout}s passed",
                url=url,
                details={"timeout": "total"},
            )
        return remaining

    def _send(
        self,
        target: httpx.URL,
        accept: str | None,
        conditional: Mapping[str, str],
        deadline: float,
    ) -> tuple[httpx.Response, httpx.URL]:
        headers = {"User-Agent": self._policy.user_agent, "Accept-Encoding": _ACCEPT_ENCODING}
        if accept:
            headers["Accept"] = accept
        headers.update(conditional)
        current = target
        for _ in range(self._policy.max_redirects + 1):
            self._vet(current)
            timeout = self._policy.timeout(self._remaining(deadline, str(current)))
            request = httpx.Request(
                "GET", current, headers=headers, extensions={"timeout": timeout.as_dict()}
            )
            try:
                response = self._transport.handle_request(request)
            except httpx.TimeoutException as exc:
                raise FetchTimeout(
                    f"GET {current}: {type(exc).__name__}", url=str(current)
                ) from exc
            except httpx.TransportError as exc:
                raise FetchNetworkError(f"GET {current}: {exc}", url=str(current)) from exc
            response.request = request
            if response.status_code not in _REDIRECTS:
                return response, current
            location = response.headers.get("location")
            response.close()
            if not location:
                raise FetchInvalid(f"GET {current}: a redirect without Location", url=str(current))
            try:
                current = self._checked_url(current.join(location))
            except FetchError as exc:
                exc.details.setdefault("redirected_from", str(target))
                raise
        raise FetchBlocked(
            f"GET {target}: more than {self._policy.max_redirects} redirects",
            url=str(target),
            details={"reason": "redirects", "max_redirects": self._policy.max_redirects},
        )

    def _read_body(self, response: httpx.Response, url: str, deadline: float) -> bytes:
        cap = self._policy.max_response_bytes
        declared = _decimal(response.headers.get("content-length", ""))
        if declared is not None and declared > cap:
            raise FetchTooLarge(
                f"GET {url}: Content-Length {declared} is above the cap of {cap} bytes",
                url=url,
                details={"limit": cap, "content_length": declared},
            )
        if response.is_stream_consumed:
            # an injected transport already read (and decoded) the body — httpx.Response(
            # content=...) in tests; the real transport streams. The caps still apply.
            encoding, chunks = None, iter([response.content])
        else:
            encoding, chunks = response.headers.get("content-encoding"), response.iter_raw()
        decoder = _BoundedDecoder(encoding, limit=self._policy.max_decompressed_bytes, url=url)
        received = 0
        try:
            for chunk in chunks:
                received += len(chunk)
                if received > cap:
                    raise FetchTooLarge(
                        f"GET {url}: the body is larger than the cap of {cap} bytes",
                        url=url,
                        details={"limit": cap},
                    )
                decoder.feed(chunk)
                self._remaining(deadline, url)
        except httpx.TimeoutException as exc:
            raise FetchTimeout(f"GET {url}: {type(exc).__name__}", url=url) from exc
        except httpx.TransportError as exc:
            raise FetchNetworkError(f"GET {url}: {exc}", url=url) from exc
        return decoder.finish()

    # --- cache ------------------------------------------------------------------------

    def _revalidated(self, stored: FetchResult, response: httpx.Response) -> FetchResult:
        """RFC 9111 §4.3.4: the 304's headers update the stored ones; the body is kept."""
        updated = {**stored.headers}
        for name, value in _headers(response).items():
            if name not in {"content-length", "content-encoding", "transfer-encoding"}:
                updated[name] = value
        return replace(
            stored,
            headers=MappingProxyType(updated),
            fetched_at=self._clock(),
            from_cache=True,
            revalidated=True,
        )

    def _store(self, key: tuple[str, str], result: FetchResult, ttl: Ttl | None) -> None:
        caller_ttl = ttl(result) if callable(ttl) else ttl
        lifetime = freshness_lifetime(
            CacheControl.parse(result.headers.get("cache-control")),
            age=float(_decimal(result.headers.get("age", "")) or 0),
            ttl=caller_ttl,
            default_max_age=self._policy.default_max_age,
            max_ttl=self._policy.max_cache_ttl,
        )
        has_validator = "etag" in result.headers or "last-modified" in result.headers
        if lifetime is None or (lifetime == 0 and not has_validator):
            self._cache.discard(key)
            return
        self._cache.put(
            key,
            replace(result, from_cache=False, revalidated=False),
            fresh_until=result.fetched_at + timedelta(seconds=lifetime),
            size=len(result.body),
        )
