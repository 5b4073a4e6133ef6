"""The wallet bridge's short-lived state in SQL (SQLite or PostgreSQL), shared by every worker.

Implements the stores of :mod:`wallet_bridge.ports` exactly as :mod:`wallet_bridge.memory` does,
with expiry checked against an injectable clock (each row has an ``expires_at``).

Single use without read-then-delete races:

* consuming (a ``c_nonce``, a deferred transaction) is one ``DELETE … WHERE key AND
  expires_at > now`` (``RETURNING`` the row where it is needed): of two concurrent consumers the
  database lets exactly one delete the row, the other deletes nothing;
* :meth:`SqlOfferStore.redeem` runs in one write transaction whose changes are conditional: it
  first deletes the live grant whose digest is the one sent (``DELETE … WHERE code AND
  expires_at > now AND tx_code_digest IS NOT DISTINCT FROM digest RETURNING``: the grant and
  the redemption in one statement); when that deletes nothing it reads the live grant to tell
  why (unknown, tx_code missing or unexpected, or wrong), and a wrong digest decrements
  ``attempts_left`` in place (``UPDATE … SET attempts_left = attempts_left - 1 RETURNING``) and
  deletes the grant when it reaches zero. The digest and the expiry of a grant never change, so
  deciding on what was read is safe. (The database compares the digests, not in constant time:
  a digest is SHA-256 over the secret code and the PIN, so timing tells nothing usable, and
  every wrong guess uses up an attempt.) On SQLite the write transaction holds the database
  lock from its start (``BEGIN IMMEDIATE``); on PostgreSQL a second writer of the same row
  waits for the first and then finds it gone.
* :meth:`SqlOfferStore.redeem_for_token` writes the access token in the redeeming transaction
  and :meth:`SqlNonceStore.consume_with_notification` the notification id in the consuming one,
  when the other store is on the same engine (else one step after the other).

Expired rows are pruned by ``put`` (and by the combined steps that write a store's rows), in
the same transaction, at most once per :data:`PRUNE_INTERVAL` (of the store's clock) per store
and process: at most
:data:`PRUNE_BATCH` rows of that table a time, rows locked by others skipped (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL), along the ``expires_at`` index. Reads never return an expired row, so
pruning only frees space; doing it on every put cost one more statement per write.

Transactions per complete pre-authorized flow (offer, offer fetch, token, nonce, credential):
one write for the offer and its grant, one read for the offer by reference, one write for the
token (the code redeemed and the access token stored), one write for the nonce, and one read
(the access token) and one write (the nonce consumed and the notification id stored) for the
credential. Every statement is built once (values bound per execution).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, Connection, Engine, String, bindparam, delete, select, update
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
from wallet_bridge.memory import (
    Clock,
    consume_then_put_notification,
    redeem_then_put_token,
    system_clock,
)
from wallet_bridge.ports import (
    AccessToken,
    AccessTokenStore,
    DeferredTransaction,
    NotificationStore,
    Offer,
    PreAuthorizedGrant,
    RedeemOutcome,
    RedeemResult,
    check_tx_code,
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
            self._write(connection, key, values)

    def _write(
        self, connection: Connection, key: InstrumentedAttribute[str], values: dict[str, Any]
    ) -> None:
        """:meth:`_put` within ``connection``'s transaction."""
        now = self._pruning.due()
        if now is not None:
            _prune(connection, key, key.class_.expires_at, now)
        _upsert(connection, key, values)

    def _shares_database_with(self, other: _SqlStore) -> bool:
        return other._engine is self._engine


# --- statements built once (each execution binds its values; ``now`` is the store's clock) ----

_NOW: BindParameter[datetime] = bindparam("now")
_LIVE_OFFER = select(Oid4vciOfferRow).where(
    Oid4vciOfferRow.offer_id == bindparam("offer_id"), Oid4vciOfferRow.expires_at > _NOW
)
_LIVE_GRANT = select(Oid4vciGrantRow).where(
    Oid4vciGrantRow.code == bindparam("code"), Oid4vciGrantRow.expires_at > _NOW
)
_GRANT_IS_LIVE = (
    Oid4vciGrantRow.code == bindparam("grant_code"),
    Oid4vciGrantRow.expires_at > _NOW,
)
_REDEEM_GRANT = (
    delete(Oid4vciGrantRow)
    .where(
        *_GRANT_IS_LIVE,
        Oid4vciGrantRow.tx_code_digest.is_not_distinct_from(bindparam("digest", type_=String)),
    )
    .returning(*Oid4vciGrantRow.__table__.columns)
)
"""Redeem a live grant if ``digest`` is its tx_code digest (NULL: the grant asks none)."""
_USE_ATTEMPT = (
    update(Oid4vciGrantRow)
    .where(*_GRANT_IS_LIVE)
    .values(attempts_left=Oid4vciGrantRow.attempts_left - 1)
    .returning(Oid4vciGrantRow.attempts_left)
)
_DROP_GRANT = delete(Oid4vciGrantRow).where(Oid4vciGrantRow.code == bindparam("grant_code"))
_DROP_OFFER = delete(Oid4vciOfferRow).where(Oid4vciOfferRow.offer_id == bindparam("offer_key"))
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
_LIVE_DEFERRED = select(Oid4vciDeferredRow).where(
    Oid4vciDeferredRow.transaction_id == bindparam("transaction_id"),
    Oid4vciDeferredRow.expires_at > _NOW,
)
_TAKE_DEFERRED = (
    delete(Oid4vciDeferredRow)
    .where(
        Oid4vciDeferredRow.transaction_id == bindparam("transaction_id"),
        Oid4vciDeferredRow.expires_at > _NOW,
    )
    .returning(*Oid4vciDeferredRow.__table__.columns)
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
        with write_transaction(self._engine) as connection:
            return _redeem(connection, code, tx_code_digest, self._clock())

    def redeem_for_token(
        self,
        code: str,
        tx_code_digest: str | None,
        *,
        token: str,
        expires_at: datetime,
        tokens: AccessTokenStore,
    ) -> RedeemResult:
        """:meth:`redeem` and the token's upsert in one transaction (when ``tokens`` is a
        :class:`SqlAccessTokenStore` on this engine)."""
        if not (isinstance(tokens, SqlAccessTokenStore) and self._shares_database_with(tokens)):
            return redeem_then_put_token(
                self, code, tx_code_digest, token=token, expires_at=expires_at, tokens=tokens
            )
        with write_transaction(self._engine) as connection:
            result = _redeem(connection, code, tx_code_digest, self._clock())
            if result.grant is not None and result.outcome is RedeemOutcome.REDEEMED:
                grant = result.grant
                tokens.write(
                    connection,
                    AccessToken(token, grant.credential_id, grant.configuration_ids, expires_at),
                )
        return result


def _redeem(
    connection: Connection, code: str, tx_code_digest: str | None, now: datetime
) -> RedeemResult:
    """:meth:`SqlOfferStore.redeem` within ``connection``'s write transaction."""
    live = {"grant_code": code, "now": now}
    redeemed = connection.execute(_REDEEM_GRANT, {**live, "digest": tx_code_digest}).first()
    if redeemed is not None:
        connection.execute(_DROP_OFFER, {"offer_key": redeemed.offer_id})
        return RedeemResult(RedeemOutcome.REDEEMED, _grant(redeemed))
    row = connection.execute(_LIVE_GRANT, {"code": code, "now": now}).first()
    if row is None:
        return RedeemResult(RedeemOutcome.UNKNOWN)
    outcome = check_tx_code(row.tx_code_digest, tx_code_digest)
    if outcome is RedeemOutcome.REDEEMED:
        # matching, though the DELETE saw no such grant: never on SQLite (one snapshot); on
        # PostgreSQL only a grant written after the DELETE started. Not redeemed by this request.
        return RedeemResult(RedeemOutcome.UNKNOWN)
    if outcome is not RedeemOutcome.WRONG_TX_CODE:
        return RedeemResult(outcome)  # tx_code missing or unexpected: nothing changes
    left = connection.execute(_USE_ATTEMPT, live).scalar()
    if left is None:  # a concurrent request redeemed or burnt it meanwhile
        return RedeemResult(RedeemOutcome.UNKNOWN)
    if left <= 0:
        connection.execute(_DROP_GRANT, {"grant_code": code})
        connection.execute(_DROP_OFFER, {"offer_key": row.offer_id})
        return RedeemResult(RedeemOutcome.BURNT)
    return RedeemResult(RedeemOutcome.WRONG_TX_CODE, _grant(row, left))


# --- access tokens, nonces, notification ids -------------------------------------------------


class SqlAccessTokenStore(_SqlStore):
    def put(self, token: AccessToken) -> None:
        with write_transaction(self._engine) as connection:
            self.write(connection, token)

    def write(self, connection: Connection, token: AccessToken) -> None:
        """:meth:`put` within ``connection``'s write transaction (on this store's engine)."""
        self._write(
            connection,
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

    def consume_with_notification(
        self,
        nonces: Sequence[str],
        *,
        notifications: NotificationStore,
        notification_id: str,
        credential_id: str,
        expires_at: datetime,
    ) -> bool:
        """The nonces deleted and the notification id upserted in one transaction (when
        ``notifications`` is a :class:`SqlNotificationStore` on this engine), in sorted order;
        the deletes before a refused nonce are committed, as :meth:`consume` one by one would."""
        if not (
            isinstance(notifications, SqlNotificationStore)
            and self._shares_database_with(notifications)
        ):
            return consume_then_put_notification(
                self,
                nonces,
                notifications=notifications,
                notification_id=notification_id,
                credential_id=credential_id,
                expires_at=expires_at,
            )
        now = self._clock()
        with write_transaction(self._engine) as connection:
            # in one order whatever the request's: two transactions deleting the same nonces
            # (row locks on PostgreSQL) never wait on each other crosswise (a deadlock)
            for nonce in sorted(nonces):
                if connection.execute(_CONSUME_NONCE, {"nonce": nonce, "now": now}).first() is None:
                    return False
            notifications.write(connection, notification_id, credential_id, expires_at)
        return True


class SqlNotificationStore(_SqlStore):
    def put(self, notification_id: str, credential_id: str, expires_at: datetime) -> None:
        with write_transaction(self._engine) as connection:
            self.write(connection, notification_id, credential_id, expires_at)

    def write(
        self, connection: Connection, notification_id: str, credential_id: str, expires_at: datetime
    ) -> None:
        """:meth:`put` within ``connection``'s write transaction (on this store's engine)."""
        self._write(
            connection,
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
        with read_transaction(self._engine) as connection:
            found = connection.execute(
                _LIVE_DEFERRED, {"transaction_id": transaction_id, "now": self._clock()}
            ).first()
        return None if found is None else _transaction(found)

    def take(self, transaction_id: str) -> DeferredTransaction | None:
        with write_transaction(self._engine) as connection:
            found = connection.execute(
                _TAKE_DEFERRED, {"transaction_id": transaction_id, "now": self._clock()}
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
