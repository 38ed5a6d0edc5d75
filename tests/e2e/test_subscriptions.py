"""Subscribing precisely and shaping what is received: event types and patterns, channels,
JSONPath filters, JMESPath transforms, headers, form encoding, PATCH for the next message, pings,
and signing with secrets sealed at rest; through one running hookbus and loopback receivers."""

from __future__ import annotations

import asyncio
import base64
import os
from typing import Any
from urllib.parse import parse_qs

import httpx
import orjson
from aiokafka import AIOKafkaConsumer
from standardwebhooks.webhooks import Webhook

from tests.support.outbound import (
    arrives,
    body,
    ids,
    new_app,
    new_endpoint,
    of_type,
    publish,
    with_id,
)
from tests.support.receiver import Received, Receiver
from tests.support.stack import Stack
from tests.support.waiting import poll

SECRET_KEY = base64.b64encode(os.urandom(32)).decode()
GIVEN_SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


STACK_ENV = {"HOOKBUS_SECRET_KEY": SECRET_KEY}


def test_prefix_patterns_exact_names_and_everything(stack: Stack) -> None:
    app = new_app(stack)
    with Receiver() as prefix, Receiver() as exact, Receiver() as everything:
        new_endpoint(stack, app, prefix.url, event_types=["invoice.*"], ordered=True)
        new_endpoint(stack, app, exact.url, event_types=["user.created"], ordered=True)
        new_endpoint(stack, app, everything.url, ordered=True)
        for kind in ("invoice.paid", "invoicing.sent", "user.created", "user.deleted", "invoice"):
            publish(stack, app, kind)
        arrives(stack, app, prefix, "invoice.voided")
        arrives(stack, app, exact, "user.created", {"last": True})
        everything.wait_for(of_type("user.created"), count=2)
    # A prefix.* subscriber gets nothing of another prefix, nor the bare prefix itself.
    assert [body(r)["type"] for r in prefix.requests] == ["invoice.paid", "invoice.voided"]
    assert [body(r)["type"] for r in exact.requests] == ["user.created", "user.created"]
    assert [body(r)["type"] for r in everything.requests] == [
        "invoice.paid",
        "invoicing.sent",
        "user.created",
        "user.deleted",
        "invoice",
        "invoice.voided",
        "user.created",
    ]


def test_filter_excludes_and_patch_applies_to_the_next_message(
    stack: Stack, receiver: Receiver
) -> None:
    api = stack.client
    app = new_app(stack)
    production = {"$.data.environment.type": "production", "$['type']": "deploy.finished"}
    endpoint = new_endpoint(stack, app, receiver.url, filter=production, ordered=True)
    # Published in the very next call after the creation answered.
    staging = publish(stack, app, "deploy.finished", {"environment": {"type": "staging"}})
    other = publish(stack, app, "deploy.started", {"environment": {"type": "production"}})
    kept = arrives(stack, app, receiver, "deploy.finished", {"environment": {"type": "production"}})
    assert ids(receiver.requests) == [kept.headers["webhook-id"]]
    assert staging["id"] not in ids(receiver.requests) and other["id"] not in ids(receiver.requests)

    url = f"/v1/apps/{app}/endpoints/{endpoint['id']}"
    bad = api.patch(url, json={"filter": {"$.data[": 1, "$.ok": 2}})
    assert bad.status_code == 422 and "$.data[" in bad.json()["error"]["message"]
    bad = api.post(f"/v1/apps/{app}/endpoints", json={"url": receiver.url, "filter": {"x.y": 1}})
    assert bad.status_code == 422 and "'x.y'" in bad.json()["error"]["message"]
    assert api.get(url).json()["filter"] == production  # the refused patch wrote nothing
    assert len(api.get(f"/v1/apps/{app}/endpoints").json()["data"]) == 1

    patched = api.patch(url, json={"filter": {"$.data.tags[*]": "eu"}})
    assert patched.status_code == 200 and patched.json()["filter"] == {"$.data.tags[*]": "eu"}
    skipped = publish(stack, app, "deploy.finished", {"tags": ["us"]})
    got = arrives(stack, app, receiver, "deploy.started", {"tags": ["us", "eu"]})
    assert skipped["id"] not in ids(receiver.requests)
    assert body(got)["data"]["tags"] == ["us", "eu"]
    assert api.patch(url, json={"filter": None}).json()["filter"] is None
    arrives(stack, app, receiver, "anything.goes")


def test_transform_headers_and_form_encoding(stack: Stack) -> None:
    api = stack.client
    app = new_app(stack)
    with Receiver() as legacy, Receiver() as modern, Receiver() as form:
        new_endpoint(
            stack,
            app,
            legacy.url,
            transform="merge(data, {event: type})",
            headers={"x-wpvip-webhook": "v1"},
        )
        new_endpoint(stack, app, modern.url, headers={"X-Payload-Version": "2"})
        new_endpoint(stack, app, form.url, content_type="application/x-www-form-urlencoded")
        sent = publish(stack, app, "post.published", {"post_id": 7, "title": "Hello"})
        old, new, encoded = (r.wait_for(with_id(sent["id"]))[0] for r in (legacy, modern, form))
    # The legacy consumer keeps its flat shape; new ones get the envelope.
    assert body(old) == {"post_id": 7, "title": "Hello", "event": "post.published"}
    assert old.headers["x-wpvip-webhook"] == "v1"
    envelope = {"type": "post.published", "timestamp": sent["timestamp"], "data": sent["payload"]}
    assert body(new) == envelope and new.headers["x-payload-version"] == "2"
    assert encoded.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form_json(encoded) == envelope
    bad = api.post(f"/v1/apps/{app}/endpoints", json={"url": legacy.url, "transform": "{a: "})
    assert bad.status_code == 422 and "JMESPath" in bad.json()["error"]["message"]


def test_transform_failing_on_an_event_dead_letters_it_for_that_endpoint(
    stack: Stack, receiver: Receiver
) -> None:
    app = new_app(stack)
    audit = httpx.Client(
        base_url=f"http://127.0.0.1:{stack.ports['audit']}",
        headers={"authorization": f"Bearer {stack.token}"},
    )
    with Receiver() as picky:
        endpoint = new_endpoint(stack, app, picky.url, transform="{size: length(data.items)}")
        new_endpoint(stack, app, receiver.url)
        failing = publish(stack, app, "cart.updated", {"items": 3})  # length() of a number
        receiver.wait_for(with_id(failing["id"]))
        fine = publish(stack, app, "cart.updated", {"items": [1, 2]})
        assert body(picky.wait_for(with_id(fine["id"]))[0]) == {"size": 2}
        assert failing["id"] not in ids(picky.requests)

        def dead() -> list[dict[str, object]]:
            letters = audit.get("/v1/dead-letters").json()["data"]
            return [d for d in letters if failing["id"] in str(d.get("record"))]

        letter = poll(dead)[0]
        reason = str(letter["reason"])
        assert endpoint["id"] in reason and "transform failed" in reason

        # The deliveries log shows it as a failed try that sent nothing; once the transform
        # is mended, recovering the endpoint sends the message.
        path = f"/v1/apps/{app}/endpoints/{endpoint['id']}"
        [tried] = poll(lambda: stack.client.get(f"{path}/attempts?status=failed").json()["data"])
        assert (tried["message_id"], tried["response"]) == (failing["id"], None)
        assert tried["outcome"] == "failed" and tried["error"].startswith("transform failed")
        assert stack.client.get(f"{path}/stats").json()["failed"] == 1
        mended = stack.client.patch(path, json={"transform": "{size: data.items}"})
        assert mended.status_code == 200
        recovered = stack.client.post(f"{path}/recover", json={"since": failing["timestamp"]})
        assert recovered.status_code == 202 and recovered.json()["count"] == 1, recovered.text
        assert body(picky.wait_for(with_id(failing["id"]))[0]) == {"size": 3}


def test_patch_of_every_field_applies_to_the_next_message(stack: Stack) -> None:
    api = stack.client
    app = new_app(stack)
    with Receiver() as first, Receiver() as second:
        endpoint = new_endpoint(stack, app, first.url, ordered=True)
        url = f"/v1/apps/{app}/endpoints/{endpoint['id']}"
        changes = {
            "url": second.url + "/moved",
            "event_types": ["order.*"],
            "channels": ["eu"],
            "headers": {"x-version": "3"},
            "transform": "{order: data.order, kind: type}",
            "content_type": "application/x-www-form-urlencoded",
            "description": "moved",
            "metadata": {"team": "billing"},
            "timeout_ms": 5000,
        }
        patched = api.patch(url, json=changes)
        assert patched.status_code == 200, patched.text
        assert {k: patched.json()[k] for k in changes} == changes
        publish(stack, app, "order.created", {"order": 1}, channels=["us"])
        publish(stack, app, "user.created", {"order": 2}, channels=["eu"])
        got = arrives(stack, app, second, "order.created", {"order": 3}, channels=["eu"])
        assert got.path == "/moved" and got.headers["x-version"] == "3"
        assert form_json(got) == {"order": 3, "kind": "order.created"}
        assert len(second.requests) == 1 and first.requests == []
        assert api.patch(url, json={"enabled": False}).json()["enabled"] is False
        publish(stack, app, "order.created", {"order": 4}, channels=["eu"])
        assert api.patch(url, json={"enabled": True}).json()["enabled"] is True
        arrives(stack, app, second, "order.updated", {"order": 5}, channels=["eu"])
        assert [form_json(r)["order"] for r in second.requests] == [3, 5]


def test_ping_on_creation_unless_disabled_and_on_demand(stack: Stack) -> None:
    api = stack.client
    app = new_app(stack)
    with Receiver() as pinged, Receiver() as quiet:
        created = api.post(f"/v1/apps/{app}/endpoints", json={"url": pinged.url})
        endpoint = created.json()
        ping = pinged.wait_for(of_type("webhook.ping"))[0]
        assert body(ping)["data"] == {"success": True, "endpoint_id": endpoint["id"]}
        silent = new_endpoint(stack, app, quiet.url, ordered=True, event_types=["x.y"])
        answer = api.post(f"/v1/apps/{app}/endpoints/{silent['id']}/ping")
        assert answer.status_code == 202
        # The on-demand ping ignores event types; the creation ping never came (ping: false).
        got = quiet.wait_for(with_id(answer.json()["message_id"]))
        assert len(got) == 1 and ids(quiet.requests) == [answer.json()["message_id"]]
        missing = api.post(f"/v1/apps/{app}/endpoints/ep_nope/ping")
        assert missing.status_code == 404


def test_secrets_sealed_at_rest_never_listed_and_both_signatures_during_rotation(
    stack: Stack, receiver: Receiver
) -> None:
    api = stack.client
    app = new_app(stack)
    endpoint = new_endpoint(stack, app, receiver.url, secret=GIVEN_SECRET)
    base = f"/v1/apps/{app}/endpoints/{endpoint['id']}"
    assert api.get(f"{base}/secret").json() == {"secret": GIVEN_SECRET}
    listed = api.get(f"/v1/apps/{app}/endpoints").text + api.get(base).text
    assert "whsec_" not in listed and "secret" not in listed

    first = arrives(stack, app, receiver, "invoice.paid")
    Webhook(GIVEN_SECRET).verify(first.body, first.headers)
    rotated = api.post(f"{base}/secret/rotate", json={})
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != GIVEN_SECRET
    second = arrives(stack, app, receiver, "invoice.paid")
    assert len(second.headers["webhook-signature"].split()) == 2
    for secret in (GIVEN_SECRET, new):
        Webhook(secret).verify(second.body, second.headers)  # each alone is enough

    bad = api.post(f"/v1/apps/{app}/endpoints", json={"url": receiver.url, "secret": "whsec_x"})
    assert bad.status_code == 422 and "secret" in bad.json()["error"]["message"]
    bad = api.post(f"{base}/secret/rotate", json={"secret": "not-a-secret"})
    assert bad.status_code == 422
    assert api.get(f"{base}/secret").json() == {"secret": new}

    # On the config topic the secrets are sealed; no log line carries them.
    raw = asyncio.run(config_records(stack))
    assert b"enc:v1:" in raw
    logs = "".join(p.read_text(errors="replace") for p in stack.log_dir.glob("*.log"))
    for secret in (GIVEN_SECRET, new):
        assert secret.encode() not in raw
        assert secret.split("_", 1)[1] not in logs


async def config_records(stack: Stack) -> bytes:
    consumer = AIOKafkaConsumer(
        stack.env["HOOKBUS_TOPIC_PREFIX"] + "config",
        bootstrap_servers=stack.env["HOOKBUS_KAFKA_BOOTSTRAP"],
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    values = []
    try:
        while found := await consumer.getmany(timeout_ms=2000):
            values += [r.value or b"" for records in found.values() for r in records]
    finally:
        await consumer.stop()
    return b"\n".join(values)


def form_json(request: Received) -> Any:
    """The JSON document in a form-encoded ``payload=`` body."""
    return orjson.loads(parse_qs(request.body.decode())["payload"][0])
