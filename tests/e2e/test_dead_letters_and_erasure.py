"""Dead letters through the public API (list with filters, read, redrive), and erasure:
per-app payload retention and expunging one message, on the real broker."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer

from tests.support.outbound import new_app, new_endpoint, publish
from tests.support.receiver import Received, Receiver
from tests.support.stack import Stack, poll

# One short retry, so a failing delivery is exhausted (dead-lettered) within seconds.
STACK_ENV = {"HOOKBUS_RETRY_SCHEDULE": "1s", "HOOKBUS_RETENTION_INTERVAL": "1s"}
EPOCH = "2000-01-01T00:00:00Z"


def produce_raw(stack: Stack, topic: str, value: bytes) -> None:
    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.env["HOOKBUS_KAFKA_BOOTSTRAP"])
        await producer.start()
        try:
            await producer.send_and_wait(stack.env["HOOKBUS_TOPIC_PREFIX"] + topic, value)
        finally:
            await producer.stop()

    asyncio.run(run())


def dead_letter_of(stack: Stack, query: str, predicate: Any) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        data = stack.client.get(f"/v1/dead-letters?{query}").json()["data"]
        return next((d for d in data if predicate(d)), None)

    found: dict[str, Any] = poll(find, 60)
    return found


def test_dead_letters_are_listed_read_and_an_exhausted_delivery_redriven(stack: Stack) -> None:
    failing = True

    def respond(_: Received) -> tuple[int, bytes]:
        return (500, b"down") if failing else (200, b"ok")

    api = stack.client
    with Receiver(respond) as receiver:
        app = new_app(stack)
        endpoint = new_endpoint(stack, app, receiver.url)
        message = publish(stack, app, "dead.letter", {"n": 1})
        letter = dead_letter_of(stack, "kind=exhausted", lambda d: d["message_id"] == message["id"])
        assert letter["id"].startswith("dl_")
        assert (letter["app_id"], letter["endpoint_id"]) == (app, endpoint["id"])
        assert "exhausted" in letter["reason"]
        assert api.get(f"/v1/dead-letters/{letter['id']}").json() == letter
        ids = lambda query: [d["id"] for d in api.get(f"/v1/dead-letters?{query}").json()["data"]]  # noqa: E731
        assert letter["id"] not in ids("kind=bad_record")
        assert letter["id"] not in ids(f"after={letter['at']}")
        assert letter["id"] not in ids(f"before={letter['at']}")
        assert letter["id"] in ids(f"after={EPOCH}&kind=exhausted")
        assert api.get("/v1/dead-letters?after=yesterday").status_code == 422

        failing = False
        answer = api.post(f"/v1/dead-letters/{letter['id']}/redrive")
        assert answer.status_code == 202, answer.text
        assert answer.json()["delivery_id"].startswith("dlv_")
        ok = receiver.wait_for(lambda r: r.headers.get("webhook-id") == message["id"], 3)
        assert len(ok) == 3  # two failed tries, then the redriven one
        attempts = f"/v1/apps/{app}/messages/{message['id']}/attempts"
        poll(lambda: api.get(attempts).json()["data"][0]["outcome"] == "succeeded", 60)

    produce_raw(stack, "events", b"{not json")
    bad = dead_letter_of(stack, "kind=bad_record", lambda d: d["record"] == "{not json")
    refused = api.post(f"/v1/dead-letters/{bad['id']}/redrive")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "conflict"
    assert api.get("/v1/dead-letters/dl_nope").status_code == 404
    assert api.get("/v1/dead-letters/dl_01JD5Y7R8G0001000000000002Q").status_code == 404
    assert api.post("/v1/dead-letters/dl_01JD5Y7R8G0001000000000002Q/redrive").status_code == 404
