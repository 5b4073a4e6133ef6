"""Alembic's environment for mcred: run by :func:`mcred.storage.sql.upgrade_database`.

That function hands over an open connection (``config.attributes["connection"]``) inside its
own transaction. Run from the ``alembic`` command line instead, the URL comes from the
``sqlalchemy.url`` option (``alembic -x`` is not needed); ``--sql`` prints the DDL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from mcred.storage.sql import create_engine_for
from mcred.storage.tables import metadata

__all__: list[str] = []


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _run() -> None:
    config = context.config
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        _configure(given)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("set sqlalchemy.url, or use mcred.storage.sql.upgrade_database")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            _configure(connection)
    finally:
        engine.dispose()


_run()
