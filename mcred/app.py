"""The app factory: :func:`create_app` wires settings, storage adapters and the roles' routes."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI

from issuer.identity import IssuerIdentity
from issuer.ports import SigningKeyStore
from issuer.routes import build_identity_router
from mcred.problems import install_problem_handlers
from mcred.settings import Settings
from mcred.storage.keyfile import EncryptedKeyFile, load_kek
from vc_core.dids.did_web import url_to_did_web
from vc_core.keys import KeyType

__all__ = ["Services", "build_services", "create_app"]

DEV_KEK_FILE = Path(__file__).resolve().parent.parent / "keys" / "dev-key-encryption-key"


@dataclass(frozen=True)
class Services:
    """Everything the routes need, built once from the settings."""

    settings: Settings
    keys: SigningKeyStore
    identity: IssuerIdentity


def build_services(settings: Settings) -> Services:
    kek = load_kek(
        settings.key_encryption_key.get_secret_value() if settings.key_encryption_key else None,
        settings.key_encryption_key_file,
        None if settings.is_production else DEV_KEK_FILE,
    )
    keys = EncryptedKeyFile(settings.data_dir / "keys.json", kek)
    for key_type in KeyType:
        keys.active(key_type)  # generate on first start
    did = url_to_did_web(settings.public_url)
    return Services(settings=settings, keys=keys, identity=IssuerIdentity(did, keys))


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """Build the ASGI app. Nothing happens at import time; tests pass their own settings."""
    services = services or build_services(settings or Settings())
    app = FastAPI(
        title="mcred",
        version=version("mcred"),
        summary="Issue, deliver and verify joint European micro-credentials (W3C VCs).",
    )
    app.state.services = services
    install_problem_handlers(app)

    @app.get("/healthz", tags=["operations"], summary="Liveness and version")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": app.version, "did": services.identity.did}

    app.include_router(build_identity_router(services.identity))
    return app
