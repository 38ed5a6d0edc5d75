"""Endpoint management through the public API, observed at real loopback receivers."""

from __future__ import annotations

import orjson
from standardwebhooks.webhooks import Webhook

from tests.support.receiver import Received, Receiver
from tests.support.stack import Stack
from tests.support.waiting import poll


def event_type(request: Received) -> str:
    return str(orjson.loads(request.body)["type"])


def publish(stack: Stack, app: str, kind: str, **extra: object) -> str:
    answer = stack.client.post(
        f"/v1/apps/{app}/messages", json={"event_type": kind, "payload": {}, **extra}
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def test_subscriptions_patch_disable_and_delete_apply_to_the_next_message(
    stack: Stack, receiver: Receiver
) -> None:
    api = stack.client
    app = api.post("/v1/apps", json={"name": "Subs"}).json()["id"]
    url = f"/v1/apps/{app}/endpoints"
    created = api.post(
        url,
        json={"url": receiver.url, "uid": "billing", "event_types": ["invoice.*"], "ping": False},
    ).json()
    assert api.get(f"{url}/billing").json()["id"] == created["id"]

    publish(stack, app, "user.created")
    publish(stack, app, "invoice.paid")
    receiver.wait_for(lambda r: event_type(r) == "invoice.paid")

    patched = api.patch(f"{url}/billing", json={"event_types": ["user.created"]})
    assert patched.status_code == 200 and patched.json()["event_types"] == ["user.created"]
    publish(stack, app, "invoice.voided")
    publish(stack, app, "user.created")
    receiver.wait_for(lambda r: event_type(r) == "user.created")

    assert api.patch(f"{url}/billing", json={"enabled": False}).json()["enabled"] is False
    publish(stack, app, "user.created", channels=["x"])
    assert api.delete(f"{url}/billing").status_code == 204
    assert api.get(f"{url}/billing").status_code == 404
    # Events of one app are routed in order: once the marker arrived, the earlier ones were
    # routed too, and produced nothing.
    api.post(url, json={"url": receiver.url, "ping": False, "event_types": ["marker.sent"]})
    publish(stack, app, "marker.sent")
    receiver.wait_for(lambda r: event_type(r) == "marker.sent")
    # Only what the subscription allowed at each moment arrived; nothing after disabling.
    assert [event_type(r) for r in receiver.requests] == [
        "invoice.paid",
        "user.created",
        "marker.sent",
    ]


def test_channels_restrict_and_apps_are_isolated(stack: Stack, receiver: Receiver) -> None:
    api = stack.client
    app, other = (api.post("/v1/apps", json={"name": n}).json()["id"] for n in ("A", "B"))
    endpoint = api.post(
        f"/v1/apps/{app}/endpoints",
        json={"url": receiver.url, "channels": ["eu"], "ping": False},
    ).json()
    assert api.get(f"/v1/apps/{other}/endpoints/{endpoint['id']}").status_code == 404
    publish(stack, app, "order.created", channels=["us"])
    publish(stack, other, "order.created", channels=["eu"])
    wanted = publish(stack, app, "order.created", channels=["us", "eu"])
    receiver.wait_for(lambda r: r.headers["webhook-id"] == wanted)
    assert [r.headers["webhook-id"] for r in receiver.requests] == [wanted]


def test_rotation_signs_with_both_secrets_and_ping_on_demand(
    stack: Stack, receiver: Receiver
) -> None:
    api = stack.client
    app = api.post("/v1/apps", json={"name": "Rotate"}).json()["id"]
    ep = api.post(f"/v1/apps/{app}/endpoints", json={"url": receiver.url}).json()["id"]
    base = f"/v1/apps/{app}/endpoints/{ep}"
    receiver.wait_for(lambda r: event_type(r) == "webhook.ping")
    old = api.get(f"{base}/secret").json()["secret"]
    new = api.post(f"{base}/secret/rotate", json={}).json()["secret"]
    assert new != old and api.get(f"{base}/secret").json()["secret"] == new

    pinged = api.post(f"{base}/ping")
    assert pinged.status_code == 202
    message_id = pinged.json()["message_id"]
    delivered = receiver.wait_for(lambda r: r.headers["webhook-id"] == message_id)[0]
    assert len(delivered.headers["webhook-signature"].split()) == 2
    for secret in (old, new):
        Webhook(secret).verify(delivered.body, delivered.headers)

    def ping_attempts() -> list[dict[str, object]]:
        listed = api.get(f"{base}/attempts?status=succeeded").json()["data"]
        return [a for a in listed if a["message_id"] == message_id]

    attempt = poll(ping_attempts)[0]
    assert attempt["outcome"] == "succeeded" and attempt["event_type"] == "webhook.ping"
    assert api.get(f"{base}/attempts?status=failed").json()["data"] == []
