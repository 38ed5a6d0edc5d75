"""The duplicate window and the verdicts, without Kafka: ids, Idempotency-Keys, expiry, and an
event consumed again after a crash."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from aiokafka.partitioner import DefaultPartitioner

from services.router.claims import Claims
from services.router.handler import Incoming, Router
from services.router.window import Window
from shared.config_state import ConfigState
from shared.contracts import Contract, decode
from shared.request_reply import reply_partition
from tests.support import records

APP = "app_01JD3QXW2N0B7C4D5E6F7G8H9J"


def event(message_id: str = "evt-1", **fields: Any) -> dict[str, Any]:
    at = "2026-11-22T10:15:30.123Z"
    base = records.event(id=message_id, app_id=APP, event_type="a.b", timestamp=at)
    return {**base, **fields}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def window(clock: Clock | None = None) -> Window:
    return Window(Claims(), "t.changelog", 60.0, clock or Clock())


def test_duplicate_id_is_refused_until_the_window_ends() -> None:
    clock = Clock()
    judge = window(clock)
    first, claims = judge.judge(event(), 1, 10)
    assert (first.status, first.route) == (202, True)
    assert [(c.topic, c.key, c.partition) for c in claims] == [
        ("t.changelog", f"{APP}/id/evt-1".encode(), 1)
    ]
    second, none = judge.judge(event(payload={"x": 1}), 1, 11)
    assert (second.status, second.route, none) == (409, False, [])
    assert judge.judge(event(app_id="app_other"), 2, 3)[0].route  # another app's id
    assert judge.judge(event(dedupe=False), 1, 12)[0].route  # generated ids are not checked
    clock.now += 61
    assert judge.judge(event(), 1, 13)[0].status == 202
    assert judge.purge() == 1  # the other app's claim expired; evt-1 was claimed again
    assert list(judge.claims.store(1)) == [f"{APP}/id/evt-1".encode()]
    assert list(judge.claims.store(2)) == []


def test_an_event_consumed_again_is_routed_not_refused() -> None:
    judge = window()
    judge.judge(event(), 1, 10)
    judge.judge(event(), 1, 11)
    again, claims = judge.judge(event(), 1, 10)  # the claim's own event, after a crash
    assert (again.status, again.route) == (202, True) and len(claims) == 1
    assert judge.judge(event(), 1, 11)[0].status == 409


def test_idempotency_key_replays_or_refuses_a_different_request() -> None:
    judge = window()
    keyed = {"idempotency": {"key": "k", "hash": "h1"}, "dedupe": False}
    first, claims = judge.judge(event("m-1", **keyed), 0, 1)
    assert first.status == 202 and len(claims) == 1
    replay, _ = judge.judge(event("m-1", **keyed), 0, 2)
    assert (replay.status, replay.route, replay.replayed, replay.message_id) == (
        202,
        False,
        True,
        "m-1",
    )
    other = {"idempotency": {"key": "k", "hash": "h2"}, "dedupe": False}
    assert judge.judge(event("m-1", **other), 0, 3)[0].status == 422
    # A key whose first answer was a 409 replays the 409.
    judge.judge(event("d-1"), 0, 4)
    with_key = {"idempotency": {"key": "k2", "hash": "h"}}
    assert judge.judge(event("d-1", **with_key), 0, 5)[0].status == 409
    replayed = judge.judge(event("d-1", **with_key), 0, 6)[0]
    assert (replayed.status, replayed.route, replayed.replayed) == (409, False, True)


def test_router_replies_with_the_verdict_and_routes_nothing_for_a_duplicate() -> None:
    state = ConfigState()
    state.apply(f"app/{APP}", {"id": APP, "name": "a"})
    endpoint = {"id": "ep_1", "app_id": APP, "url": "https://x", "enabled": True}
    state.apply("endpoint/ep_1", endpoint)

    class Barrier:
        async def wait_for(self, offset: int, timeout: float) -> None:
            return None

    routing = Router(
        state, Barrier(), None, "t.deliveries", "t.dead", window=window(), replies_topic="t.replies"
    )  # type: ignore[arg-type]
    reply_to = {"instance": "i-1", "correlation_id": "c-1"}

    def plan(offset: int) -> list[Any]:
        raw = orjson.dumps(event(reply_to=reply_to))
        return asyncio.run(routing.plan(Incoming("t.events", 0, offset, APP.encode(), raw)))

    first, second = plan(1), plan(2)
    assert [o.topic for o in first] == ["t.changelog", "t.deliveries", "t.replies"]
    assert [o.topic for o in second] == ["t.replies"]
    answer = decode(Contract.REPLY, second[0].value)
    assert (answer["status"], answer["correlation_id"], second[0].key) == (409, "c-1", b"i-1")


def test_transform_failure_dead_letters_the_event_for_that_endpoint_only() -> None:
    state = ConfigState()
    state.apply(f"app/{APP}", {"id": APP, "name": "a"})
    for ident, transform in (("ep_1", "length(data.n)"), ("ep_2", None)):
        state.apply(
            f"endpoint/{ident}",
            {
                "id": ident,
                "app_id": APP,
                "url": "https://x",
                "enabled": True,
                "transform": transform,
            },
        )

    class Barrier:
        async def wait_for(self, offset: int, timeout: float) -> None:
            return None

    routing = Router(state, Barrier(), None, "t.deliveries", "t.dead")  # type: ignore[arg-type]
    raw = orjson.dumps(event(payload={"n": 1}))
    planned = asyncio.run(routing.plan(Incoming("t.events", 0, 5, APP.encode(), raw)))
    assert [(o.topic, o.key) for o in planned] == [
        ("t.deliveries", b"ep_2"),
        ("t.dead", APP.encode()),
    ]
    assert "ep_1" in decode(Contract.DEAD_LETTER, planned[1].value)["reason"]


def test_reply_partition_matches_kafkas_default_partitioner() -> None:
    for instance in ("a", "ingress-7f3a", "0123abcd"):
        for count in (1, 3, 6):
            expected = DefaultPartitioner()(instance.encode(), list(range(count)), [])
            assert reply_partition(instance, count) == expected
