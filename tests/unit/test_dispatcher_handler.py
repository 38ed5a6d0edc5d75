"""DeliveryHandler with an in-memory view and producer: dead letters, skips, attempt records.

Every delivery example in contracts/ goes through it (the contract test of this consumer).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from services.dispatcher.clients import ClientPool
from services.dispatcher.handler import ENDPOINT_CONCURRENCY, DeliveryHandler, lane_limit
from shared import signing
from shared.config_view import ConfigState
from shared.contracts import Contract, decode, examples
from shared.errors import KafkaUnavailable
from shared.settings import Settings

SETTINGS = Settings(topic_prefix="t.", allow_private_destinations=True)


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True)
class Meta:
    partition: int
    offset: int


class FakeView(ConfigState):
    """A view at config offset ``position`` of a topic whose end is ``end``."""

    def __init__(self, position: int = 10**6, end: int = 10**6) -> None:
        super().__init__()
        self.position, self.end = position, end
        self.waited: list[int] = []

    async def wait_for(self, offset: int, timeout: float = 10.0) -> None:
        self.waited.append(offset)
        if offset > self.position:
            raise KafkaUnavailable("not caught up")

    async def end_offset(self) -> int:
        return self.end

    async def wait_for_writer(self, offset: int, timeout: float = 10.0) -> None:
        # As ConfigView does: an offset past the topic's end waits for the end instead.
        await self.wait_for(min(offset, self.end), timeout)


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes]] = []

    async def send_and_wait(self, topic: str, value: bytes, key: bytes | None = None) -> Meta:
        self.sent.append((topic, key, value))
        return Meta(0, len(self.sent) - 1)


def endpoint_for(delivery: dict[str, Any], **changes: Any) -> dict[str, Any]:
    path = next(p for p in examples(Contract.CONFIG) if p.stem == "endpoint")
    data: dict[str, Any] = orjson.loads(path.read_bytes())["data"]
    secrets = [{"secret": signing.generate_secret(), "expires_at": None}]
    return {**data, "id": delivery["endpoint_id"], "secrets": secrets, **changes}


def handle(raw: bytes, view: FakeView, status: int = 200) -> tuple[FakeProducer, list[Any]]:
    producer, calls = FakeProducer(), []

    def respond(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status)

    async def go() -> None:
        clients = ClientPool(transport=httpx.MockTransport(respond))
        handler = DeliveryHandler(SETTINGS, view, producer, clients)  # type: ignore[arg-type]
        await handler(Record("t.deliveries", 2, 41, b"ep_key", raw))
        await clients.aclose()

    asyncio.run(go())
    return producer, calls


@pytest.mark.parametrize("path", examples(Contract.DELIVERY), ids=lambda p: p.name)
def test_every_delivery_example_yields_one_attempt(path: Path) -> None:
    raw = path.read_bytes()
    delivery = decode(Contract.DELIVERY, raw)
    view = FakeView()
    view.apply(f"endpoint/{delivery['endpoint_id']}", endpoint_for(delivery))
    producer, calls = handle(raw, view)
    assert len(calls) == 1 and calls[0].content == delivery["body"].encode()
    assert view.waited == [delivery.get("config_offset", 0)]
    [(topic, key, value)] = producer.sent
    assert topic == "t.attempts" and key == delivery["endpoint_id"].encode()
    attempt = decode(Contract.ATTEMPT, value)
    assert attempt["outcome"] == "succeeded" and attempt["delivery_id"] == delivery["id"]


def test_bad_record_goes_to_the_dead_topic() -> None:
    producer, calls = handle(b'{"v": 1, "id": "nope"}', FakeView())
    assert calls == []
    [(topic, key, value)] = producer.sent
    assert topic == "t.dead" and key == b"ep_key"
    dead = decode(Contract.DEAD_LETTER, value)
    assert dead["origin"]["offset"] == 41 and dead["origin"]["service"] == "dispatcher"


@pytest.mark.parametrize("state", ["deleted", "disabled"])
def test_deleted_or_disabled_endpoint_gets_nothing(state: str) -> None:
    raw = examples(Contract.DELIVERY)[0].read_bytes()
    delivery = decode(Contract.DELIVERY, raw)
    view = FakeView()
    if state == "disabled":
        view.apply(f"endpoint/{delivery['endpoint_id']}", endpoint_for(delivery, enabled=False))
    producer, calls = handle(raw, view)
    assert calls == [] and producer.sent == []


def test_failed_answer_is_recorded_as_failed() -> None:
    raw = examples(Contract.DELIVERY)[0].read_bytes()
    delivery = decode(Contract.DELIVERY, raw)
    view = FakeView()
    view.apply(f"endpoint/{delivery['endpoint_id']}", endpoint_for(delivery))
    producer, _ = handle(raw, view, status=503)
    attempt = decode(Contract.ATTEMPT, producer.sent[0][2])
    assert attempt["outcome"] == "failed" and attempt["response"]["status"] == 503


def test_lane_limit_is_one_for_ordered_and_unknown_endpoints() -> None:
    view = FakeView()
    delivery = {"endpoint_id": "ep_a"}
    view.apply("endpoint/ep_a", endpoint_for(delivery, ordered=False))
    view.apply("endpoint/ep_b", endpoint_for({"endpoint_id": "ep_b"}, ordered=True))
    assert lane_limit(view, "ep_a") == ENDPOINT_CONCURRENCY
    assert lane_limit(view, "ep_b") == 1
    assert lane_limit(view, "ep_unknown") == 1


def test_config_offset_beyond_the_topic_end_uses_the_view_as_is() -> None:
    raw = examples(Contract.DELIVERY)[0].read_bytes()
    delivery = decode(Contract.DELIVERY, raw)
    view = FakeView(position=5, end=5)  # the delivery names offset 17
    view.apply(f"endpoint/{delivery['endpoint_id']}", endpoint_for(delivery))
    producer, calls = handle(raw, view)
    assert len(calls) == 1 and len(producer.sent) == 1


def test_a_view_behind_a_reachable_offset_keeps_waiting() -> None:
    raw = examples(Contract.DELIVERY)[0].read_bytes()
    delivery = decode(Contract.DELIVERY, raw)
    view = FakeView(position=5, end=100)
    view.apply(f"endpoint/{delivery['endpoint_id']}", endpoint_for(delivery))
    producer = FakeProducer()

    async def go() -> None:
        clients = ClientPool(transport=httpx.MockTransport(lambda _r: httpx.Response(200)))
        handler = DeliveryHandler(SETTINGS, view, producer, clients)  # type: ignore[arg-type]
        task = asyncio.create_task(handler(Record("t.deliveries", 0, 0, None, raw)))
        while len(view.waited) < 2:
            await asyncio.sleep(0.01)
        assert not task.done()
        view.position = 100
        await asyncio.wait_for(task, 5)
        assert len(producer.sent) == 1

    asyncio.run(go())
