"""The issuer's status lists: slots for new credentials, state changes, and published lists.

Status design (specs.md §7, decision D8):

* ELM credentials may carry one ``credentialStatus`` (EDC SHACL: at most one), so they get one
  two-bit ``BitstringStatusListEntry`` with ``statusPurpose: "message"``: ``0x0`` valid,
  ``0x1`` revoked, ``0x2`` suspended (``0x3`` unused). These values are those of the IETF
  Token Status List (VALID, INVALID, SUSPENDED), so the same list can be served as a Token
  Status List for SD-JWT VCs without a second set of bits.
* VCDM 2.0 credentials get two one-bit entries, ``revocation`` and ``suspension``.

Published lists are ``BitstringStatusListCredential``s (VCDM 2.0), signed with
``eddsa-rdfc-2022`` like the credentials that point to them (BSL §3.6), rendered again when
the list's version changes (so a change shows at once) and cached by version otherwise.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from issuer.errors import NotFound
from issuer.identity import IssuerIdentity
from issuer.ports import StatusListStore, StatusSlot, StatusSlotNotFound
from vc_core.keys import KeyType
from vc_core.proofs.data_integrity import add_proof
from vc_core.status import (
    BitstringStatusList,
    BitstringStatusListEntry,
    StatusMessage,
    StatusPurpose,
    TokenStatusList,
)
from vc_core.status_token import sign_status_list_token

__all__ = [
    "ELM_STATUS_MESSAGES",
    "CredentialState",
    "PublishedList",
    "PublishedToken",
    "StatusListService",
]

ELM_STATUS_SIZE = 2
ELM_STATUS_MESSAGES = (
    StatusMessage(0, "valid"),
    StatusMessage(1, "revoked"),
    StatusMessage(2, "suspended"),
    StatusMessage(3, "unused"),
)
VCDM2_CONTEXT = "https://www.w3.org/ns/credentials/v2"


class CredentialState(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


_MESSAGE_VALUE = {
    CredentialState.ACTIVE: 0,
    CredentialState.REVOKED: 1,
    CredentialState.SUSPENDED: 2,
}


@dataclass(frozen=True)
class PublishedToken:
    """A signed Status List Token and what HTTP caches need to know about it."""

    token: str
    etag: str
    max_age: int
    version: int
    issued_at: datetime


@dataclass(frozen=True)
class PublishedList:
    """A signed status list credential and what HTTP caches need to know about it."""

    credential: dict[str, Any]
    etag: str
    max_age: int
    version: int
    rendered_at: datetime


class StatusListService:
    """Allocates slots, changes states, and renders the signed lists."""

    def __init__(
        self,
        store: StatusListStore,
        identity: IssuerIdentity,
        base_url: str,
        *,
        ttl: timedelta = timedelta(minutes=5),
        validity: timedelta = timedelta(days=7),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._identity = identity
        self._base_url = base_url.rstrip("/")
        self._ttl = ttl
        self._validity = validity
        self._clock = clock
        self._published: dict[str, PublishedList] = {}
        self._tokens: dict[str, PublishedToken] = {}
        self._lock = threading.Lock()

    # -- new credentials ----------------------------------------------------------------------
    def list_url(self, list_id: str) -> str:
        return f"{self._base_url}/status/{list_id}"

    def token_url(self, list_id: str) -> str:
        """Where the same list is served as an IETF Status List Token (SD-JWT VC ``status``)."""
        return f"{self._base_url}/token-status/{list_id}"

    def entry(self, slot: StatusSlot, *, elm: bool) -> dict[str, Any]:
        """The ``credentialStatus`` entry for ``slot`` (with an IRI ``id``, as ELM needs)."""
        url = self.list_url(slot.list_id)
        return BitstringStatusListEntry(
            status_purpose=slot.purpose,
            status_list_index=slot.index,
            status_list_credential=url,
            id=f"{url}#{slot.index}",
            status_size=slot.status_size,
            status_message=ELM_STATUS_MESSAGES if slot.status_size == ELM_STATUS_SIZE else (),
            extra_types=("CredentialStatus",) if elm else (),
        ).to_json()

    def allocate_elm(self, credential_id: str) -> StatusSlot:
        """One two-bit ``message`` slot (valid / revoked / suspended)."""
        return self._store.allocate(StatusPurpose.MESSAGE, ELM_STATUS_SIZE, credential_id)

    def allocate_vcdm2(self, credential_id: str) -> tuple[StatusSlot, StatusSlot]:
        """A ``revocation`` and a ``suspension`` slot."""
        return (
            self._store.allocate(StatusPurpose.REVOCATION, 1, credential_id),
            self._store.allocate(StatusPurpose.SUSPENSION, 1, credential_id),
        )

    # -- states -------------------------------------------------------------------------------
    def state(self, slots: Sequence[StatusSlot]) -> CredentialState:
        """The credential's state from its slots, read together (revoked wins)."""
        return _state(list(zip(slots, self._store.get_statuses(slots), strict=True)))

    def states(self, credentials: Sequence[Sequence[StatusSlot]]) -> list[CredentialState]:
        """:meth:`state` of several credentials (each given by its slots), read together."""
        flat = [slot for slots in credentials for slot in slots]
        values = iter(zip(flat, self._store.get_statuses(flat), strict=True))
        return [_state([next(values) for _ in slots]) for slots in credentials]

    def set_state(self, slots: Sequence[StatusSlot], state: CredentialState) -> None:
        """Write ``state`` into every slot of one credential (all its formats at once)."""
        for slot in slots:
            if slot.purpose == StatusPurpose.MESSAGE:
                value = _MESSAGE_VALUE[state]
            elif slot.purpose == StatusPurpose.REVOCATION:
                value = int(state is CredentialState.REVOKED)
            elif slot.purpose == StatusPurpose.SUSPENSION:
                value = int(state is CredentialState.SUSPENDED)
            else:  # pragma: no cover - slots are only allocated with the purposes above
                continue
            self._store.set_status(slot, value)
        # a list this process serves is signed again now, not when the next verifier asks
        for list_id in dict.fromkeys(slot.list_id for slot in slots):
            if list_id in self._published:
                self.published(list_id)

    # -- publication --------------------------------------------------------------------------
    def published(self, list_id: str) -> PublishedList:
        """The signed list at its current version (rendered again only when it changed)."""
        try:
            version = self._store.version(list_id)
        except StatusSlotNotFound:
            raise NotFound(f"no status list {list_id!r}") from None
        cached = self._fresh(list_id, version)
        if cached is not None:
            return cached
        with self._lock:
            cached = self._fresh(list_id, version)
            if cached is not None:
                return cached
            rendered = self._render(list_id)
            self._published[list_id] = rendered
            return rendered

    def _fresh(self, list_id: str, version: int) -> PublishedList | None:
        """The cached list if it has this version and was signed less than half its validity
        ago (so it is signed again well before ``validUntil`` even when nothing changes)."""
        cached = self._published.get(list_id)
        if (
            cached is not None
            and cached.version == version
            and self._clock() < cached.rendered_at + self._validity / 2
        ):
            return cached
        return None

    def published_token(self, list_id: str) -> PublishedToken:
        """The list as a signed Status List Token (``statuslist+jwt``, ES256), cached by
        version like :meth:`published` (two-bit ``message`` lists only)."""
        try:
            version = self._store.version(list_id)
        except StatusSlotNotFound:
            raise NotFound(f"no status list {list_id!r}") from None
        cached = self._tokens.get(list_id)
        now = self._clock().replace(microsecond=0)
        if (
            cached is not None
            and cached.version == version
            and now < cached.issued_at + self._validity / 2
        ):
            return cached
        statuses, version = self.token_status_list(list_id)
        key = self._identity.signing_key(KeyType.P256)
        token = sign_status_list_token(
            statuses,
            key.private_key,
            uri=self.token_url(list_id),
            kid=self._identity.verification_method_id(key),
            iat=now,
            exp=now + self._validity,
            ttl=self._ttl,
            iss=self._identity.did,
        )
        published = PublishedToken(
            token=token,
            etag=f'"{list_id}.{version}.{int(now.timestamp())}.jwt"',
            max_age=int(self._ttl.total_seconds()),
            version=version,
            issued_at=now,
        )
        self._tokens[list_id] = published
        return published

    def token_status_list(self, list_id: str) -> tuple[TokenStatusList, int]:
        """The same statuses as an IETF Token Status List (two-bit ``message`` lists only)."""
        snapshot = self._store.snapshot(list_id)
        if snapshot.purpose != StatusPurpose.MESSAGE or snapshot.status_size != ELM_STATUS_SIZE:
            raise NotFound(f"{list_id!r} has no Token Status List form (not a two-bit list)")
        bits = BitstringStatusList.from_values(
            snapshot.nonzero,
            size=snapshot.size,
            status_size=snapshot.status_size,
            minimum_entries=0,
        )
        return TokenStatusList.from_bitstring_status_list(bits), snapshot.version

    def _render(self, list_id: str) -> PublishedList:
        snapshot = self._store.snapshot(list_id)
        bits = BitstringStatusList.from_values(
            snapshot.nonzero, size=snapshot.size, status_size=snapshot.status_size
        )
        url = self.list_url(list_id)
        now = self._clock().replace(microsecond=0)
        credential = {
            "@context": [VCDM2_CONTEXT],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self._identity.did,
            "validFrom": _stamp(now),
            "validUntil": _stamp(now + self._validity),
            "credentialSubject": bits.credential_subject(
                subject_id=f"{url}#list",
                status_purpose=snapshot.purpose,
                ttl=int(self._ttl.total_seconds() * 1000),
            ),
        }
        key = self._identity.signing_key(KeyType.ED25519)
        signed = add_proof(
            credential,
            key.private_key,
            verification_method=self._identity.verification_method_id(key),
            created=now,
        )
        return PublishedList(
            credential=signed,
            etag=f'"{list_id}.{snapshot.version}.{int(now.timestamp())}"',
            max_age=int(self._ttl.total_seconds()),
            version=snapshot.version,
            rendered_at=now,
        )


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _state(values: Sequence[tuple[StatusSlot, int]]) -> CredentialState:
    """A credential's state from its slots' values (revoked wins)."""
    for slot, value in values:
        if slot.purpose == StatusPurpose.REVOCATION and value:
            return CredentialState.REVOKED
        if slot.purpose == StatusPurpose.MESSAGE and value == 1:
            return CredentialState.REVOKED
    for slot, value in values:
        if value and slot.purpose in (StatusPurpose.SUSPENSION, StatusPurpose.MESSAGE):
            return CredentialState.SUSPENDED
    return CredentialState.ACTIVE
