"""Every list the log API serves reads an index in page order, on SQLite and PostgreSQL.

Each list query is captured as the query functions send it and explained by the database.
On PostgreSQL, sequential scans and sorts are priced out first (the tables are small, so the
planner would happily scan them otherwise): a plan that still holds one has no index to use.
On SQLite, no table may be scanned without an index and no temporary sort may appear. A page
after a cursor must start its index range at the cursor instead of reading the earlier pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, event

from services.audit import queries
from services.audit.store import Store
from tests.support.audit_rows import APP, EP, attempt, dead_letter, write
from tests.support.audit_rows import event as message

CURSOR = (1795341600000, "msg_x")
DEAD_CURSOR = (1795341600000, "t.x", 0, 3)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    write(
        opened,
        message("m1", "2026-11-22T10:00:00Z", channels=["eu"]),
        attempt("m1", "2026-11-22T10:00:01Z"),
        dead_letter("2026-11-22T10:00:02Z", 1),
    )
    yield opened
    opened.close()


Fetch = Callable[[Any, Any], Any]
LISTS: dict[str, Fetch] = {
    "messages": lambda db, key: queries.list_messages(db, APP, limit=50, cursor=key),
    "messages by event type": lambda db, key: queries.list_messages(
        db, APP, event_type="invoice.paid", limit=50, cursor=key
    ),
    "messages by channel": lambda db, key: queries.list_messages(
        db, APP, channel="eu", limit=50, cursor=key
    ),
    "messages by channel and type": lambda db, key: queries.list_messages(
        db, APP, channel="eu", event_type="invoice.paid", limit=50, cursor=key
    ),
    "messages after and before": lambda db, key: queries.list_messages(
        db, APP, since_ms=1, until_ms=1795341600000, limit=50, cursor=key
    ),
    "messages by channel after": lambda db, key: queries.list_messages(
        db, APP, channel="eu", since_ms=1, limit=50, cursor=key
    ),
    "attempts of an endpoint": lambda db, key: queries.list_attempts(
        db, APP, endpoint_id=EP, limit=50, cursor=key
    ),
    "succeeded attempts of an endpoint": lambda db, key: queries.list_attempts(
        db, APP, endpoint_id=EP, outcomes=["succeeded"], limit=50, cursor=key
    ),
    "failed attempts of an endpoint": lambda db, key: queries.list_attempts(
        db, APP, endpoint_id=EP, outcomes=["failed", "exhausted"], limit=50, cursor=key
    ),
    "attempts of a message": lambda db, key: queries.list_attempts(
        db, APP, message_id="m1", limit=50, cursor=key
    ),
    "dead letters": lambda db, key: queries.list_dead_letters(db, limit=50, cursor=key),
    "dead letters of a kind": lambda db, key: queries.list_dead_letters(
        db, kind="exhausted", limit=50, cursor=key
    ),
}


def _captured(store: Store, fetch: Fetch, key: Any) -> tuple[str, Any]:
    """The one SELECT ``fetch`` sends, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        fetch(store.engine, key)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    assert len(seen) == 1, seen
    return seen[0]


def _postgres_plan(conn: Connection, statement: str, parameters: Any) -> list[dict[str, Any]]:
    conn.exec_driver_sql("SET enable_seqscan = off")
    conn.exec_driver_sql("SET enable_sort = off")
    conn.exec_driver_sql("SET enable_bitmapscan = off")
    found = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
    nodes: list[dict[str, Any]] = []
    pending = [found[0]["Plan"]]
    while pending:
        node = pending.pop()
        nodes.append(node)
        pending += node.get("Plans", [])
    return nodes


def _check_postgres(conn: Connection, statement: str, parameters: Any, paged: bool) -> None:
    nodes = _postgres_plan(conn, statement, parameters)
    kinds = [node["Node Type"] for node in nodes]
    assert not {"Seq Scan", "Sort", "Incremental Sort"} & set(kinds), kinds
    if paged:
        conditions = " ".join(str(node.get("Index Cond", "")) for node in nodes)
        assert "ts_ms <=" in conditions or "at_ms <=" in conditions, nodes


def _check_sqlite(conn: Connection, statement: str, parameters: Any, paged: bool) -> None:
    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    details = [row[-1] for row in rows]
    assert not [d for d in details if "TEMP B-TREE" in d], details
    assert not [d for d in details if d.startswith("SCAN") and "INDEX" not in d], details
    if paged:
        assert [d for d in details if "ts_ms<?" in d or "at_ms<?" in d], details


@pytest.mark.parametrize("paged", [False, True], ids=["first page", "next page"])
@pytest.mark.parametrize("name", list(LISTS))
def test_each_list_reads_an_index_in_page_order(store: Store, name: str, paged: bool) -> None:
    key = (DEAD_CURSOR if name.startswith("dead") else CURSOR) if paged else None
    statement, parameters = _captured(store, LISTS[name], key)
    check = _check_postgres if store.engine.dialect.name == "postgresql" else _check_sqlite
    with store.engine.connect() as conn:
        check(conn, statement, parameters, paged)
