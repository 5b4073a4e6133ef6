"""The pinned document loader: hashes, refusals, and that nothing reaches the network."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path
from typing import Any

import pytest

from contexts import CONTEXTS_DIR, MANIFEST_PATH
from tests.conftest import DATA, REFERENCE
from vc_core.errors import ContextNotAllowedError, MalformedInputError
from vc_core.jsonld.canonicalize import OxigraphCanonicalizer, PyldCanonicalizer
from vc_core.jsonld.loader import ContextEntry, PinnedDocumentLoader, default_loader

MANIFEST = json.loads(MANIFEST_PATH.read_text())["contexts"]


@pytest.mark.parametrize("url", sorted(MANIFEST))
def test_manifest_hash_matches_file(url: str) -> None:
    entry = MANIFEST[url]
    digest = hashlib.sha256((CONTEXTS_DIR / entry["file"]).read_bytes()).hexdigest()
    assert digest == entry["sha256"]
    assert entry["use"] in {"production", "test"}


REC_DIGESTS = json.loads((DATA / "contexts" / "rec_digests.json").read_text())["digests"]


@pytest.mark.parametrize(("url", "digest"), sorted(REC_DIGESTS.items()))
def test_pinned_contexts_are_the_rec_versions(url: str, digest: str) -> None:
    assert MANIFEST[url]["sha256"] == digest


def test_elm_context_is_the_32_lts_copy() -> None:
    entry = MANIFEST["http://data.europa.eu/snb/model/context/edc-ap"]
    reference = REFERENCE / "elm" / "edc-ap-context-3.2-LTS-branch.jsonld"
    assert (CONTEXTS_DIR / entry["file"]).read_bytes() == reference.read_bytes()


def test_production_loader_serves_no_test_context() -> None:
    production = default_loader()
    test_urls = {url for url, e in MANIFEST.items() if e["use"] == "test"}
    assert test_urls, "the manifest marks the test-only contexts"
    assert not production.urls & test_urls
    assert test_urls <= default_loader(include_test_contexts=True).urls
    with pytest.raises(ContextNotAllowedError):
        production("https://www.w3.org/ns/credentials/examples/v2", {})


def test_unknown_url_is_refused_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the loader tried to open a socket")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    document = {"@context": ["https://example.org/ctx/v1"], "@id": "urn:x", "urn:p": "v"}
    for engine in (PyldCanonicalizer(), OxigraphCanonicalizer()):
        with pytest.raises(ContextNotAllowedError) as info:
            engine.canonize(document)
        assert "https://example.org/ctx/v1" in info.value.message
        assert info.value.code == "context_not_allowed"


def test_tampered_context_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ctx.jsonld"
    path.write_text('{"@context": {"name": "https://schema.org/name"}}')
    url = "https://example.org/tampered"
    loader = PinnedDocumentLoader({url: ContextEntry(url, path, "0" * 64)})
    with pytest.raises(MalformedInputError, match="sha256"):
        loader.context(url)


def test_remote_document_shape_for_pyld() -> None:
    remote = default_loader()("https://www.w3.org/ns/credentials/v2", {})
    assert remote["documentUrl"] == "https://www.w3.org/ns/credentials/v2"
    assert "@context" in remote["document"]
