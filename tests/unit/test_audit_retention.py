"""Retention on SQLite and PostgreSQL: only old rows go, in bounded batches, one copy at a time."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, func, select

from services.audit import queries
from services.audit.inbound.retention import TABLES
from services.audit.retention import PRUNE_LOCK, Retention, prune
from services.audit.rows import epoch_ms
from services.audit.store import Store
from shared.settings import Settings
from tests.support.audit_rows import APP, EP, attempt, counts, dead_letter, write
from tests.support.audit_rows import event as message
from tests.support.waiting import poll

CUTOFF = "2026-11-22T10:00:00Z"
OLD, NEW = "2026-11-21T09:00:0{}Z", "2026-11-22T10:00:0{}Z"  # a day before / at the cutoff
NO_INBOUND = dict.fromkeys(TABLES, 0) | {"task_progress": 0, "tasks": 0}


def _fill(store: Store) -> None:
    """Five old and two new rows in every table (the channel table holds two per message)."""
    records: list[dict[str, Any]] = []
    for i in range(7):
        ts = (OLD if i < 5 else NEW).format(i)
        records += [
            message(f"m{i}", ts, channels=["eu", "us"]),
            attempt(f"m{i}", ts),
            dead_letter(ts, i),
        ]
    write(store, *records)


def test_prune_deletes_only_what_is_older_than_the_cutoff(store: Store) -> None:
    _fill(store)
    deleted = prune(store.engine, epoch_ms(CUTOFF))
    outbound = {"message_channels": 10, "messages": 5, "attempts": 5, "dead_letters": 5}
    assert deleted == {**outbound, **NO_INBOUND}
    left = counts(store)
    assert (left["messages"], left["message_channels"], left["attempts"]) == (2, 4, 2)
    assert left["dead_letters"] == 2
    page = queries.list_messages(store.engine, APP, channel="us", limit=50)
    assert [m["id"] for m in page.data] == ["m6", "m5"]
    assert len(queries.list_attempts(store.engine, APP, endpoint_id=EP, limit=50).data) == 2
    assert prune(store.engine, epoch_ms(CUTOFF)) == dict.fromkeys(deleted, 0)


def test_prune_deletes_in_bounded_transactions(store: Store) -> None:
    _fill(store)
    per_delete: list[int] = []

    def record(_conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE"):
            per_delete.append(args[-2].rowcount)

    event.listen(store.engine, "after_cursor_execute", record)
    try:
        prune(store.engine, epoch_ms(CUTOFF), batch_rows=2)
    finally:
        event.remove(store.engine, "after_cursor_execute", record)
    assert max(per_delete) == 2 and sum(per_delete) == 25
    # Each table: full batches, then one short batch that tells it is done (the two task
    # tables are empty here).
    assert len(per_delete) == sum(n // 2 + 1 for n in (10, 5, 5, 5, 0, 0))


def test_prune_stops_between_batches_when_asked(store: Store) -> None:
    _fill(store)
    asked: list[bool] = []

    def stop_after_one() -> bool:
        asked.append(True)
        return len(asked) > 1

    deleted = prune(store.engine, epoch_ms(CUTOFF), batch_rows=3, should_stop=stop_after_one)
    outbound = {"message_channels": 3, "messages": 0, "attempts": 0, "dead_letters": 0}
    assert deleted == {**outbound, **NO_INBOUND}


def test_one_postgresql_copy_prunes_at_a_time(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers are serial anyway")
    _fill(store)
    with store.engine.connect() as other:
        assert other.execute(select(func.pg_try_advisory_lock(PRUNE_LOCK))).scalar()
        assert prune(store.engine, epoch_ms(CUTOFF)) is None
        assert counts(store)["messages"] == 7
        other.execute(select(func.pg_advisory_unlock(PRUNE_LOCK)))
    assert prune(store.engine, epoch_ms(CUTOFF)) is not None
    assert counts(store)["messages"] == 2


def test_retention_runs_rounds_until_stopped(store: Store) -> None:
    _fill(store)
    keep_s = 86400.0
    now_s = epoch_ms(CUTOFF) / 1000 + keep_s
    retention = Retention(store.engine, keep_s, every_s=3600, now=lambda: now_s)

    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(retention.run(stop))
        await asyncio.to_thread(poll, lambda: counts(store)["messages"] == 2, 30)
        stop.set()
        await asyncio.wait_for(task, 10)  # the hour-long wait ends with the stop

    asyncio.run(main())
    assert counts(store)["attempts"] == 2


def test_a_retention_of_zero_keeps_everything(store: Store) -> None:
    _fill(store)
    retention = Retention(store.engine, 0, every_s=1)
    asyncio.run(asyncio.wait_for(retention.run(asyncio.Event()), 10))
    assert counts(store)["messages"] == 7


def test_retention_settings() -> None:
    assert Settings.from_env({}).retention == 30 * 86400
    assert Settings.from_env({}).retention_interval == 600
    env = {"HOOKBUS_RETENTION": "7d", "HOOKBUS_RETENTION_INTERVAL": "30s"}
    assert (Settings.from_env(env).retention, Settings.from_env(env).retention_interval) == (
        7 * 86400,
        30,
    )
    assert Settings.from_env({"HOOKBUS_RETENTION": "0"}).retention == 0
