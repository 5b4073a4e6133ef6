"""Bearer API keys for the admin API: roles, hashing, authentication, authorization.

A key is a random token (``mcred_`` + 43 base64url characters, 256 bits) shown once at
creation. The store keeps only ``SHA-256(token)`` (random tokens need no slow hash); the
key's public id is the first 16 hex digits of that hash, so a request's key is found with one
lookup and compared in constant time. Roles: ``admin`` (everything) and ``coordinator`` (one
alliance's credentials and catalogue).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from issuer.errors import Forbidden, InvalidRequest, NotFound, Unauthorized
from issuer.ports import ApiKey, ApiKeyStore

__all__ = ["ApiKeyService", "Principal", "Role"]

TOKEN_PREFIX = "mcred_"  # noqa: S105 - a prefix that marks mcred keys, not a secret
MIN_TOKEN_LENGTH = 32


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id (for audit events), role and alliance."""

    key_id: str
    role: Role
    alliance_id: str | None
    label: str

    @property
    def actor(self) -> str:
        return f"apikey:{self.key_id}"

    def require_alliance(self, alliance_id: str) -> None:
        """Refuse a coordinator acting outside its alliance (admins may act anywhere)."""
        if self.role is Role.COORDINATOR and self.alliance_id != alliance_id:
            raise Forbidden(f"this key acts for alliance {self.alliance_id!r} only")

    def require_admin(self) -> None:
        if self.role is not Role.ADMIN:
            raise Forbidden("this needs an admin key")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiKeyService:
    def __init__(
        self, store: ApiKeyStore, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._store = store
        self._clock = clock

    def create(
        self, role: Role | str, *, alliance_id: str | None = None, label: str = ""
    ) -> tuple[ApiKey, str]:
        """A new key and its token (the only time the token is available)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        return self._add(token, Role(role), alliance_id, label), token

    def ensure(self, token: str, *, label: str = "bootstrap") -> ApiKey:
        """Make sure an admin key with exactly this token exists (``MCRED_BOOTSTRAP_ADMIN_KEY``)."""
        if len(token) < MIN_TOKEN_LENGTH:
            raise InvalidRequest(f"a bootstrap key needs at least {MIN_TOKEN_LENGTH} characters")
        digest = _digest(token)
        existing = self._store.get(digest[:16])
        if existing is not None and existing.revoked_at is None:
            if existing.role != Role.ADMIN:
                raise InvalidRequest("the bootstrap token belongs to a non-admin key")
            return existing
        return self._add(token, Role.ADMIN, None, label)

    def _add(self, token: str, role: Role, alliance_id: str | None, label: str) -> ApiKey:
        if role is Role.COORDINATOR and not alliance_id:
            raise InvalidRequest("a coordinator key needs an alliance")
        if role is Role.ADMIN and alliance_id:
            raise InvalidRequest("an admin key is not tied to an alliance")
        digest = _digest(token)
        key = ApiKey(
            key_id=digest[:16],
            secret_hash=digest,
            role=role.value,
            alliance_id=alliance_id,
            label=label,
            created_at=self._clock(),
        )
        self._store.add(key)
        return key

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal of an ``Authorization: Bearer <token>`` header value."""
        if not authorization:
            raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
        digest = _digest(token)
        key = self._store.get(digest[:16])
        if (
            key is None
            or key.revoked_at is not None
            or not hmac.compare_digest(key.secret_hash, digest)
        ):
            raise Unauthorized("unknown or revoked API key")
        return Principal(key.key_id, Role(key.role), key.alliance_id, key.label)

    def revoke(self, key_id: str) -> None:
        if not self._store.revoke(key_id, self._clock()):
            raise NotFound(f"no active API key {key_id!r}")
