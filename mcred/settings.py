"""Settings: one validated object, read from ``MCRED_*`` environment variables (or ``.env``).

Built once by the CLI and handed to :func:`mcred.app.create_app`; nothing reads the
environment anywhere else. In ``production`` the service refuses to start with development
defaults (no key-encryption key, an http public URL).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vc_core.proofs.data_integrity import CRYPTOSUITES

__all__ = ["Environment", "Settings"]


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every knob of mcred; each field is the env var ``MCRED_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="MCRED_", env_file=".env", extra="ignore")

    env: Environment = Field(
        Environment.DEVELOPMENT, description="development or production (strict checks)"
    )
    public_url: str = Field(
        "http://localhost:8000",
        description="Public base URL; its host (and port) make the issuer's did:web",
    )
    data_dir: Path = Field(Path("var"), description="Where the embedded defaults keep their files")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite at <data_dir>/mcred.db"
    )
    redis_url: str | None = Field(
        None,
        description="Redis for short-lived single-use state: the wallet bridge's offers, codes, "
        "tokens and nonces, the verifier's presentation requests (default: the SQL database)",
    )
    redis_key_prefix: str = Field(
        "mcred:",
        min_length=1,
        description="Prefix of every Redis key mcred writes (deployments sharing one Redis)",
    )
    key_encryption_key: SecretStr | None = Field(
        None, description="base64url 32-byte key that encrypts signing keys at rest"
    )
    key_encryption_key_file: Path | None = Field(
        None, description="File holding the key-encryption key (alternative to the variable)"
    )
    allow_test_contexts: bool = Field(
        False, description="Also serve the JSON-LD contexts pinned for test suites (never in prod)"
    )
    allow_loopback_fetch: bool = Field(
        False, description="Let the outbound fetcher reach loopback addresses (tests, local dev)"
    )
    demo: bool | None = Field(
        None, description="Seed the demo alliance at start (default: on in development only)"
    )
    bootstrap_admin_key: SecretStr | None = Field(
        None, description="Ensure an admin API key with exactly this token exists at start"
    )
    status_list_size: int = Field(
        131_072, ge=131_072, description="Entries per status list (herd privacy: >= 131,072)"
    )
    vc_api_cryptosuite: str = Field(
        "eddsa-rdfc-2022",
        description="VC-API issuing: the Data Integrity cryptosuite when options name none",
    )
    vc_api_status: bool = Field(
        False,
        description="VC-API issuing: add revocation and suspension entries when options ask none",
    )
    vc_api_issuer_did_key: bool = Field(
        False,
        description="VC-API issuing: the active keys may also sign as did:key issuers "
        "(W3C test suites; never in production)",
    )
    vc_api_open_on_loopback: bool = Field(
        False,
        description="VC-API issuing without an API key for direct loopback callers "
        "(W3C test suites; never in production)",
    )
    smtp_url: SecretStr | None = Field(
        None,
        description="SMTP server for e-mail to learners: smtp://, smtp+starttls:// or "
        "smtps://[user:password@]host[:port]",
    )
    smtp_from: str | None = Field(None, description="Sender address of e-mail to learners")
    access_log: bool = Field(
        False,
        description="Log every request line (off by default: offer and presentation-request "
        "URLs are capabilities, and paths name credentials)",
    )
    share_max_ttl_days: int = Field(
        3650,
        ge=1,
        le=36500,
        description="Longest life of a share link (learner QR codes, printed certificates' QR)",
    )
    trust_local_alliances: bool = Field(
        True,
        description="The verifier trusts the alliances this service coordinates (members and "
        "mandates from its own catalogue); off: issuer trust only from the registries below",
    )
    trust_registry_file: Path | None = Field(
        None, description="A pinned alliance registry file (JSON) the verifier trusts"
    )
    trust_registry_url: str | None = Field(
        None, description="A signed alliance registry (vc+jwt) the verifier fetches and trusts"
    )
    trust_anchor_did: str | None = Field(
        None, description="The DID that must sign the registry at MCRED_TRUST_REGISTRY_URL"
    )

    @field_validator("vc_api_cryptosuite")
    @classmethod
    def _check_cryptosuite(cls, value: str) -> str:
        if value not in CRYPTOSUITES:
            raise ValueError(f"vc_api_cryptosuite must be one of {sorted(CRYPTOSUITES)}")
        return value

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("public_url must be an http(s) URL with a host")
        if parts.query or parts.fragment:
            raise ValueError("public_url must not have a query or fragment")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _check_trust_registry(self) -> Self:
        if self.trust_registry_url is not None:
            if self.trust_anchor_did is None:
                raise ValueError("MCRED_TRUST_REGISTRY_URL needs MCRED_TRUST_ANCHOR_DID")
            if urlsplit(self.trust_registry_url).scheme not in {"http", "https"}:
                raise ValueError("trust_registry_url must be an http(s) URL")
        if self.trust_anchor_did is not None and not self.trust_anchor_did.startswith("did:"):
            raise ValueError("trust_anchor_did must be a DID")
        return self

    @model_validator(mode="after")
    def _production_refuses_dev_defaults(self) -> Self:
        if self.env is Environment.PRODUCTION:
            if self.key_encryption_key is None and self.key_encryption_key_file is None:
                raise ValueError(
                    "production needs MCRED_KEY_ENCRYPTION_KEY or MCRED_KEY_ENCRYPTION_KEY_FILE"
                )
            if not self.public_url.startswith("https://"):
                raise ValueError("production needs an https MCRED_PUBLIC_URL (did:web is TLS only)")
            if self.allow_test_contexts or self.allow_loopback_fetch:
                raise ValueError("test contexts and loopback fetching are off in production")
            if self.vc_api_issuer_did_key or self.vc_api_open_on_loopback:
                raise ValueError(
                    "did:key VC-API issuers and an unauthenticated loopback VC-API are for the "
                    "test suites (unset MCRED_VC_API_ISSUER_DID_KEY, MCRED_VC_API_OPEN_ON_LOOPBACK)"
                )
            if self.demo:
                raise ValueError("the demo alliance is for development (unset MCRED_DEMO)")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'mcred.db'}"

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def seed_demo(self) -> bool:
        return (not self.is_production) if self.demo is None else self.demo
