"""The wallet bridge's short-lived state in SQL (SQLite or PostgreSQL), shared by every worker.

Implements the stores of :mod:`wallet_bridge.ports` exactly as :mod:`wallet_bridge.memory` does,
with expiry checked against an injectable clock (each row has an ``expires_at``).

Single use without read-then-delete races:

* consuming (a ``c_nonce``, a deferred transaction) is one ``DELETE … WHERE key AND
  expires_at > now`` (``RETURNING`` the row where it is needed): of two concurrent consumers the
  database lets exactly one delete the row, the other deletes nothing;
* :meth:`SqlOfferStore.redeem` runs in one write transaction whose changes are conditional: a
  matching tx_code digest deletes the grant (``DELETE … RETURNING``; nothing deleted means a
  concurrent request won), a wrong one decrements ``attempts_left`` in place
  (``UPDATE … SET attempts_left = attempts_left - 1 RETURNING``) and deletes the grant when it
  reaches zero. The digest and the expiry of a grant never change, so reading them first is safe.
  On SQLite the write transaction holds the database lock from its start (``BEGIN IMMEDIATE``);
  on PostgreSQL a second writer of the same row waits for the first and then finds it gone.

Expired rows are pruned by ``put``, in the same transaction, at most once per
:data:`PRUNE_INTERVAL` (of the store's clock) per store and process: at most
:data:`PRUNE_BATCH` rows of that table a time, rows locked by others skipped (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL), along the ``expires_at`` index. Reads never return an expired row, so
pruning only frees space; doing it on every put cost one more statement per write.

Round trips per complete pre-authorized flow (offer, offer fetch, token, nonce, credential):
one write transaction for the offer and its grant, one read for the offer by reference, one
read (:meth:`SqlOfferStore.peek_grant`) and two writes for the token (redeem, then the access
token), one write for the nonce, and one read (the access token), one write (the nonce
consumed) and one write (the notification id) for the credential.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, Connection, Engine, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute

from mcred.storage.bridge_json import holders_from_json, holders_to_json
from mcred.storage.sql import read_transaction, write_transaction
from mcred.storage.tables import (
    Oid4vciAccessTokenRow,
    Oid4vciDeferredRow,
    Oid4vciGrantRow,
    Oid4vciNonceRow,
    Oid4vciNotificationRow,
    Oid4vciOfferRow,
)
from wallet_bridge.memory import Clock, system_clock
from wallet_bridge.ports import (
    AccessToken,
    DeferredTransaction,
    Offer,
    PreAuthorizedGrant,
    RedeemOutcome,
    RedeemResult,
)

__all__ = [
    "PRUNE_BATCH",
    "SqlAccessTokenStore",
    "SqlDeferredStore",
    "SqlNonceStore",
    "SqlNotificationStore",
    "SqlOfferStore",
]

PRUNE_BATCH = 256
"""At most this many expired rows are deleted by one prune (the rest by the next ones)."""
PUT_BATCH = 100
""":meth:`SqlOfferStore.put_many` sends its rows this many at a time (one ``executemany`` each)."""
PRUNE_INTERVAL = timedelta(seconds=1)
"""A store prunes its tables on a ``put`` when it has not done so for this long."""


_UPSERTS: dict[tuple[str, str, tuple[str, ...]], Any] = {}
"""Upsert statements built once per dialect, table and column set (values bound per call)."""


def _upsert(connection: Connection, key: InstrumentedAttribute[str], *rows: dict[str, Any]) -> None:
    """Insert ``rows`` (every row has the same columns), or replace the rows with the same
    ``key`` (``put`` overwrites)."""
    columns = tuple(rows[0])
    cache_key = (connection.dialect.name, key.class_.__tablename__, columns)
    statement = _UPSERTS.get(cache_key)
    if statement is None:
        dialect_insert: Any = (
            pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
        )
        insert = dialect_insert(key.class_)
        statement = insert.on_conflict_do_update(
            index_elements=[key.key],
            set_={name: insert.excluded[name] for name in columns if name != key.key},
        )
        _UPSERTS[cache_key] = statement
    connection.execute(statement, list(rows) if len(rows) > 1 else rows[0])


def _prune(
    connection: Connection,
    key: InstrumentedAttribute[str],
    expires_at: InstrumentedAttribute[datetime],
    now: datetime,
) -> None:
    expired = (
        select(key)
        .where(expires_at <= now)
        .order_by(expires_at)
        .limit(PRUNE_BATCH)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds the database lock
    )
    connection.execute(delete(key.class_).where(key.in_(expired.scalar_subquery())))


class _Pruning:
    """When a store last pruned (per process): :meth:`due` says whether a put prunes now."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._last: datetime | None = None

    def due(self) -> datetime | None:
        """The time to prune at, if :data:`PRUNE_INTERVAL` has passed since the last prune
        (the first put always prunes); None otherwise."""
        now = self._clock()
        last = self._last
        if last is not None and last <= now < last + PRUNE_INTERVAL:
            return None
        self._last = now
        return now


class _SqlStore:
    """One table of short-lived rows (or two, for offers): ``put`` prunes it when due."""

    def __init__(self, engine: Engine, clock: Clock = system_clock) -> None:
        self._engine = engine
        self._clock = clock
        self._pruning = _Pruning(clock)

    def _put(self, key: InstrumentedAttribute[str], values: dict[str, Any]) -> None:
        """Upsert one row of ``key``'s table (its ``expires_at`` column prunes it)."""
        with write_transaction(self._engine) as connection:
            now = self._pruning.due()
            if now is not None:
                _prune(connection, key, key.class_.expires_at, now)
            _upsert(connection, key, values)


# --- statements built once (each execution binds its values; ``now`` is the store's clock) ----

_NOW: BindParameter[datetime] = bindparam("now")
_LIVE_OFFER = select(Oid4vciOfferRow).where(
    Oid4vciOfferRow.offer_id == bindparam("offer_id"), Oid4vciOfferRow.expires_at > _NOW
)
_LIVE_GRANT = select(Oid4vciGrantRow).where(
    Oid4vciGrantRow.code == bindparam("code"), Oid4vciGrantRow.expires_at > _NOW
)
_LIVE_TOKEN = select(Oid4vciAccessTokenRow).where(
    Oid4vciAccessTokenRow.token == bindparam("token"), Oid4vciAccessTokenRow.expires_at > _NOW
)
_CONSUME_NONCE = (
    delete(Oid4vciNonceRow)
    .where(Oid4vciNonceRow.nonce == bindparam("nonce"), Oid4vciNonceRow.expires_at > _NOW)
    .returning(Oid4vciNonceRow.nonce)
)
_NOTIFIED_CREDENTIAL = select(Oid4vciNotificationRow.credential_id).where(
    Oid4vciNotificationRow.notification_id == bindparam("notification_id"),
    Oid4vciNotificationRow.expires_at > _NOW,
)


# --- offers and pre-authorized code grants ---------------------------------------------------


def _grant(row: Any, attempts_left: int | None = None) -> PreAuthorizedGrant:
    return PreAuthorizedGrant(
        code=row.code,
        offer_id=row.offer_id,
        credential_id=row.credential_id,
        configuration_ids=tuple(row.configuration_ids),
        tx_code_digest=row.tx_code_digest,
        attempts_left=row.attempts_left if attempts_left is None else attempts_left,
        expires_at=row.expires_at,
    )


class SqlOfferStore(_SqlStore):
    """Credential offers and their grants; :meth:`redeem` is one conditional transaction."""

    def put(self, offer: Offer, grant: PreAuthorizedGrant) -> None:
        self.put_many([(offer, grant)])

    def put_many(self, offers: Sequence[tuple[Offer, PreAuthorizedGrant]]) -> None:
        """One write transaction; at most :data:`PUT_BATCH` rows per statement."""
        if not offers:
            return
        with write_transaction(self._engine) as connection:
            now = self._pruning.due()
            if now is not None:
                _prune(connection, Oid4vciOfferRow.offer_id, Oid4vciOfferRow.expires_at, now)
                _prune(connection, Oid4vciGrantRow.code, Oid4vciGrantRow.expires_at, now)
            for start in range(0, len(offers), PUT_BATCH):
                batch = offers[start : start + PUT_BATCH]
                _upsert(
                    connection,
                    Oid4vciOfferRow.offer_id,
                    *(
                        {
                            "offer_id": offer.offer_id,
                            "credential_id": offer.credential_id,
                            "offer": dict(offer.offer),
                            "expires_at": offer.expires_at,
                        }
                        for offer, _ in batch
                    ),
                )
                _upsert(
                    connection,
                    Oid4vciGrantRow.code,
                    *(
                        {
                            "code": grant.code,
                            "offer_id": grant.offer_id,
                            "credential_id": grant.credential_id,
                            "configuration_ids": list(grant.configuration_ids),
                            "tx_code_digest": grant.tx_code_digest,
                            "attempts_left": grant.attempts_left,
                            "expires_at": grant.expires_at,
                        }
                        for _, grant in batch
                    ),
                )

    def get_offer(self, offer_id: str) -> Offer | None:
        with read_transaction(self._engine) as connection:
            row = connection.execute(
                _LIVE_OFFER, {"offer_id": offer_id, "now": self._clock()}
            ).first()
        if row is None:
            return None
        return Offer(row.offer_id, row.credential_id, row.offer, row.expires_at)

    def peek_grant(self, code: str) -> PreAuthorizedGrant | None:
        with read_transaction(self._engine) as connection:
            row = connection.execute(_LIVE_GRANT, {"code": code, "now": self._clock()}).first()
        return None if row is None else _grant(row)

    def redeem(self, code: str, tx_code_digest: str | None) -> RedeemResult:
        now = self._clock()
        live = (Oid4vciGrantRow.code == code, Oid4vciGrantRow.expires_at > now)
        with write_transaction(self._engine) as connection:
            row = connection.execute(select(Oid4vciGrantRow).where(*live)).first()
            if row is None:
                return RedeemResult(RedeemOutcome.UNKNOWN)
            expected = row.tx_code_digest
            if expected is not None and (
                tx_code_digest is None or not hmac.compare_digest(expected, tx_code_digest)
            ):
                left = connection.execute(
                    update(Oid4vciGrantRow)
                    .where(*live)
                    .values(attempts_left=Oid4vciGrantRow.attempts_left - 1)
                    .returning(Oid4vciGrantRow.attempts_left)
                ).scalar()
                if left is None:  # a concurrent request redeemed or burnt it meanwhile
                    return RedeemResult(RedeemOutcome.UNKNOWN)
                if left <= 0:
                    self._drop(connection, code, row.offer_id)
                    return RedeemResult(RedeemOutcome.BURNT)
                return RedeemResult(RedeemOutcome.WRONG_TX_CODE, _grant(row, left))
            attempts_left = connection.execute(
                delete(Oid4vciGrantRow).where(*live).returning(Oid4vciGrantRow.attempts_left)
            ).scalar()
            if attempts_left is None:  # a concurrent request redeemed or burnt it first
                return RedeemResult(RedeemOutcome.UNKNOWN)
            connection.execute(
                delete(Oid4vciOfferRow).where(Oid4vciOfferRow.offer_id == row.offer_id)
            )
            return RedeemResult(RedeemOutcome.REDEEMED, _grant(row, attempts_left))

    @staticmethod
    def _drop(connection: Connection, code: str, offer_id: str) -> None:
        connection.execute(delete(Oid4vciGrantRow).where(Oid4vciGrantRow.code == code))
        connection.execute(delete(Oid4vciOfferRow).where(Oid4vciOfferRow.offer_id == offer_id))


# --- access tokens, nonces, notification ids -------------------------------------------------


class SqlAccessTokenStore(_SqlStore):
    def put(self, token: AccessToken) -> None:
        self._put(
            Oid4vciAccessTokenRow.token,
            {
                "token": token.token,
                "credential_id": token.credential_id,
                "configuration_ids": list(token.configuration_ids),
                "expires_at": token.expires_at,
            },
        )

    def get(self, token: str) -> AccessToken | None:
        with read_transaction(self._engine) as connection:
            found = connection.execute(_LIVE_TOKEN, {"token": token, "now": self._clock()}).first()
        if found is None:
            return None
        return AccessToken(
            found.token, found.credential_id, tuple(found.configuration_ids), found.expires_at
        )


class SqlNonceStore(_SqlStore):
    def put(self, nonce: str, expires_at: datetime) -> None:
        self._put(Oid4vciNonceRow.nonce, {"nonce": nonce, "expires_at": expires_at})

    def consume(self, nonce: str) -> bool:
        with write_transaction(self._engine) as connection:
            deleted = connection.execute(
                _CONSUME_NONCE, {"nonce": nonce, "now": self._clock()}
            ).first()
        return deleted is not None


class SqlNotificationStore(_SqlStore):
    def put(self, notification_id: str, credential_id: str, expires_at: datetime) -> None:
        self._put(
            Oid4vciNotificationRow.notification_id,
            {
                "notification_id": notification_id,
                "credential_id": credential_id,
                "expires_at": expires_at,
            },
        )

    def credential_of(self, notification_id: str) -> str | None:
        with read_transaction(self._engine) as connection:
            found: str | None = connection.execute(
                _NOTIFIED_CREDENTIAL, {"notification_id": notification_id, "now": self._clock()}
            ).scalar()
        return found


# --- deferred transactions -------------------------------------------------------------------


class SqlDeferredStore(_SqlStore):
    def put(self, transaction: DeferredTransaction) -> None:
        self._put(
            Oid4vciDeferredRow.transaction_id,
            {
                "transaction_id": transaction.transaction_id,
                "credential_id": transaction.credential_id,
                "configuration_id": transaction.configuration_id,
                "holders": holders_to_json(transaction.holders),
                "access_token": transaction.access_token,
                "expires_at": transaction.expires_at,
            },
        )

    def get(self, transaction_id: str) -> DeferredTransaction | None:
        row = Oid4vciDeferredRow
        with read_transaction(self._engine) as connection:
            found = connection.execute(
                select(row).where(
                    row.transaction_id == transaction_id, row.expires_at > self._clock()
                )
            ).first()
        return None if found is None else _transaction(found)

    def take(self, transaction_id: str) -> DeferredTransaction | None:
        row = Oid4vciDeferredRow
        with write_transaction(self._engine) as connection:
            found = connection.execute(
                delete(row)
                .where(row.transaction_id == transaction_id, row.expires_at > self._clock())
                .returning(*row.__table__.columns)
            ).first()
        return None if found is None else _transaction(found)


def _transaction(row: Any) -> DeferredTransaction:
    return DeferredTransaction(
        transaction_id=row.transaction_id,
        credential_id=row.credential_id,
        configuration_id=row.configuration_id,
        holders=holders_from_json(row.holders),
        access_token=row.access_token,
        expires_at=row.expires_at,
    )
