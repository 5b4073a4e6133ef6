"""What the verifier asks of the outside world (filled in by the composition root, ``mcred``).

* :class:`StatusListClient` dereferences a ``statusListCredential`` URL (Bitstring Status List
  1.0 §3.2 step 2). Retrieval failures raise :class:`StatusListRetrievalError`, which the status
  check reports as ``STATUS_RETRIEVAL_ERROR``; everything after retrieval (proof, issuer,
  validity, length, range) is the verifier's own business.
* :class:`StatusListTokenClient` dereferences the ``uri`` of an SD-JWT VC's
  ``status.status_list`` and returns the Status List Token (a compact ``statuslist+jwt``,
  Token Status List §8.1). A separate protocol, so existing status list clients keep
  satisfying :class:`StatusListClient`; the verifier uses it when its status list client also
  implements it (or one is passed as ``status_tokens``).
* :class:`Clock` gives "now" for validity periods, proof and key expiry.
* :class:`TrustRegistry` says whether an issuer is one the verifier trusts (specs.md §11 step 8).
  No registry is configured yet: the ``issuer_trust`` check is then ``skipped``.

DID documents come through :class:`vc_core.dids.resolver.DidResolver`. The verifier never
opens a socket itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from vc_core.errors import StatusListError

__all__ = [
    "Clock",
    "StatusListClient",
    "StatusListRetrievalError",
    "StatusListTokenClient",
    "SystemClock",
    "TrustRegistry",
]


class StatusListRetrievalError(StatusListError):
    """The status list credential could not be had: network, HTTP status, size, not JSON.

    Bitstring Status List 1.0 §3.2: "If the ``statusListCredential`` cannot be dereferenced,
    a ``STATUS_RETRIEVAL_ERROR`` MUST be raised."
    """

    code = "status_retrieval"

    def __init__(self, message: str, *, url: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(
            message, status_code="STATUS_RETRIEVAL_ERROR", details={**(details or {}), "url": url}
        )
        self.url = url


class StatusListClient(Protocol):
    """Dereferences status list credentials (Bitstring Status List 1.0 §3.2 step 2)."""

    def fetch_status_list_credential(
        self, url: str, *, force_fresh: bool = False
    ) -> dict[str, Any]:
        """The JSON object served at ``url``, not yet verified.

        ``force_fresh`` bypasses any cache (a verifier that must know the state *now*). Raises
        :class:`StatusListRetrievalError` when nothing usable could be retrieved.
        """
        ...


@runtime_checkable
class StatusListTokenClient(Protocol):
    """Dereferences Status List Tokens (Token Status List §8.1, specs.md §7.3)."""

    def fetch_status_list_token(self, uri: str) -> str:
        """The compact JWT served at ``uri`` (``Accept: application/statuslist+jwt``), not yet
        verified. Raises :class:`StatusListRetrievalError` when nothing usable could be had."""
        ...


class Clock(Protocol):
    """A source of the current, time-zone-aware instant (``vc_core.testing.FixedClock`` fits)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class TrustRegistry(Protocol):
    """Which issuers the verifier trusts (an alliance allow-list, EBSI TIR, ... — later).

    This is a membership lookup, not a verification: the verifier reports the answer as its
    ``issuer_trust`` check.
    """

    @property
    def name(self) -> str:
        """Shown in the report (``"alliance allow-list"``)."""
        ...

    def is_trusted_issuer(self, issuer: str) -> bool: ...
