"""Operational events as records: valid events of the built-in app, fixed ids for what must be
told once, and nothing about the operational app itself."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from shared.contracts import Contract, validate
from shared.ids import has_prefix
from shared.operational import (
    EVENT_TYPES,
    OPERATIONAL_APP_ID,
    operational_app,
    operational_event,
    publish_operational,
    publish_task_completed,
)


class Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None]] = []

    async def send_and_wait(self, topic: str, value: bytes | None, key: bytes | None) -> Any:
        self.sent.append((topic, key, value))

        class Meta:
            partition, offset = 0, len(self.sent)

        return Meta


def test_the_builtin_app_has_a_fixed_id_and_the_uid_operational() -> None:
    app = operational_app("2026-01-01T00:00:00.000Z")
    assert app["id"] == OPERATIONAL_APP_ID == "app_0000000000QS72RA4SZP1TEVC9"
    assert has_prefix(app["id"], "app") and app["uid"] == "operational"


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_operational_event_is_a_valid_message_of_the_builtin_app(event_type: str) -> None:
    record = validate(Contract.EVENT, operational_event(event_type, {"x": 1}))
    assert record["app_id"] == OPERATIONAL_APP_ID and record["dedupe"] is False


def test_an_event_told_once_has_an_id_fixed_by_what_happened() -> None:
    first = operational_event("source.verified", {}, once_key="src_1")
    again = operational_event("source.verified", {}, once_key="src_1")
    other = operational_event("source.verified", {}, once_key="src_2")
    assert first["id"] == again["id"] != other["id"] and first["dedupe"] is True
    with pytest.raises(ValueError, match="not an operational event type"):
        operational_event("endpoint.renamed", {})


def test_nothing_is_published_about_the_operational_app_itself() -> None:
    producer = Producer()
    about_own = {"app_id": OPERATIONAL_APP_ID, "endpoint_id": "ep_1"}
    assert not asyncio.run(
        publish_operational(producer, "p.events", "endpoint.created", about_own)  # type: ignore[arg-type]
    )
    assert asyncio.run(
        publish_operational(producer, "p.events", "endpoint.created", {"app_id": "app_x"})  # type: ignore[arg-type]
    )
    [(topic, key, _value)] = producer.sent
    assert topic == "p.events" and key == OPERATIONAL_APP_ID.encode()


def test_a_finished_task_is_told_once_with_its_progress() -> None:
    producer = Producer()
    task = {
        "id": "task_1",
        "kind": "replay",
        "app_id": "app_x",
        "status": "done",
        "total": 10,
        "done": 10,
        "created_at": "2026-01-01T00:00:00.000Z",
        "finished_at": "2026-01-01T00:01:00.000Z",
    }
    assert asyncio.run(publish_task_completed(producer, "p.events", task))  # type: ignore[arg-type]
    [(_topic, _key, value)] = producer.sent
    record = orjson.loads(value or b"")
    assert record["event_type"] == "task.completed" and record["dedupe"] is True
    assert record["payload"] == {
        "task_id": "task_1",
        "kind": "replay",
        "app_id": "app_x",
        "status": "done",
        "total": 10,
        "done": 10,
        "finished_at": "2026-01-01T00:01:00.000Z",
    }
    assert record["id"] == operational_event("task.completed", {}, once_key="task_1")["id"]
