"""DeliveryHandler with an in-memory view and producer: dead letters, skips, attempt records.

Every delivery example in contracts/ goes through it (the contract test of this consumer).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from services.dispatcher.flow.lanes import Job
from services.dispatcher.handler import ENDPOINT_CONCURRENCY, DeliveryHandler, lane_limit
from services.dispatcher.intake.offsets import OffsetTracker
from services.dispatcher.targets.clients import ClientPool
from shared import clock, signing
from shared.config_state import ConfigState
from shared.contracts import Contract, decode, encode, examples
from shared.errors import KafkaUnavailable
from shared.operational import OPERATIONAL_APP_ID
from shared.settings import Settings
from shared.topics import MAX_VALUE_BYTES

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


class FakeWriter:
    def __init__(self) -> None:
        self.updates: list[tuple[str, dict[str, Any], bool]] = []

    async def update(self, endpoint_id: str, changes: dict[str, Any], touch: bool = False) -> bool:
        self.updates.append((endpoint_id, changes, touch))
        return True


def job_for(raw: bytes, key: bytes | None = b"ep_key") -> Job:
    return Job("t.deliveries-2", "ep_key", Record("t.deliveries", 2, 41, key, raw), OffsetTracker())


def handle(
    raw: bytes,
    view: FakeView,
    status: int = 200,
    settings: Settings = SETTINGS,
    headers: dict[str, str] | None = None,
    writer: FakeWriter | None = None,
    job: Job | None = None,
) -> tuple[FakeProducer, list[Any], float | None]:
    producer, calls, result = FakeProducer(), [], []

    def respond(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status, headers=headers)

    async def go() -> None:
        clients = ClientPool(transport=httpx.MockTransport(respond))
        handler = DeliveryHandler(
            settings,
            view,  # type: ignore[arg-type]
            producer,  # type: ignore[arg-type]
            clients,
            writer,  # type: ignore[arg-type]
            rng=lambda: 0.5,  # no jitter
        )
        result.append(await handler(job or job_for(raw)))
        await clients.aclose()

    asyncio.run(go())
    return producer, calls, result[0]


def sent_to(producer: FakeProducer, topic: str) -> list[dict[str, Any]]:
    return [orjson.loads(value) for t, _key, value in producer.sent if t == topic]


@pytest.mark.parametrize("path", examples(Contract.DELIVERY), ids=lambda p: p.name)
def test_every_delivery_example_yields_one_attempt(path: Path) -> None:
    raw = path.read_bytes()
    delivery = decode(Contract.DELIVERY, raw)
    view = FakeView()
    view.apply(f"endpoint/{delivery['endpoint_id']}", endpoint_for(delivery))
    producer, calls, again = handle(raw, view)
    assert again is None
    assert len(calls) == 1 and calls[0].content == delivery["body"].encode()
    assert view.waited == [delivery.get("config_offset", 0)]
    [(topic, key, value)] = producer.sent
    assert topic == "t.attempts" and key == delivery["endpoint_id"].encode()
    attempt = decode(Contract.ATTEMPT, value)
    assert attempt["outcome"] == "succeeded" and attempt["delivery_id"] == delivery["id"]


def test_bad_record_goes_to_the_dead_topic() -> None:
    producer, calls, _ = handle(b'{"v": 1, "id": "nope"}', FakeView())
    assert calls == []
    [(topic, key, value)] = producer.sent
    assert topic == "t.dead" and key == b"ep_key"
    dead = decode(Contract.DEAD_LETTER, value)
    assert dead["origin"]["offset"] == 41 and dead["origin"]["service"] == "dispatcher"


def test_deleted_endpoint_gets_nothing() -> None:
    raw = examples(Contract.DELIVERY)[0].read_bytes()
    producer, calls, _ = handle(raw, FakeView())
    assert calls == [] and producer.sent == []


def test_disabled_endpoint_gets_a_failed_attempt_without_a_request() -> None:
    raw = examples(Contract.DELIVERY)[0].read_bytes()
    delivery = decode(Contract.DELIVERY, raw)
    view = FakeView()
    disabled = endpoint_for(delivery, enabled=False, disabled_reason="the endpoint answered 410")
    view.apply(f"endpoint/{delivery['endpoint_id']}", disabled)
    producer, calls, _ = handle(raw, view)
    assert calls == []
    [attempt] = sent_to(producer, "t.attempts")
    assert attempt["outcome"] == "failed" and attempt["response"] is None
    assert attempt["error"] == "endpoint disabled: the endpoint answered 410"
    assert len(producer.sent) == 1


def with_endpoint(**changes: Any) -> tuple[bytes, dict[str, Any], FakeView]:
    raw = examples(Contract.DELIVERY)[0].read_bytes()
    delivery = decode(Contract.DELIVERY, raw)
    view = FakeView()
    view.apply(f"endpoint/{delivery['endpoint_id']}", endpoint_for(delivery, **changes))
    return raw, delivery, view


def test_failed_answer_is_retried_on_the_tier_of_its_step() -> None:
    raw, delivery, view = with_endpoint()
    producer, _, again = handle(raw, view, status=503)
    assert again is None
    [attempt] = sent_to(producer, "t.attempts")
    assert attempt["outcome"] == "retrying" and attempt["response"]["status"] == 503
    [retry] = sent_to(producer, "t.retry.5s")
    assert retry["id"] == delivery["id"] and retry["attempt"] == 2
    wait = clock.parse(retry["due_at"]) - clock.parse(attempt["timestamp"])
    assert 4.9 <= wait.total_seconds() <= 5.5  # rng 0.5: no jitter
    assert all(key == delivery["endpoint_id"].encode() for _, key, _ in producer.sent)


def test_attempt_log_names_the_delivery_message_app_and_endpoint_but_no_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    raw, delivery, view = with_endpoint()
    endpoint = view.get("endpoint", delivery["endpoint_id"])
    assert endpoint is not None
    secret = endpoint["secrets"][0]["secret"]
    with caplog.at_level(logging.INFO, logger="services.dispatcher.handler"):
        handle(raw, view, status=503)
    [line] = [r for r in caplog.records if r.getMessage() == "attempt recorded"]
    for field in ("delivery_id", "message_id", "app_id", "endpoint_id"):
        key = "id" if field == "delivery_id" else field
        assert getattr(line, field) == delivery[key], field
    assert line.outcome == "retrying"
    assert all(secret not in r.getMessage() and secret not in str(vars(r)) for r in caplog.records)


def test_an_attempt_of_a_body_near_the_record_limit_is_logged_with_the_body_cut() -> None:
    raw, delivery, view = with_endpoint()
    body = '"' * (MAX_VALUE_BYTES - 4096)  # escaped, twice as long in the attempt record
    producer, calls, _ = handle(encode(Contract.DELIVERY, {**delivery, "body": body}), view)
    assert calls[0].content == body.encode()  # the endpoint got all of it
    [(_, _, value)] = [sent for sent in producer.sent if sent[0] == "t.attempts"]
    assert len(value) <= MAX_VALUE_BYTES
    attempt = decode(Contract.ATTEMPT, value)
    assert attempt["outcome"] == "succeeded"
    assert 0 < len(attempt["request"]["body"]) < len(body)


def test_retry_after_lengthens_the_wait_and_picks_a_longer_tier() -> None:
    raw, _, view = with_endpoint()
    producer, _, _ = handle(raw, view, status=429, headers={"Retry-After": "120"})
    [retry] = sent_to(producer, "t.retry.5m")
    [attempt] = sent_to(producer, "t.attempts")
    wait = clock.parse(retry["due_at"]) - clock.parse(attempt["timestamp"])
    assert 119.9 <= wait.total_seconds() <= 121


def test_failure_after_the_last_step_is_exhausted_and_dead_lettered() -> None:
    raw, delivery, view = with_endpoint()
    settings = Settings(topic_prefix="t.", allow_private_destinations=True, retry_schedule=(1.0,))
    last = encode(Contract.DELIVERY, {**delivery, "attempt": 2})
    producer, _, _ = handle(last, view, status=500, settings=settings)
    [attempt] = sent_to(producer, "t.attempts")
    assert attempt["outcome"] == "exhausted" and attempt["attempt"] == 2
    [dead] = [decode(Contract.DEAD_LETTER, v) for t, _, v in producer.sent if t == "t.dead"]
    assert dead["kind"] == "exhausted" and "after 2 attempt(s); last: HTTP 500" in dead["reason"]
    assert decode(Contract.DELIVERY, dead["record"].encode())["attempt"] == 2
    assert not [t for t, _, _ in producer.sent if t.startswith("t.retry.")]
    [told] = sent_to(producer, "t.events")  # the operator hears of it (operational webhooks)
    assert (told["app_id"], told["event_type"]) == (OPERATIONAL_APP_ID, "message.attempt.exhausted")
    assert told["payload"] == {
        "app_id": delivery["app_id"],
        "endpoint_id": delivery["endpoint_id"],
        "message_id": delivery["message_id"],
        "last_attempt_id": attempt["id"],
    }
    assert told["dedupe"] is True  # handled again after a crash, it is not told twice


def test_the_operational_apps_own_endpoints_cause_no_operational_event() -> None:
    raw, delivery, view = with_endpoint(app_id=OPERATIONAL_APP_ID)
    settings = Settings(topic_prefix="t.", allow_private_destinations=True, retry_schedule=(1.0,))
    own = {**delivery, "attempt": 2, "app_id": OPERATIONAL_APP_ID}
    producer, _, _ = handle(encode(Contract.DELIVERY, own), view, status=500, settings=settings)
    assert [a["outcome"] for a in sent_to(producer, "t.attempts")] == ["exhausted"]
    assert sent_to(producer, "t.events") == []
    producer, _, _ = handle(encode(Contract.DELIVERY, own), view, status=410, writer=FakeWriter())
    assert sent_to(producer, "t.events") == []


def test_gone_disables_the_endpoint_and_stops_retrying() -> None:
    raw, delivery, view = with_endpoint()
    writer = FakeWriter()
    producer, _, _ = handle(raw, view, status=410, writer=writer)
    [attempt] = sent_to(producer, "t.attempts")
    assert attempt["outcome"] == "failed" and len(producer.sent) == 2
    [told] = sent_to(producer, "t.events")  # the operator hears of it (operational webhooks)
    assert told["app_id"] == OPERATIONAL_APP_ID and told["event_type"] == "endpoint.disabled"
    assert told["payload"] == {
        "app_id": delivery["app_id"],
        "endpoint_id": delivery["endpoint_id"],
        "reason": "gone",
        "detail": "the endpoint answered 410 Gone",
    }
    [(endpoint_id, change, touch)] = writer.updates
    assert endpoint_id == delivery["endpoint_id"] and touch
    assert change == {
        "enabled": False,
        "disabled_reason": "the endpoint answered 410 Gone",
        "failing_since": None,
    }


def test_failing_past_the_disable_limit_disables_with_a_reason() -> None:
    since = "2020-01-01T00:00:00.000Z"  # checkpointed by an earlier dispatcher
    raw, _, view = with_endpoint(failing_since=since)
    writer = FakeWriter()
    settings = Settings(topic_prefix="t.", allow_private_destinations=True, disable_after=60.0)
    producer, _, _ = handle(raw, view, status=500, settings=settings, writer=writer)
    [attempt] = sent_to(producer, "t.attempts")
    assert attempt["outcome"] == "failed"  # disabled now: no retry
    [(_, change, _)] = writer.updates
    assert change["enabled"] is False and since in change["disabled_reason"]
    [told] = sent_to(producer, "t.events")
    assert told["event_type"] == "endpoint.disabled" and told["payload"]["reason"] == "failing"


def test_ordered_endpoint_retries_in_its_lane() -> None:
    raw, delivery, view = with_endpoint(ordered=True)
    job = job_for(raw)
    producer, _, again = handle(raw, view, status=500, job=job)
    assert again is not None and 4.9 <= again <= 5.1
    assert [t for t, _, _ in producer.sent] == ["t.attempts"]
    assert job.state["attempt"] == 2 and job.state["id"] == delivery["id"]
    # Its next turn uses the state the first one left, not the record.
    producer, calls, again = handle(raw, view, status=200, job=job)
    assert again is None and len(calls) == 1
    [attempt] = sent_to(producer, "t.attempts")
    assert attempt["attempt"] == 2 and attempt["outcome"] == "succeeded"


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
    producer, calls, _ = handle(raw, view)
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
        task = asyncio.create_task(handler(job_for(raw, None)))
        while len(view.waited) < 2:
            await asyncio.sleep(0.01)
        assert not task.done()
        view.position = 100
        await asyncio.wait_for(task, 5)
        assert len(producer.sent) == 1

    asyncio.run(go())
