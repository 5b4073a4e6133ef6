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
* :class:`TrustRegistry` says whether an issuer is one the verifier trusts (specs.md §11 step 8);
  an :class:`AllianceTrustRegistry` also gives the alliances' members and awarding mandates
  (:mod:`verifier.trust`), so ``issuer_trust`` checks that every awarding body authorised the
  issuer. Without a registry the ``issuer_trust`` check is ``skipped`` (``no_trust_registry``).

DID documents come through :class:`vc_core.dids.resolver.DidResolver`. The verifier never
opens a socket itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from vc_core.errors import StatusListError

if TYPE_CHECKING:
    from verifier.trust import AllianceRegistry

__all__ = [
    "AllianceTrustRegistry",
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
    """Which issuers the verifier trusts (an allow-list; :class:`AllianceTrustRegistry` for
    alliances, EBSI TIR later).

    This is a membership lookup, not a verification: the verifier reports the answer as its
    ``issuer_trust`` check.
    """

    @property
    def name(self) -> str:
        """Shown in the report (``"alliance allow-list"``)."""
        ...

    def is_trusted_issuer(self, issuer: str) -> bool: ...


@runtime_checkable
class AllianceTrustRegistry(TrustRegistry, Protocol):
    """Alliance trust registries: members and awarding mandates (:mod:`verifier.trust`).

    :class:`verifier.trust.AllianceRegistries` serves fixed or provided registries (a pinned
    file, the alliances this service coordinates); :class:`verifier.trust.SignedRegistryClient`
    keeps a signed registry fetched from a URL. ``is_trusted_issuer`` is true for a member.
    """

    def alliances(self) -> Sequence[AllianceRegistry]:
        """The registries in force now. Raises :class:`verifier.trust.TrustRegistryError` when
        none can be had (the check then fails with ``trust_registry_unavailable``)."""
        ...
