"""did:web resolution over the guarded fetcher (specs.md §8.1), through httpx.MockTransport."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pytest

from mcred.did_web_resolver import DID_DOCUMENT_ACCEPT, WebDidResolver, build_did_resolver
from mcred.http import FetchPolicy, GuardedFetcher
from vc_core.dids.did_key import did_key_from_public_key
from vc_core.dids.resolver import resolve_verification_method
from vc_core.errors import DidResolutionError, DidSyntaxError
from vc_core.keys import PrivateKey

DID = "did:web:issuer.example"
DOC_URL = "https://issuer.example/.well-known/did.json"
Handler = Callable[[httpx.Request], httpx.Response]
ADDRESSES = {
    "issuer.example": ["93.184.216.34"],
    "intranet.example": ["10.20.30.40"],
    "localhost": ["127.0.0.1", "::1"],
}


def resolve_host(host: str, port: int) -> Sequence[str]:
    if host not in ADDRESSES:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return ADDRESSES[host]


class Web:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


def make(
    handler: Handler, policy: FetchPolicy | None = None
) -> tuple[WebDidResolver, GuardedFetcher, Web]:
    web = Web(handler)
    fetcher = GuardedFetcher(policy, transport=httpx.MockTransport(web), resolver=resolve_host)
    return WebDidResolver(fetcher), fetcher, web


def document(did: str = DID, **extra: Any) -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/did/v1"], "id": did, **extra}


def serving(
    body: bytes | dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Handler:
    content = json.dumps(body).encode() if isinstance(body, dict) else body
    return lambda request: httpx.Response(status, content=content, headers=headers)


def error_of(call: Callable[[], object]) -> DidResolutionError:
    with pytest.raises(DidResolutionError) as caught:
        call()
    return caught.value


def test_a_did_web_document_is_fetched_from_its_well_known_url() -> None:
    key = PrivateKey.generate().public_key
    vm = {
        "id": f"{DID}#ed",
        "type": "Multikey",
        "controller": DID,
        "publicKeyMultibase": key.multikey,
    }
    served = document(verificationMethod=[vm], assertionMethod=[f"{DID}#ed"])
    resolver, _, web = make(serving(served, headers={"content-type": "application/did+json"}))
    assert resolver.resolve(DID) == served
    (request,) = web.requests
    assert str(request.url) == DOC_URL
    assert request.headers["accept"] == DID_DOCUMENT_ACCEPT
    found = resolve_verification_method(resolver, f"{DID}#ed", "assertionMethod")
    assert found.multikey == key.multikey


def test_a_path_did_maps_to_its_path() -> None:
    did = f"{DID}:issuers:uni-a"
    resolver, _, web = make(serving(document(did)))
    resolver.resolve(did)
    assert str(web.requests[0].url) == "https://issuer.example/issuers/uni-a/did.json"


def test_each_resolution_returns_its_own_copy() -> None:
    resolver, _, _ = make(serving(document(), headers={"cache-control": "max-age=60"}))
    first = resolver.resolve(DID)
    first["id"] = "did:web:evil.example"
    assert resolver.resolve(DID)["id"] == DID


def test_a_document_for_another_did_is_refused() -> None:
    resolver, _, _ = make(serving(document("did:web:other.example")))
    error = error_of(lambda: resolver.resolve(DID))
    assert error.details["error"] == "invalidDidDocument"
    assert "does not match" in error.message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>not json</html>", "is not JSON"),
        (b'{"id": "did:web:issuer.example", "id": "did:web:evil.example"}', "duplicate member"),
        (b'["did:web:issuer.example"]', "not a JSON object"),
        (b'{"id": "did:web:issuer.example", "x": NaN}', "NaN is not JSON"),
        (b'{"id": "did:web:issuer.\xff"}', "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_an_invalid_document(body: bytes, message: str) -> None:
    resolver, _, _ = make(serving(body))
    error = error_of(lambda: resolver.resolve(DID))
    assert error.details["error"] == "invalidDidDocument"
    assert error.details["url"] == DOC_URL
    assert message in error.message


@pytest.mark.parametrize(
    ("status", "error"), [(404, "notFound"), (410, "notFound"), (503, "internalError")]
)
def test_http_failures_are_mapped(status: int, error: str) -> None:
    resolver, _, _ = make(serving(b"", status=status))
    found = error_of(lambda: resolver.resolve(DID))
    assert found.details["error"] == error
    assert found.details["status"] == status
    assert found.details["fetch_error"] == "fetch_status"


def test_a_did_on_a_private_address_is_refused_and_says_so() -> None:
    did = "did:web:intranet.example"
    resolver, _, web = make(serving(document(did)))
    error = error_of(lambda: resolver.resolve(did))
    assert error.details["error"] == "notFound"
    assert error.details["fetch_error"] == "fetch_blocked"
    assert error.details["kind"] == "private"
    assert "refused to fetch from intranet.example" in error.message
    assert "10.20.30.40, a private address" in error.message
    assert web.requests == []


def test_timeouts_and_oversized_documents_are_mapped() -> None:
    def stall(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("stalled")

    slow, _, _ = make(stall)
    assert error_of(lambda: slow.resolve(DID)).details == {
        "error": "notFound",
        "did": DID,
        "url": DOC_URL,
        "fetch_error": "fetch_timeout",
    }
    big = json.dumps(document(pad="x" * 5000)).encode()
    bloated, _, _ = make(serving(big), FetchPolicy(max_response_bytes=4096))
    error = error_of(lambda: bloated.resolve(DID))
    assert error.details["error"] == "invalidDidDocument"
    assert error.details["fetch_error"] == "fetch_too_large"


def test_a_loopback_did_uses_http_only_when_loopback_is_allowed() -> None:
    did = "did:web:localhost%3A8000"
    resolver, _, web = make(serving(document(did)), FetchPolicy(allow_loopback=True))
    assert resolver.resolve(did)["id"] == did
    assert str(web.requests[0].url) == "http://localhost:8000/.well-known/did.json"
    closed, _, _ = make(serving(document(did)))
    assert closed.document_url(did) == "https://localhost:8000/.well-known/did.json"
    error = error_of(lambda: closed.resolve(did))
    assert error.details["error"] == "notFound"
    assert error.details["kind"] == "loopback"


def test_force_fresh_reaches_the_host_past_the_cache() -> None:
    resolver, _, web = make(serving(document(), headers={"cache-control": "max-age=300"}))
    resolver.resolve(DID)
    resolver.resolve(DID)
    assert len(web.requests) == 1
    resolver.resolve(DID, force_fresh=True)
    assert len(web.requests) == 2


def test_other_methods_and_malformed_dids_never_fetch() -> None:
    resolver, _, web = make(serving(document()))
    assert error_of(lambda: resolver.resolve("did:example:123")).details["error"] == (
        "methodNotSupported"
    )
    with pytest.raises(DidSyntaxError):
        resolver.resolve("did:web:10.0.0.1")
    assert web.requests == []


def test_build_did_resolver_expands_did_key_locally_and_fetches_did_web() -> None:
    web = Web(serving(document()))
    fetcher = GuardedFetcher(transport=httpx.MockTransport(web), resolver=resolve_host)
    resolver = build_did_resolver(fetcher)
    did_key = did_key_from_public_key(PrivateKey.generate().public_key)
    assert resolver.resolve(did_key)["id"] == did_key
    assert web.requests == []
    assert resolver.resolve(DID)["id"] == DID
    assert len(web.requests) == 1
    error = error_of(lambda: resolver.resolve("did:example:123"))
    assert error.details["error"] == "methodNotSupported"
