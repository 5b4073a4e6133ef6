"""In-memory implementations of the verifier's ports: tests, demos, pinned configuration.

* :class:`InMemoryStatusListClient` serves status list credentials and Status List Tokens
  from dicts and records every request, so tests can assert what was (not) fetched.
* :class:`StaticTrustRegistry` trusts a fixed set of issuer identifiers.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from verifier.ports import StatusListRetrievalError

__all__ = ["InMemoryStatusListClient", "StaticTrustRegistry"]


class InMemoryStatusListClient:
    """A :class:`~verifier.ports.StatusListClient` over a URL → JSON map.

    An unknown URL raises :class:`~verifier.ports.StatusListRetrievalError` (as a ``404``
    would). Documents are copied in and out.
    """

    def __init__(self, lists: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self._lists: dict[str, dict[str, Any]] = {
            url: copy.deepcopy(dict(document)) for url, document in (lists or {}).items()
        }
        self.requests: list[tuple[str, bool]] = []
        """``(url, force_fresh)`` of every call, in order."""
        self._tokens: dict[str, str] = {}
        self.token_requests: list[str] = []
        """The ``uri`` of every Status List Token request, in order."""

    def publish_token(self, uri: str, token: str) -> None:
        """Serve a Status List Token (a compact JWT) at ``uri``."""
        self._tokens[uri] = token

    def withdraw_token(self, uri: str) -> None:
        self._tokens.pop(uri, None)

    def fetch_status_list_token(self, uri: str) -> str:
        self.token_requests.append(uri)
        try:
            return self._tokens[uri]
        except KeyError:
            raise StatusListRetrievalError(
                f"no Status List Token is published at {uri}", url=uri, details={"status": 404}
            ) from None

    def publish(self, url: str, document: Mapping[str, Any]) -> None:
        self._lists[url] = copy.deepcopy(dict(document))

    def withdraw(self, url: str) -> None:
        """Make ``url`` unreachable."""
        self._lists.pop(url, None)

    def fetch_status_list_credential(
        self, url: str, *, force_fresh: bool = False
    ) -> dict[str, Any]:
        self.requests.append((url, force_fresh))
        try:
            return copy.deepcopy(self._lists[url])
        except KeyError:
            raise StatusListRetrievalError(
                f"no status list is published at {url}", url=url, details={"status": 404}
            ) from None


class StaticTrustRegistry:
    """A :class:`~verifier.ports.TrustRegistry` trusting exactly the given issuers."""

    def __init__(self, issuers: Iterable[str], *, name: str = "static allow-list") -> None:
        self._issuers = frozenset(issuers)
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def is_trusted_issuer(self, issuer: str) -> bool:
        return issuer in self._issuers
