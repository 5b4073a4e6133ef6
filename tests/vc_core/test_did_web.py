"""did:web ↔ URL (specs.md §8.1), driven by tests/data/dids/did_web.json."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import DATA
from vc_core.dids.did_web import did_web_to_url, is_loopback_host, url_to_did_web
from vc_core.errors import DidError, DidResolutionError, DidSyntaxError

CASES = json.loads((DATA / "dids" / "did_web.json").read_text(encoding="utf-8"))


def _ids(cases: list[dict[str, Any]], key: str) -> list[str]:
    return [case[key] for case in cases]


@pytest.mark.parametrize("case", CASES["both_ways"], ids=_ids(CASES["both_ways"], "did"))
def test_did_to_url_and_back(case: dict[str, str]) -> None:
    assert did_web_to_url(case["did"]) == case["url"]
    assert url_to_did_web(case["url"]) == case["did"]


@pytest.mark.parametrize("case", CASES["url_to_did"], ids=_ids(CASES["url_to_did"], "url"))
def test_base_and_document_urls_map_to_the_did(case: dict[str, str]) -> None:
    assert url_to_did_web(case["url"]) == case["did"]


@pytest.mark.parametrize("case", CASES["http_loopback"], ids=_ids(CASES["http_loopback"], "did"))
def test_http_only_for_loopback(case: dict[str, str]) -> None:
    assert did_web_to_url(case["did"], scheme="http") == case["url"]


@pytest.mark.parametrize("did", CASES["http_refused"])
def test_http_refused_for_other_hosts(did: str) -> None:
    with pytest.raises(DidError):
        did_web_to_url(did, scheme="http")


def test_http_refusal_names_tls_for_a_valid_did() -> None:
    with pytest.raises(DidResolutionError, match="requires https"):
        did_web_to_url("did:web:example.com", scheme="http")


def test_unknown_scheme_refused() -> None:
    with pytest.raises(DidResolutionError, match="scheme"):
        did_web_to_url("did:web:example.com", scheme="ftp")  # type: ignore[arg-type]


@pytest.mark.parametrize("case", CASES["invalid_dids"], ids=_ids(CASES["invalid_dids"], "why"))
def test_invalid_dids(case: dict[str, str]) -> None:
    with pytest.raises(DidSyntaxError) as info:
        did_web_to_url(case["did"])
    assert info.value.details["error"] == "invalidDid"


@pytest.mark.parametrize("case", CASES["invalid_urls"], ids=_ids(CASES["invalid_urls"], "why"))
def test_invalid_urls(case: dict[str, str]) -> None:
    with pytest.raises(DidSyntaxError):
        url_to_did_web(case["url"])


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("localhost", True), ("a.localhost", True), ("localhost.example", False), ("x.com", False)],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


# -- properties ---------------------------------------------------------------------------------
_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_TOP = st.from_regex(r"[a-z]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)
_HOST = st.one_of(
    st.just("localhost"),
    st.builds(
        lambda labels, top: ".".join([*labels, top]), st.lists(_LABEL, min_size=1, max_size=3), _TOP
    ),
)
_SEGMENT = st.from_regex(r"[A-Za-z0-9._-]{1,12}", fullmatch=True).filter(
    lambda s: s not in {".", ".."}
)
_PATH = st.lists(_SEGMENT, max_size=4).filter(lambda p: not p or p[0] != ".well-known")


@given(host=_HOST, port=st.none() | st.integers(1, 65535), path=_PATH)
def test_round_trip(host: str, port: int | None, path: list[str]) -> None:
    authority = host if port is None else f"{host}%3A{port}"
    did = ":".join(["did:web", authority, *path])
    url = did_web_to_url(did)
    assert url.startswith(f"https://{host}" + ("" if port is None else f":{port}") + "/")
    assert url.endswith("/did.json")
    assert url_to_did_web(url) == did
    base = url.removesuffix("/did.json").removesuffix("/.well-known")
    assert url_to_did_web(base) == did


@given(st.text(max_size=60))
def test_arbitrary_text_raises_only_did_errors(text: str) -> None:
    for candidate in (text, "did:web:" + text):
        try:
            url = did_web_to_url(candidate)
        except DidError:
            continue
        assert url_to_did_web(url) == candidate  # whatever is accepted round-trips
    try:
        did = url_to_did_web("https://" + text)
    except DidError:
        return
    assert did.startswith("did:web:")
    did_web_to_url(did)  # and every DID we produce is one we accept
