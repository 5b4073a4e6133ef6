"""The composition-root adapter: status lists over the guarded fetcher, and a verifier that
resolves did:web and fetches lists through it (httpx.MockTransport, no sockets)."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mcred.did_web_resolver import build_did_resolver
from mcred.http import FetchPolicy, GuardedFetcher
from mcred.verification import STATUS_LIST_ACCEPT, FetcherStatusListClient, build_verifier
from tests.verifier.world import (
    ELM_LIST,
    NOW,
    REVOCATION_LIST,
    SUSPENSION_LIST,
    did_documents,
    elm_credential,
    sign_di,
    status_list_credential,
    vcdm2_credential,
)
from vc_core.testing import FixedClock
from verifier import CheckStatus, StatusListRetrievalError

HOST = "credentials.arqus-alliance.eu"
Handler = Callable[[httpx.Request], httpx.Response]


def resolve_host(host: str, port: int) -> Sequence[str]:
    if host != HOST:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return ["93.184.216.34"]


class Web:
    """A tiny web: path → (JSON body or bytes, status); records every request."""

    def __init__(self, pages: dict[str, tuple[Any, int]]) -> None:
        self.pages = pages
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body, status = self.pages.get(request.url.path, ({"error": "not found"}, 404))
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status, content=content, headers={"content-type": "application/vc"})


def fetcher_for(web: Web, clock: FixedClock | None = None) -> GuardedFetcher:
    return GuardedFetcher(
        FetchPolicy(),
        transport=httpx.MockTransport(web),
        resolver=resolve_host,
        clock=(clock or FixedClock(NOW)).now,
    )


def test_the_client_fetches_with_the_status_list_media_types() -> None:
    listed = status_list_credential(REVOCATION_LIST, purpose="revocation")
    web = Web({"/status/revocation-1": (listed, 200)})
    document = FetcherStatusListClient(fetcher_for(web)).fetch_status_list_credential(
        REVOCATION_LIST
    )
    assert document == listed
    assert web.requests[0].headers["accept"] == STATUS_LIST_ACCEPT
    assert STATUS_LIST_ACCEPT == "application/vc, application/vc+ld+json, application/json"


def test_the_lists_ttl_decides_how_long_it_is_cached() -> None:
    listed = status_list_credential(REVOCATION_LIST, purpose="revocation")  # ttl 300000 ms
    web = Web({"/status/revocation-1": (listed, 200)})
    clock = FixedClock(NOW)
    client = FetcherStatusListClient(fetcher_for(web, clock))
    client.fetch_status_list_credential(REVOCATION_LIST)
    clock.advance(299)
    client.fetch_status_list_credential(REVOCATION_LIST)
    assert len(web.requests) == 1  # fresh for 300 s although no Cache-Control was sent
    client.fetch_status_list_credential(REVOCATION_LIST, force_fresh=True)
    assert len(web.requests) == 2
    clock.advance(301)
    client.fetch_status_list_credential(REVOCATION_LIST)
    assert len(web.requests) == 3


@pytest.mark.parametrize(
    ("page", "fetch_error"),
    [
        (({"error": "gone"}, 404), "fetch_status"),
        (({"error": "down"}, 503), "fetch_status"),
        ((b"<html>not json</html>", 200), "not_json"),
        ((b'{"a": 1, "a": 2}', 200), "not_json"),
        (([1, 2, 3], 200), "not_json_object"),
    ],
)
def test_every_retrieval_failure_is_a_status_retrieval_error(
    page: tuple[Any, int], fetch_error: str
) -> None:
    web = Web({"/status/revocation-1": page})
    client = FetcherStatusListClient(fetcher_for(web))
    with pytest.raises(StatusListRetrievalError) as raised:
        client.fetch_status_list_credential(REVOCATION_LIST)
    assert raised.value.status_code == "STATUS_RETRIEVAL_ERROR"
    assert raised.value.details["fetch_error"] == fetch_error
    assert raised.value.details["url"] == REVOCATION_LIST
    problem = raised.value.to_problem()
    assert problem["type"] == "https://www.w3.org/ns/credentials/status-list#STATUS_RETRIEVAL_ERROR"


def test_a_private_address_is_refused_before_any_request() -> None:
    web = Web({})
    client = FetcherStatusListClient(fetcher_for(web))
    with pytest.raises(StatusListRetrievalError) as raised:
        client.fetch_status_list_credential("http://169.254.169.254/latest/meta-data")
    assert raised.value.details["fetch_error"] == "fetch_blocked"
    assert web.requests == []


def _the_issuers_web() -> Web:
    issuer = did_documents()[0]
    return Web(
        {
            "/.well-known/did.json": (issuer, 200),
            "/status/elm-1": (
                status_list_credential(ELM_LIST, purpose="message", status_size=2),
                200,
            ),
            "/status/revocation-1": (
                status_list_credential(REVOCATION_LIST, purpose="revocation", values={815: 1}),
                200,
            ),
            "/status/suspension-1": (
                status_list_credential(SUSPENSION_LIST, purpose="suspension"),
                200,
            ),
        }
    )


def test_build_verifier_resolves_did_web_and_fetches_lists_through_the_fetcher() -> None:
    web = _the_issuers_web()
    fetcher = fetcher_for(web)
    verifier = build_verifier(fetcher, build_did_resolver(fetcher), clock=FixedClock(NOW))
    report = verifier.verify_credential(sign_di(elm_credential()))
    assert report.verified, report.to_dict(include_document=False)
    assert [r.url.path for r in web.requests] == ["/.well-known/did.json", "/status/elm-1"]
    revoked = verifier.verify_credential(sign_di(vcdm2_credential()))
    assert not revoked.verified
    assert revoked.check("status").code == "revoked"


def test_build_verifier_takes_a_plain_callable_clock() -> None:
    web = _the_issuers_web()
    fetcher = fetcher_for(web)
    later = datetime(2031, 3, 2, tzinfo=UTC)  # the VCDM 2.0 credential expired in 2031-03-01
    verifier = build_verifier(fetcher, build_did_resolver(fetcher), clock=lambda: later)
    report = verifier.verify_credential(sign_di(vcdm2_credential()))
    assert report.check("validity").code == "expired"
    assert report.check("validity").status is CheckStatus.FAILED
