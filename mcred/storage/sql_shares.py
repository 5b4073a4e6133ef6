"""Credential shares (the learner's QR payload, :mod:`vc_core.qr_payload`) in SQL.

Implements :class:`mcred.shares.ShareStore` as :class:`mcred.shares.InMemoryShareStore` does, on
the table ``credential_shares`` (:class:`CredentialShareRow`, declared here on the metadata of
:mod:`mcred.storage.tables` and created by migration ``0005``): one row per share — the
ciphertext and its IV, the credential id and format, ``created_at``, ``expires_at`` (indexed)
and ``revoked_at`` (NULL while the share is live). The key that opens a share is never given to
the store: it lives only in the link.

* ``put`` refuses a share id used twice (``ValueError``; the primary key decides, also between
  concurrent puts) and deletes shares whose ``expires_at`` is more than ``retention`` ago, at
  most :data:`~mcred.storage.sql_bridge.PRUNE_BATCH` a call along the ``expires_at`` index (rows
  locked by others skipped on PostgreSQL); until then an expired share still answers ``410``.
* ``revoke`` is one conditional ``UPDATE … SET revoked_at WHERE share_id AND revoked_at IS
  NULL``: revoking twice keeps the first instant.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from mcred.shares import DEFAULT_RETENTION, StoredShare
from mcred.storage.sql import read_transaction, write_transaction
from mcred.storage.sql_bridge import PRUNE_BATCH
from mcred.storage.tables import CredentialShareRow

__all__ = ["CredentialShareRow", "SqlShareStore"]


_Row = CredentialShareRow


def _share(row: Any) -> StoredShare:
    return StoredShare(
        share_id=row.share_id,
        credential_id=row.credential_id,
        format=row.format,
        iv=bytes(row.iv),
        ciphertext=bytes(row.ciphertext),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


class SqlShareStore:
    """Shares in SQL (module doc)."""

    def __init__(self, engine: Engine, *, retention: timedelta = DEFAULT_RETENTION) -> None:
        self._engine = engine
        self._retention = retention

    def put(self, share: StoredShare) -> None:
        with write_transaction(self._engine) as connection:
            self._prune(connection, share.created_at - self._retention)
            try:
                connection.execute(
                    insert(_Row).values(
                        share_id=share.share_id,
                        credential_id=share.credential_id,
                        format=share.format,
                        iv=share.iv,
                        ciphertext=share.ciphertext,
                        created_at=share.created_at,
                        expires_at=share.expires_at,
                        revoked_at=share.revoked_at,
                    )
                )
            except IntegrityError:
                raise ValueError("a share id is used twice") from None

    def get(self, share_id: str) -> StoredShare | None:
        with read_transaction(self._engine) as connection:
            row = connection.execute(select(_Row).where(_Row.share_id == share_id)).first()
        return None if row is None else _share(row)

    def revoke(self, share_id: str, at: datetime) -> StoredShare | None:
        with write_transaction(self._engine) as connection:
            connection.execute(
                update(_Row)
                .where(_Row.share_id == share_id, _Row.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            row = connection.execute(select(_Row).where(_Row.share_id == share_id)).first()
        return None if row is None else _share(row)

    def for_credential(self, credential_id: str) -> list[StoredShare]:
        with read_transaction(self._engine) as connection:
            rows = connection.execute(
                select(_Row)
                .where(_Row.credential_id == credential_id)
                .order_by(_Row.created_at, _Row.share_id)
            ).all()
        return [_share(row) for row in rows]

    @staticmethod
    def _prune(connection: Connection, expired_before: datetime) -> None:
        expired = (
            select(_Row.share_id)
            .where(_Row.expires_at <= expired_before)
            .order_by(_Row.expires_at)
            .limit(PRUNE_BATCH)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds the database lock
        )
        connection.execute(delete(_Row).where(_Row.share_id.in_(expired.scalar_subquery())))
