"""Schema migrations of the audit database: numbered, applied in order at start, under a lock.

Each migration runs once per database and is recorded in ``schema_version``. All of them run
in one transaction that first takes a lock (an advisory lock on PostgreSQL, the write lock on
SQLite), so several audit copies may start at once: the first migrates, the others wait and
then find nothing left to do. A failure rolls the whole transaction back (DDL is transactional
on both databases), so a database is never left half-migrated.

Migration 1 creates the tables as :mod:`services.audit.schema` defines them now, so a new
database gets the current shape at once. Every later migration brings a database created by an
older hookbus to that same shape, and is written to do nothing where its change is already
there (``IF NOT EXISTS``, or a look at the catalogue first). To change the schema: edit
``schema.py``, then append a migration. A test checks that an old database, migrated, matches
a new one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, inspect, select, text

from services.audit import schema, task_schema
from services.audit.inbound import schema as inbound_schema
from shared import clock

log = logging.getLogger(__name__)
# PostgreSQL advisory lock keys: "hookbus" in ASCII, then one byte for what they guard.
MIGRATION_LOCK = 0x686F6F6B62757301


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer hookbus than this one."""


@dataclass(frozen=True)
class Migration:
    """One numbered step; ``apply`` runs inside the migration transaction."""

    version: int
    name: str
    apply: Callable[[Connection], None]


def statements(*sql: str) -> Callable[[Connection], None]:
    """A migration step running plain SQL statements (each one idempotent) in order."""

    def apply(conn: Connection) -> None:
        for statement in sql:
            conn.execute(text(statement))

    return apply


def add_column(table: str, column: str, definition: str) -> Callable[[Connection], None]:
    """A step adding ``column`` to ``table`` unless it is there (SQLite has no IF NOT EXISTS)."""

    def apply(conn: Connection) -> None:
        if column not in {c["name"] for c in inspect(conn).get_columns(table)}:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {definition}"))

    return apply


def steps(*parts: Callable[[Connection], None]) -> Callable[[Connection], None]:
    """One migration made of several steps, run in order."""

    def apply(conn: Connection) -> None:
        for part in parts:
            part(conn)

    return apply


def _tables(conn: Connection) -> None:
    first = (schema.messages, schema.message_channels, schema.attempts, schema.dead_letters)
    schema.metadata.create_all(conn, tables=list(first), checkfirst=True)


def _inbound_tables(conn: Connection) -> None:
    received = (
        inbound_schema.inbound_requests,
        inbound_schema.inbound_routings,
        inbound_schema.inbound_route_runs,
        inbound_schema.route_attempts,
    )
    schema.metadata.create_all(conn, tables=list(received), checkfirst=True)


def _task_tables(conn: Connection) -> None:
    tables = [task_schema.tasks, task_schema.task_progress]
    schema.metadata.create_all(conn, tables=tables, checkfirst=True)


def _expunged_table(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=[schema.expunged_messages], checkfirst=True)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "messages, channels, attempts and dead letters", _tables),
    Migration(
        2,
        "indexes for the channel filter, dead-letter pages and retention",
        steps(
            add_column("message_channels", "ts_ms", "BIGINT NOT NULL DEFAULT 0"),
            statements(
                "UPDATE message_channels SET ts_ms = COALESCE((SELECT m.ts_ms FROM messages m"
                " WHERE m.app_id = message_channels.app_id"
                " AND m.id = message_channels.message_id), 0) WHERE ts_ms = 0",
                "CREATE INDEX IF NOT EXISTS ix_message_channels_list"
                " ON message_channels (app_id, channel, ts_ms, message_id)",
                "CREATE INDEX IF NOT EXISTS ix_message_channels_ts ON message_channels (ts_ms)",
                "CREATE INDEX IF NOT EXISTS ix_messages_ts ON messages (ts_ms)",
                "CREATE INDEX IF NOT EXISTS ix_attempts_ts ON attempts (ts_ms)",
                "CREATE INDEX IF NOT EXISTS ix_dead_letters_list"
                " ON dead_letters (at_ms, kafka_topic, kafka_partition, kafka_offset)",
                "CREATE INDEX IF NOT EXISTS ix_dead_letters_kind_list"
                " ON dead_letters (kind, at_ms, kafka_topic, kafka_partition, kafka_offset)",
                "DROP INDEX IF EXISTS ix_dead_letters_at",
                "DROP INDEX IF EXISTS ix_dead_letters_kind_at",
            ),
        ),
    ),
    Migration(3, "the received log of inbound webhooks and its route attempts", _inbound_tables),
    Migration(
        4,
        "indexes for the received log's retention",
        statements(
            "CREATE INDEX IF NOT EXISTS ix_route_attempts_ts ON route_attempts (ts_ms)",
            "CREATE INDEX IF NOT EXISTS ix_inbound_routings_routed ON inbound_routings (routed_at)",
        ),
    ),
    Migration(
        5,
        "indexes for live streams: rows in the order audit stored them",
        statements(
            "CREATE INDEX IF NOT EXISTS ix_messages_app_stream"
            " ON messages (app_id, kafka_partition, kafka_offset)",
            "CREATE INDEX IF NOT EXISTS ix_attempts_app_stream"
            " ON attempts (app_id, kafka_partition, kafka_offset)",
            "CREATE INDEX IF NOT EXISTS ix_inbound_stream"
            " ON inbound_requests (kafka_partition, kafka_offset)",
            "CREATE INDEX IF NOT EXISTS ix_inbound_source_stream"
            " ON inbound_requests (source_id, kafka_partition, kafka_offset)",
        ),
    ),
    Migration(6, "background tasks and their progress", _task_tables),
    Migration(
        7,
        "dead letters by the app and message of their delivery",
        steps(
            add_column("dead_letters", "app_id", "VARCHAR"),
            add_column("dead_letters", "message_id", "VARCHAR"),
            statements(
                "CREATE INDEX IF NOT EXISTS ix_dead_letters_message"
                " ON dead_letters (app_id, message_id)"
            ),
        ),
    ),
    Migration(
        8,
        "erasure: expunged payloads and bodies, per app by age, and expunged messages",
        steps(
            add_column("messages", "expunged", "BOOLEAN NOT NULL DEFAULT false"),
            add_column("attempts", "expunged", "BOOLEAN NOT NULL DEFAULT false"),
            add_column("dead_letters", "expunged", "BOOLEAN NOT NULL DEFAULT false"),
            statements(
                "CREATE INDEX IF NOT EXISTS ix_messages_app_expunged_ts"
                " ON messages (app_id, expunged, ts_ms)",
                "CREATE INDEX IF NOT EXISTS ix_attempts_app_expunged_ts"
                " ON attempts (app_id, expunged, ts_ms)",
            ),
            _expunged_table,
        ),
    ),
    Migration(
        9,
        "the received log marks requests that repeated a source's dedupe key",
        add_column("inbound_routings", "duplicate_of", "VARCHAR"),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def migrate(engine: Engine, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply every migration the database lacks, in order; return the versions applied.

    Blocks on the database, and while another process migrates the same one. Raises
    :class:`SchemaTooNew` when the database knows a version this code does not, and
    SQLAlchemy errors when it is unreachable or refuses a statement (nothing is kept then).
    """
    latest = migrations[-1].version
    with engine.connect() as conn, conn.begin():
        _lock(conn)
        schema.schema_version.create(conn, checkfirst=True)
        version = schema.schema_version.c.version
        done = set(conn.execute(select(version)).scalars())
        newest = conn.execute(select(func.max(version))).scalar()
        if newest is not None and newest > latest:
            raise SchemaTooNew(f"audit schema version {newest} is newer than {latest}")
        applied = []
        for migration in migrations:
            if migration.version in done:
                continue
            migration.apply(conn)
            row = {"version": migration.version, "applied_at": clock.iso()}
            conn.execute(schema.schema_version.insert().values(row))
            applied.append(migration.version)
            log.info("audit schema migrated", extra={"version": migration.version})
    return applied


def _lock(conn: Connection) -> None:
    """Hold the database's migration lock until the transaction ends."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
    elif conn.dialect.name == "sqlite":
        # pysqlite begins lazily, at the first write; take the write lock now instead, so a
        # second process waits here (busy timeout) rather than failing on a half-made schema.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
