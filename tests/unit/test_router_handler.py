"""The router's per-event steps without Kafka: barrier, deliveries, dead letters, retries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest

from services.router.handler import Incoming, Router
from shared.config_state import ConfigState
from shared.contracts import Contract, decode, examples
from shared.errors import KafkaUnavailable
from tests.support import records

APP = "app_01JD3QXW2N0B7C4D5E6F7G8H9J"
EP = "ep_01JD3QXZ3P4Q5R6S7T8V9W0X1Y"


def endpoint(ident: str = EP, **fields: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "app_id": APP,
        "url": "https://example.com/h",
        "enabled": True,
        "content_type": "application/json",
        **fields,
    }


def config(*endpoints: dict[str, Any]) -> ConfigState:
    state = ConfigState()
    state.apply(f"app/{APP}", {"id": APP, "name": "acme"})
    for item in endpoints:
        state.apply(f"endpoint/{item['id']}", item)
    return state


def event_bytes(**fields: Any) -> bytes:
    base = records.event(
        id="msg_1",
        app_id=APP,
        event_type="invoice.paid",
        payload={"n": 1},
        timestamp="2026-11-22T10:15:30.123Z",
        config_offset=3,
    )
    return orjson.dumps({**base, **fields})


def incoming(value: bytes | None, offset: int = 7) -> Incoming:
    return Incoming("t.events", 2, offset, APP.encode(), value)


class Barrier:
    """Records the offsets waited for; times out ``timeouts`` times, then runs ``on_pass``."""

    def __init__(self, timeouts: int = 0, on_pass: Callable[[], object] | None = None) -> None:
        self.timeouts = timeouts
        self.on_pass = on_pass
        self.offsets: list[int] = []

    async def wait_for(self, offset: int, timeout: float) -> None:
        self.offsets.append(offset)
        if self.timeouts:
            self.timeouts -= 1
            raise KafkaUnavailable("not yet")
        if self.on_pass is not None:
            self.on_pass()


class Outbox:
    """Collects sent records; ``outcomes`` decides each send: None = ack, an error = refusal."""

    def __init__(
        self, outcomes: list[BaseException | None] | None = None, refuse_send: int = 0
    ) -> None:
        self.outcomes = outcomes or []
        self.refuse_send = refuse_send
        self.sent: list[tuple[str, bytes | None, bytes]] = []
        self.acks: list[asyncio.Future[None]] = []
        self.partitions: list[int | None] = []
        self.manual = False

    async def send(
        self, topic: str, key: bytes | None, value: bytes, partition: int | None = None
    ) -> Awaitable[Any]:
        self.partitions.append(partition)
        if self.refuse_send:
            self.refuse_send -= 1
            raise RuntimeError("producer refused")
        self.sent.append((topic, key, value))
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if not self.manual:
            if outcome is None:
                ack.set_result(None)
            else:
                ack.set_exception(outcome)
        self.acks.append(ack)
        return ack


def router(
    state: ConfigState, barrier: Barrier | None = None, outbox: Outbox | None = None
) -> Router:
    return Router(
        state,
        barrier or Barrier(),
        outbox or Outbox(),
        "t.deliveries",
        "t.dead",
        barrier_timeout=0.01,
        retry_delay=0,
    )


def test_a_failing_transform_dead_letters_the_event_and_logs_a_failed_attempt() -> None:
    outbox = Outbox()
    state = config(endpoint(transform="length(data.n)"), endpoint("ep_2"))
    routing = Router(
        state, Barrier(), outbox, "t.deliveries", "t.dead", attempts_topic="t.attempts"
    )
    assert asyncio.run(routing.handle(incoming(event_bytes()))) == 1
    assert [(topic, key) for topic, key, _ in outbox.sent] == [
        ("t.deliveries", b"ep_2"),
        ("t.dead", APP.encode()),
        ("t.attempts", EP.encode()),
    ]
    attempt = decode(Contract.ATTEMPT, outbox.sent[2][2])
    assert (attempt["message_id"], attempt["endpoint_id"], attempt["outcome"]) == (
        "msg_1",
        EP,
        "failed",
    )
    assert attempt["error"].startswith("transform failed: ") and attempt["response"] is None
    assert attempt["request"] == {
        "url": "https://example.com/h",
        "method": "POST",
        "headers": {},
        "body": "",
    }
    assert EP in decode(Contract.DEAD_LETTER, outbox.sent[1][2])["reason"]


def test_event_becomes_one_delivery_per_target() -> None:
    outbox = Outbox()
    state = config(endpoint(), endpoint("ep_2", event_types=["user.*"]), endpoint("ep_3"))
    produced = asyncio.run(router(state, outbox=outbox).handle(incoming(event_bytes())))
    assert produced == 2
    assert [(topic, key) for topic, key, _ in outbox.sent] == [
        ("t.deliveries", EP.encode()),
        ("t.deliveries", b"ep_3"),
    ]
    record = decode(Contract.DELIVERY, outbox.sent[0][2])
    assert (record["message_id"], record["config_offset"]) == ("msg_1", 3)


def test_handle_returns_only_after_every_ack() -> None:
    async def scenario() -> None:
        outbox = Outbox()
        outbox.manual = True
        task = asyncio.create_task(
            router(config(endpoint(), endpoint("ep_2")), outbox=outbox).handle(
                incoming(event_bytes())
            )
        )
        while len(outbox.acks) < 2:
            await asyncio.sleep(0)
        outbox.acks[1].set_result(None)
        for _ in range(5):
            await asyncio.sleep(0)
        assert not task.done(), "returned before the first delivery was acknowledged"
        outbox.acks[0].set_result(None)
        assert await task == 2

    asyncio.run(scenario())


def test_dispatch_produces_at_once_and_reports_durability_later() -> None:
    async def scenario() -> None:
        outbox = Outbox()
        outbox.manual = True
        routing = router(config(endpoint(), endpoint("ep_2")), outbox=outbox)
        durable = await routing.dispatch(await routing.plan(incoming(event_bytes())))
        assert [key for _, key, _ in outbox.sent] == [EP.encode(), b"ep_2"]
        assert not durable.done()
        for ack in outbox.acks:
            ack.set_result(None)
        await asyncio.wait_for(durable, 1.0)

    asyncio.run(scenario())


def test_refused_records_are_sent_again_until_acknowledged() -> None:
    outbox = Outbox(outcomes=[None, KafkaUnavailable("timeout"), KafkaUnavailable("timeout")])
    state = config(endpoint(), endpoint("ep_2"))
    assert asyncio.run(router(state, outbox=outbox).handle(incoming(event_bytes()))) == 2
    assert [key for _, key, _ in outbox.sent] == [EP.encode(), b"ep_2", b"ep_2", b"ep_2"]


def test_a_send_refused_outright_is_retried() -> None:
    outbox = Outbox(refuse_send=1)
    assert asyncio.run(router(config(endpoint()), outbox=outbox).handle(incoming(event_bytes())))
    assert [key for _, key, _ in outbox.sent] == [EP.encode()]


def test_barrier_keeps_waiting_and_routes_with_the_newer_view() -> None:
    state = config()
    barrier = Barrier(timeouts=2, on_pass=lambda: state.apply(f"endpoint/{EP}", endpoint()))
    outbox = Outbox()
    produced = asyncio.run(router(state, barrier, outbox).handle(incoming(event_bytes())))
    assert barrier.offsets == [3, 3, 3]
    assert produced == 1 and outbox.sent[0][1] == EP.encode()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"{not json", "not JSON"),
        (None, "empty record value"),
        (event_bytes(app_id="nope"), "app_id"),
        (event_bytes(extra=1), "extra"),
    ],
)
def test_bad_record_goes_to_the_dead_topic_with_its_origin(
    value: bytes | None, reason: str
) -> None:
    outbox = Outbox()
    assert asyncio.run(router(config(endpoint()), outbox=outbox).handle(incoming(value))) == 0
    [(topic, key, raw)] = outbox.sent
    dead = decode(Contract.DEAD_LETTER, raw)
    assert (topic, key) == ("t.dead", APP.encode())
    assert reason in dead["reason"]
    assert dead["origin"] == {
        "topic": "t.events",
        "partition": 2,
        "offset": 7,
        "key": APP,
        "service": "router",
    }


def test_an_unexpected_error_dead_letters_the_event_instead_of_losing_it() -> None:
    class Broken(ConfigState):
        def get(self, kind: str, ident: str) -> dict[str, Any] | None:
            raise ValueError("boom")

    outbox = Outbox()
    asyncio.run(router(Broken(), outbox=outbox).handle(incoming(event_bytes())))
    [(topic, _, raw)] = outbox.sent
    assert topic == "t.dead" and "boom" in decode(Contract.DEAD_LETTER, raw)["reason"]


@pytest.mark.parametrize("path", examples(Contract.EVENT), ids=lambda p: p.name)
def test_every_event_example_is_routed(path: Any) -> None:
    event = decode(Contract.EVENT, path.read_bytes())
    state = ConfigState()
    state.apply(f"app/{event['app_id']}", {"id": event["app_id"], "name": "acme"})
    state.apply(f"endpoint/{EP}", {**endpoint(), "app_id": event["app_id"]})
    outbox = Outbox()
    produced = asyncio.run(router(state, outbox=outbox).handle(incoming(path.read_bytes())))
    assert produced == 1 and outbox.sent[0][0] == "t.deliveries"
