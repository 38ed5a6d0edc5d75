"""Operator features end to end, through the public API on the real broker with real receivers:
event type names with ``:``, credentials masked in answers, filter operators, payload versions,
per-endpoint ``max_in_flight`` and the catalogue's schema for events produced straight to Kafka.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson

from shared import clock
from tests.e2e.test_kafka_interface import produce
from tests.support.inbound import route, send, source
from tests.support.outbound import arrives, body, new_app, new_endpoint, with_id
from tests.support.receiver import Receiver
from tests.support.stack import Stack, poll

Object = dict[str, Any]
DEPLOYED = "environment:code:deployed"
FAILED = "environment:code:deploy-failed"


def _attempts(stack: Stack, app: str, ep: str) -> list[Object]:
    def found() -> list[Object] | None:
        answer = stack.client.get(f"/v1/apps/{app}/endpoints/{ep}/attempts")
        data: list[Object] = answer.json()["data"] if answer.status_code == 200 else []
        return data or None

    result: list[Object] = poll(found, 60)
    return result


def test_event_type_names_with_colons_and_colon_prefix_patterns(
    stack: Stack, receiver: Receiver
) -> None:
    api = stack.client
    schema = {"type": "object", "required": ["environment"]}
    made = api.post("/v1/event-types", json={"name": DEPLOYED, "schema": schema})
    assert made.status_code == 201, made.text
    assert api.get(f"/v1/event-types/{DEPLOYED}").json()["name"] == DEPLOYED
    app = new_app(stack, "wpvip")
    colon = new_endpoint(stack, app, receiver.url + "/colon", event_types=["environment:code:*"])
    with Receiver() as other:
        new_endpoint(stack, app, other.url, event_types=["environment:site:*", "invoice.*"])
        refused = api.post(
            f"/v1/apps/{app}/messages", json={"event_type": DEPLOYED, "payload": {"x": 1}}
        )
        assert refused.status_code == 422, refused.text  # the catalogue's schema applies
        got = arrives(stack, app, receiver, DEPLOYED, {"environment": {"type": "production"}})
        assert got.path == "/colon" and body(got)["type"] == DEPLOYED
        # Straight to Kafka, with the same name.
        event = {
            "v": 1,
            "id": f"kafka-{uuid.uuid4().hex[:8]}",
            "app_id": app,
            "event_type": FAILED,
            "payload": {"error": "build"},
            "timestamp": clock.iso(),
        }
        topic = stack.env["HOOKBUS_TOPIC_PREFIX"] + "events"
        asyncio.run(
            produce(stack.env["HOOKBUS_KAFKA_BOOTSTRAP"], topic, [(b"k", orjson.dumps(event))])
        )
        receiver.wait_for(with_id(event["id"]))
        # An app route re-publishing inbound requests under a colon name.
        src = source(stack, name="vip", provider="generic", verification={"type": "none"})
        route(
            stack,
            name="deploys",
            source_id=src["id"],
            destination={"type": "app", "app_id": app, "event_type": FAILED},
        )
        assert send(stack, f"/in/{src['id']}", json={"site": 7}).status_code == 202
        receiver.wait_for(lambda r: body(r).get("data") == {"site": 7})
        assert other.requests == []
    listed = api.get(f"/v1/apps/{app}/messages", params={"event_type": DEPLOYED})
    assert listed.status_code == 200, listed.text
    assert colon["event_types"] == ["environment:code:*"]


def test_credentials_in_headers_are_masked_in_answers_and_sent_in_full(
    stack: Stack, receiver: Receiver
) -> None:
    api = stack.client
    app = new_app(stack, "masked")
    headers = {"Authorization": "Bearer s3cret", "X-Api-Key": "k-1", "x-team": "core"}
    created = new_endpoint(stack, app, receiver.url, headers=headers)
    shown = {"Authorization": "****", "X-Api-Key": "****", "x-team": "core"}
    assert created["headers"] == shown
    ep = created["id"]
    assert api.get(f"/v1/apps/{app}/endpoints/{ep}").json()["headers"] == shown
    assert api.get(f"/v1/apps/{app}/endpoints").json()["data"][0]["headers"] == shown
    got = arrives(stack, app, receiver, "invoice.paid")
    assert got.headers["authorization"] == "Bearer s3cret" and got.headers["x-api-key"] == "k-1"
    logged = _attempts(stack, app, ep)[0]["request"]["headers"]
    assert logged["authorization"] == "****" and logged["x-api-key"] == "****"
    assert logged["x-team"] == "core"
    assert "s3cret" not in api.get(f"/v1/apps/{app}/endpoints/{ep}/attempts").text
    # A read object sent back as it is keeps the credentials it masked.
    patched = api.patch(
        f"/v1/apps/{app}/endpoints/{ep}", json={"headers": {**shown, "x-team": "infra"}}
    )
    assert patched.status_code == 200, patched.text
    again = arrives(stack, app, receiver, "invoice.paid")
    assert again.headers["authorization"] == "Bearer s3cret" and again.headers["x-team"] == "infra"
    # Routes' http destinations too.
    forward = route(
        stack,
        name="masked",
        destination={"type": "http", "url": receiver.url, "headers": {"x-ci-token": "t0k"}},
    )
    for answer in (forward, api.get(f"/v1/routes/{forward['id']}").json()):
        assert answer["destination"]["headers"] == {"x-ci-token": "****"}
    listed = [r for r in api.get("/v1/routes").json()["data"] if r["id"] == forward["id"]]
    assert listed[0]["destination"]["headers"] == {"x-ci-token": "****"}
    api.delete(f"/v1/routes/{forward['id']}")
