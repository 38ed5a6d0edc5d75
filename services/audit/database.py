"""Opening the audit database: URL, engine, SQLite tuning, migrations, dialect-specific upserts.

Everything here blocks on the database; async callers run it in a worker thread.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, Insert, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError, StatementError

from services.audit.migrations import SchemaTooNew, migrate

__all__ = ["SchemaTooNew", "driver_url", "open_engine", "refused_for_good", "upsert_for"]

BUSY_TIMEOUT_MS = 5000
# SQLSTATE classes about the data itself: data exception, integrity violation, program limit
# exceeded (PostgreSQL reports an over-long index entry so, as an OperationalError).
CONTENT_SQLSTATES = frozenset({"22", "23", "54"})
# The URL schemes PostgreSQL's own tools and hosting providers hand out. SQLAlchemy knows no
# "postgres" dialect at all, and which driver plain "postgresql" means depends on its version
# (psycopg2 before 2.1); hookbus ships psycopg 3, so both are pinned to it.
POSTGRES_SCHEMES = frozenset({"postgres", "postgresql"})


def driver_url(url: str) -> URL:
    """``url`` parsed, with a plain ``postgresql://`` or ``postgres://`` sent to psycopg 3.

    Raises ``sqlalchemy.exc.ArgumentError`` when ``url`` is not a database URL.
    """
    parsed = make_url(url)
    if parsed.drivername in POSTGRES_SCHEMES:
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def open_engine(url: str) -> Engine:
    """An engine for ``url`` with the schema migrated; SQLite's directory is created.

    Blocks on the database (and while another process migrates it); raises SQLAlchemy errors
    when it is unreachable and :class:`SchemaTooNew` when its schema is newer than this code.
    """
    parsed = driver_url(url)
    if parsed.get_backend_name() == "sqlite":
        _make_sqlite_dir(parsed.database)
    engine = create_engine(parsed, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _tune_sqlite)
    upsert_for(engine)  # refuse an unsupported dialect before creating anything
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _make_sqlite_dir(database: str | None) -> None:
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the API read while the consumer writes; NORMAL is durable at each checkpoint
    # and loses at most the last transactions on power loss, which a replay from Kafka restores.
    # The busy timeout comes first: switching to WAL waits for a lock another process holds.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    # WAL is a property of the file, so a database already in WAL needs no lock at all. The
    # switch itself takes an exclusive lock and SQLite may answer "database is locked" at once,
    # without its busy handler, while another connection opens the same new file: retry then.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def upsert_for(engine: Engine) -> Callable[[Table], Insert]:
    """A function ``table -> INSERT ... ON CONFLICT DO NOTHING`` for the engine's dialect.

    Raises ``ValueError`` for a database other than SQLite or PostgreSQL.
    """
    name = engine.dialect.name
    if name == "sqlite":
        return lambda table: sqlite.insert(table).on_conflict_do_nothing()
    if name == "postgresql":
        return lambda table: postgresql.insert(table).on_conflict_do_nothing()
    raise ValueError(f"audit supports SQLite and PostgreSQL, not {name}")


def refused_for_good(exc: SQLAlchemyError) -> bool:
    """True when the database refuses the data itself, so writing it again cannot succeed.

    False for what may pass later: connection loss, a lock, a full disk, a pool timeout.
    """
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)  # psycopg 3 / 2
    if isinstance(state, str) and state:
        return state[:2] in CONTENT_SQLSTATES
    if isinstance(exc, DBAPIError):
        return isinstance(exc, (DataError, IntegrityError))
    return isinstance(exc, StatementError)  # a value the driver could not even bind
