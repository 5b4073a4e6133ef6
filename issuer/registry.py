"""The alliance trust registry the coordinator publishes (docs/trust-registry.md).

A verifier that trusts an alliance needs its members' DIDs and the awarding mandates every
partner gave the coordinator. The coordinator publishes them, built from the catalogue, at a
stable URL: ``GET /alliances/{alliance_id}/registry`` answers an
``AllianceTrustRegistryCredential`` (VCDM 2.0) secured as ``application/vc+jwt``
(VC-JOSE-COSE, ES256 with the coordinator's P-256 key)::

    {
      "@context": ["https://www.w3.org/ns/credentials/v2"],
      "id": "<public URL>/alliances/arqus/registry",
      "type": ["VerifiableCredential", "AllianceTrustRegistryCredential"],
      "issuer": "<coordinator DID>",
      "validFrom": "…", "validUntil": "…",           (a week: the registry is re-signed daily)
      "credentialSubject": {
        "id": "urn:mcred:arqus", "type": "AllianceTrustRegistry",
        "alliance": {"id": "arqus", "name": {"en": "…"}},
        "members": [{"did", "legal_name", "country", "erasmus_code", "schac_code", "role"}, …],
        "mandates": [{"id", "awarding_body", "coordinator", "specifications",
                      "valid_from", "valid_until", "credential": {… signed mandate …}}, …]
      }
    }

Why JOSE: the registry's terms are defined by no pinned JSON-LD context; a JWS secures the
exact bytes without JSON-LD processing (see :mod:`verifier.trust`, which verifies it). Only
mandate credentials whose proof, issuer, subject and specification hold are published; expired
ones stay, because credentials issued under them remain valid. The registry is signed again
when the alliance changes (its catalogue revision) and at least every :attr:`refresh`.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from issuer.catalogue import (
    KIND_ALLIANCE,
    AllianceFile,
    alliance_from_catalogue,
    alliance_iri,
    partner_dids,
    specification_iri,
)
from issuer.errors import NotFound
from issuer.identity import IssuerIdentity
from issuer.mandates import verify_mandate
from issuer.ports import CatalogueStore
from issuer.service import KIND_MANDATE_CREDENTIAL
from vc_core.dids.resolver import DidResolver, key_resolver
from vc_core.jose import sign_vc_jwt
from vc_core.keys import KeyType
from vc_core.model.elm import format_datetime
from vc_core.proofs.data_integrity import KeyResolver

__all__ = [
    "REGISTRY_CREDENTIAL_TYPE",
    "REGISTRY_MEDIA_TYPE",
    "REGISTRY_SUBJECT_TYPE",
    "PublishedRegistry",
    "RegistryPublisher",
    "registry_subject",
]

REGISTRY_CREDENTIAL_TYPE = "AllianceTrustRegistryCredential"
REGISTRY_SUBJECT_TYPE = "AllianceTrustRegistry"
REGISTRY_MEDIA_TYPE = "application/vc+jwt"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"


@dataclass(frozen=True)
class PublishedRegistry:
    """A signed registry and what HTTP caches need to know about it."""

    alliance_id: str
    token: str
    etag: str
    max_age: int
    revision: str
    signed_at: datetime


def _mandate_entries(
    alliance: AllianceFile,
    catalogue: CatalogueStore,
    *,
    coordinator_did: str,
    member_dids: set[str],
    resolve_key: KeyResolver,
) -> list[dict[str, Any]]:
    """The stored mandate credentials of the alliance that hold (checked on their first day)."""
    alliance_id = alliance.alliance.id
    entries: dict[str, dict[str, Any]] = {}
    for doc in catalogue.list(KIND_MANDATE_CREDENTIAL):
        credential = doc.get("credential")
        if doc.get("alliance") != alliance_id or not isinstance(credential, dict):
            continue
        spec_iri = specification_iri(alliance_id, str(doc.get("specification")))
        start = credential.get("validFrom")
        try:
            on = datetime.fromisoformat(start) if isinstance(start, str) else None
        except ValueError:
            on = None
        if on is None or on.tzinfo is None:
            continue
        check = verify_mandate(
            credential,
            resolve_key=resolve_key,
            coordinator_did=coordinator_did,
            specification_iri=spec_iri,
            on=on,
        )
        if not check.ok or check.awarding_body not in member_dids or check.mandate_id is None:
            continue
        if check.valid_from is None or check.valid_until is None:  # pragma: no cover - ok implies
            continue
        entries[check.mandate_id] = {
            "id": check.mandate_id,
            "awarding_body": check.awarding_body,
            "coordinator": coordinator_did,
            "specifications": [spec_iri],
            "valid_from": format_datetime(check.valid_from),
            "valid_until": format_datetime(check.valid_until),
            "credential": credential,
        }
    return [entries[key] for key in sorted(entries)]


def registry_subject(
    catalogue: CatalogueStore,
    alliance_id: str,
    *,
    coordinator_did: str,
    resolve_key: KeyResolver,
) -> dict[str, Any]:
    """The registry of ``alliance_id`` (what :class:`verifier.trust.AllianceRegistry` reads):
    ``alliance``, ``members`` (partners by id order; the coordinator's DID is the issuer's) and
    ``mandates``. Raises :class:`NotFound` for an unknown alliance."""
    alliance = alliance_from_catalogue(catalogue, alliance_id)
    if alliance is None:
        raise NotFound(f"no alliance {alliance_id!r}")
    dids = partner_dids(alliance, coordinator_did)
    members = []
    for partner in alliance.partners:
        member: dict[str, Any] = {
            "did": dids[partner.id],
            "legal_name": dict(partner.legal_name),
            "country": partner.country,
            "role": "coordinator" if partner.id == alliance.coordinator else "partner",
        }
        if partner.erasmus_code is not None:
            member["erasmus_code"] = partner.erasmus_code
        if partner.schac_home is not None:
            member["schac_code"] = partner.schac_home
        members.append(member)
    return {
        "alliance": {"id": alliance.alliance.id, "name": dict(alliance.alliance.name)},
        "members": members,
        "mandates": _mandate_entries(
            alliance,
            catalogue,
            coordinator_did=coordinator_did,
            member_dids=set(dids.values()),
            resolve_key=resolve_key,
        ),
    }


class RegistryPublisher:
    """Builds, signs and caches each alliance's registry (module doc).

    ``resolver`` checks the mandate credentials before they are published (mcred's own
    resolver: hosted partners resolve locally). The signed registry is valid for ``validity``
    and signed again when the alliance's catalogue revision changes or after ``refresh``.
    """

    def __init__(
        self,
        *,
        identity: IssuerIdentity,
        catalogue: CatalogueStore,
        resolver: DidResolver,
        public_url: str,
        validity: timedelta = timedelta(days=7),
        refresh: timedelta = timedelta(days=1),
        max_age: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if refresh >= validity:
            raise ValueError("a registry must be signed again before it expires")
        self._identity = identity
        self._catalogue = catalogue
        self._resolve_key = key_resolver(resolver)
        self._base_url = public_url.rstrip("/")
        self._validity = validity
        self._refresh = refresh
        self._max_age = int(max_age.total_seconds())
        self._clock = clock
        self._published: dict[str, PublishedRegistry] = {}
        self._subjects: dict[str, tuple[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def registry_url(self, alliance_id: str) -> str:
        """The stable URL a verifier pins (``MCRED_TRUST_REGISTRY_URL``)."""
        return f"{self._base_url}/alliances/{alliance_id}/registry"

    def _revision(self, alliance_id: str) -> str:
        document = self._catalogue.get(KIND_ALLIANCE, alliance_id)
        if document is None:
            raise NotFound(f"no alliance {alliance_id!r}")
        return str(document.get("revision", ""))

    def revisions(self) -> dict[str, str]:
        """Every alliance's catalogue revision by alliance id, in one catalogue read (a change
        of partners or mandates gives the alliance a new revision)."""
        return {
            str(document["id"]): str(document.get("revision", ""))
            for document in self._catalogue.list(KIND_ALLIANCE)
        }

    def subject(self, alliance_id: str) -> dict[str, Any]:
        """The unsigned registry of ``alliance_id``, cached by catalogue revision (the
        composition root hands it to this service's own verifier)."""
        revision = self._revision(alliance_id)
        with self._lock:
            cached = self._subjects.get(alliance_id)
        if cached is not None and cached[0] == revision:
            return cached[1]
        subject = registry_subject(
            self._catalogue,
            alliance_id,
            coordinator_did=self._identity.did,
            resolve_key=self._resolve_key,
        )
        with self._lock:
            self._subjects[alliance_id] = (revision, subject)
        return subject

    def published(self, alliance_id: str) -> PublishedRegistry:
        """The signed registry (``vc+jwt``), signed again on a new revision or after
        ``refresh``. Raises :class:`NotFound` for an unknown alliance."""
        revision = self._revision(alliance_id)
        now = self._clock().replace(microsecond=0)
        with self._lock:
            cached = self._published.get(alliance_id)
        if (
            cached is not None
            and cached.revision == revision
            and now < cached.signed_at + self._refresh
        ):
            return cached
        subject = self.subject(alliance_id)
        url = self.registry_url(alliance_id)
        credential = {
            "@context": [VC_V2_CONTEXT],
            "id": url,
            "type": ["VerifiableCredential", REGISTRY_CREDENTIAL_TYPE],
            "issuer": self._identity.did,
            "name": "Trust registry of " + _pick(subject["alliance"]["name"]),
            "validFrom": format_datetime(now),
            "validUntil": format_datetime(now + self._validity),
            "credentialSubject": {
                "id": alliance_iri(alliance_id),
                "type": REGISTRY_SUBJECT_TYPE,
                **subject,
            },
        }
        key = self._identity.signing_key(KeyType.P256)
        token = sign_vc_jwt(
            credential,
            key.private_key,
            kid=self._identity.verification_method_id(key),
            issued_at=now,
            expires_at=now + self._validity,
        )
        digest = hashlib.sha256(token.encode("ascii")).hexdigest()[:32]
        published = PublishedRegistry(
            alliance_id=alliance_id,
            token=token,
            etag=f'"{digest}"',
            max_age=self._max_age,
            revision=revision,
            signed_at=now,
        )
        with self._lock:
            self._published[alliance_id] = published
        return published


def _pick(texts: dict[str, str]) -> str:
    return texts.get("en") or next(iter(texts.values()))
