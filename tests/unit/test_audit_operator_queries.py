"""The queries behind live streams, tasks, dead-letter ids and erasure, on SQLite and
PostgreSQL: stream positions resume exactly, task pages are bounded and resumable, an erased
message stays erased when its late rows arrive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition

from services.audit import changes, queries, task_pages
from services.audit.batch import sort_batch
from services.audit.changes import ATTEMPTS, MESSAGES
from services.audit.dead_letter_ids import dead_letter_id, parse_dead_letter_id
from services.audit.erasure import erase_older, expunge_message
from services.audit.rows import Origin, attempt_rows, epoch_ms, event_rows
from services.audit.store import Store
from services.audit.task_offsets import TaskOffsets
from services.audit.task_queries import get_task
from shared.contracts import Contract, examples
from shared.errors import Unprocessable
from shared.topics import Topic
from tests.support.audit_rows import APP, EP, OTHER_APP, attempt, event
from tests.support.records import UNIT_PREFIX, consumed, polled

LOGS = (MESSAGES, ATTEMPTS)


def _store_at(store: Store, partition: int, offset: int, record: dict[str, Any]) -> None:
    origin = Origin("t.x", partition, offset)
    convert = attempt_rows if "outcome" in record else event_rows
    store.write_batch(convert(record, origin))


def test_dead_letter_ids_spell_their_place_and_sort_by_time() -> None:
    first, later = dead_letter_id(1795341600000, 2, 77), dead_letter_id(1795341600001, 0, 1)
    assert first.startswith("dl_") and len(first) == 29 and first < later
    assert parse_dead_letter_id(first) == (1795341600000, 2, 77)
    assert parse_dead_letter_id("dl_nope") is None
    assert parse_dead_letter_id("xx_" + first[3:]) is None


def test_a_stream_position_resumes_right_after_the_last_event(store: Store) -> None:
    start = changes.now(store.engine, LOGS, {"app_id": APP})
    _store_at(store, 1, 10, event("m1", "2026-11-22T10:00:00Z"))
    _store_at(store, 0, 5, event("m2", "2026-11-22T09:00:00Z"))  # older time, other partition
    _store_at(store, 0, 6, event("x", "2026-11-22T10:00:00Z", app=OTHER_APP))
    _store_at(store, 2, 3, attempt("m1", "2026-11-22T10:00:01Z"))
    events, after, more = changes.changes(store.engine, LOGS, {"app_id": APP}, start, limit=1)
    assert [e["data"]["id"] for e in events][:1] == ["m2"] and more
    resumed = changes.decode_position(events[0]["id"], LOGS)
    rest, _, _ = changes.changes(store.engine, LOGS, {"app_id": APP}, resumed)
    assert [(e["event"], e["data"].get("message_id", e["data"]["id"])) for e in rest] == [
        ("message", "m1"),
        ("attempt", "m1"),
    ]
    again = changes.decode_position(changes.encode_position(after), LOGS)
    assert again == after
    with pytest.raises(Unprocessable):
        changes.decode_position("not-a-position!", LOGS)


def test_replay_pages_are_bounded_and_resume_from_their_cursor(store: Store) -> None:
    for i in range(5):
        ts = f"2026-11-22T10:00:0{i}Z"
        _store_at(store, 0, i, event(f"m{i}", ts))
        _store_at(
            store, 0, 100 + i, attempt(f"m{i}", ts, outcome="exhausted" if i % 2 else "succeeded")
        )
    params = {"since": "2026-11-22T10:00:01Z", "only": "failed"}
    assert task_pages.replay_total(store.engine, APP, params) == 4
    seen, cursor, examined = [], None, 0
    while True:
        page = task_pages.replay_page(store.engine, APP, params, cursor, 2)
        assert page.examined <= 2
        examined += page.examined
        seen += [row["message_id"] for row in page.redo]
        cursor = page.cursor
        if cursor is None:
            break
    assert examined == 4 and sorted(seen) == ["m1", "m3"]


def test_recover_pages_take_the_latest_failure_of_each_message(store: Store) -> None:
    _store_at(store, 0, 0, attempt("a", "2026-11-22T10:00:00Z", outcome="exhausted"))
    _store_at(store, 0, 1, attempt("a", "2026-11-22T10:00:05Z", outcome="succeeded"))
    _store_at(store, 0, 2, attempt("b", "2026-11-22T10:00:01Z", outcome="failed"))
    _store_at(store, 0, 3, attempt("c", "2026-11-22T10:00:02Z", outcome="exhausted", ep="ep_x"))
    until = epoch_ms("2026-11-22T11:00:00Z")
    params = {"endpoint_id": EP, "since": "2026-11-22T00:00:00Z"}
    assert task_pages.recover_total(store.engine, APP, EP, params["since"], until) == 1
    page = task_pages.recover_page(store.engine, APP, params, until, None, 10)
    assert [row["message_id"] for row in page.redo] == ["b"] and page.cursor is None


def test_an_expunged_message_stays_erased_when_late_rows_arrive(store: Store) -> None:
    _store_at(store, 0, 0, event("m", "2026-11-22T10:00:00Z", payload={"email": "x@y"}))
    _store_at(store, 0, 1, attempt("m", "2026-11-22T10:00:01Z"))
    expunge_message(store.engine, APP, "m", "2026-11-22T11:00:00Z")
    _store_at(store, 0, 2, attempt("m", "2026-11-22T12:00:00Z"))  # a retry stored afterwards
    shown = queries.get_message(store.engine, APP, "m")
    assert shown is not None and shown["payload"] is None and shown["expunged"] is True
    tried = queries.list_attempts(store.engine, APP, message_id="m", limit=10).data
    assert len(tried) == 2
    assert all(a["expunged"] and a["request"]["body"] is None for a in tried)


def test_retention_by_app_erases_only_that_apps_old_rows(store: Store) -> None:
    _store_at(store, 0, 0, event("old", "2026-11-21T10:00:00Z"))
    _store_at(store, 0, 1, event("new", "2026-11-22T10:00:00Z"))
    _store_at(store, 0, 2, event("theirs", "2026-11-21T10:00:00Z", app=OTHER_APP))
    erased = erase_older(store.engine, APP, epoch_ms("2026-11-22T00:00:00Z"))
    assert erased == 1
    assert queries.get_message(store.engine, APP, "old")["expunged"] is True  # type: ignore[index]
    assert "expunged" not in (queries.get_message(store.engine, APP, "new") or {})
    assert "expunged" not in (queries.get_message(store.engine, OTHER_APP, "theirs") or {})


@pytest.mark.parametrize("path", examples(Contract.TASK), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_task_example_is_stored_by_the_log_consumer(store: Store, path: Path) -> None:
    batch = sort_batch(UNIT_PREFIX, polled(consumed(Topic.TASKS, 7, path.read_bytes())))
    assert batch.dead == [] and batch.rows
    store.write_batch(batch.rows)
    store.write_batch(batch.rows)  # read again: nothing changes


def test_a_tasks_state_is_its_newest_progress_record(store: Store) -> None:
    for name in ("replay_request", "progress_done", "progress_running"):
        raw = (Path(examples(Contract.TASK)[0]).parent / f"{name}.json").read_bytes()
        store.write_batch(sort_batch(UNIT_PREFIX, polled(consumed(Topic.TASKS, 1, raw))).rows)
    task = get_task(store.engine, "task_01JD3R0A1B2C3D4E5F6G7H8J9K")
    assert task is not None
    assert (task["status"], task["done"], task["total"]) == ("done", 1200, 1200)


def test_task_offsets_commit_only_below_the_oldest_task_in_hand() -> None:
    tp, other = TopicPartition("t", 0), TopicPartition("t", 1)
    offsets = TaskOffsets()
    for offset in range(5):
        offsets.read(tp, offset)
    offsets.hold(tp, 1)
    offsets.hold(tp, 3)
    offsets.read(other, 9)
    assert offsets.to_commit({tp, other}) == {tp: 1, other: 10}
    offsets.committed({tp: 1, other: 10})
    offsets.release(tp, 1)
    assert offsets.to_commit({tp, other}) == {tp: 3}
    offsets.release(tp, 3)
    assert offsets.to_commit({other}) == {}  # tp was revoked: its next owner commits it
    assert offsets.to_commit({tp}) == {tp: 5}
