"""Credential shares: the compact QR a learner shows an employer (issues 5 and 6).

A *share* is one format of an issued credential (``ldp_vc`` by default, or ``jwt_vc_json``)
sealed with AES-256-GCM under a fresh random key; the QR code carries the https link
``{public_url}/v/{share_id}#{key}`` (:mod:`vc_core.qr_payload` defines the link and the
envelope; ``docs/qr-payload.md`` explains the design). The service keeps the ciphertext and its
metadata (:class:`StoredShare`), never the key, and serves the envelope at
``GET /shares/{share_id}`` to whoever holds the link (:mod:`mcred.shares_routes`).

:class:`SharesService`:

* :meth:`~SharesService.create_share` — seal a credential the caller may see (alliance scope as
  for the record), for ``ttl`` (default 365 days, at most ``max_ttl``); refused (409) for a
  revoked credential or a format it was not issued in;
* :meth:`~SharesService.get_envelope` — the public envelope (404 unknown, 410 revoked/expired);
* :meth:`~SharesService.revoke` — end a share for good (idempotent);
* :meth:`~SharesService.open` — the credential of one of *our* shares, given its id and key;
* :meth:`~SharesService.resolve` — the credential behind any share link: ours is opened
  locally, another mcred host's envelope is fetched (``/shares/{id}``) through the guarded
  fetcher, without cache, and opened here.

Errors are the issuer's error tree (mapped to HTTP once, in :mod:`mcred.problems`) plus those
of :mod:`vc_core.qr_payload` (``400``)::

    IssuerError
    ├── NotFound
    │   └── ShareNotFound       404  share_not_found: no such share (here or at the link's host)
    ├── ShareGone               410  share_gone: revoked or expired (details.reason)
    └── ShareUnavailable        502  share_unavailable: the link's host gave no usable envelope

:class:`ShareStore` is the storage port; :class:`InMemoryShareStore` sits beside it and
:class:`mcred.storage.sql_shares.SqlShareStore` is the SQL adapter.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from issuer.api_keys import Principal
from issuer.errors import Conflict, InvalidRequest, IssuerError, NotFound
from issuer.ports import AuditEvent, AuditLog
from issuer.service import Issuer
from issuer.status_lists import CredentialState
from mcred.http import FetchError, FetchResult, FetchStatusError
from vc_core.qr_payload import (
    SHARE_FORMATS,
    SharedCredential,
    ShareEnvelope,
    ShareLinkError,
    SharePayloadError,
    decode_key,
    is_share_id,
    new_share_id,
    new_share_key,
    normalize_base_url,
    open_envelope,
    parse_share_url,
    seal_credential,
    share_url,
)
from vc_core.strict_json import StrictJsonError, loads_strict

__all__ = [
    "DEFAULT_MAX_TTL",
    "DEFAULT_RETENTION",
    "DEFAULT_TTL",
    "CreatedShare",
    "EnvelopeFetcher",
    "InMemoryShareStore",
    "ShareGone",
    "ShareInfo",
    "ShareNotFound",
    "ShareState",
    "ShareStore",
    "ShareUnavailable",
    "SharesService",
    "StoredShare",
]

DEFAULT_TTL = timedelta(days=365)
"""How long a share lives unless asked otherwise (the lifetime of a printed certificate's
link that the DCC project settled on, brief §6.6)."""
DEFAULT_MAX_TTL = timedelta(days=730)
"""The longest share the service makes unless configured otherwise."""
DEFAULT_RETENTION = timedelta(days=30)
"""How long an expired share's row is kept (it answers ``410`` until then, then ``404``)."""
ENVELOPE_MEDIA_TYPE = "application/json"

Clock = Callable[[], datetime]
ShareState = Literal["active", "expired", "revoked"]


def _now() -> datetime:
    return datetime.now(UTC)


# -- errors -----------------------------------------------------------------------------------


class ShareNotFound(NotFound):
    code = "share_not_found"


class ShareGone(IssuerError):
    """The share was revoked or has expired (``details.reason``: ``revoked`` or ``expired``)."""

    status_code = 410
    code = "share_gone"


class ShareUnavailable(IssuerError):
    """The host named by a share link answered no usable envelope (``details.fetch_error``)."""

    status_code = 502
    code = "share_unavailable"


# -- records and the storage port -------------------------------------------------------------


@dataclass(frozen=True)
class StoredShare:
    """What the service keeps of a share: never the key."""

    share_id: str
    credential_id: str
    format: str
    iv: bytes
    ciphertext: bytes = field(repr=False)
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def envelope(self) -> ShareEnvelope:
        return ShareEnvelope(self.format, self.iv, self.ciphertext, self.expires_at)

    def info(self) -> ShareInfo:
        return ShareInfo(
            self.share_id,
            self.credential_id,
            self.format,
            self.created_at,
            self.expires_at,
            self.revoked_at,
        )


@dataclass(frozen=True)
class ShareInfo:
    """A share's metadata (what the admin API lists)."""

    share_id: str
    credential_id: str
    format: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    def state(self, now: datetime) -> ShareState:
        """``revoked``, ``expired`` or ``active``."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


class ShareStore(Protocol):
    def put(self, share: StoredShare) -> None:
        """Store a new share; ``ValueError`` when its id is taken."""
        ...

    def get(self, share_id: str) -> StoredShare | None: ...

    def revoke(self, share_id: str, at: datetime) -> StoredShare | None:
        """Set ``revoked_at`` (kept if already set); the share as it now is, None if unknown."""
        ...

    def for_credential(self, credential_id: str) -> list[StoredShare]:
        """The credential's shares, oldest first."""
        ...


class InMemoryShareStore:
    """:class:`ShareStore` in process memory (tests, one process); thread-safe."""

    def __init__(self, *, retention: timedelta = DEFAULT_RETENTION) -> None:
        self._shares: dict[str, StoredShare] = {}
        self._lock = threading.Lock()
        self._retention = retention

    def put(self, share: StoredShare) -> None:
        with self._lock:
            dropped_before = share.created_at - self._retention
            for key in [k for k, s in self._shares.items() if s.expires_at <= dropped_before]:
                del self._shares[key]
            if share.share_id in self._shares:
                raise ValueError("a share id is used twice")
            self._shares[share.share_id] = share

    def get(self, share_id: str) -> StoredShare | None:
        with self._lock:
            return self._shares.get(share_id)

    def revoke(self, share_id: str, at: datetime) -> StoredShare | None:
        with self._lock:
            share = self._shares.get(share_id)
            if share is not None and share.revoked_at is None:
                share = self._shares[share_id] = replace(share, revoked_at=at)
            return share

    def for_credential(self, credential_id: str) -> list[StoredShare]:
        with self._lock:
            found = [s for s in self._shares.values() if s.credential_id == credential_id]
        return sorted(found, key=lambda s: (s.created_at, s.share_id))


class EnvelopeFetcher(Protocol):
    """What :meth:`SharesService.resolve` needs of :class:`mcred.http.GuardedFetcher`."""

    def fetch(
        self, url: str, *, accept: str | None = None, force_fresh: bool = False
    ) -> FetchResult: ...


# -- the service ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedShare:
    """A new share: hand the learner ``url`` (or its QR code); it is shown only here."""

    share_id: str
    credential_id: str
    format: str
    url: str = field(repr=False)
    created_at: datetime
    expires_at: datetime


class SharesService:
    """Makes, serves, revokes and opens credential shares (module doc).

    ``public_url`` is this service's base URL (links are ``{public_url}/v/{id}#{key}``; it must
    be https, or http on localhost). ``audit`` (optional) records ``share_created`` and
    ``share_revoked`` events on the credential (the share id, never the key).
    """

    def __init__(
        self,
        *,
        issuer: Issuer,
        store: ShareStore,
        public_url: str,
        fetcher: EnvelopeFetcher,
        audit: AuditLog | None = None,
        clock: Clock = _now,
        default_ttl: timedelta = DEFAULT_TTL,
        max_ttl: timedelta = DEFAULT_MAX_TTL,
    ) -> None:
        if not timedelta(0) < default_ttl <= max_ttl:
            raise ValueError("shares need 0 < default_ttl <= max_ttl")
        self._issuer = issuer
        self._store = store
        self._public_url = public_url
        self._fetcher = fetcher
        self._audit = audit
        self._clock = clock
        self.default_ttl = default_ttl
        self.max_ttl = max_ttl

    def now(self) -> datetime:
        """The service's clock (aware UTC)."""
        return self._clock()

    @property
    def base_url(self) -> str | None:
        """This service's base URL as share links name it; None if it cannot serve them."""
        try:
            return normalize_base_url(self._public_url)
        except ShareLinkError:
            return None

    # -- the admin side -------------------------------------------------------------------

    def create_share(
        self,
        principal: Principal,
        credential_id: str,
        *,
        credential_format: str | None = None,
        ttl: timedelta | None = None,
    ) -> CreatedShare:
        """Seal the credential's ``credential_format`` (default: ``ldp_vc`` if it was issued so,
        else ``jwt_vc_json``) for ``ttl`` (default :attr:`default_ttl`)."""
        base_url = self.base_url
        if base_url is None:
            raise Conflict(
                "share links need an https public URL (MCRED_PUBLIC_URL; http only on localhost)"
            )
        lifetime = self.default_ttl if ttl is None else ttl
        if not timedelta(0) < lifetime <= self.max_ttl:
            raise InvalidRequest(
                f"a share lives from 1 day to {self.max_ttl.days} days",
                details={"max_ttl_days": self.max_ttl.days},
            )
        issued = self._issuer.get(principal, credential_id)  # 404 / 403 as for the record
        if issued.state is CredentialState.REVOKED:
            raise Conflict(f"{credential_id} is revoked; a share of it would never verify")
        documents = issued.record.documents
        if credential_format is None:
            credential_format = next((f for f in SHARE_FORMATS if f in documents), None)
            if credential_format is None:
                raise Conflict(
                    f"{credential_id} has no form a share holds ({', '.join(SHARE_FORMATS)})"
                )
        elif credential_format not in SHARE_FORMATS:
            raise InvalidRequest(f"a share holds one of {', '.join(SHARE_FORMATS)}")
        elif credential_format not in documents:
            raise Conflict(
                f"{credential_id} was not issued as {credential_format}",
                details={"formats": sorted(f for f in documents if f in SHARE_FORMATS)},
            )
        now = self._clock()
        expires_at = (now + lifetime).replace(microsecond=0)
        share_id, key = new_share_id(), new_share_key()
        envelope = seal_credential(
            share_id, key, credential_format, documents[credential_format], expires_at=expires_at
        )
        self._store.put(
            StoredShare(
                share_id=share_id,
                credential_id=credential_id,
                format=credential_format,
                iv=envelope.iv,
                ciphertext=envelope.ciphertext,
                created_at=now,
                expires_at=expires_at,
            )
        )
        self._record(
            credential_id,
            "share_created",
            principal,
            now,
            {"share_id": share_id, "format": credential_format, "expires_at": _text(expires_at)},
        )
        return CreatedShare(
            share_id=share_id,
            credential_id=credential_id,
            format=credential_format,
            url=share_url(base_url, share_id, key),
            created_at=now,
            expires_at=expires_at,
        )

    def revoke(self, principal: Principal, share_id: str) -> ShareInfo:
        """End a share for good; revoking again changes nothing. 404 unknown, 403 scope."""
        share = self._store.get(share_id) if is_share_id(share_id) else None
        if share is None:
            raise ShareNotFound(f"no share {share_id!r}")
        self._issuer.get(principal, share.credential_id)  # the caller's alliance scope
        now = self._clock()
        revoked = self._store.revoke(share_id, now)
        if revoked is None:  # pragma: no cover - shares are only deleted long after expiry
            raise ShareNotFound(f"no share {share_id!r}")
        if share.revoked_at is None:
            self._record(
                share.credential_id, "share_revoked", principal, now, {"share_id": share_id}
            )
        return revoked.info()

    def shares_of(self, principal: Principal, credential_id: str) -> list[ShareInfo]:
        """The credential's shares (metadata only), oldest first."""
        self._issuer.get(principal, credential_id)
        return [share.info() for share in self._store.for_credential(credential_id)]

    def _record(
        self,
        credential_id: str,
        action: str,
        principal: Principal,
        at: datetime,
        details: dict[str, str],
    ) -> None:
        if self._audit is not None:
            self._audit.append(
                AuditEvent(credential_id, action, principal.actor, at, details=details)
            )

    # -- the public side ------------------------------------------------------------------

    def get_envelope(self, share_id: str) -> ShareEnvelope:
        """The envelope of a live share; :class:`ShareNotFound` or :class:`ShareGone`."""
        share = self._store.get(share_id) if is_share_id(share_id) else None
        if share is None:
            raise ShareNotFound("no such share")
        if share.revoked_at is not None:
            raise ShareGone("this share was revoked", details={"reason": "revoked"})
        if share.expires_at <= self._clock():
            raise ShareGone("this share has expired", details={"reason": "expired"})
        return share.envelope()

    def open(self, share_id: str, key_b64url: str) -> SharedCredential:
        """The credential of our share ``share_id``, opened with the link's key (the text after
        ``#``): errors of :meth:`get_envelope` and of :func:`vc_core.qr_payload.open_envelope`.
        """
        if not is_share_id(share_id):
            raise ShareNotFound("no such share")
        key = decode_key(key_b64url)
        return open_envelope(share_id, key, self.get_envelope(share_id))

    def resolve(self, url: str) -> SharedCredential:
        """The credential behind any share link (module doc): ours opened here, another host's
        fetched from ``{base}/shares/{id}`` (guarded fetcher, never cached) and opened here."""
        link = parse_share_url(url)
        if link.base_url == self.base_url:
            return open_envelope(link.share_id, link.key, self.get_envelope(link.share_id))
        envelope = self._fetch_envelope(link.envelope_url)
        if envelope.expires_at <= self._clock():
            raise ShareGone("this share has expired", details={"reason": "expired"})
        return open_envelope(link.share_id, link.key, envelope)

    def _fetch_envelope(self, url: str) -> ShareEnvelope:
        try:
            fetched = self._fetcher.fetch(url, accept=ENVELOPE_MEDIA_TYPE, force_fresh=True)
        except FetchStatusError as exc:
            if exc.status == 404:
                raise ShareNotFound("the link's host knows no such share") from None
            if exc.status == 410:
                raise ShareGone(
                    "the link's host says this share was revoked or has expired",
                    details={"reason": "gone"},
                ) from None
            raise self._unavailable(exc) from None
        except FetchError as exc:
            raise self._unavailable(exc) from None
        try:
            return ShareEnvelope.from_json(loads_strict(fetched.body))
        except StrictJsonError as exc:
            raise ShareUnavailable(
                f"the link's host answered no share envelope: the body {exc}",
                details={"fetch_error": "invalid_envelope"},
            ) from None
        except SharePayloadError as exc:
            raise ShareUnavailable(
                f"the link's host answered no valid share envelope: {exc.message}",
                details={"fetch_error": "invalid_envelope"},
            ) from None

    @staticmethod
    def _unavailable(exc: FetchError) -> ShareUnavailable:
        fetched_url = exc.details.get("url")  # the envelope's URL: no key in it
        return ShareUnavailable(
            "the share link's host could not be reached or refused the request",
            details={"fetch_error": exc.code, **({"url": fetched_url} if fetched_url else {})},
        )


def _text(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
