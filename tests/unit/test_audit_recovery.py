"""What resend and recover deliver again, on a real SQLite database: the last attempt of each
message to the endpoint, only when it ended failed, rebuilt as a first-attempt delivery."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.audit import redelivery
from services.audit.rows import Origin, attempt_rows, epoch_ms
from services.audit.store import Store
from shared.contracts import Contract, validate
from tests.support.records import example

APP = "app_01JD3QXW2N0B7C4D5E6F7G8H9J"
EP = "ep_01JD3QXZ3P4Q5R6S7T8V9W0X1Y"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    yield opened
    opened.close()


def attempt(n: int, message: str, minute: int, outcome: str, **changes: Any) -> dict[str, Any]:
    record = example(Contract.ATTEMPT, "retrying")
    return {
        **record,
        "id": f"atm_01JD3QYB00B1C2D3E4F5G6H7{n:02d}",
        "message_id": message,
        "timestamp": f"2026-11-22T10:{minute:02d}:00.000Z",
        "outcome": outcome,
        **changes,
    }


def write(store: Store, *attempts: dict[str, Any]) -> None:
    rows = [row for i, a in enumerate(attempts) for row in attempt_rows(a, Origin("t", 0, i))]
    store.write_batch(rows)


def test_recover_takes_each_message_whose_last_attempt_since_ended_failed(store: Store) -> None:
    write(
        store,
        attempt(1, "msg_exhausted", 10, "retrying"),
        attempt(2, "msg_exhausted", 20, "exhausted"),
        attempt(3, "msg_later_ok", 11, "failed"),
        attempt(4, "msg_later_ok", 12, "succeeded"),
        attempt(5, "msg_pending", 13, "retrying"),
        attempt(6, "msg_too_old", 1, "failed"),
        attempt(7, "msg_other_ep", 14, "failed", endpoint_id="ep_other"),
        attempt(8, "msg_other_app", 14, "failed", app_id="app_other"),
        attempt(9, "msg_gone", 15, "failed"),
    )
    since = epoch_ms("2026-11-22T10:05:00Z")
    found = redelivery.ended_failed_since(store.engine, APP, EP, since)
    assert sorted(r["message_id"] for r in found) == ["msg_exhausted", "msg_gone"]
    assert {r["id"] for r in found} == {attempt(2, "", 0, "")["id"], attempt(9, "", 0, "")["id"]}


def test_resend_rebuilds_a_first_attempt_delivery_from_the_last_attempt(store: Store) -> None:
    write(
        store,
        attempt(1, "msg_1", 10, "retrying"),
        attempt(2, "msg_1", 11, "succeeded", request={
            "url": "https://example.com/hooks", "method": "POST",
            "headers": {"content-type": "application/x-www-form-urlencoded"},
            "body": "payload=%7B%7D",
        }),
    )  # fmt: skip
    row = redelivery.last_attempt(store.engine, APP, "msg_1", EP)
    assert row is not None and row["id"] == attempt(2, "", 0, "")["id"]
    assert redelivery.last_attempt(store.engine, "app_other", "msg_1", EP) is None
    delivery = validate(Contract.DELIVERY, redelivery.delivery_from(row, 42))
    assert delivery["attempt"] == 1 and delivery["due_at"] is None
    assert delivery["config_offset"] == 42 and delivery["body"] == "payload=%7B%7D"
    assert delivery["content_type"] == "application/x-www-form-urlencoded"
    assert delivery["message_id"] == "msg_1" and delivery["endpoint_id"] == EP
    assert delivery["id"] != example(Contract.ATTEMPT, "retrying")["delivery_id"]


def test_a_message_its_transform_failed_on_goes_back_to_the_router(store: Store) -> None:
    failed = example(Contract.ATTEMPT, "transform_failed")
    write(store, {**failed, "message_id": "msg_t"}, attempt(2, "msg_ok", 11, "failed"))
    rows = redelivery.ended_failed_since(store.engine, APP, EP, 0)
    unrendered = {r["message_id"]: redelivery.unrendered(r) for r in rows}
    assert unrendered == {"msg_t": True, "msg_ok": False}
    message = {"id": "msg_t", "event_type": "invoice.paid", "payload": {"n": 3}}
    message |= {"channels": ["eu"], "timestamp": "2026-11-22T10:15:30.000Z"}
    event = validate(Contract.EVENT, redelivery.event_for(message, APP, EP, 7))
    assert (event["id"], event["endpoint_id"], event["config_offset"]) == ("msg_t", EP, 7)
    assert event["payload"] == {"n": 3} and event["dedupe"] is False
