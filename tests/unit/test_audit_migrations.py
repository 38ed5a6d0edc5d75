"""Audit schema migrations on SQLite and PostgreSQL: an old database reaches today's shape, copies
starting together migrate once, a failing migration keeps nothing, and plain URLs work."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, inspect, select
from sqlalchemy.engine import make_url

from services.audit import queries
from services.audit.database import driver_url
from services.audit.migrations import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Migration,
    migrate,
    statements,
    steps,
)
from services.audit.rows import epoch_ms
from services.audit.schema import schema_version
from services.audit.store import Store
from tests.postgres_server import fresh_database
from tests.support import audit_schema_v1 as v1
from tests.support.audit_rows import APP, attempt, event, write


@pytest.fixture
def other_url(database_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second empty database of the same kind as ``database_url``."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'other.sqlite3'}"
        return
    with fresh_database(request.getfixturevalue("postgres_url")) as url:
        yield url


def shape(engine: Engine) -> dict[str, Any]:
    """Tables, columns, keys, indexes and unique constraints, as the database reports them."""
    seen = inspect(engine)
    found: dict[str, Any] = {}
    for table in sorted(seen.get_table_names()):
        columns = sorted(
            (c["name"], str(c["type"]), c["nullable"], c["default"])
            for c in seen.get_columns(table)
        )
        indexes = sorted(
            (i["name"], tuple(i["column_names"]), bool(i["unique"]))
            for i in seen.get_indexes(table)
        )
        uniques = sorted(
            (u["name"], tuple(u["column_names"])) for u in seen.get_unique_constraints(table)
        )
        primary = seen.get_pk_constraint(table)["constrained_columns"]
        found[table] = {"columns": columns, "pk": primary, "indexes": indexes, "unique": uniques}
    return found


def versions(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(schema_version.c.version)).scalars())


def test_migrations_are_numbered_one_by_one() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert len(MIGRATIONS) == SCHEMA_VERSION


def _version_1_database(url: str) -> None:
    """A database as hookbus left it at schema version 1, with a message in two channels."""
    engine = create_engine(driver_url(url))
    v1.metadata.create_all(engine)
    record = event("old", "2026-11-22T10:00:00Z", channels=["eu", "us"])
    with engine.begin() as conn:
        conn.execute(v1.schema_version.insert().values(version=1, applied_at="then"))
        conn.execute(
            v1.messages.insert().values(
                app_id=APP,
                id="old",
                event_type=record["event_type"],
                payload="{}",
                channels='["eu", "us"]',
                timestamp=record["timestamp"],
                ts_ms=epoch_ms(record["timestamp"]),
                kafka_partition=0,
                kafka_offset=0,
            )
        )
        for channel in ("eu", "us"):
            row = {"app_id": APP, "channel": channel, "message_id": "old"}
            conn.execute(v1.message_channels.insert().values(row))
    engine.dispose()


def test_an_old_database_migrates_to_the_shape_of_a_new_one(
    database_url: str, other_url: str
) -> None:
    _version_1_database(database_url)
    migrated = Store.open(database_url)
    fresh = Store.open(other_url)
    try:
        assert versions(migrated.engine) == list(range(1, SCHEMA_VERSION + 1))
        assert shape(migrated.engine) == shape(fresh.engine)
        # Rows written before the channel index existed are found through it.
        write(migrated, event("new", "2026-11-22T11:00:00Z", channels=["eu"]))
        page = queries.list_messages(migrated.engine, APP, channel="eu", limit=10)
        assert [m["id"] for m in page.data] == ["new", "old"]
        page = queries.list_messages(migrated.engine, APP, channel="us", limit=10)
        assert [m["id"] for m in page.data] == ["old"]
    finally:
        migrated.close()
        fresh.close()


def test_copies_starting_together_migrate_once(database_url: str) -> None:
    copies = 4
    together = threading.Barrier(copies)

    def start() -> list[int]:
        together.wait(timeout=30)
        store = Store.open(database_url)
        try:
            return versions(store.engine)
        finally:
            store.close()

    with ThreadPoolExecutor(copies) as pool:
        seen = [future.result() for future in [pool.submit(start) for _ in range(copies)]]
    assert seen == [list(range(1, SCHEMA_VERSION + 1))] * copies


def _explode(_conn: Connection) -> None:
    raise RuntimeError("migration failed half way")


def test_a_failing_migration_keeps_nothing_and_a_fixed_one_applies(database_url: str) -> None:
    Store.open(database_url).close()
    engine = create_engine(driver_url(database_url))
    probe = "CREATE INDEX IF NOT EXISTS ix_probe ON attempts (outcome)"
    broken = Migration(SCHEMA_VERSION + 1, "probe", steps(statements(probe), _explode))
    try:
        with pytest.raises(RuntimeError, match="half way"):
            migrate(engine, (*MIGRATIONS, broken))
        assert "ix_probe" not in {i["name"] for i in inspect(engine).get_indexes("attempts")}
        assert versions(engine) == list(range(1, SCHEMA_VERSION + 1))

        fixed = Migration(SCHEMA_VERSION + 1, "probe", statements(probe))
        assert migrate(engine, (*MIGRATIONS, fixed)) == [SCHEMA_VERSION + 1]
        assert migrate(engine, (*MIGRATIONS, fixed)) == []  # recorded: never again
        assert "ix_probe" in {i["name"] for i in inspect(engine).get_indexes("attempts")}
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://u:p@db.example:5432/hookbus", "postgresql+psycopg"),
        ("postgres://u:p@db.example/hookbus?sslmode=require", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db.example/hookbus", "postgresql+psycopg"),
        ("postgresql+psycopg2://u@db.example/hookbus", "postgresql+psycopg2"),
        ("sqlite:////var/lib/hookbus/audit.sqlite3", "sqlite"),
    ],
)
def test_plain_postgresql_urls_mean_psycopg_3(given: str, driver: str) -> None:
    url = driver_url(given)
    assert url.drivername == driver
    original = make_url(given)
    assert (url.host, url.database, url.query) == (original.host, original.database, original.query)


def test_a_pasted_postgres_url_opens_the_store(postgres_url: str) -> None:
    with fresh_database(postgres_url) as url:
        pasted = make_url(url).set(drivername="postgres").render_as_string(hide_password=False)
        assert pasted.startswith("postgres://")
        store = Store.open(pasted)
        try:
            assert store.engine.dialect.driver == "psycopg"
            write(store, attempt("m1", "2026-11-22T10:00:00Z"))
            assert len(queries.list_attempts(store.engine, APP, limit=10).data) == 1
        finally:
            store.close()
