"""Errors of the guarded outbound fetcher (:mod:`mcred.http`, which re-exports them).

The tree::

    FetchError                  base: no acceptable response could be had for the URL
    ├── FetchBlocked            refused by policy before or instead of connecting: scheme,
    │                           private/loopback/link-local address, redirect limit
    ├── FetchTooLarge           the body (on the wire or decompressed) passed its cap
    ├── FetchTimeout            connect, read or total deadline passed
    ├── FetchNetworkError       DNS failure, connection refused or reset, protocol error
    ├── FetchStatusError        the final response was not ``200`` (``.status``)
    └── FetchInvalid            the URL or the response cannot be used (bad URL, unknown or
                                corrupt ``Content-Encoding``)

Each class sets ``code`` (stable, machine-readable); ``details`` says more (``reason`` for
:class:`FetchBlocked`: ``scheme``, ``address``, ``redirects``, ``url``). Callers map the family
to their own vocabulary once (did:web resolution errors, ``STATUS_RETRIEVAL_ERROR``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "FetchBlocked",
    "FetchError",
    "FetchInvalid",
    "FetchNetworkError",
    "FetchStatusError",
    "FetchTimeout",
    "FetchTooLarge",
]


class FetchError(Exception):
    """Base of every error the guarded fetcher raises; ``url`` is the URL being fetched."""

    code: ClassVar[str] = "fetch_error"

    def __init__(
        self, message: str, *, url: str | None = None, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.details: dict[str, Any] = dict(details or {})
        if url is not None:
            self.details.setdefault("url", url)


class FetchBlocked(FetchError):
    """Policy refused the request: a scheme, an address, or too many redirects."""

    code = "fetch_blocked"

    @property
    def reason(self) -> str:
        return str(self.details.get("reason", ""))


class FetchTooLarge(FetchError):
    """The response body passed ``max_response_bytes`` or ``max_decompressed_bytes``."""

    code = "fetch_too_large"


class FetchTimeout(FetchError):
    """The connect, read or total timeout passed."""

    code = "fetch_timeout"


class FetchNetworkError(FetchError):
    """The host could not be resolved or reached, or broke the HTTP protocol."""

    code = "fetch_network"


class FetchStatusError(FetchError):
    """The final response had a status other than ``200``."""

    code = "fetch_status"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        url: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, url=url, details={**(details or {}), "status": status})
        self.status = status


class FetchInvalid(FetchError):
    """The URL, or the response's encoding, cannot be used."""

    code = "fetch_invalid"
