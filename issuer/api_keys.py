"""Bearer API keys for the admin API: roles, hashing, authentication, authorization.

A key is a random token (``mcred_`` + 43 base64url characters, 256 bits) shown once at
creation. The store keeps only ``SHA-256(token)`` (random tokens need no slow hash); the
key's public id is the first 16 hex digits of that hash, so a request's key is found with one
lookup and compared in constant time. Roles: ``admin`` (everything) and ``coordinator`` (one
alliance's credentials and catalogue).

A verified key is kept for :data:`AUTH_CACHE_TTL` (by its token's hash, never the token) so a
burst of requests with one key reads it once. Revoking a key through this service forgets it
at once; a key revoked elsewhere (another worker, another instance, the CLI) stops working here
within :data:`AUTH_CACHE_TTL`. Unknown and revoked keys are never kept: they are looked up on
every request.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from issuer.errors import Forbidden, InvalidRequest, NotFound, Unauthorized
from issuer.ports import ApiKey, ApiKeyStore

__all__ = ["AUTH_CACHE_SIZE", "AUTH_CACHE_TTL", "ApiKeyService", "Principal", "Role"]

TOKEN_PREFIX = "mcred_"  # noqa: S105 - a prefix that marks mcred keys, not a secret
MIN_TOKEN_LENGTH = 32
AUTH_CACHE_TTL = timedelta(seconds=5)
"""How long a verified key is reused without reading the store again: the longest a key
revoked by another process keeps working in this one."""
AUTH_CACHE_SIZE = 256
"""Verified keys kept at most (least recently used dropped first)."""


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


def _bearer_digest(authorization: str | None) -> str:
    """The token digest of an ``Authorization: Bearer <token>`` header value."""
    if not authorization:
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    return _digest(token)


class ApiKeyService:
    def __init__(
        self,
        store: ApiKeyStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        cache_ttl: timedelta = AUTH_CACHE_TTL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``cache_ttl`` bounds how long a verified key is reused (zero: read every time);
        ``monotonic`` is the clock of that bound (seconds)."""
        self._store = store
        self._clock = clock
        self._cache_ttl = cache_ttl.total_seconds()
        self._monotonic = monotonic
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

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
        digest = _bearer_digest(authorization)
        now = self._monotonic()
        kept = self._kept(digest, now)
        if kept is not None:
            return kept
        key = self._store.get(digest[:16])
        if (
            key is None
            or key.revoked_at is not None
            or not hmac.compare_digest(key.secret_hash, digest)
        ):
            self._forget(digest[:16])
            raise Unauthorized("unknown or revoked API key")
        principal = Principal(key.key_id, Role(key.role), key.alliance_id, key.label)
        if self._cache_ttl > 0:
            with self._lock:
                self._verified[digest] = (principal, now + self._cache_ttl)
                self._verified.move_to_end(digest)
                while len(self._verified) > AUTH_CACHE_SIZE:
                    self._verified.popitem(last=False)
        return principal

    def authenticate_kept(self, authorization: str | None) -> Principal | None:
        """:meth:`authenticate` without reading the store: the principal of a key verified
        within :data:`AUTH_CACHE_TTL`, else None (then call :meth:`authenticate`). Raises
        :class:`~issuer.errors.Unauthorized` for a header that names no key, as it does.
        Never blocks on I/O: an async caller need not hand it to a thread."""
        return self._kept(_bearer_digest(authorization), self._monotonic())

    def _kept(self, digest: str, now: float) -> Principal | None:
        with self._lock:
            kept = self._verified.get(digest)
            if kept is not None and now < kept[1]:
                self._verified.move_to_end(digest)
                return kept[0]
        return None

    def revoke(self, key_id: str) -> None:
        self._forget(key_id)
        if not self._store.revoke(key_id, self._clock()):
            raise NotFound(f"no active API key {key_id!r}")
        self._forget(key_id)  # (and whatever a concurrent request verified meanwhile)

    def _forget(self, key_id: str) -> None:
        with self._lock:
            for digest in [d for d in self._verified if d[:16] == key_id]:
                del self._verified[digest]
