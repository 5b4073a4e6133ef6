"""Which alliances the service's verifier trusts (the ``issuer_trust`` check).

:func:`build_trust_registry` combines up to three sources (``docs/trust-registry.md``):

* the alliances this service coordinates (``MCRED_TRUST_LOCAL_ALLIANCES``, on by default): their
  members and mandates straight from the issuer's catalogue, as the registry it publishes at
  ``/alliances/{id}/registry`` says;
* a pinned registry file (``MCRED_TRUST_REGISTRY_FILE``);
* a signed registry fetched through the guarded fetcher (``MCRED_TRUST_REGISTRY_URL``), accepted
  only when signed by ``MCRED_TRUST_ANCHOR_DID``.

None configured: no registry, and the check is skipped (``no_trust_registry``).
"""

from __future__ import annotations

from collections.abc import Callable

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

__all__ = ["REGISTRY_ACCEPT", "build_trust_registry", "fetch_registry_token"]

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
            AllianceRegistries(
                lambda: [
                    AllianceRegistry.parse(registry.subject(alliance))
                    for alliance in issuer.alliance_ids()
                ],
                name="this service's alliances",
            )
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
