"""Which addresses the outbound fetcher may reach, and a transport that connects only to those.

**The rule** (developers' guide: "private-address blocking, loopback allowed only by explicit
setting"). A host is resolved once and refused when *any* of its addresses is refused — an
attacker who controls a DNS name can mix a public and a private answer. IPv6 addresses that
embed an IPv4 address (IPv4-mapped ``::ffff:0:0/96``, IPv4-compatible ``::/96``, 6to4
``2002::/16``, NAT64 ``64:ff9b::/96``) are judged by the IPv4 address they carry.

==================================================  ==========================================
address                                             verdict
==================================================  ==========================================
``0.0.0.0/8``, ``::`` (unspecified / this network)  always refused (``0.0.0.0`` is local)
multicast (``224.0.0.0/4``, ``ff00::/8``)           always refused
link-local (``169.254.0.0/16`` — cloud metadata     always refused: no DID host or status list
``169.254.169.254`` — and ``fe80::/10``)            lives there, and it is the classic SSRF target
reserved (``240.0.0.0/4``, broadcast, IPv6          always refused
reserved blocks)
loopback (``127.0.0.0/8``, ``::1``)                 refused unless ``allow_loopback``
private and other non-global ranges (RFC 1918,      refused unless ``allow_private``
CGNAT ``100.64.0.0/10``, ULA ``fc00::/7``,
site-local ``fec0::/10``, documentation and
benchmarking blocks)
anything else (globally routable)                   allowed
==================================================  ==========================================

**Pinning (DNS rebinding).** Checking a name and then letting the HTTP stack resolve it again
leaves a window in which the name can start pointing elsewhere. :class:`PinnedTransport` closes
it at the socket: its httpcore network backend resolves and vets the host itself in
``connect_tcp`` and opens the TCP connection to one of the very addresses it vetted (an IP
literal, so no second lookup happens). httpcore still passes the *hostname* to TLS, so SNI and
certificate checking use the name, and the ``Host`` header is untouched. Every new connection,
including each redirect target's, goes through that path; pooled connections were vetted when
they were opened. No proxy is ever used (a proxy would connect on our behalf, unchecked).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from mcred.http_errors import FetchBlocked, FetchInvalid, FetchNetworkError

__all__ = [
    "AddressGuard",
    "AddressResolver",
    "IPAddress",
    "PinnedTransport",
    "address_block_reason",
    "is_loopback_address",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressResolver = Callable[[str, int], Iterable[str]]
"""``(host, port) -> IP address strings``: :func:`system_resolver`, or a fake in tests."""

_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")
_SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")  # CGNAT, RFC 6598
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated, RFC 4291 §2.5.5.1
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052
_LOW_32_BITS = 0xFFFFFFFF
_MAX_CONNECT_ATTEMPTS = 3  # addresses tried per connection, each within the connect timeout


def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver (``socket.getaddrinfo``), in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):  # not :: or ::1
        return ipaddress.IPv4Address(int(ip) & _LOW_32_BITS)
    return None


def _judged(ip: IPAddress) -> IPAddress:
    if isinstance(ip, ipaddress.IPv6Address):
        return _embedded_ipv4(ip) or ip
    return ip


def is_loopback_address(ip: IPAddress) -> bool:
    """``127.0.0.0/8`` or ``::1``, also when carried in an IPv6 address."""
    return _judged(ip).is_loopback


def address_block_reason(
    ip: IPAddress, *, allow_loopback: bool = False, allow_private: bool = False
) -> str | None:
    """Why ``ip`` may not be fetched from (``unspecified``, ``multicast``, ``link-local``,
    ``reserved``, ``loopback``, ``private``), or ``None`` when it may (see the module table)."""
    ip = _judged(ip)
    if ip.is_unspecified or ip in _THIS_NETWORK:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.is_link_local:
        return "link-local"
    if ip.is_loopback:
        return None if allow_loopback else "loopback"
    if ip.is_reserved:
        return "reserved"
    private = (
        not ip.is_global
        or ip in _SHARED_ADDRESS_SPACE
        or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local)
    )
    if private and not allow_private:
        return "private"
    return None


def _parse_address(text: str) -> IPAddress:
    return ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")


def _literal(host: str) -> IPAddress | None:
    try:
        return _parse_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class AddressGuard:
    """Resolves a host and refuses it unless every address passes :func:`address_block_reason`."""

    allow_loopback: bool = False
    allow_private: bool = False
    resolver: AddressResolver = field(default=system_resolver, compare=False)

    def resolve(self, host: str, port: int, *, url: str | None = None) -> tuple[IPAddress, ...]:
        """The host's addresses (an IP literal is its own); :class:`FetchNetworkError` when the
        name does not resolve."""
        literal = _literal(host)
        if literal is not None:
            return (literal,)
        try:
            answers = list(self.resolver(host, port))
        except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
            raise FetchNetworkError(
                f"cannot resolve {host}: {exc}", url=url, details={"host": host}
            ) from exc
        try:
            addresses = tuple(dict.fromkeys(_parse_address(answer) for answer in answers))
        except ValueError as exc:
            raise FetchNetworkError(
                f"the resolver gave a non-address for {host}: {exc}", url=url
            ) from exc
        if not addresses:
            raise FetchNetworkError(f"{host} has no address", url=url, details={"host": host})
        return addresses

    def vet(self, host: str, port: int, *, url: str | None = None) -> tuple[IPAddress, ...]:
        """The host's addresses, all allowed; raises :class:`FetchBlocked` (``reason``
        ``address``) naming the first refused one."""
        addresses = self.resolve(host, port, url=url)
        for ip in addresses:
            kind = address_block_reason(
                ip, allow_loopback=self.allow_loopback, allow_private=self.allow_private
            )
            if kind is not None:
                where = "" if _literal(host) is not None else f"it resolves to {ip}, "
                raise FetchBlocked(
                    f"refused to fetch from {host}: {where}a {kind} address",
                    url=url,
                    details={"reason": "address", "host": host, "address": str(ip), "kind": kind},
                )
        return addresses


class _PinnedBackend(httpcore.NetworkBackend):
    """Resolves and vets in ``connect_tcp``, then connects to a vetted IP literal."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        options = list(socket_options or ())
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for ip in self._guard.vet(host, port)[:_MAX_CONNECT_ATTEMPTS]:
            try:
                return self._backend.connect_tcp(
                    str(ip),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # noqa: S101 - vet() returns at least one address
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise FetchBlocked("unix sockets are never fetched from", details={"reason": "address"})

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# httpcore → httpx, most specific first (what httpx.HTTPTransport does)
_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
)


@contextmanager
def _httpx_errors() -> Iterator[None]:
    try:
        yield
    except httpcore.TimeoutException as exc:
        raise _mapped(exc) from exc
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
        raise _mapped(exc) from exc


def _mapped(exc: Exception) -> httpx.TransportError:
    for source, target in _EXCEPTIONS:
        if isinstance(exc, source):
            return target(str(exc))
    return httpx.TransportError(str(exc))  # pragma: no cover - every httpcore error is listed


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors():
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class PinnedTransport(httpx.BaseTransport):
    """An httpx transport over an httpcore pool whose sockets go only to vetted addresses.

    HTTP/1.1, no retries, no proxies, no environment (``SSL_CERT_FILE`` …); pass
    ``ssl_context`` to trust another CA (tests with a local TLS server).
    """

    def __init__(
        self,
        guard: AddressGuard,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 20,
        keepalive_expiry: float = 30.0,
    ) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=keepalive_expiry,
            http1=True,
            http2=False,
            retries=0,
            network_backend=_PinnedBackend(guard),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.SyncByteStream):  # pragma: no cover
            raise FetchInvalid("the pinned transport sends synchronous requests only")
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors():
            core_response = self._pool.handle_request(core_request)
        if not isinstance(core_response.stream, Iterable):  # pragma: no cover
            raise FetchInvalid("the connection pool gave an asynchronous body")
        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_ResponseStream(core_response.stream),
            extensions=core_response.extensions,
        )

    def close(self) -> None:
        self._pool.close()
