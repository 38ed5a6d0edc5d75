"""Publishing safely: duplicate ids (409), Idempotency-Key replays, batches, oversize payloads,
and the duplicate window's life in the router's faust table: verdicts by request-reply over
Kafka, several ingress copies, a router restart, and an event consumed again after a crash."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from tests.support.outbound import arrives, body, ids, new_app, new_endpoint, with_id
from tests.support.receiver import Receiver
from tests.support.stack import REPO, Stack, free_port
from tests.support.waiting import poll

STACK_ENV = {"HOOKBUS_VERDICT_TIMEOUT": "2s"}


def post(stack: Stack, app: str, message: dict[str, Any], key: str | None = None) -> Any:
    headers = {} if key is None else {"idempotency-key": key}
    return stack.client.post(f"/v1/apps/{app}/messages", json=message, headers=headers)


def test_duplicate_id_answers_409_and_delivers_once(stack: Stack, receiver: Receiver) -> None:
    app = new_app(stack)
    new_endpoint(stack, app, receiver.url, ordered=True)
    first = post(stack, app, {"event_type": "order.paid", "payload": {"n": 1}, "id": "evt-1"})
    assert first.status_code == 202 and first.json()["id"] == "evt-1"
    assert "x-hookbus-verdict" not in first.headers
    again = post(stack, app, {"event_type": "order.paid", "payload": {"n": 2}, "id": "evt-1"})
    assert again.status_code == 409, again.text
    assert again.json()["error"]["code"] == "duplicate_id"
    # The same id in another app is another message.
    other = new_app(stack)
    assert (
        post(stack, other, {"event_type": "a.b", "payload": {}, "id": "evt-1"}).status_code == 202
    )
    arrives(stack, app, receiver, "marker.sent")
    assert ids(receiver.requests).count("evt-1") == 1
    assert body(receiver.requests[0])["data"] == {"n": 1}
    logged = poll(lambda: stack.client.get(f"/v1/apps/{app}/messages/evt-1").json().get("payload"))
    assert logged == {"n": 1}


def test_an_id_hookbus_made_is_a_duplicate_when_a_caller_reuses_it(
    stack: Stack, receiver: Receiver
) -> None:
    """Retrying with the id the first answer gave: 409, as for any id seen in the window."""
    app = new_app(stack)
    new_endpoint(stack, app, receiver.url, ordered=True)
    made = post(stack, app, {"event_type": "order.paid", "payload": {"n": 1}}).json()["id"]
    keyed = post(stack, app, {"event_type": "order.paid", "payload": {"n": 2}}, key="k-1").json()
    caller = post(stack, app, {"event_type": "order.paid", "payload": {"n": 0}, "id": "own-1"})
    assert caller.status_code == 202
    by_window = post(stack, app, {"event_type": "order.paid", "payload": {}, "id": "own-1"})
    assert by_window.status_code == 409
    for reused in (made, keyed["id"]):
        again = post(stack, app, {"event_type": "order.paid", "payload": {"n": 9}, "id": reused})
        assert again.status_code == 409, again.text
        assert again.json()["error"]["details"] == {"id": reused}
        # Worded as the window words a duplicate: one error for one condition.
        window_error = {**by_window.json()["error"], "details": {"id": reused}}
        assert again.json()["error"] == window_error
    messages = [{"event_type": "order.paid", "payload": {"n": 3}, "id": made}]
    messages += [{"event_type": "order.paid", "payload": {"n": 4}}]
    batch = stack.client.post(f"/v1/apps/{app}/messages/batch", json={"messages": messages})
    assert batch.status_code == 202, batch.text
    repeated, published = batch.json()["data"]
    assert repeated["id"] == made and repeated["error"]["code"] == "duplicate_id"
    receiver.wait_for(with_id(published["id"]))
    arrives(stack, app, receiver, "marker.sent")
    delivered = [body(r)["data"] for r in receiver.requests if body(r)["type"] == "order.paid"]
    assert delivered == [{"n": 1}, {"n": 2}, {"n": 0}, {"n": 4}]
    # Another app's id of the same form is no concern of this one.
    other = new_app(stack)
    elsewhere = post(stack, other, {"event_type": "a.b", "payload": {}, "id": made})
    assert elsewhere.status_code == 202, elsewhere.text


def test_idempotency_key_replays_the_first_answer(stack: Stack, receiver: Receiver) -> None:
    app = new_app(stack)
    new_endpoint(stack, app, receiver.url, ordered=True)
    message = {"event_type": "invoice.paid", "payload": {"amount": 5}}
    first = post(stack, app, message, key="k-1")
    assert first.status_code == 202 and "idempotent-replayed" not in first.headers
    replay = post(stack, app, message, key="k-1")
    assert replay.status_code == 202 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()  # same id, same timestamp
    changed = post(stack, app, {**message, "payload": {"amount": 6}}, key="k-1")
    assert changed.status_code == 422
    assert changed.json()["error"]["code"] == "idempotency_key_reused"

    # With an id: the first answer is replayed too, even when it was a 409.
    with_key = post(stack, app, {**message, "id": "inv-9"}, key="k-2")
    assert post(stack, app, {**message, "id": "inv-9"}, key="k-2").json() == with_key.json()
    duplicate = post(stack, app, {**message, "id": "inv-9"}, key="k-3")
    assert duplicate.status_code == 409
    replayed = post(stack, app, {**message, "id": "inv-9"}, key="k-3")
    assert replayed.status_code == 409 and replayed.headers["idempotent-replayed"] == "true"
    bad_key = post(stack, app, message, key="x" * 300)
    assert bad_key.status_code == 422

    arrives(stack, app, receiver, "marker.sent")
    assert ids(receiver.requests) == [first.json()["id"], "inv-9", ids(receiver.requests)[-1]]


def test_batch_publishes_all_or_nothing_with_a_verdict_per_message(
    stack: Stack, receiver: Receiver
) -> None:
    api = stack.client
    app = new_app(stack)
    new_endpoint(stack, app, receiver.url, ordered=True)
    url = f"/v1/apps/{app}/messages/batch"
    messages = [
        {"event_type": "item.added", "payload": {"n": 1}, "id": "b-1"},
        {"event_type": "item.added", "payload": {"n": 2}, "id": "b-2"},
        {"event_type": "item.added", "payload": {"n": 3}, "id": "b-1"},
        {"event_type": "item.added", "payload": {"n": 4}},
    ]
    answer = api.post(url, json={"messages": messages}, headers={"idempotency-key": "batch-1"})
    assert answer.status_code == 202, answer.text
    data = answer.json()["data"]
    assert [item["id"] for item in data[:3]] == ["b-1", "b-2", "b-1"]
    assert "error" not in data[0] and data[2]["error"]["code"] == "duplicate_id"
    assert data[3]["payload"] == {"n": 4} and "error" not in data[3]
    replay = api.post(url, json={"messages": messages}, headers={"idempotency-key": "batch-1"})
    assert replay.json() == answer.json() and replay.headers["idempotent-replayed"] == "true"
    again = api.post(url, json={"messages": messages[1:2]})
    assert again.status_code == 202 and again.json()["data"][0]["error"]["code"] == "duplicate_id"

    too_many = api.post(url, json={"messages": [messages[3]] * 1001})
    assert too_many.status_code == 422 and "messages" in too_many.json()["error"]["message"]
    big = {"event_type": "item.added", "payload": {"blob": "x" * 1_100_000}}
    too_large = api.post(url, json={"messages": [{**messages[3], "id": "b-9"}, big]})
    assert too_large.status_code == 413
    empty = api.post(url, json={"messages": []})
    assert empty.status_code == 422

    arrives(stack, app, receiver, "marker.sent")
    assert [body(r)["data"].get("n") for r in receiver.requests] == [1, 2, 4, None]


def test_oversized_message_is_refused_with_413(stack: Stack) -> None:
    app = new_app(stack)
    payload = {"blob": "x" * 1_100_000}
    answer = post(stack, app, {"event_type": "a.b", "payload": payload, "id": "big-1"})
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "payload_too_large"
    # Nothing was written: the id is still free.
    assert post(stack, app, {"event_type": "a.b", "payload": {}, "id": "big-1"}).status_code == 202


def test_verdicts_reach_whichever_ingress_copy_waits(stack: Stack, receiver: Receiver) -> None:
    app = new_app(stack)
    new_endpoint(stack, app, receiver.url, ordered=True)
    with second_ingress(stack) as other:
        message = {"event_type": "a.b", "payload": {"x": 1}, "id": "copy-1"}
        assert post(stack, app, message).status_code == 202
        duplicate = other.post(f"/v1/apps/{app}/messages", json=message)
        assert duplicate.status_code == 409 and "x-hookbus-verdict" not in duplicate.headers
        first = other.post(
            f"/v1/apps/{app}/messages",
            json={**message, "id": "copy-2"},
            headers={"idempotency-key": "c"},
        )
        replay = post(stack, app, {**message, "id": "copy-2"}, key="c")
        assert first.status_code == 202 and replay.json() == first.json()
        assert replay.headers["idempotent-replayed"] == "true"
    arrives(stack, app, receiver, "marker.sent")
    assert ids(receiver.requests)[:2] == ["copy-1", "copy-2"] and len(receiver.requests) == 3


def test_window_survives_a_router_restart_and_a_late_verdict_is_pending(
    stack: Stack, receiver: Receiver
) -> None:
    app = new_app(stack)
    new_endpoint(stack, app, receiver.url, ordered=True)
    assert post(stack, app, {"event_type": "a.b", "payload": {}, "id": "r-1"}).status_code == 202
    receiver.wait_for(with_id("r-1"))
    stop_router(stack)
    try:
        plain = post(stack, app, {"event_type": "a.b", "payload": {"plain": True}})
        assert plain.status_code == 202 and "x-hookbus-verdict" not in plain.headers
        for message_id in ("r-2", "r-1"):
            late = post(stack, app, {"event_type": "a.b", "payload": {"late": 1}, "id": message_id})
            assert late.status_code == 202 and late.headers["x-hookbus-verdict"] == "pending"
        # A backlog behind them: the restarted router once skipped some of these now and then
        # (faust's table recovery raced its own seek) and routed others twice.
        backlog = [{"event_type": "a.b", "payload": {"n": n}} for n in range(100)]
        waiting = stack.client.post(f"/v1/apps/{app}/messages/batch", json={"messages": backlog})
        assert waiting.status_code == 202, waiting.text
    finally:
        start_router(stack)
    # The durable events were checked all the same: r-2 delivered, the second r-1 never.
    arrives(stack, app, receiver, "marker.sent")
    delivered = [
        (r.headers["webhook-id"], orjson.dumps(body(r)["data"])) for r in receiver.requests
    ]
    assert ("r-2", b'{"late":1}') in delivered and ("r-1", b'{"late":1}') not in delivered
    assert (plain.json()["id"], b'{"plain":true}') in delivered
    assert [body(r)["data"].get("n") for r in receiver.requests[3:-1]] == list(range(100))
    assert len(delivered) == len(set(delivered)) == 104, "a clean restart delivers nothing twice"
    for message_id in ("r-1", "r-2"):  # the restarted router rebuilt the window
        again = post(stack, app, {"event_type": "a.b", "payload": {}, "id": message_id})
        assert again.status_code == 409, again.text


def test_event_consumed_again_after_a_crash_is_routed_not_refused(
    stack: Stack, receiver: Receiver
) -> None:
    app = new_app(stack)
    new_endpoint(stack, app, receiver.url, ordered=True)
    owner = {"event_type": "a.b", "payload": {"n": 1}, "id": "c-1"}
    assert post(stack, app, owner).status_code == 202
    assert post(stack, app, {**owner, "payload": {"n": 2}}).status_code == 409
    arrives(stack, app, receiver, "marker.sent")
    stop_router(stack)
    try:
        # As if the router had died after claiming c-1 but before committing it.
        asyncio.run(rewind_router_to(stack, app, "c-1"))
    finally:
        start_router(stack)
    # The claim's owner is routed again (at least once); the duplicate after it never is.
    receiver.wait_for(with_id("c-1"), count=2)
    arrives(stack, app, receiver, "marker.sent")
    payloads = [body(r)["data"] for r in receiver.requests if r.headers["webhook-id"] == "c-1"]
    assert len(payloads) >= 2 and all(p == {"n": 1} for p in payloads)


def stop_router(stack: Stack) -> None:
    process = stack.processes["router"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0, stack.log("router")


def start_router(stack: Stack) -> None:
    stack.start_service("router")
    stack.wait_ready("router")


async def rewind_router_to(stack: Stack, app: str, message_id: str) -> None:
    """Commit the router group's offset back to the first event of ``app`` with that id."""
    bootstrap = stack.env["HOOKBUS_KAFKA_BOOTSTRAP"]
    prefix = stack.env["HOOKBUS_TOPIC_PREFIX"]
    topic = prefix + "events"
    reader = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await reader.start()
    found: tuple[int, int] | None = None
    try:
        while found is None and (batches := await reader.getmany(timeout_ms=3000)):
            for tp, records in batches.items():
                for record in records:
                    event = orjson.loads(record.value or b"{}")
                    if (event.get("app_id"), event.get("id")) == (app, message_id):
                        found = found or (tp.partition, record.offset)
    finally:
        await reader.stop()
    assert found is not None, "event not found on the events topic"
    tp = TopicPartition(topic, found[0])
    async with asyncio.timeout(60):  # until the stopped router's membership is gone
        while await commit_and_read(bootstrap, prefix + "router", tp, found[1]) != found[1]:
            await asyncio.sleep(0.5)


async def commit_and_read(bootstrap: str, group: str, tp: TopicPartition, offset: int) -> Any:
    """Commit ``offset`` for ``tp`` in ``group``; return what a fresh client reads back."""
    for commit in (True, False):
        client = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
        await client.start()
        try:
            client.assign([tp])
            if commit:
                with contextlib.suppress(KafkaError):
                    await client.commit({tp: offset})
            else:
                return await client.committed(tp)
        finally:
            await client.stop()
    return None


class second_ingress:  # noqa: N801 - used as a context manager like a function
    """Another ingress process (its own port and instance id) on the same topics."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.port = free_port()

    def __enter__(self) -> httpx.Client:
        env = {**self.stack.env, "HOOKBUS_HTTP_PORT": str(self.port), "HOOKBUS_INSTANCE_ID": "two"}
        log = (self.stack.log_dir / "ingress-2.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", "ingress"],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{self.port}"

        def ready() -> bool:
            try:
                return httpx.get(url + "/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        poll(ready, 60)
        self.client = httpx.Client(
            base_url=url, headers={"authorization": f"Bearer {self.stack.token}"}, timeout=30
        )
        return self.client

    def __exit__(self, *_exc: object) -> None:
        self.client.close()
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(30) == 0
