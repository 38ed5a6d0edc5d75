"""Dead letters through the public API (list with filters, read, redrive), and erasure:
per-app payload retention and expunging one message, on the real broker."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer

from tests.support.outbound import new_app, new_endpoint, publish
from tests.support.receiver import Received, Receiver
from tests.support.sse import SseClient
from tests.support.stack import Stack
from tests.support.waiting import poll

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


def test_expunge_erases_a_message_everywhere_the_api_shows_it(stack: Stack) -> None:
    api = stack.client
    with Receiver() as ok, Receiver(lambda _: (500, b"down")) as down:
        app = new_app(stack)
        new_endpoint(stack, app, ok.url)
        failing = new_endpoint(stack, app, down.url)
        headers = {"authorization": f"Bearer {stack.token}"}
        stream = SseClient(f"{stack.base_url}/v1/apps/{app}/stream", headers)
        try:
            poll(lambda: stream.comments, 30)
            marker = publish(stack, app, "pii.marker")
            poll(lambda: stream.of("message"), 60)
            start = stream.events[0].id
        finally:
            stream.close()
        secret = "jane.doe@example.com"
        message = publish(stack, app, "pii.signup", {"email": secret})
        down.wait_for(lambda r: r.headers.get("webhook-id") == message["id"])
        ok.wait_for(lambda r: r.headers.get("webhook-id") == message["id"])
        base = f"/v1/apps/{app}/messages/{message['id']}"
        poll(lambda: len(api.get(f"{base}/attempts").json()["data"]) >= 2, 60)

        assert api.post(f"{base}/expunge").status_code == 204
        shown = api.get(base).json()
        assert shown["payload"] is None and shown["expunged"] is True
        assert shown["id"] == message["id"] and shown["event_type"] == "pii.signup"
        assert api.get(f"/v1/apps/{app}/messages/{marker['id']}").json() == marker
        # The retry made after the erasure and the dead letter are erased as they arrive.
        letter = dead_letter_of(stack, "kind=exhausted", lambda d: d["message_id"] == message["id"])
        assert letter["record"] is None and letter["expunged"] is True
        reads = [
            f"{base}/attempts",
            f"/v1/apps/{app}/messages",
            f"/v1/apps/{app}/endpoints/{failing['id']}/attempts",
            "/v1/dead-letters",
        ]
        attempts = api.get(f"{base}/attempts").json()["data"]
        assert len(attempts) == 3  # one success, two failures
        for attempt in attempts:
            assert attempt["expunged"] is True
            assert attempt["request"]["body"] is None
            assert attempt["response"] is None or attempt["response"]["body"] is None
            assert api.get(f"/v1/apps/{app}/attempts/{attempt['id']}").json() == attempt
        for path in reads:
            assert secret not in api.get(path).text, path
        resend = f"{base}/endpoints/{failing['id']}/resend"
        assert api.post(resend).status_code == 409
        with_stream = SseClient(
            f"{stack.base_url}/v1/apps/{app}/stream", {**headers, "last-event-id": start}
        )
        try:
            poll(lambda: len(with_stream.of("attempt")) >= 3, 60)
            streamed = [m for m in with_stream.of("message") if m["id"] == message["id"]]
            assert streamed == [shown]
            of_message = [a for a in with_stream.of("attempt") if a["message_id"] == message["id"]]
            assert of_message and all(a["expunged"] for a in of_message)
        finally:
            with_stream.close()
    assert api.post(f"/v1/apps/{app}/messages/msg_nope/expunge").status_code == 404


def test_an_apps_retention_erases_its_old_payloads_and_bodies(
    stack: Stack, receiver: Receiver
) -> None:
    api = stack.client
    refused = api.post("/v1/apps", json={"name": "x", "retention": "for ever"})
    assert refused.status_code == 422
    created = api.post("/v1/apps", json={"name": "short memory", "retention": "3s"})
    assert created.status_code == 201 and created.json()["retention"] == "3s"
    app, other = created.json()["id"], new_app(stack)
    for each in (app, other):
        new_endpoint(stack, each, receiver.url)
    kept = publish(stack, other, "kept", {"n": 1})
    gone = publish(stack, app, "erased", {"n": 2})
    receiver.wait_for(lambda r: True, 2)
    base = f"/v1/apps/{app}/messages/{gone['id']}"
    poll(lambda: api.get(base).json().get("expunged"), 60)
    assert api.get(base).json()["payload"] is None
    poll(lambda: api.get(f"{base}/attempts").json()["data"], 30)
    poll(lambda: api.get(f"{base}/attempts").json()["data"][0].get("expunged"), 30)
    assert api.get(f"{base}/attempts").json()["data"][0]["request"]["body"] is None
    assert api.get(f"/v1/apps/{other}/messages/{kept['id']}").json() == kept
    patched = api.patch(f"/v1/apps/{app}", json={"retention": None})
    assert patched.status_code == 200 and patched.json()["retention"] is None
