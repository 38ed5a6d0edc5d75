"""Endpoints do not hold each other up: a hanging receiver, an ordered endpoint retrying, a rate
limit and an endpoint disabled for failing too long affect only themselves."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from aiokafka.partitioner import DefaultPartitioner

from tests.support.receiver import Received, Receiver
from tests.support.scripted import Script, attempts_of, of, publish
from tests.support.stack import Stack
from tests.support.waiting import poll

pytestmark = pytest.mark.kafka
PARTITIONS = 3


STACK_ENV = {
    "HOOKBUS_RETRY_SCHEDULE": ",".join(["1s"] * 8),
    "HOOKBUS_DISABLE_AFTER": "5s",
    "HOOKBUS_PARTITIONS": str(PARTITIONS),
}


def partition_of(endpoint_id: str) -> int:
    """The partition of the deliveries topic an endpoint's records go to (its key's)."""
    partitions = list(range(PARTITIONS))
    return int(DefaultPartitioner()(endpoint_id.encode(), partitions, partitions))


def new_app(stack: Stack) -> str:
    return str(stack.client.post("/v1/apps", json={"name": "isolation"}).json()["id"])


def add_endpoint(stack: Stack, app: str, url: str, **fields: Any) -> dict[str, Any]:
    created = stack.client.post(
        f"/v1/apps/{app}/endpoints", json={"url": url, "ping": False, **fields}
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def test_a_hanging_receiver_does_not_delay_a_healthy_one_on_its_partition(stack: Stack) -> None:
    release, answered = threading.Event(), []

    def hang(_request: Received) -> tuple[int, bytes]:
        release.wait(30)
        answered.append(True)
        return 200, b"late"

    with Receiver(hang) as slow, Receiver() as fast:
        app = new_app(stack)
        hanging = add_endpoint(
            stack, app, slow.url, event_types=["slow.*"], timeout_ms=25000, max_in_flight=8
        )
        while True:  # a healthy endpoint whose deliveries share the hanging one's partition
            healthy = add_endpoint(stack, app, fast.url, event_types=["fast.*"])
            if partition_of(healthy["id"]) == partition_of(hanging["id"]):
                break
            stack.client.delete(f"/v1/apps/{app}/endpoints/{healthy['id']}")
        try:
            slow_ids = [publish(stack, app, "slow.thing") for _ in range(12)]
            slow.wait_for(lambda _r: True, count=8, timeout=60)  # all its slots hang
            fast_ids = [publish(stack, app, "fast.thing") for _ in range(20)]
            got = fast.wait_for(lambda _r: True, count=20, timeout=20)
            assert not answered, "the healthy endpoint had to wait for the hanging one"
            assert {r.headers["webhook-id"] for r in got} == set(fast_ids)
        finally:
            release.set()
        done = slow.wait_for(lambda _r: True, count=12, timeout=90)
        assert {r.headers["webhook-id"] for r in done} == set(slow_ids)


def test_an_ordered_endpoint_gets_messages_in_order_across_failures(stack: Stack) -> None:
    failing_first: dict[str, int] = {}
    script = Script((200, b"ok"))
    lock = threading.Lock()

    def respond(request: Received) -> Any:
        with lock:
            if not failing_first:
                failing_first[request.headers["webhook-id"]] = 0
            message = request.headers["webhook-id"]
            if message in failing_first and failing_first[message] < 2:
                failing_first[message] += 1
                return 500, b"not yet"
        return script(request)

    with Receiver(respond) as receiver:
        app = new_app(stack)
        add_endpoint(stack, app, receiver.url, ordered=True)
        messages = [publish(stack, app) for _ in range(5)]
        receiver.wait_for(lambda _r: True, count=7, timeout=60)
        arrived = [r.headers["webhook-id"] for r in receiver.requests]
    assert arrived == [messages[0]] * 3 + messages[1:]
    attempts = attempts_of(stack, app, messages[0], 3)
    assert [(a["attempt"], a["outcome"]) for a in attempts] == [
        (1, "retrying"), (2, "retrying"), (3, "succeeded"),
    ]  # fmt: skip


def test_a_rate_limited_endpoint_is_never_sent_more_than_its_rate(stack: Stack) -> None:
    with Receiver() as receiver:
        app = new_app(stack)
        add_endpoint(stack, app, receiver.url, rate_limit=5)
        batch = [{"event_type": "tick.tock", "payload": {"n": n}} for n in range(25)]
        answer = stack.client.post(f"/v1/apps/{app}/messages/batch", json={"messages": batch})
        assert answer.status_code == 202, answer.text
        got = receiver.wait_for(lambda _r: True, count=25, timeout=60)
    times = sorted(r.at for r in got)
    # Sent 1/5 s apart; arrival times may shift by the network and the receiver thread, so the
    # window is a tenth of a second shorter than a second.
    for start in times:
        assert sum(1 for t in times if start <= t < start + 0.9) <= 5
    assert times[-1] - times[0] >= 24 / 5 - 0.1


def test_an_endpoint_failing_too_long_is_disabled_and_can_be_enabled(stack: Stack) -> None:
    script = Script((500, b"down"))
    with Receiver(script) as receiver:
        app = new_app(stack)
        ep = add_endpoint(stack, app, receiver.url)
        path = f"/v1/apps/{app}/endpoints/{ep['id']}"
        message = publish(stack, app)
        disabled = poll(lambda: (e := stack.client.get(path).json())["enabled"] is False and e, 60)
        assert disabled["disabled_reason"].startswith("failing without a success since ")
        attempts = attempts_of(stack, app, message, 2)
        failed = [a for a in attempts if a["outcome"] == "failed"]
        assert len(failed) == 1 and failed[0] == attempts[-1]
        assert all(a["outcome"] == "retrying" for a in attempts[:-1])
        tries = len(receiver.matching(of(message)))
        assert tries >= 5  # about one a second for five seconds

        script.answers = [(200, b"ok")]
        assert stack.client.patch(path, json={"enabled": True}).json()["enabled"] is True
        later = publish(stack, app)
        receiver.wait_for(of(later), timeout=60)
        assert len(receiver.matching(of(message))) == tries  # the disabled one stays ended
