"""Which alliances the service's verifier trusts (the ``issuer_trust`` check).

:func:`build_trust_registry` combines up to three sources (``docs/trust-registry.md``):

* the alliances this service coordinates (``MCRED_TRUST_LOCAL_ALLIANCES``, on by default): their
  members and mandates straight from the issuer's catalogue, as the registry it publishes at
  ``/alliances/{id}/registry`` says (:class:`LocalAllianceRegistries`: built and parsed once per
  catalogue revision, the revisions read at most once a second, so a partner or a mandate added
  or removed by any worker counts within :data:`LOCAL_REGISTRY_RECHECK` seconds);
* a pinned registry file (``MCRED_TRUST_REGISTRY_FILE``);
* a signed registry fetched through the guarded fetcher (``MCRED_TRUST_REGISTRY_URL``), accepted
  only when signed by ``MCRED_TRUST_ANCHOR_DID``.

None configured: no registry, and the check is skipped (``no_trust_registry``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from issuer.errors import NotFound
from issuer.registry import RegistryPublisher
from issuer.service import Issuer
from mcred.http import GuardedFetcher
from mcred.http_errors import FetchError
from mcred.settings import Settings
from vc_core.dids.resolver import DidResolver
from verifier.ports import AllianceTrustRegistry
from verifier.trust import (
    AllianceRegistries,
    AllianceRegistry,
    SignedRegistryClient,
    TrustRegistryError,
    load_registry_file,
)

__all__ = [
    "LOCAL_REGISTRY_RECHECK",
    "REGISTRY_ACCEPT",
    "LocalAllianceRegistries",
    "build_trust_registry",
    "fetch_registry_token",
]

REGISTRY_ACCEPT = "application/vc+jwt"


def fetch_registry_token(fetcher: GuardedFetcher) -> Callable[[str], str]:
    """GET a signed registry (compact ``vc+jwt``); fetch failures become
    :class:`TrustRegistryError` (the check then reports ``trust_registry_unavailable``)."""

    def fetch(url: str) -> str:
        try:
            result = fetcher.fetch(url, accept=REGISTRY_ACCEPT)
        except FetchError as exc:
            raise TrustRegistryError(
                f"cannot retrieve the trust registry {url}: {exc.message}",
                details={**exc.details, "fetch_error": exc.code},
            ) from exc
        try:
            return result.body.decode("ascii").strip()
        except UnicodeDecodeError:
            raise TrustRegistryError(f"the trust registry at {url} is not a compact JWT") from None

    return fetch


LOCAL_REGISTRY_RECHECK = 1.0
"""Seconds a worker trusts the alliances' catalogue revisions it last read: a catalogue change
(an alliance, a partner or a mandate added or removed, by any worker) counts for every
verification at most this long after it was made."""


class LocalAllianceRegistries:
    """The registries of the alliances this service coordinates, kept per catalogue revision.

    Called for every verification. One catalogue read gives every alliance's revision
    (:meth:`issuer.registry.RegistryPublisher.revisions`), at most once per ``recheck``
    seconds; only when one changed (an alliance loaded or removed, a partner or a mandate
    added, by this worker or another) are the registries built
    (:meth:`~issuer.registry.RegistryPublisher.subject`, itself cached by revision) and parsed
    again. So what a verification sees is at most ``recheck`` seconds older than the catalogue
    (``0``: the catalogue as it is, at the price of one read per verification).
    """

    def __init__(
        self,
        publisher: RegistryPublisher,
        *,
        recheck: float = LOCAL_REGISTRY_RECHECK,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if recheck < 0:
            raise ValueError("recheck is a number of seconds, not negative")
        self._publisher = publisher
        self._recheck = recheck
        self._clock = clock
        self._kept: _Kept | None = None
        self._lock = threading.Lock()

    def __call__(self) -> tuple[AllianceRegistry, ...]:
        now = self._clock()
        kept = self._kept
        if kept is not None and 0 <= now - kept.read_at < self._recheck:
            return kept.registries
        revisions = tuple(sorted(self._publisher.revisions().items()))
        kept = self._kept
        if kept is not None and kept.revisions == revisions:
            with self._lock:
                self._kept = _Kept(revisions, kept.registries, now)
            return kept.registries
        # built from what the catalogue holds now: at least as new as ``revisions`` (a change
        # in between gives a new revision, so the next read builds again). Built outside the
        # lock: resolving a partner's DID may fetch it, and no verification may wait on
        # another's fetch (one on the event loop would stall it; two threads may both build)
        registries: list[AllianceRegistry] = []
        complete = True
        for alliance, _ in revisions:
            try:
                subject = self._publisher.subject(alliance)
            except NotFound:  # removed since its revision was read
                complete = False
                continue
            registries.append(AllianceRegistry.parse(subject))
        built = tuple(registries)
        if complete:
            with self._lock:
                self._kept = _Kept(revisions, built, now)
        return built


@dataclass(frozen=True)
class _Kept:
    revisions: tuple[tuple[str, str], ...]
    registries: tuple[AllianceRegistry, ...]
    read_at: float


def build_trust_registry(
    settings: Settings,
    *,
    issuer: Issuer,
    registry: RegistryPublisher,
    fetcher: GuardedFetcher,
    resolver: DidResolver,
) -> AllianceTrustRegistry | None:
    parts: list[AllianceTrustRegistry] = []
    if settings.trust_local_alliances:
        parts.append(
            AllianceRegistries(LocalAllianceRegistries(registry), name="this service's alliances")
        )
    if settings.trust_registry_file is not None:
        parts.append(
            AllianceRegistries.of(
                *load_registry_file(settings.trust_registry_file),
                name=f"pinned registry {settings.trust_registry_file.name}",
            )
        )
    if settings.trust_registry_url is not None and settings.trust_anchor_did is not None:
        parts.append(
            SignedRegistryClient(
                settings.trust_registry_url,
                fetch_registry_token(fetcher),
                resolver=resolver,
                trust_anchors=[settings.trust_anchor_did],
            )
        )
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return AllianceRegistries.combine(*parts, name="alliance registries")
