"""The audit database on a real SQLite file and a real PostgreSQL server: idempotent batches,
filters, pages, app isolation."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from services.audit import queries
from services.audit.database import SchemaTooNew, refused_for_good
from services.audit.migrations import SCHEMA_VERSION
from services.audit.paging import Key
from services.audit.schema import schema_version
from services.audit.store import Store
from shared.contracts import Contract
from tests.support.audit_rows import APP, EP, OTHER_APP, OTHER_EP, attempt, counts, event, write
from tests.support.records import example


def walk(fetch: Any, limit: int) -> list[list[str]]:
    """Every page of a list as lists of ids, following the keys."""
    pages, key = [], None
    while True:
        page = fetch(limit=limit, cursor=key)
        pages.append([item["id"] for item in page.data])
        key = page.next_key
        if key is None:
            return pages


def _url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def test_open_creates_sqlite_directory_schema_and_wal(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'nested' / 'audit.sqlite3'}")
    assert (tmp_path / "nested" / "audit.sqlite3").exists()
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    store.close()


def test_schema_is_versioned_and_reopens(store: Store) -> None:
    every = list(range(1, SCHEMA_VERSION + 1))
    with store.engine.connect() as conn:
        versions = conn.execute(select(schema_version.c.version)).scalars().all()
    assert sorted(versions) == every
    again = Store.open(_url(store))  # a restart finds everything in place
    assert counts(again)["schema_version"] == len(every)
    again.close()


def test_a_newer_schema_is_refused(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(schema_version.insert().values(version=SCHEMA_VERSION + 1, applied_at="x"))
    with pytest.raises(SchemaTooNew):
        Store.open(_url(store))


def test_replaying_a_batch_changes_nothing(store: Store) -> None:
    dead = example(Contract.DEAD_LETTER, "bad_record")
    batch = [event("msg_1", "2026-11-22T10:00:00Z"), attempt("msg_1", "2026-11-22T10:00:01Z"), dead]
    write(store, *batch)
    before = counts(store)
    write(store, *batch)
    assert counts(store) == before
    assert before["messages"] == before["attempts"] == before["dead_letters"] == 1
    # The first write of a key wins: a later record with the same id does not overwrite it.
    write(store, event("msg_1", "2026-11-22T10:00:00Z", event_type="other.type"))
    kept = queries.get_message(store.engine, APP, "msg_1")
    assert kept is not None and kept["event_type"] == "invoice.paid"


def test_messages_newest_first_by_time_not_text(store: Store) -> None:
    # As text "10:00:00Z" sorts after "10:00:00.500Z"; as time it is earlier.
    write(store, event("early", "2026-11-22T10:00:00Z"), event("late", "2026-11-22T10:00:00.500Z"))
    page = queries.list_messages(store.engine, APP, limit=10)
    assert [m["id"] for m in page.data] == ["late", "early"]
    assert page.data[0] == {
        "id": "late",
        "event_type": "invoice.paid",
        "payload": {"invoice_id": "inv_1", "amount": 4200, "currency": "EUR"},
        "channels": ["billing"],
        "timestamp": "2026-11-22T10:00:00.500Z",
    }


def test_message_filters(store: Store) -> None:
    write(
        store,
        event("a", "2026-11-22T10:00:01Z", event_type="user.created", channels=["eu", "us"]),
        event("b", "2026-11-22T10:00:02Z", event_type="user.deleted", channels=["us"]),
        event("c", "2026-11-22T10:00:03Z", event_type="user.created", channels=[]),
    )

    def listed(**filters: Any) -> list[str]:
        page = queries.list_messages(store.engine, APP, limit=10, **filters)
        return [m["id"] for m in page.data]

    assert listed(event_type="user.created") == ["c", "a"]
    assert listed(channel="us") == ["b", "a"]
    assert listed(channel="eu", event_type="user.deleted") == []
    t1, t3 = 1795341601000, 1795341603000  # 10:00:01Z and 10:00:03Z
    assert listed(since_ms=t1) == ["c", "b"]
    assert listed(until_ms=t3) == ["b", "a"]
    assert listed(since_ms=t1, until_ms=t3) == ["b"]


def test_pages_cover_every_row_once_even_with_equal_timestamps(store: Store) -> None:
    same = "2026-11-22T10:00:00Z"
    write(store, *(event(f"m{i}", same if i % 2 else f"2026-11-22T10:00:0{i}Z") for i in range(7)))
    pages = walk(lambda **kw: queries.list_messages(store.engine, APP, **kw), limit=3)
    assert [len(page) for page in pages] == [3, 3, 1]
    flat = [msg_id for page in pages for msg_id in page]
    assert sorted(flat) == [f"m{i}" for i in range(7)]
    assert flat == [m["id"] for m in queries.list_messages(store.engine, APP, limit=50).data]


def test_apps_never_see_each_other(store: Store) -> None:
    mine = attempt("shared-id", "2026-11-22T10:00:00Z")
    write(store, event("shared-id", "2026-11-22T10:00:00Z", app=OTHER_APP), mine)
    assert queries.get_message(store.engine, APP, "shared-id") is None
    assert queries.get_message(store.engine, OTHER_APP, "shared-id") is not None
    assert queries.list_messages(store.engine, APP, limit=10).data == []
    assert queries.get_attempt(store.engine, OTHER_APP, mine["id"]) is None
    assert queries.list_attempts(store.engine, OTHER_APP, endpoint_id=EP, limit=10).data == []
    assert queries.endpoint_stats(store.engine, OTHER_APP, EP)["succeeded"] == 0


def test_attempt_shape_and_filters(store: Store) -> None:
    records = [
        attempt("m1", "2026-11-22T10:00:01Z", "succeeded"),
        attempt("m1", "2026-11-22T10:00:02Z", "retrying", response=None, error="timeout"),
        attempt("m2", "2026-11-22T10:00:03Z", "failed"),
        attempt("m2", "2026-11-22T10:00:04Z", "exhausted"),
        attempt("m2", "2026-11-22T10:00:05Z", "succeeded", ep=OTHER_EP),
    ]
    write(store, *records)

    def listed(**filters: Any) -> list[str]:
        return [a["id"] for a in queries.list_attempts(store.engine, APP, limit=10, **filters).data]

    ids_ = [r["id"] for r in records]
    assert listed(endpoint_id=EP) == ids_[3::-1]
    assert listed(endpoint_id=EP, outcomes=["failed", "exhausted"]) == [ids_[3], ids_[2]]
    assert listed(message_id="m2") == ids_[:1:-1]
    shown = queries.get_attempt(store.engine, APP, ids_[1])
    expected = {k: v for k, v in records[1].items() if k not in ("v", "app_id")}
    assert shown == expected


def test_endpoint_stats(store: Store) -> None:
    empty = queries.endpoint_stats(store.engine, APP, EP)
    assert empty == {
        "succeeded": 0,
        "retrying": 0,
        "failed": 0,
        "exhausted": 0,
        "last_success_at": None,
        "last_failure_at": None,
    }
    write(
        store,
        attempt("m1", "2026-11-22T10:00:01Z", "succeeded"),
        attempt("m2", "2026-11-22T10:00:02.250Z", "succeeded"),
        attempt("m3", "2026-11-22T10:00:03Z", "retrying"),
        attempt("m3", "2026-11-22T10:00:04Z", "exhausted"),
        attempt("m4", "2026-11-22T10:00:09Z", "failed", ep=OTHER_EP),
    )
    assert queries.endpoint_stats(store.engine, APP, EP) == {
        "succeeded": 2,
        "retrying": 1,
        "failed": 0,
        "exhausted": 1,
        "last_success_at": "2026-11-22T10:00:02.250Z",
        "last_failure_at": "2026-11-22T10:00:04.000Z",
    }


def test_dead_letters_listed_newest_first(store: Store) -> None:
    base = example(Contract.DEAD_LETTER, "bad_record")
    letters = [
        {**base, "at": f"2026-11-22T10:00:0{i}Z", "origin": {**base["origin"], "offset": i}}
        for i in range(5)
    ]
    letters[4]["kind"] = "exhausted"
    # The same failure dead-lettered again (a replay) lands elsewhere on the dead topic.
    write(store, *letters, {**letters[2], "at": "2026-11-22T10:00:09Z"})
    fetch = queries.list_dead_letters
    pages = [
        [d["offset"] for d in page]
        for page in _dead_pages(lambda key: fetch(store.engine, limit=2, cursor=key))
    ]
    assert pages == [[4, 3], [2, 1], [0]]
    only = fetch(store.engine, kind="exhausted", limit=10).data
    assert [(d["offset"], d["origin"]["service"]) for d in only] == [(4, "router")]


def _dead_pages(fetch: Any) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    key: Key | None = None
    while True:
        page = fetch(key)
        pages.append(page.data)
        key = page.next_key
        if key is None:
            return pages


class _DriverError(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__("driver says no")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "for_good"),
    [
        (OperationalError("x", {}, _DriverError("54000")), True),  # index row too large
        (OperationalError("x", {}, _DriverError("08006")), False),  # connection lost
        (OperationalError("x", {}, _DriverError(None)), False),
        (OperationalError("x", {}, Exception("database is locked")), False),
        (DataError("x", {}, Exception("string or blob too big")), True),
        (IntegrityError("x", {}, _DriverError("23502")), True),
        (PoolTimeout("pool exhausted"), False),
    ],
)
def test_refusals_for_good_are_told_from_outages(error: Exception, for_good: bool) -> None:
    assert refused_for_good(error) is for_good  # type: ignore[arg-type]


def test_what_postgresql_refuses_for_good_is_recognised(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite stores these values")
    for broken in (
        event("nul\x00byte", "2026-11-22T10:00:00Z"),
        # Random text does not compress below the size limit of a btree index entry.
        event("long", "2026-11-22T10:00:00Z", channels=[os.urandom(3000).hex()]),
    ):
        with pytest.raises(SQLAlchemyError) as caught:
            write(store, broken)
        assert refused_for_good(caught.value)
