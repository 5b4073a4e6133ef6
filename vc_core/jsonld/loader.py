"""The one JSON-LD document loader: pinned contexts from ``contexts/`` and nothing else.

Every URL it serves is listed in ``contexts/manifest.json`` with the file and its sha256;
the hash is checked when the file is first read. Any other URL raises
:class:`~vc_core.errors.ContextNotAllowedError` (it is never fetched). This follows the VCDM
2.0 rule that the base contexts are "already retrieved" (App. B.1) and the JSON-LD best
practice of caching contexts locally.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from contexts import MANIFEST_PATH
from vc_core.errors import ContextNotAllowedError, MalformedInputError

__all__ = ["ContextEntry", "PinnedDocumentLoader", "default_loader"]


@dataclass(frozen=True)
class ContextEntry:
    url: str
    path: Path
    sha256: str


class PinnedDocumentLoader:
    """A pyld-compatible document loader over a fixed URL → file table.

    Call it as pyld does (``loader(url, options)``) or use :meth:`context` to get the parsed
    document. Parsed documents are cached; callers must not mutate them.
    """

    def __init__(self, entries: Mapping[str, ContextEntry]) -> None:
        self._entries = dict(entries)
        self._parsed: dict[str, dict[str, Any]] = {}

    @classmethod
    def from_manifest(
        cls, manifest_path: Path = MANIFEST_PATH, *, include_test_contexts: bool = False
    ) -> PinnedDocumentLoader:
        """The loader over a manifest; ``"use": "test"`` entries only when asked for."""
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        base = manifest_path.parent
        entries = {
            url: ContextEntry(url=url, path=base / item["file"], sha256=item["sha256"])
            for url, item in manifest["contexts"].items()
            if include_test_contexts or item.get("use", "production") == "production"
        }
        return cls(entries)

    @property
    def urls(self) -> frozenset[str]:
        return frozenset(self._entries)

    def entry(self, url: str) -> ContextEntry:
        try:
            return self._entries[url]
        except KeyError:
            raise ContextNotAllowedError(
                f"JSON-LD context {url!r} is not one of the pinned contexts; "
                "mcred never loads a context from the network",
                details={"url": url, "allowed": sorted(self._entries)},
            ) from None

    def context(self, url: str) -> dict[str, Any]:
        """The parsed context document for ``url`` (checked against its sha256)."""
        doc = self._parsed.get(url)
        if doc is None:
            entry = self.entry(url)
            raw = entry.path.read_bytes()
            digest = hashlib.sha256(raw).hexdigest()
            if digest != entry.sha256:
                raise MalformedInputError(
                    f"pinned context {url!r} does not match its sha256 in the manifest",
                    details={"url": url, "expected": entry.sha256, "actual": digest},
                )
            doc = json.loads(raw)
            self._parsed[url] = doc
        return doc

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """pyld's ``documentLoader`` interface (``RemoteDocument``)."""
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": self.context(url),
        }


@cache
def default_loader(*, include_test_contexts: bool = False) -> PinnedDocumentLoader:
    """The loader over ``contexts/manifest.json`` (one of each kind per process).

    ``include_test_contexts`` adds the contexts pinned for test vectors and conformance
    suites (the VCDM examples context, the citizenship vocabulary); production never needs them.
    """
    return PinnedDocumentLoader.from_manifest(include_test_contexts=include_test_contexts)
