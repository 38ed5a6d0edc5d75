"""Publish → route → deliver → log, through the public API, against a real broker."""

from __future__ import annotations

import orjson
from standardwebhooks.webhooks import Webhook

from tests.support.receiver import Received, Receiver
from tests.support.stack import Stack
from tests.support.waiting import poll


def of_type(event_type: str):  # type: ignore[no-untyped-def]
    def check(request: Received) -> bool:
        return bool(orjson.loads(request.body).get("type") == event_type)

    return check


def test_published_message_reaches_new_endpoint_signed_and_logged(
    stack: Stack, receiver: Receiver
) -> None:
    api = stack.client
    app = api.post("/v1/apps", json={"name": "Acme", "uid": "acme-e2e"}).json()
    endpoint = api.post(f"/v1/apps/{app['id']}/endpoints", json={"url": receiver.url + "/hook"})
    assert endpoint.status_code == 201, endpoint.text
    ep = endpoint.json()
    assert "secret" not in ep and "secrets" not in ep
    # Published in the very next call after the creation answered: it must be routed to it.
    published = api.post(
        "/v1/apps/acme-e2e/messages",
        json={"event_type": "invoice.paid", "payload": {"invoice": "inv_1", "amount": 42}},
    )
    assert published.status_code == 202, published.text
    message = published.json()
    assert message["id"].startswith("msg_") and message["timestamp"].endswith("Z")

    ping, delivered = (
        receiver.wait_for(of_type("webhook.ping"))[0],
        receiver.wait_for(of_type("invoice.paid"))[0],
    )
    assert ping.headers["webhook-id"] != delivered.headers["webhook-id"]
    assert orjson.loads(delivered.body) == {
        "type": "invoice.paid",
        "timestamp": message["timestamp"],
        "data": {"invoice": "inv_1", "amount": 42},
    }
    assert delivered.headers["webhook-id"] == message["id"]
    assert delivered.headers["user-agent"].startswith("hookbus/")
    secret = api.get(f"/v1/apps/{app['id']}/endpoints/{ep['id']}/secret").json()["secret"]
    assert secret.startswith("whsec_")
    # An independent Standard Webhooks implementation accepts the signature.
    Webhook(secret).verify(delivered.body, delivered.headers)

    def attempts() -> list[dict[str, object]]:
        listed = api.get(f"/v1/apps/{app['id']}/endpoints/{ep['id']}/attempts").json()["data"]
        return [a for a in listed if a["message_id"] == message["id"]]

    listed = poll(attempts)
    attempt = api.get(f"/v1/apps/acme-e2e/attempts/{listed[0]['id']}").json()
    assert attempt["outcome"] == "succeeded" and attempt["attempt"] == 1
    assert attempt["response"]["status"] == 200 and attempt["response"]["body"] == "ok"
    assert attempt["request"]["url"] == receiver.url + "/hook"
    assert attempt["request"]["body"] == delivered.body.decode()
    assert attempt["duration_ms"] >= 0


def test_bad_input_is_refused_and_writes_nothing(stack: Stack, receiver: Receiver) -> None:
    api = stack.client
    app = api.post("/v1/apps", json={"name": "Quiet"}).json()
    api.post(f"/v1/apps/{app['id']}/endpoints", json={"url": receiver.url, "ping": False})
    messages = f"/v1/apps/{app['id']}/messages"

    malformed = api.post(
        messages, content=b'{"event_type": ', headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json()["error"]["code"] == "malformed_json"

    missing = api.post(messages, json={"payload": {}})
    assert missing.status_code == 422
    assert "event_type" in missing.json()["error"]["message"]

    unknown = api.post("/v1/apps/app_nope/messages", json={"event_type": "a.b", "payload": {}})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"

    no_token = api.post(
        messages, json={"event_type": "a.b", "payload": {}}, headers={"authorization": ""}
    )
    assert no_token.status_code == 401 and no_token.json()["error"]["code"] == "unauthorized"
    wrong = api.get("/v1/apps", headers={"authorization": "Bearer wrong"})
    assert wrong.status_code == 401

    for size in (1_050_000, 1_300_000):  # refused after parsing, and from content-length
        too_large = api.post(messages, json={"event_type": "a.b", "payload": {"x": "y" * size}})
        assert too_large.status_code == 413, too_large.text
        assert too_large.json()["error"]["code"] == "payload_too_large"

    bad_endpoint = api.post(f"/v1/apps/{app['id']}/endpoints", json={"url": "ftp://x"})
    assert bad_endpoint.status_code == 422
    assert len(api.get(f"/v1/apps/{app['id']}/endpoints").json()["data"]) == 1

    # A marker published after the refused calls is the first and only thing delivered.
    marker = api.post(messages, json={"event_type": "marker.sent", "payload": {}})
    assert marker.status_code == 202
    receiver.wait_for(of_type("marker.sent"))
    assert [orjson.loads(r.body)["type"] for r in receiver.requests] == ["marker.sent"]
