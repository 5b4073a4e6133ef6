"""The guarded fetcher (mcred.http): address guard, schemes, redirects, caps, GZIP bombs,
timeouts and the cache — through httpx.MockTransport and a fake resolver, plus a few
real-socket tests against a loopback HTTP server."""

from __future__ import annotations

import gzip
import http.server
import ipaddress
import json
import socket
import threading
import tracemalloc
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcred.http import (
    FetchBlocked,
    FetchInvalid,
    FetchNetworkError,
    FetchPolicy,
    FetchResult,
    FetchStatusError,
    FetchTimeout,
    FetchTooLarge,
    GuardedFetcher,
    NetworkNeeded,
    offline,
)
from mcred.http_cache import CacheControl, freshness_lifetime
from mcred.http_guard import address_block_reason
from mcred.settings import Settings
from mcred.verification import INLINE_MAX_BYTES, run_offline_first

PUBLIC = "93.184.216.34"
PUBLIC_2 = "2606:2800:220:1:248:1893:25c8:1946"
MIB = 1024 * 1024
Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeDns:
    """``getaddrinfo`` stand-in: a table, and a log of what was asked."""

    table: dict[str, list[str]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


@dataclass
class FakeClock:
    now: datetime = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Web:
    """A MockTransport handler that records every request it answers."""

    handler: Handler
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


def make(
    handler: Handler,
    policy: FetchPolicy | None = None,
    *,
    dns: FakeDns | None = None,
    clock: FakeClock | None = None,
    timer: Callable[[], float] | None = None,
) -> tuple[GuardedFetcher, Web, FakeDns]:
    web = Web(handler)
    dns = dns or FakeDns({"data.example": [PUBLIC], "other.example": [PUBLIC_2]})
    fetcher = GuardedFetcher(
        policy,
        transport=httpx.MockTransport(web),
        resolver=dns,
        clock=clock or FakeClock(),
        **({"timer": timer} if timer else {}),
    )
    return fetcher, web, dns


def ok(body: bytes = b'{"ok":true}', /, **headers: str) -> Handler:
    """A 200 whose body streams (as from a socket), so the fetcher sees the raw bytes."""
    return lambda request: httpx.Response(200, stream=httpx.ByteStream(body), headers=headers)


# --- address guard -------------------------------------------------------------------


def test_a_public_address_is_fetched_with_the_policy_headers_and_timeouts() -> None:
    fetcher, web, dns = make(ok(**{"content-type": "application/json; charset=utf-8"}))
    result = fetcher.fetch("https://data.example/list#frag", accept="application/json")
    assert (result.status, result.body, result.url) == (
        200,
        b'{"ok":true}',
        "https://data.example/list",
    )
    assert result.content_type == "application/json"
    assert not result.from_cache
    assert dns.asked == ["data.example"]
    (request,) = web.requests
    assert request.headers["user-agent"] == "mcred"
    assert request.headers["accept"] == "application/json"
    assert request.headers["accept-encoding"] == "gzip, deflate"
    assert request.extensions["timeout"]["connect"] == 5.0
    assert request.extensions["timeout"]["read"] == 10.0


BLOCKED = [
    ("10.0.0.1", "private"),
    ("172.16.5.4", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "private"),  # CGNAT
    ("192.0.2.10", "private"),  # documentation
    ("198.18.0.1", "private"),  # benchmarking
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("::1", "loopback"),
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("fec0::1", "private"),  # site-local
    ("::ffff:10.0.0.1", "private"),  # IPv4-mapped
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:169.254.169.254", "link-local"),
    ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
    ("2002:a00:1::1", "private"),  # 6to4 of 10.0.0.1
    ("::a00:1", "private"),  # IPv4-compatible 10.0.0.1
    ("0.0.0.0", "unspecified"),  # noqa: S104 - an address under test, not a bind
    ("0.1.2.3", "unspecified"),
    ("::", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
]


@pytest.mark.parametrize(("address", "kind"), BLOCKED)
def test_a_host_resolving_to_a_refused_address_is_blocked(address: str, kind: str) -> None:
    fetcher, web, _ = make(ok(), dns=FakeDns({"evil.example": [address]}))
    with pytest.raises(FetchBlocked) as caught:
        fetcher.fetch("https://evil.example/did.json")
    assert caught.value.reason == "address"
    assert caught.value.details["kind"] == kind
    expected = ipaddress.ip_address(address.split("%", maxsplit=1)[0])
    assert caught.value.details["address"] == str(expected)
    assert f"a {kind} address" in caught.value.message
    assert caught.value.code == "fetch_blocked"
    assert web.requests == []


def test_one_refused_address_among_public_ones_blocks_the_host() -> None:
    fetcher, web, _ = make(ok(), dns=FakeDns({"mixed.example": [PUBLIC, "10.1.2.3"]}))
    with pytest.raises(FetchBlocked, match=r"resolves to 10\.1\.2\.3"):
        fetcher.fetch("https://mixed.example/")
    assert web.requests == []


@pytest.mark.parametrize("url", ["https://10.0.0.1/x", "https://[::1]/x", "https://[fd00::5]/"])
def test_ip_literal_urls_are_judged_without_a_lookup(url: str) -> None:
    fetcher, web, dns = make(ok())
    with pytest.raises(FetchBlocked):
        fetcher.fetch(url)
    assert dns.asked == []
    assert web.requests == []


def test_loopback_is_allowed_only_by_explicit_setting() -> None:
    dns = FakeDns({"local.test": ["127.0.0.1", "::1"], "lan.test": ["10.0.0.7"]})
    closed, _, _ = make(ok(), dns=dns)
    with pytest.raises(FetchBlocked, match="loopback"):
        closed.fetch("https://local.test/")
    opened, web, _ = make(ok(), FetchPolicy(allow_loopback=True), dns=dns)
    assert opened.fetch("https://local.test/").body == b'{"ok":true}'
    with pytest.raises(FetchBlocked, match="private"):  # loopback only, not the LAN
        opened.fetch("https://lan.test/")
    assert len(web.requests) == 1


def test_allow_private_opens_private_ranges_but_never_link_local_or_loopback() -> None:
    dns = FakeDns(
        {"lan.test": ["10.0.0.7"], "meta.test": ["169.254.169.254"], "local.test": ["127.0.0.1"]}
    )
    fetcher, _, _ = make(ok(), FetchPolicy(allow_private=True), dns=dns)
    assert fetcher.fetch("https://lan.test/").status == 200
    with pytest.raises(FetchBlocked, match="link-local"):
        fetcher.fetch("https://meta.test/latest/meta-data/")
    with pytest.raises(FetchBlocked, match="loopback"):
        fetcher.fetch("https://local.test/")


@given(st.integers(min_value=0, max_value=2**32 - 1), st.booleans(), st.booleans())
def test_ipv6_forms_of_an_ipv4_address_get_its_verdict(
    number: int, allow_loopback: bool, allow_private: bool
) -> None:
    v4 = ipaddress.IPv4Address(number)
    flags = {"allow_loopback": allow_loopback, "allow_private": allow_private}
    expected = address_block_reason(v4, **flags)
    for v6 in (
        ipaddress.IPv6Address(f"::ffff:{v4}"),
        ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) + number),
        ipaddress.IPv6Address((0x2002 << 112) | (number << 80) | 1),
    ):
        assert address_block_reason(v6, **flags) == expected, v6


@given(st.integers(min_value=0, max_value=2**24 - 1))
def test_all_of_ten_slash_eight_is_private(offset: int) -> None:
    ip = ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.0.0.0")) + offset)
    assert address_block_reason(ip) == "private"
    assert address_block_reason(ip, allow_private=True) is None


# --- schemes and URLs ----------------------------------------------------------------


def test_plain_http_is_refused_before_any_lookup() -> None:
    fetcher, _, dns = make(ok())
    with pytest.raises(FetchBlocked) as caught:
        fetcher.fetch("http://data.example/list")
    assert caught.value.details == {
        "reason": "scheme",
        "scheme": "http",
        "url": "http://data.example/list",
    }
    assert dns.asked == []


def test_plain_http_reaches_loopback_only_when_allowed() -> None:
    dns = FakeDns({"localhost": ["127.0.0.1", "::1"], "data.example": [PUBLIC]})
    fetcher, web, _ = make(ok(), FetchPolicy(allow_loopback=True), dns=dns)
    assert fetcher.fetch("http://localhost:8000/.well-known/did.json").status == 200
    assert str(web.requests[0].url) == "http://localhost:8000/.well-known/did.json"
    with pytest.raises(FetchBlocked, match="http is not allowed"):
        fetcher.fetch("http://data.example/list")


@pytest.mark.parametrize("url", ["ftp://data.example/x", "file:///etc/passwd", "gopher://a.b/"])
def test_other_schemes_are_refused(url: str) -> None:
    fetcher, _, _ = make(ok())
    with pytest.raises(FetchBlocked, match="only https"):
        fetcher.fetch(url)


@pytest.mark.parametrize("url", ["https://user:pw@data.example/", "https:///nohost", "::"])
def test_unusable_urls_are_invalid(url: str) -> None:
    fetcher, web, _ = make(ok())
    with pytest.raises((FetchInvalid, FetchBlocked)):
        fetcher.fetch(url)
    assert web.requests == []


def test_a_name_that_does_not_resolve_is_a_network_error() -> None:
    fetcher, _, _ = make(ok(), dns=FakeDns({"empty.example": []}))
    with pytest.raises(FetchNetworkError, match=r"cannot resolve nowhere\.example"):
        fetcher.fetch("https://nowhere.example/")
    with pytest.raises(FetchNetworkError, match="no address"):
        fetcher.fetch("https://empty.example/")


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="allowed_schemes"):
        FetchPolicy(allowed_schemes=frozenset({"ftp"}))
    with pytest.raises(ValueError, match="read_timeout"):
        FetchPolicy(read_timeout=0)
    with pytest.raises(ValueError, match="max_redirects"):
        FetchPolicy(max_redirects=-1)


def test_policy_from_settings_follows_allow_loopback_fetch() -> None:
    settings = Settings(_env_file=None, allow_loopback_fetch=True)
    assert FetchPolicy.from_settings(settings).allow_loopback
    assert not FetchPolicy.from_settings(settings).allow_private


# --- redirects -----------------------------------------------------------------------


def redirects(routes: dict[str, httpx.Response]) -> Handler:
    return lambda request: routes[str(request.url)]


def test_a_redirect_to_a_private_address_is_refused() -> None:
    dns = FakeDns({"data.example": [PUBLIC], "internal.example": ["10.0.0.5"]})
    handler = redirects(
        {
            "https://data.example/list": httpx.Response(
                302, headers={"location": "https://internal.example/x"}
            )
        }
    )
    fetcher, web, _ = make(handler, dns=dns)
    with pytest.raises(FetchBlocked, match="private") as caught:
        fetcher.fetch("https://data.example/list")
    assert caught.value.url == "https://internal.example/x"
    assert len(web.requests) == 1


def test_redirects_are_followed_and_each_target_is_checked() -> None:
    handler = redirects(
        {
            "https://data.example/a": httpx.Response(301, headers={"location": "/b"}),
            "https://data.example/b": httpx.Response(
                307, headers={"location": "https://other.example/c"}
            ),
            "https://other.example/c": httpx.Response(200, content=b"list"),
        }
    )
    fetcher, web, dns = make(handler)
    result = fetcher.fetch("https://data.example/a")
    assert (result.url, result.body) == ("https://other.example/c", b"list")
    assert [str(r.url) for r in web.requests] == [
        "https://data.example/a",
        "https://data.example/b",
        "https://other.example/c",
    ]
    assert dns.asked == ["data.example", "data.example", "other.example"]


def test_a_redirect_to_plain_http_is_refused() -> None:
    handler = redirects(
        {
            "https://data.example/a": httpx.Response(
                302, headers={"location": "http://data.example/a"}
            )
        }
    )
    fetcher, _, _ = make(handler)
    with pytest.raises(FetchBlocked) as caught:
        fetcher.fetch("https://data.example/a")
    assert caught.value.reason == "scheme"
    assert caught.value.details["redirected_from"] == "https://data.example/a"


@pytest.mark.parametrize("max_redirects", [0, 2])
def test_the_redirect_limit_holds(max_redirects: int) -> None:
    loop = httpx.Response(302, headers={"location": "https://data.example/loop"})
    fetcher, web, _ = make(lambda request: loop, FetchPolicy(max_redirects=max_redirects))
    with pytest.raises(FetchBlocked, match="redirects") as caught:
        fetcher.fetch("https://data.example/loop")
    assert caught.value.reason == "redirects"
    assert len(web.requests) == max_redirects + 1


def test_a_redirect_without_location_is_invalid() -> None:
    fetcher, _, _ = make(lambda request: httpx.Response(302))
    with pytest.raises(FetchInvalid, match="Location"):
        fetcher.fetch("https://data.example/")


@pytest.mark.parametrize("status", [304, 404, 410, 500, 204])
def test_only_200_is_a_result(status: int) -> None:
    fetcher, _, _ = make(lambda request: httpx.Response(status, content=b"x"))
    with pytest.raises(FetchStatusError) as caught:
        fetcher.fetch("https://data.example/")
    assert caught.value.status == status
    assert caught.value.details["status"] == status


# --- size caps and decompression -----------------------------------------------------


@dataclass
class Trickle:
    """A body without Content-Length that counts how much of it was pulled."""

    chunk: bytes
    count: int
    pulled: int = 0

    def __iter__(self) -> Iterator[bytes]:
        for _ in range(self.count):
            self.pulled += 1
            yield self.chunk


def test_a_declared_length_above_the_cap_is_refused_before_reading() -> None:
    body = Trickle(b"x" * 1024, 10)
    fetcher, _, _ = make(
        lambda request: httpx.Response(200, content=body, headers={"content-length": "10240"}),
        FetchPolicy(max_response_bytes=4096),
    )
    with pytest.raises(FetchTooLarge, match="Content-Length 10240") as caught:
        fetcher.fetch("https://data.example/")
    assert caught.value.details["limit"] == 4096
    assert body.pulled == 0


def test_a_body_without_length_is_cut_at_the_cap() -> None:
    body = Trickle(b"x" * 64 * 1024, 1000)  # 64 MB if read to the end
    fetcher, _, _ = make(lambda request: httpx.Response(200, content=body))
    with pytest.raises(FetchTooLarge, match="larger than the cap"):
        fetcher.fetch("https://data.example/")
    assert body.pulled == MIB // (64 * 1024) + 1


def test_a_lying_content_length_does_not_lift_the_cap() -> None:
    body = Trickle(b"x" * 1024, 100)
    fetcher, _, _ = make(
        lambda request: httpx.Response(200, content=body, headers={"content-length": "10"}),
        FetchPolicy(max_response_bytes=4096),
    )
    with pytest.raises(FetchTooLarge):
        fetcher.fetch("https://data.example/")
    assert body.pulled == 5


def test_a_body_of_exactly_the_cap_is_accepted() -> None:
    fetcher, _, _ = make(ok(b"y" * 4096), FetchPolicy(max_response_bytes=4096))
    assert len(fetcher.fetch("https://data.example/").body) == 4096


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """50 MiB of zeros, gzipped (about 50 KB), built without holding the 50 MiB."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MIB)
    parts = [deflater.compress(zeros) for _ in range(50)]
    return b"".join([*parts, deflater.flush()])


def test_a_gzip_bomb_stops_at_the_decompression_cap_without_inflating_it(
    gzip_bomb: bytes,
) -> None:
    assert len(gzip_bomb) < 100_000  # well under the wire cap: the decoded cap must act
    fetcher, _, _ = make(ok(gzip_bomb, **{"content-encoding": "gzip"}))
    tracemalloc.start()
    try:
        with pytest.raises(FetchTooLarge, match="decoded body is larger than 4194304") as caught:
            fetcher.fetch("https://data.example/status/1")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.details["limit"] == 4 * MIB
    assert peak < 12 * MIB  # the cap and its parts, not 50 MiB


def test_a_small_decompression_cap_is_honoured(gzip_bomb: bytes) -> None:
    fetcher, _, _ = make(
        ok(gzip_bomb, **{"content-encoding": "gzip"}), FetchPolicy(max_decompressed_bytes=1000)
    )
    with pytest.raises(FetchTooLarge) as caught:
        fetcher.fetch("https://data.example/")
    assert caught.value.details["read"] == 1001


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", lambda data: gzip.compress(data, mtime=0)),
        ("x-gzip", lambda data: gzip.compress(data, mtime=0)),
        ("deflate", zlib.compress),
        ("identity", lambda data: data),
    ],
)
def test_content_encodings_are_decoded(encoding: str, encode: Callable[[bytes], bytes]) -> None:
    document = json.dumps({"id": "did:web:data.example", "pad": "z" * 5000}).encode()
    fetcher, _, _ = make(ok(encode(document), **{"content-encoding": encoding}))
    assert fetcher.fetch("https://data.example/").body == document


@pytest.mark.parametrize(
    ("encoding", "body", "message"),
    [
        ("br", b"\x8b\x00", "unsupported Content-Encoding 'br'"),
        ("gzip, gzip", gzip.compress(gzip.compress(b"{}")), "stacked"),
        ("gzip", gzip.compress(b"{}" * 100)[:-12], "truncated"),
        ("gzip", gzip.compress(b"{}") + b"junk", "after the end"),
        ("gzip", b"not gzip at all", "corrupt"),
        ("deflate", b"\x00\x01\x02", "corrupt"),
    ],
)
def test_bad_encodings_are_invalid(encoding: str, body: bytes, message: str) -> None:
    fetcher, _, _ = make(ok(body, **{"content-encoding": encoding}))
    with pytest.raises(FetchInvalid, match=message):
        fetcher.fetch("https://data.example/")


# --- timeouts ------------------------------------------------------------------------


def raising(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectTimeout("connect"), FetchTimeout),
        (httpx.ReadTimeout("read"), FetchTimeout),
        (httpx.PoolTimeout("pool"), FetchTimeout),
        (httpx.ConnectError("refused"), FetchNetworkError),
        (httpx.RemoteProtocolError("garbage"), FetchNetworkError),
    ],
)
def test_transport_failures_are_mapped(exc: Exception, expected: type[Exception]) -> None:
    fetcher, _, _ = make(raising(exc))
    with pytest.raises(expected):
        fetcher.fetch("https://data.example/")


def test_a_read_timeout_while_streaming_is_a_timeout() -> None:
    def body() -> Iterator[bytes]:
        yield b"{"
        raise httpx.ReadTimeout("stalled")

    fetcher, _, _ = make(lambda request: httpx.Response(200, content=body()))
    with pytest.raises(FetchTimeout, match="ReadTimeout"):
        fetcher.fetch("https://data.example/")


def test_the_total_deadline_stops_a_trickling_server() -> None:
    ticks = iter(range(0, 1000, 3))  # every look at the timer: 3 seconds later

    def body() -> Iterator[bytes]:
        while True:
            yield b"."

    fetcher, _, _ = make(
        lambda request: httpx.Response(200, content=body()),
        FetchPolicy(total_timeout=20),
        timer=lambda: float(next(ticks)),
    )
    with pytest.raises(FetchTimeout, match="total timeout of 20") as caught:
        fetcher.fetch("https://data.example/")
    assert caught.value.details["timeout"] == "total"


def test_per_operation_timeouts_never_exceed_what_is_left() -> None:
    ticks = iter([0.0, 18.0, 18.0, 18.0])
    fetcher, web, _ = make(ok(), FetchPolicy(total_timeout=20), timer=lambda: next(ticks))
    fetcher.fetch("https://data.example/")
    assert web.requests[0].extensions["timeout"]["read"] == 2.0
    assert web.requests[0].extensions["timeout"]["connect"] == 2.0


# --- cache ---------------------------------------------------------------------------


def test_max_age_is_honoured() -> None:
    clock = FakeClock()
    fetcher, web, _ = make(ok(**{"cache-control": "public, max-age=60"}), clock=clock)
    first = fetcher.fetch("https://data.example/")
    clock.advance(59)
    second = fetcher.fetch("https://data.example/")
    assert (first.from_cache, second.from_cache) == (False, True)
    assert second.body == first.body
    assert second.fetched_at == first.fetched_at
    clock.advance(2)
    assert not fetcher.fetch("https://data.example/").from_cache
    assert len(web.requests) == 2


@pytest.mark.parametrize("cache_control", ["no-store", "max-age=60, no-store", None, "max-age=0"])
def test_responses_without_freshness_or_validator_are_not_reused(cache_control: str | None) -> None:
    headers = {"cache-control": cache_control} if cache_control else {}
    fetcher, web, _ = make(ok(**headers))
    fetcher.fetch("https://data.example/")
    assert not fetcher.fetch("https://data.example/").from_cache
    assert len(web.requests) == 2
    assert "if-none-match" not in web.requests[1].headers


def etag_server(body: bytes, etag: str, **headers: str) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"etag": etag, **headers})
        return httpx.Response(200, content=body, headers={"etag": etag, **headers})

    return handler


def test_an_etag_is_revalidated_and_a_304_reuses_the_body() -> None:
    clock = FakeClock()
    fetcher, web, _ = make(
        etag_server(b"list-v1", '"v1"', **{"cache-control": "no-cache"}), clock=clock
    )
    first = fetcher.fetch("https://data.example/")
    clock.advance(5)
    second = fetcher.fetch("https://data.example/")
    assert web.requests[1].headers["if-none-match"] == '"v1"'
    assert (second.status, second.body) == (200, b"list-v1")
    assert second.from_cache
    assert second.revalidated
    assert second.fetched_at == first.fetched_at + timedelta(seconds=5)


def test_a_304_refreshes_the_lifetime() -> None:
    clock = FakeClock()
    responses = iter(
        [
            httpx.Response(200, content=b"doc", headers={"etag": '"a"'}),
            httpx.Response(304, headers={"etag": '"a"', "cache-control": "max-age=60"}),
        ]
    )
    fetcher, web, _ = make(lambda request: next(responses), clock=clock)
    fetcher.fetch("https://data.example/")
    assert fetcher.fetch("https://data.example/").revalidated
    clock.advance(30)
    third = fetcher.fetch("https://data.example/")
    assert (third.from_cache, third.revalidated, third.body) == (True, False, b"doc")
    assert len(web.requests) == 2


def test_last_modified_is_revalidated_with_if_modified_since() -> None:
    stamp = "Fri, 01 May 2026 10:00:00 GMT"
    fetcher, web, _ = make(ok(**{"last-modified": stamp}))
    fetcher.fetch("https://data.example/")
    fetcher.fetch("https://data.example/")
    assert web.requests[1].headers["if-modified-since"] == stamp


def test_force_fresh_bypasses_a_fresh_entry_and_replaces_it() -> None:
    bodies = iter([b"old", b"new", b"newer"])
    fetcher, web, _ = make(
        lambda request: httpx.Response(
            200, content=next(bodies), headers={"etag": '"x"', "cache-control": "max-age=600"}
        )
    )
    fetcher.fetch("https://data.example/")
    fresh = fetcher.fetch("https://data.example/", force_fresh=True)
    assert (fresh.body, fresh.from_cache) == (b"new", False)
    assert "if-none-match" not in web.requests[1].headers
    assert fetcher.fetch("https://data.example/").body == b"new"
    assert len(web.requests) == 2


def test_a_caller_ttl_wins_over_the_headers_but_not_over_no_store() -> None:
    clock = FakeClock()
    fetcher, web, _ = make(ok(**{"cache-control": "max-age=0"}), clock=clock)
    fetcher.fetch("https://data.example/a", ttl=30)
    clock.advance(29)
    assert fetcher.fetch("https://data.example/a", ttl=30).from_cache

    def ttl_from_body(result: FetchResult) -> float | None:
        return float(json.loads(result.body)["ttl"]) / 1000  # Bitstring ttl is milliseconds

    listed, _, _ = make(ok(b'{"ttl": 300000}'), clock=clock)
    listed.fetch("https://data.example/list", ttl=ttl_from_body)
    clock.advance(299)
    assert listed.fetch("https://data.example/list", ttl=ttl_from_body).from_cache

    private, private_web, _ = make(ok(**{"cache-control": "no-store"}), clock=clock)
    private.fetch("https://data.example/", ttl=300)
    private.fetch("https://data.example/", ttl=300)
    assert len(private_web.requests) == 2
    assert len(web.requests) == 1


def test_the_maximum_cache_ttl_caps_every_lifetime() -> None:
    clock = FakeClock()
    fetcher, _, _ = make(
        ok(**{"cache-control": "max-age=86400"}), FetchPolicy(max_cache_ttl=10), clock=clock
    )
    fetcher.fetch("https://data.example/")
    clock.advance(11)
    assert not fetcher.fetch("https://data.example/").from_cache
    fetcher.fetch("https://data.example/", ttl=10_000)
    clock.advance(11)
    assert not fetcher.fetch("https://data.example/").from_cache


def test_the_age_header_counts_against_max_age() -> None:
    clock = FakeClock()
    fetcher, _, _ = make(ok(**{"cache-control": "max-age=60", "age": "50"}), clock=clock)
    fetcher.fetch("https://data.example/")
    clock.advance(11)
    assert not fetcher.fetch("https://data.example/").from_cache


def test_errors_are_not_cached_and_accept_is_part_of_the_key() -> None:
    statuses = iter([404, 200, 200])
    fetcher, web, _ = make(
        lambda request: httpx.Response(
            next(statuses), content=b"x", headers={"cache-control": "max-age=60"}
        )
    )
    with pytest.raises(FetchStatusError):
        fetcher.fetch("https://data.example/")
    assert not fetcher.fetch("https://data.example/").from_cache
    assert not fetcher.fetch("https://data.example/", accept="application/json").from_cache
    assert fetcher.fetch("https://data.example/").from_cache
    assert len(web.requests) == 3


def test_the_cache_evicts_the_least_recently_used_and_skips_oversized_bodies() -> None:
    fetcher, web, _ = make(
        lambda request: httpx.Response(
            200,
            content=b"b" * (3000 if request.url.path == "/big" else 10),
            headers={"cache-control": "max-age=60"},
        ),
        FetchPolicy(cache_max_entries=2, cache_max_bytes=2000),
    )
    for path in ("/a", "/b", "/a", "/c", "/big"):
        fetcher.fetch(f"https://data.example{path}")
    assert fetcher.fetch("https://data.example/a").from_cache
    assert not fetcher.fetch("https://data.example/b").from_cache  # evicted by /c
    assert not fetcher.fetch("https://data.example/big").from_cache
    fetcher.clear_cache()
    assert not fetcher.fetch("https://data.example/a").from_cache
    paths = [request.url.path for request in web.requests]
    assert paths == ["/a", "/b", "/c", "/big", "/b", "/big", "/a"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=60", CacheControl(max_age=60)),
        ('MAX-AGE="30", public', CacheControl(max_age=30)),
        ("max-age=60, max-age=10", CacheControl(max_age=10)),
        ("max-age=-5", CacheControl(max_age=0)),
        ("max-age=1e3", CacheControl(max_age=0)),
        ("no-store", CacheControl(no_store=True)),
        ('no-cache="set-cookie", max-age=5', CacheControl(max_age=5, no_cache=True)),
        (None, CacheControl()),
    ],
)
def test_cache_control_parsing(value: str | None, expected: CacheControl) -> None:
    assert CacheControl.parse(value) == expected


def test_freshness_lifetime_order() -> None:
    cc = CacheControl(max_age=100, no_cache=True)
    assert freshness_lifetime(cc, ttl=50, max_ttl=3600) == 50
    assert freshness_lifetime(cc, max_ttl=3600) == 0
    assert freshness_lifetime(CacheControl(max_age=100), age=30, max_ttl=3600) == 70
    assert freshness_lifetime(CacheControl(), default_max_age=5, max_ttl=3600) == 5
    assert freshness_lifetime(CacheControl(), ttl=float("nan"), max_ttl=3600) == 0
    assert freshness_lifetime(CacheControl(no_store=True), ttl=50, max_ttl=3600) is None


# --- real sockets --------------------------------------------------------------------


class _DidHandler(http.server.BaseHTTPRequestHandler):
    hosts: list[str] = []  # noqa: RUF012 - shared with the test through the class

    def do_GET(self) -> None:
        type(self).hosts.append(self.headers.get("Host", ""))
        body = json.dumps({"id": "did:web:localhost"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/did+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def loopback_server() -> Iterator[tuple[int, list[str]]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _DidHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1], _DidHandler.hosts
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_real_socket_loopback_is_fetched_only_when_allowed(
    loopback_server: tuple[int, list[str]],
) -> None:
    port, hosts = loopback_server
    url = f"http://127.0.0.1:{port}/.well-known/did.json"
    before = len(hosts)
    with GuardedFetcher(FetchPolicy(allow_loopback=True)) as fetcher:
        result = fetcher.fetch(url)
    assert json.loads(result.body) == {"id": "did:web:localhost"}
    assert result.content_type == "application/did+json"
    with (
        GuardedFetcher(FetchPolicy(allowed_schemes=frozenset({"http", "https"}))) as closed,
        pytest.raises(FetchBlocked, match="loopback"),
    ):
        closed.fetch(url)
    assert len(hosts) == before + 1  # the refused fetch never connected


def test_real_socket_connects_to_the_vetted_address_keeping_the_host_name(
    loopback_server: tuple[int, list[str]],
) -> None:
    port, hosts = loopback_server
    dns = FakeDns({"did.test": ["127.0.0.1"]})
    with GuardedFetcher(FetchPolicy(allow_loopback=True), resolver=dns) as fetcher:
        fetcher.fetch(f"http://did.test:{port}/.well-known/did.json")
    assert hosts[-1] == f"did.test:{port}"
    assert dns.asked == ["did.test", "did.test"]  # the fetcher's check, then the socket's


def test_real_socket_refuses_a_name_rebound_between_check_and_connect(
    loopback_server: tuple[int, list[str]],
) -> None:
    port, hosts = loopback_server
    answers = iter([[PUBLIC], ["127.0.0.1"]])  # public when checked, loopback at connect

    def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    before = len(hosts)
    policy = FetchPolicy(allowed_schemes=frozenset({"http", "https"}))
    with (
        GuardedFetcher(policy, resolver=rebinding) as fetcher,
        pytest.raises(FetchBlocked, match=r"resolves to 127\.0\.0\.1, a loopback address"),
    ):
        fetcher.fetch(f"http://rebind.test:{port}/.well-known/did.json")
    assert len(hosts) == before


def test_results_are_read_only_views_of_the_cache() -> None:
    fetcher, _, _ = make(ok(**{"cache-control": "max-age=60"}))
    result = fetcher.fetch("https://data.example/")
    with pytest.raises(TypeError):
        result.headers["cache-control"] = "no-store"  # type: ignore[index]
    assert fetcher.fetch("https://data.example/").headers["cache-control"] == "max-age=60"


def test_a_body_the_transport_already_read_is_capped_too() -> None:
    fetcher, _, _ = make(
        lambda request: httpx.Response(200, content=b"a" * 5000),
        FetchPolicy(max_response_bytes=4096),
    )
    with pytest.raises(FetchTooLarge):
        fetcher.fetch("https://data.example/")
    small, _, _ = make(lambda request: httpx.Response(200, content=b"abc"))
    assert small.fetch("https://data.example/").body == b"abc"


def test_a_content_length_that_is_not_ascii_digits_is_ignored_not_trusted() -> None:
    body = Trickle(b"x" * 1024, 8)
    fetcher, _, _ = make(
        lambda request: httpx.Response(
            200,
            content=body,
            headers=[(b"content-length", b"\xb2")],  # "²" in Latin-1
        ),
        FetchPolicy(max_response_bytes=4096),
    )
    with pytest.raises(FetchTooLarge, match="larger than the cap"):
        fetcher.fetch("https://data.example/")


# --- offline first -----------------------------------------------------------------------


def test_offline_answers_from_a_fresh_cache_and_sends_nothing_else() -> None:
    clock = FakeClock()
    fetcher, web, dns = make(ok(**{"cache-control": "max-age=60"}), clock=clock)
    with offline(), pytest.raises(NetworkNeeded) as needed:
        fetcher.fetch("https://data.example/list")
    assert needed.value.args == ("https://data.example/list",)
    assert not isinstance(needed.value, Exception)  # no fetch-error handler can take it
    assert (web.requests, dns.asked) == ([], [])  # not even looked up
    fetcher.fetch("https://data.example/list")  # outside the block: fetched and kept
    with offline():
        assert fetcher.fetch("https://data.example/list").from_cache
        with pytest.raises(NetworkNeeded):  # another Accept is another entry
            fetcher.fetch("https://data.example/list", accept="application/json")
        with pytest.raises(NetworkNeeded):  # force_fresh always goes to the network
            fetcher.fetch("https://data.example/list", force_fresh=True)
    clock.advance(61)
    with offline(), pytest.raises(NetworkNeeded):  # stale: a revalidation is a request too
        fetcher.fetch("https://data.example/list")
    assert len(web.requests) == 1


def test_offline_ends_with_its_block_and_a_refused_url_is_still_refused() -> None:
    fetcher, web, _ = make(ok())
    with offline(), pytest.raises(FetchBlocked):  # the guard still judges first
        fetcher.fetch("http://data.example/")
    assert fetcher.fetch("https://data.example/").status == 200
    with pytest.raises(NetworkNeeded), offline():
        fetcher.fetch("https://other.example/")
    assert fetcher.fetch("https://other.example/").status == 200
    assert len(web.requests) == 2


def test_offline_holds_in_its_own_thread_only() -> None:
    fetcher, web, _ = make(ok())
    other: list[int] = []
    with offline():
        worker = threading.Thread(
            target=lambda: other.append(fetcher.fetch("https://data.example/").status)
        )
        worker.start()
        worker.join()
    assert other == [200]
    assert len(web.requests) == 1


async def test_run_offline_first_verifies_on_the_loop_until_the_network_is_needed() -> None:
    """mcred.verification.run_offline_first: a call that finds everything in the cache runs
    once, on the event loop's thread; one that needs the network runs again, from the start,
    in a worker thread, where the fetch is made."""
    fetcher, web, _ = make(ok(**{"cache-control": "max-age=60"}))
    loop_thread = threading.get_ident()
    ran: list[bool] = []

    def verify() -> int:
        ran.append(threading.get_ident() == loop_thread)
        return fetcher.fetch("https://data.example/did.json").status

    assert await run_offline_first(verify, size=1000) == 200
    assert ran == [True, False]  # stopped on the loop, done in a thread
    assert len(web.requests) == 1
    ran.clear()
    assert await run_offline_first(verify, size=1000) == 200
    assert ran == [True]  # cached: on the loop only
    assert len(web.requests) == 1
    ran.clear()  # a large body (a presentation of many credentials) goes to a thread at once
    assert await run_offline_first(verify, size=INLINE_MAX_BYTES + 1) == 200
    assert ran == [False]
