"""The app factory: :func:`create_app` wires settings, storage adapters and the roles' routes.

:func:`build_services` is the composition root: one SQL engine (SQLite under ``data_dir`` by
default, PostgreSQL by URL) for every store, the guarded fetcher and DID resolver for what
lives elsewhere, and the issuer's services on top. Nothing happens at import time.
"""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from issuer.api_keys import ApiKeyService, Principal, Role
from issuer.catalogue import (
    KIND_ALLIANCE,
    KIND_PARTNER,
    hosted_partner_did,
    load_alliance_file,
)
from issuer.cohort import CohortService
from issuer.errors import NotFound
from issuer.identity import IssuerIdentity
from issuer.ports import ApiKeyStore, CatalogueStore
from issuer.registry import RegistryPublisher
from issuer.routes import (
    build_admin_router,
    build_identity_router,
    build_registry_router,
    build_status_router,
    build_vc_api_router,
)
from issuer.service import Issuer
from issuer.status_lists import StatusListService
from issuer.vc_api import VcApiIssuer
from mcred.admin_page import build_admin_page_router, derive_session_key
from mcred.certificate import CertificateService
from mcred.certificate_routes import build_certificate_router
from mcred.cohort_routes import AdminCohorts, CohortRunner, build_cohort_router
from mcred.did_web_resolver import build_did_resolver
from mcred.http import FetchPolicy, GuardedFetcher
from mcred.offer_page import build_offer_page_router
from mcred.offers import build_offer_router
from mcred.presentation import AllianceCredentialCatalogue, request_signer
from mcred.problems import install_problem_handlers
from mcred.settings import Settings
from mcred.shares import SharesService
from mcred.shares_routes import build_share_router
from mcred.stacking import VerifierPartCheck
from mcred.storage.bridge_stores import BridgeStores, build_bridge_stores
from mcred.storage.key_cipher import KeyEncryptionError, load_kek
from mcred.storage.sql import create_engine_for, upgrade_database
from mcred.storage.sql_cohort import SqlCohortJobStore
from mcred.storage.sql_keys import SqlSigningKeyStore
from mcred.storage.sql_records import (
    SqlApiKeyStore,
    SqlAuditLog,
    SqlCatalogueStore,
    SqlCredentialStore,
)
from mcred.storage.sql_shares import SqlShareStore
from mcred.storage.sql_status import SqlStatusListStore
from mcred.trust import build_trust_registry
from mcred.verification import FetcherStatusListClient, build_verifier, run_offline_first
from mcred.verifier_page import build_verifier_page_router, derive_page_key
from mcred.wallet import IssuerCredentialSource, NotificationAuditTrail, micro_credential_vct
from vc_core.dids.did_web import url_to_did_web
from vc_core.dids.resolver import DidResolver
from vc_core.json_codec import json_copy
from vc_core.jsonld.canonicalize import (
    Canonicalizer,
    OxigraphCanonicalizer,
    default_canonicalizer,
)
from vc_core.jsonld.loader import default_loader
from vc_core.keys import KeyType
from verifier.openid4vp import (
    ClientIdentifier,
    PresentationRequests,
    PresentationRequestSettings,
)
from verifier.ports import StatusListRetrievalError
from verifier.routes import build_presentation_request_router, build_verifier_router
from verifier.service import Verifier
from wallet_bridge.metadata import CredentialIssuerMetadata
from wallet_bridge.routes import build_wallet_bridge_router
from wallet_bridge.service import WalletBridge

__all__ = ["DEV_ADMIN_TOKEN", "Services", "build_canonicalizer", "build_services", "create_app"]

DEV_KEK_FILE = Path(__file__).resolve().parent.parent / "keys" / "dev-key-encryption-key"
DEV_ADMIN_TOKEN = "mcred_dev_admin_token_for_local_development_only"  # noqa: S105 - dev only
"""The admin token ``make run`` prints in development when no bootstrap key is configured."""
STATUS_RESERVATION = 64
"""Status slots a worker reserves at once (mcred.storage.sql_status: one list lock per 64)."""
_SYSTEM = Principal("system", Role.ADMIN, None, "start-up")


@dataclass
class Services:
    """Everything the routes need, built once from the settings."""

    settings: Settings
    engine: Engine
    fetcher: GuardedFetcher
    identity: IssuerIdentity
    issuer: Issuer
    api_keys: ApiKeyService
    api_key_store: ApiKeyStore
    catalogue: CatalogueStore
    hosted_partner: Callable[[str], IssuerIdentity | None]
    resolver: DidResolver
    canonicalizer: Canonicalizer
    vc_api: VcApiIssuer
    verifier: Verifier
    wallet_bridge: WalletBridge
    presentation_requests: PresentationRequests
    registry: RegistryPublisher
    shares: SharesService
    cohorts: CohortService
    page_key: bytes
    """Signs the verifier page's polling secrets (derived from the KEK: every worker agrees)."""
    admin_token: str | None = None
    """The development admin token, when one was ensured at start (printed by ``mcred serve``)."""
    bridge_stores: BridgeStores | None = None
    """The wallet bridge's stores (their Redis client, if any, is closed with the services)."""

    def close(self) -> None:
        self.fetcher.close()
        if self.bridge_stores is not None:
            self.bridge_stores.close()
        self.engine.dispose()


def _kek(settings: Settings) -> bytes:
    secret = settings.key_encryption_key.get_secret_value() if settings.key_encryption_key else None
    kek = load_kek(
        secret, settings.key_encryption_key_file, None if settings.is_production else DEV_KEK_FILE
    )
    if (
        settings.is_production
        and DEV_KEK_FILE.exists()
        and kek == load_kek(None, DEV_KEK_FILE, None)
    ):
        raise KeyEncryptionError("production refuses the public development key-encryption key")
    return kek


LOCAL_DID_DOCUMENT_TTL = 1.0
"""Seconds a worker keeps a DID document it hosts (and whether a partner is hosted at all)."""


@dataclass(frozen=True)
class _HostedDocument:
    """A DID document mcred hosts, as built at ``built`` (``identity`` ``None``: not hosted)."""

    identity: IssuerIdentity | None
    document: dict[str, Any]
    key_types: tuple[KeyType, ...]
    active: tuple[str, ...]
    built: float


class _LocalIdentities:
    """Resolves the DIDs mcred hosts from its own keys (no HTTP to itself), others elsewhere.

    A hosted DID document is built once and kept while its identity's active keys stay the
    same (a rotation in this worker is seen at once), at most ``ttl`` seconds: a rotation in
    another worker, or a partner that starts or stops being hosted, is seen within that
    bound (and within the key store's own ``ACTIVE_KEY_TTL``), without reading the keys and
    the catalogue for every verification.
    """

    def __init__(
        self,
        issuer_did: str,
        identity: IssuerIdentity,
        hosted: Callable[[str], IssuerIdentity | None],
        fallback: DidResolver,
        *,
        ttl: float = LOCAL_DID_DOCUMENT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._did = issuer_did
        self._identity = identity
        self._hosted = hosted
        self._fallback = fallback
        self._ttl = ttl
        self._clock = clock
        self._built: dict[str, _HostedDocument] = {}

    def resolve(self, did: str) -> dict[str, Any]:
        prefix = f"{self._did}:partners:"
        if did != self._did and not did.startswith(prefix):
            return self._fallback.resolve(did)
        now = self._clock()
        kept = self._built.get(did)
        if kept is None or not self._holds(kept, now):
            if did == self._did:
                kept = self._build(self._identity, now)
            else:
                kept = self._build(self._hosted(did.removeprefix(prefix)), now)
            self._built[did] = kept
        if kept.identity is None:
            return self._fallback.resolve(did)
        return json_copy(kept.document)

    def _holds(self, kept: _HostedDocument, now: float) -> bool:
        if not 0 <= now - kept.built < self._ttl:
            return False
        return kept.identity is None or self._active(kept.identity, kept.key_types) == kept.active

    @staticmethod
    def _active(identity: IssuerIdentity, key_types: tuple[KeyType, ...]) -> tuple[str, ...]:
        """The fragments of the active keys (the key store keeps them in memory)."""
        return tuple(identity.signing_key(key_type).fragment for key_type in key_types)

    def _build(self, identity: IssuerIdentity | None, now: float) -> _HostedDocument:
        if identity is None:
            return _HostedDocument(None, {}, (), (), now)
        key_types = tuple(sorted({key.key_type for key in identity.list_keys()}))
        active = self._active(identity, key_types)  # before: a rotation meanwhile shows later
        return _HostedDocument(identity, identity.did_document(), key_types, active, now)


class _LocalStatusLists:
    """Serves mcred's own status lists from the status service (no HTTP to itself, the same
    signed document ``/status/{id}`` serves); other URLs go to ``fallback``."""

    def __init__(
        self, base_url: str, status: StatusListService, fallback: FetcherStatusListClient
    ) -> None:
        self._prefix = f"{base_url}/status/"
        self._token_prefix = f"{base_url}/token-status/"
        self._status = status
        self._fallback = fallback

    def fetch_status_list_token(self, uri: str) -> str:
        list_id = (
            uri.removeprefix(self._token_prefix) if uri.startswith(self._token_prefix) else None
        )
        if not list_id or any(c in list_id for c in "/?#"):
            return self._fallback.fetch_status_list_token(uri)
        try:
            return self._status.published_token(list_id).token
        except NotFound:
            raise StatusListRetrievalError(
                f"no status list token at {uri}", url=uri, details={"fetch_error": "not_found"}
            ) from None

    def fetch_status_list_credential(
        self, url: str, *, force_fresh: bool = False
    ) -> dict[str, Any]:
        list_id = url.removeprefix(self._prefix) if url.startswith(self._prefix) else None
        if not list_id or any(c in list_id for c in "/?#"):
            return self._fallback.fetch_status_list_credential(url, force_fresh=force_fresh)
        try:
            return json_copy(self._status.published(list_id).credential)
        except NotFound:
            raise StatusListRetrievalError(
                f"no status list at {url}", url=url, details={"fetch_error": "not_found"}
            ) from None


def build_canonicalizer(settings: Settings) -> Canonicalizer:
    """The JSON-LD engine for signing and verifying: the pinned production contexts, plus the
    contexts pinned for test suites (VCDM examples, citizenship) when
    ``MCRED_ALLOW_TEST_CONTEXTS`` is on (the settings refuse that in production)."""
    if settings.allow_test_contexts:
        return OxigraphCanonicalizer(default_loader(include_test_contexts=True))
    return default_canonicalizer()


def build_services(settings: Settings, *, bootstrap: bool = True) -> Services:
    """Everything the app needs. ``bootstrap`` runs the start-up chores (migrations always run);
    a multi-worker server does them once in the parent and builds workers without them."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.sqlalchemy_url
    upgrade_database(url)
    engine = create_engine_for(url)
    kek = _kek(settings)
    did = url_to_did_web(settings.public_url)
    identity = IssuerIdentity(did, SqlSigningKeyStore(engine, "coordinator", kek))
    for key_type in KeyType:
        identity.signing_key(key_type)  # generated on first start
    catalogue = SqlCatalogueStore(engine)

    partner_identities: dict[str, IssuerIdentity] = {}

    def partner_identity(partner_id: str) -> IssuerIdentity:
        found = partner_identities.get(partner_id)
        if found is None:
            store = SqlSigningKeyStore(engine, f"partner:{partner_id}", kek)
            found = IssuerIdentity(hosted_partner_did(did, partner_id), store)
            partner_identities[partner_id] = found
        return found

    def hosted_partner(partner_id: str) -> IssuerIdentity | None:
        """The hosted identity of a partner without a DID of its own (not the coordinator)."""
        coordinators = {(d.get("id"), d.get("coordinator")) for d in catalogue.list(KIND_ALLIANCE)}
        hosted = any(
            doc.get("id") == partner_id
            and doc.get("did") is None
            and (doc.get("alliance"), partner_id) not in coordinators
            for doc in catalogue.list(KIND_PARTNER)
        )
        if not hosted:
            return None
        identity = partner_identity(partner_id)
        identity.signing_key(KeyType.ED25519)  # a published DID document lists a key
        return identity

    fetcher = GuardedFetcher(FetchPolicy.from_settings(settings))
    resolver = _LocalIdentities(did, identity, hosted_partner, build_did_resolver(fetcher))
    status = StatusListService(
        SqlStatusListStore(
            engine,
            size=settings.status_list_size,
            reserve=STATUS_RESERVATION,
            defer_binding=True,  # the slot is bound in the transaction that stores the record
        ),
        identity,
        settings.public_url,
    )
    credentials = SqlCredentialStore(engine, bind_status_slots=True)
    audit = SqlAuditLog(engine)
    issuer = Issuer(
        identity=identity,
        partner_identity=partner_identity,
        catalogue=catalogue,
        credentials=credentials,
        audit=audit,
        status=status,
        resolver=resolver,
    )
    canonicalizer = build_canonicalizer(settings)
    vc_api = VcApiIssuer(
        identity=identity,
        issuer=issuer,
        status=status,
        credentials=credentials,
        audit=audit,
        canonicalizer=canonicalizer,
        default_cryptosuite=settings.vc_api_cryptosuite,
        status_by_default=settings.vc_api_status,
        did_key=settings.vc_api_issuer_did_key,
    )
    registry = RegistryPublisher(
        identity=identity, catalogue=catalogue, resolver=resolver, public_url=settings.public_url
    )
    credential_source = IssuerCredentialSource(issuer, identity, settings.public_url)
    verifier = build_verifier(
        fetcher,
        resolver,
        canonicalizer=canonicalizer,
        local_lists=lambda client: _LocalStatusLists(settings.public_url, status, client),
        jwt_vc_issuer=credential_source,
        trust_registry=build_trust_registry(
            settings, issuer=issuer, registry=registry, fetcher=fetcher, resolver=resolver
        ),
    )
    api_key_store = SqlApiKeyStore(engine)
    api_keys = ApiKeyService(api_key_store)
    bridge_stores = build_bridge_stores(
        settings.redis_url, engine, key_prefix=settings.redis_key_prefix
    )
    services = Services(
        settings=settings,
        engine=engine,
        fetcher=fetcher,
        identity=identity,
        issuer=issuer,
        api_keys=api_keys,
        api_key_store=api_key_store,
        catalogue=catalogue,
        hosted_partner=hosted_partner,
        resolver=resolver,
        canonicalizer=canonicalizer,
        vc_api=vc_api,
        verifier=verifier,
        registry=registry,
        page_key=derive_page_key(kek),
        cohorts=CohortService(
            issuer=issuer, jobs=SqlCohortJobStore(engine), credentials=credentials
        ),
        shares=SharesService(
            issuer=issuer,
            store=SqlShareStore(engine),
            public_url=settings.public_url,
            fetcher=fetcher,
            audit=audit,
            max_ttl=timedelta(days=settings.share_max_ttl_days),
        ),
        presentation_requests=PresentationRequests(
            verifier=verifier,
            resolver=resolver,
            client=ClientIdentifier.for_did(did),
            catalogue=AllianceCredentialCatalogue(issuer.alliance_ids, settings.public_url),
            store=bridge_stores.presentation_requests,
            settings=PresentationRequestSettings(settings.public_url),
            signer=request_signer(identity),
        ),
        wallet_bridge=WalletBridge(
            CredentialIssuerMetadata(
                settings.public_url, vct=micro_credential_vct(settings.public_url)
            ),
            credential_source,
            # short-lived state every worker and instance shares: Redis if configured, else SQL
            offers=bridge_stores.offers,
            tokens=bridge_stores.tokens,
            nonces=bridge_stores.nonces,
            notifications=bridge_stores.notifications,
            deferred=bridge_stores.deferred,
            on_notification=NotificationAuditTrail(audit),
            jwt_vc_issuer=credential_source,
            type_metadata=credential_source,
        ),
        bridge_stores=bridge_stores,
    )
    if bootstrap:
        _bootstrap(services)
    return services


def _bootstrap(services: Services) -> None:
    """The start-up chores: the bootstrap admin key, and the demo alliance in development."""
    settings = services.settings
    if settings.bootstrap_admin_key is not None:
        services.api_keys.ensure(settings.bootstrap_admin_key.get_secret_value())
    elif settings.seed_demo:
        services.api_keys.ensure(DEV_ADMIN_TOKEN, label="development")
        services.admin_token = DEV_ADMIN_TOKEN
    if settings.seed_demo:
        demo = load_alliance_file(files("mcred.demo").joinpath("alliance.yaml").read_text())
        if demo.alliance.id not in services.issuer.alliance_ids():
            services.issuer.load_alliance(demo, _SYSTEM)


def create_worker_app() -> FastAPI:
    """The app of one worker of ``mcred serve --workers N`` (uvicorn factory): the parent has
    already migrated the database and done the start-up chores."""
    app = create_app(services=build_services(Settings(), bootstrap=False))
    freeze_start_up_objects()
    return app


def freeze_start_up_objects() -> None:
    """Keep what start-up built out of the garbage collector's full passes (``gc.freeze``).

    Modules, schemas, contexts and keys live as long as the server process; walking them again
    in every full collection took about 80 ms, a stall of every request in flight every few
    thousand requests. Called by ``mcred serve`` once the app is built (not by ``create_app``:
    a process building many apps, such as the tests, would keep each one forever)."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """Build the ASGI app. Nothing happens at import time; tests pass their own settings."""
    services = services or build_services(settings or Settings())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        services.close()

    app = FastAPI(
        title="mcred",
        version=version("mcred"),
        summary="Issue, deliver and verify joint European micro-credentials (W3C VCs).",
        lifespan=lifespan,
    )
    app.state.services = services
    install_problem_handlers(app)

    @app.get("/healthz", tags=["operations"], summary="Liveness, version and the issuer DID")
    def healthz() -> dict[str, Any]:
        health: dict[str, Any] = {
            "status": "ok",
            "version": app.version,
            "did": services.identity.did,
        }
        if services.settings.vc_api_issuer_did_key:
            health["vc_api_issuers"] = services.vc_api.issuer_dids()
        return health

    # FastAPI matches included routers in order, one after the other: the protocol endpoints
    # wallets, verifiers and the issuing API call (OpenID4VCI, status lists, DIDs, issuance,
    # verification) come first, the pages for people last. No two routers share a path and
    # method (tests/mcred/test_app.py checks the routing table), so the order is speed only.
    app.include_router(build_wallet_bridge_router(services.wallet_bridge))
    app.include_router(
        build_offer_router(services.issuer, services.api_keys, services.wallet_bridge)
    )
    app.include_router(build_status_router(services.issuer.status))
    app.include_router(build_identity_router(services.identity, services.hosted_partner))
    app.include_router(build_verifier_router(services.verifier, run=run_offline_first))
    app.include_router(
        build_admin_router(
            services.issuer,
            services.api_keys,
            services.api_key_store,
            part_verifier=VerifierPartCheck(services.verifier),
        )
    )
    app.include_router(
        build_presentation_request_router(
            services.presentation_requests,
            authenticate=lambda header: services.api_keys.authenticate(header).key_id,
        )
    )
    app.include_router(
        build_vc_api_router(
            services.vc_api,
            services.api_keys,
            open_on_loopback=services.settings.vc_api_open_on_loopback,
        )
    )
    app.include_router(build_registry_router(services.registry))
    app.include_router(build_share_router(services.shares, services.api_keys, services.verifier))
    certificates = CertificateService(issuer=services.issuer, shares=services.shares)
    cohort_runner = CohortRunner(services.cohorts)
    app.include_router(
        build_cohort_router(services.cohorts, services.api_keys, services, runner=cohort_runner)
    )
    app.include_router(build_certificate_router(certificates, services.api_keys, services.verifier))
    app.include_router(
        build_admin_page_router(
            issuer=services.issuer,
            api_keys=services.api_keys,
            keys=services.api_key_store,
            bridge=services.wallet_bridge,
            public_url=services.settings.public_url,
            session_key=derive_session_key(services.page_key),  # the same in every worker
            certificates=certificates,
            cohorts=AdminCohorts(services.cohorts, services, cohort_runner),
        )
    )
    app.include_router(
        build_verifier_page_router(
            requests=services.presentation_requests,
            verifier=services.verifier,
            issuer=services.issuer,
            public_url=services.settings.public_url,
            shares=services.shares,
            page_key=services.page_key,
        )
    )
    app.include_router(build_offer_page_router(services.wallet_bridge, services.issuer))
    return app
