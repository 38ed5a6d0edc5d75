"""The public interface, call by call, as the handbook's API describes it: status codes, field
names, id prefixes, timestamps, list and error shapes, and what odd input gets. Driven only
through the one base URL, like a user's script; one running hookbus for the module."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from standardwebhooks.webhooks import Webhook

from shared.local_kafka import LocalBroker
from shared.local_kafka.broker import free_ports
from shared.local_kafka.errors import LocalKafkaError
from tests.support.receiver import Received, Receiver
from tests.support.stack import Stack
from tests.support.waiting import poll

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
APP_KEYS = {"id", "uid", "name", "metadata", "retention", "created_at", "updated_at"}
MESSAGE_KEYS = {"id", "event_type", "payload", "channels", "timestamp"}
ATTEMPT_KEYS = {"id", "message_id", "endpoint_id", "attempt", "timestamp", "duration_ms"}
ATTEMPT_KEYS |= {"request", "response", "error", "outcome"}
JSON = {"content-type": "application/json"}


def typed(event_type: str):  # type: ignore[no-untyped-def]
    def check(request: Received) -> bool:
        return bool(orjson.loads(request.body).get("type") == event_type)

    return check


def refused(answer: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert the documented error shape; return the error."""
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert set(error) == {"code", "message", "details"} and error["message"], error
    assert code is None or error["code"] == code, error
    return dict(error)


def timestamps_have_z(document: Any) -> None:
    """Every field named like a timestamp, at any depth, is ISO 8601 UTC with ``Z``."""
    if isinstance(document, dict):
        for key, value in document.items():
            if (key.endswith("_at") or key == "timestamp") and value is not None:
                assert ISO_Z.match(value), (key, value)
            timestamps_have_z(value)
    elif isinstance(document, list):
        for item in document:
            timestamps_have_z(item)


@pytest.fixture
def app(stack: Stack) -> Iterator[str]:
    created = stack.client.post("/v1/apps", json={"name": "Conformance"})
    yield created.json()["id"]


def test_every_outbound_call_answers_as_documented(stack: Stack, receiver: Receiver) -> None:
    api = stack.client
    created = api.post("/v1/apps", json={"name": "Acme", "uid": "acme-conf", "metadata": {"a": 1}})
    assert created.status_code == 201 and set(created.json()) == APP_KEYS
    app = created.json()
    assert app["id"].startswith("app_") and app["uid"] == "acme-conf"
    refused(api.post("/v1/apps", json={"name": "Again", "uid": "acme-conf"}), 409)

    made = api.post("/v1/apps/acme-conf/endpoints", json={"url": receiver.url, "uid": "main"})
    assert made.status_code == 201, made.text
    endpoint = made.json()
    assert endpoint["id"].startswith("ep_") and "secret" not in endpoint
    defaults = {"enabled": True, "timeout_ms": 15000, "content_type": "application/json"}
    defaults |= {"event_types": None, "channels": None, "filter": None, "transform": None}
    defaults |= {"headers": {}, "rate_limit": None, "ordered": False}
    assert {key: endpoint[key] for key in defaults} == defaults
    assert api.get("/v1/apps/acme-conf/endpoints/main").json()["id"] == endpoint["id"]
    secret = api.get("/v1/apps/acme-conf/endpoints/main/secret").json()["secret"]
    assert secret.startswith("whsec_") and 24 <= len(base64.b64decode(secret[6:])) <= 64
    receiver.wait_for(typed("webhook.ping"))

    pinged = api.post("/v1/apps/acme-conf/endpoints/main/ping")
    assert pinged.status_code == 202 and pinged.json()["message_id"].startswith("msg_")
    rotated = api.post("/v1/apps/acme-conf/endpoints/main/secret/rotate", json={})
    assert rotated.status_code == 200 and set(rotated.json()) == {"secret"}

    published = api.post(
        "/v1/apps/acme-conf/messages", json={"event_type": "order.paid", "payload": {"n": 1}}
    )
    assert published.status_code == 202 and set(published.json()) == MESSAGE_KEYS
    message = published.json()
    assert message["id"].startswith("msg_") and message["channels"] == []
    delivered = receiver.wait_for(typed("order.paid"))[0]
    # Signed by both the new and the previous secret, each verifiable on its own.
    assert len(delivered.headers["webhook-signature"].split(" ")) == 2
    for key in (secret, rotated.json()["secret"]):
        Webhook(key).verify(delivered.body, delivered.headers)
    batch = api.post(
        "/v1/apps/acme-conf/messages/batch",
        json={"messages": [{"event_type": "order.paid", "payload": {"n": 2}}]},
    )
    assert batch.status_code == 202 and set(batch.json()["data"][0]) == MESSAGE_KEYS

    base = "/v1/apps/acme-conf/endpoints/main"
    attempts = poll(lambda: api.get(f"{base}/attempts?status=succeeded").json()["data"])
    attempt = api.get(f"/v1/apps/acme-conf/attempts/{attempts[0]['id']}").json()
    assert attempt["id"].startswith("atm_") and set(attempt) >= ATTEMPT_KEYS
    assert set(attempt["request"]) >= {"url", "method", "headers", "body"}
    assert set(attempt["response"]) >= {"status", "headers", "body"}
    stats = api.get(f"{base}/stats").json()
    assert stats["succeeded"] >= 1 and "disabled_reason" in stats
    recovered = api.post(f"{base}/recover", json={"since": "2020-01-01T00:00:00Z"})
    assert recovered.status_code == 202 and recovered.json()["count"] == 0
    resend = api.post(f"/v1/apps/acme-conf/messages/{message['id']}/endpoints/main/resend")
    assert resend.status_code == 202, resend.text

    lists = [
        "/v1/apps",
        "/v1/apps/acme-conf/endpoints",
        "/v1/event-types",
        "/v1/apps/acme-conf/messages",
        f"/v1/apps/acme-conf/messages/{message['id']}/attempts",
        f"{base}/attempts",
        "/v1/sources",
        "/v1/routes",
        "/v1/inbound",
    ]
    for path in lists:
        answer = api.get(path)
        assert answer.status_code == 200 and set(answer.json()) == {"data", "next_cursor"}, path
        timestamps_have_z(answer.json())
    for document in (app, endpoint, message, attempt, stats):
        timestamps_have_z(document)

    assert api.delete(base).status_code == 204
    refused(api.delete(base), 404, "not_found")
    assert api.delete("/v1/apps/acme-conf").status_code == 204
    refused(api.get("/v1/apps/acme-conf"), 404, "not_found")
    for path in ("/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"):
        assert httpx.get(stack.base_url + path).status_code == 200, path


def test_request_bodies_are_json_or_refused_and_refusals_write_nothing(
    stack: Stack, receiver: Receiver, app: str
) -> None:
    api = stack.client
    api.post(f"/v1/apps/{app}/endpoints", json={"url": receiver.url, "ping": False})
    messages = f"/v1/apps/{app}/messages"
    apps_before = len(api.get("/v1/apps?limit=250").json()["data"])
    body = b'{"name": "typed wrong"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {} if content_type is None else {"content-type": content_type}
        refused(api.post("/v1/apps", content=body, headers=headers), 415, "unsupported_media_type")
    sent = b'{"event_type": "x.y", "payload": {}}'
    refused(api.post(messages, content=sent, headers={"content-type": "text/plain"}), 415)

    for empty in ({"content-type": "application/json"}, {}):
        refused(api.post("/v1/apps", content=b"", headers=empty), 400, "malformed_json")
        refused(api.post(messages, content=b"", headers=empty), 400, "malformed_json")
    for broken in (
        b'{"event_type": "x.y", "payload": {"n": NaN}}',
        b'{"event_type": "x.y", "payload": {"s": "\\ud800"}}',
        b'{"event_type": "x.y", "payload": {"s": "\xff"}}',
    ):
        refused(api.post(messages, content=broken, headers=JSON), 400, "malformed_json")
    deep = b'{"event_type": "x.y", "payload": ' + b'{"a":' * 300 + b"1" + b"}" * 301
    refused(api.post(messages, content=deep, headers=JSON), 422, "too_deeply_nested")
    # Streamed without a length: the limit still holds.
    chunks = iter([sent[:-2], b', "pad": "' + b"y" * 1_200_000 + b'"}'])
    refused(api.post(messages, content=chunks, headers=JSON), 413, "payload_too_large")
    assert len(api.get("/v1/apps?limit=250").json()["data"]) == apps_before

    big = b'{"event_type": "big.int", "payload": {"n": 123456789012345678901234567890}}'
    accepted = api.post(messages, content=big, headers={"content-type": "application/json"})
    assert accepted.status_code == 202, accepted.text
    assert (
        orjson.loads(receiver.wait_for(typed("big.int"))[0].body)["data"]["n"]
        == 1.2345678901234568e29
    )
    assert [orjson.loads(r.body)["type"] for r in receiver.requests] == ["big.int"]


def test_odd_input_gets_a_clear_4xx_never_a_5xx(stack: Stack, app: str) -> None:
    api = stack.client
    endpoints = f"/v1/apps/{app}/endpoints"
    for url in ("http://[::1", "https://example.com:99999/", "http://exa mple.com/"):
        refused(api.post(endpoints, json={"url": url}), 422)
    endpoint = api.post(endpoints, json={"url": "http://127.0.0.1:9/x", "ping": False}).json()
    refused(api.patch(f"{endpoints}/{endpoint['id']}", json={"url": "http://[::1"}), 422)
    for headers in ({"x y": "1"}, {"x:y": "1"}, {"": "1"}, {"x-ok": "a\r\nInjected: 1"}):
        refused(api.post(endpoints, json={"url": "http://127.0.0.1:9/", "headers": headers}), 422)
    for uid in (".", ".."):
        refused(api.post("/v1/apps", json={"name": "dots", "uid": uid}), 422)
    refused(
        api.post(f"/v1/apps/{app}/messages", json={"event_type": "a", "payload": {}, "id": ".."}),
        422,
    )
    control = {"event_type": "a", "payload": {}, "channels": ["a\u0000"]}
    refused(api.post(f"/v1/apps/{app}/messages", json=control), 422)

    for path in (
        f"/v1/apps/{app}/messages/%00",
        f"/v1/apps/{app}/messages/%3F",
        f"/v1/apps/{app}/messages/%00/attempts",
        f"/v1/apps/{app}/attempts/%00",
        "/v1/inbound/%00",
        "/v1/inbound/%3F",
    ):
        refused(api.get(path), 404, "not_found")
    resend = f"/v1/apps/{app}/messages/%3F/endpoints/{endpoint['id']}/resend"
    refused(api.post(resend), 404)

    year_one = "0001-01-01T00:00:00+05:00"
    recover = f"{endpoints}/{endpoint['id']}/recover"
    refused(api.post(recover, json={"since": year_one}), 422)
    refused(api.get(f"/v1/apps/{app}/messages", params={"after": year_one}), 422)
    refused(api.get(f"/v1/apps/{app}/messages", params={"channel": "a\u0001"}), 422)


def test_lists_page_with_limit_and_cursor_and_refuse_bad_ones(stack: Stack, app: str) -> None:
    api = stack.client
    made = {api.post("/v1/apps", json={"name": f"page {n}"}).json()["id"] for n in range(5)}
    ep = api.post(f"/v1/apps/{app}/endpoints", json={"url": "http://127.0.0.1:9/", "ping": False})
    api.post(f"/v1/apps/{app}/messages", json={"event_type": "listed", "payload": {}})
    attempts = f"/v1/apps/{app}/endpoints/{ep.json()['id']}/attempts"
    lists = [
        "/v1/apps",
        f"/v1/apps/{app}/endpoints",
        "/v1/event-types",
        f"/v1/apps/{app}/messages",
        attempts,
    ]
    for path in lists:
        for limit in ("0", "251", "abc", "-1", "99999999999999999999999"):
            refused(api.get(path, params={"limit": limit}), 422)
        for garbage in ("!!!!", "QUJD", "A" * 500):
            refused(api.get(path, params={"cursor": garbage}), 422)
        assert api.get(path, params={"limit": "", "cursor": ""}).status_code == 200, path

    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = api.get("/v1/apps", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        seen += [a["id"] for a in page.json()["data"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert made <= set(seen) and len(seen) == len(set(seen)) and seen == sorted(seen)

    # The filters as the API spells them, left empty: no filter at all.
    every = poll(lambda: api.get(f"/v1/apps/{app}/messages").json()["data"])
    spelled = api.get(f"/v1/apps/{app}/messages?event_type=&channel=&after=&before=")
    assert spelled.status_code == 200 and spelled.json()["data"] == every


def test_pinging_a_disabled_endpoint_is_refused_until_it_is_enabled(
    stack: Stack, receiver: Receiver, app: str
) -> None:
    api = stack.client
    endpoint = api.post(
        f"/v1/apps/{app}/endpoints", json={"url": receiver.url, "ping": False, "enabled": False}
    ).json()
    path = f"/v1/apps/{app}/endpoints/{endpoint['id']}"
    refused(api.post(f"{path}/ping"), 409, "endpoint_disabled")
    assert api.patch(path, json={"enabled": True}).status_code == 200
    pinged = api.post(f"{path}/ping")
    assert pinged.status_code == 202
    arrived = receiver.wait_for(typed("webhook.ping"))
    assert [r.headers["webhook-id"] for r in arrived] == [pinged.json()["message_id"]]


@pytest.mark.kafka
def test_without_kafka_writes_answer_503_and_readyz_says_not_ready(tmp_path: Path) -> None:
    """Runs its own broker (the shared one is not ours to stop)."""
    broker = LocalBroker(data_dir=tmp_path / "kafka", port=free_ports(1)[0])
    try:
        broker.start()
    except LocalKafkaError as exc:
        pytest.skip(f"no local broker of our own can start here: {exc}")
    stack = Stack(broker.bootstrap, tmp_path / "stack")
    try:
        stack.start()
        api = stack.client
        app = api.post("/v1/apps", json={"name": "offline"}).json()["id"]
        assert httpx.get(stack.base_url + "/readyz").json()["checks"]["kafka"] is True
        broker.stop()
        published = api.post(f"/v1/apps/{app}/messages", json={"event_type": "a", "payload": {}})
        refused(published, 503, "kafka_unavailable")
        refused(api.post("/v1/apps", json={"name": "not now"}), 503, "kafka_unavailable")

        def not_ready() -> bool:
            answer = httpx.get(stack.base_url + "/readyz")
            return answer.status_code == 503 and answer.json()["checks"]["kafka"] is False

        poll(not_ready, 30)
    finally:
        stack.stop()
        broker.stop()


def test_optional_fields_sent_as_null_mean_left_out(stack: Stack, receiver: Receiver) -> None:
    api = stack.client
    app = api.post("/v1/apps", json={"name": "nulls", "uid": None, "metadata": None})
    assert app.status_code == 201 and app.json()["metadata"] == {}, app.text
    app_id = app.json()["id"]
    kind = api.post("/v1/event-types", json={"name": "nulls.sent", "description": None})
    assert kind.status_code == 201 and kind.json()["description"] == "", kind.text
    optional = ["description", "uid", "metadata", "event_types", "channels", "filter", "secret"]
    optional += ["enabled", "headers", "timeout_ms", "transform", "content_type", "rate_limit"]
    optional += ["ordered", "ping"]
    endpoint = api.post(
        f"/v1/apps/{app_id}/endpoints", json={"url": receiver.url, **dict.fromkeys(optional)}
    )
    assert endpoint.status_code == 201, endpoint.text
    assert endpoint.json()["timeout_ms"] == 15000 and endpoint.json()["enabled"] is True
    receiver.wait_for(typed("webhook.ping"))  # null ping: the default, a ping is sent
    message: dict[str, Any] = {"event_type": "nulls.sent", "payload": {}, "id": None}
    message["channels"] = None
    published = api.post(f"/v1/apps/{app_id}/messages", json=message)
    assert published.status_code == 202 and published.json()["channels"] == [], published.text
    batch = api.post(f"/v1/apps/{app_id}/messages/batch", json={"messages": [message]})
    assert batch.status_code == 202, batch.text
    receiver.wait_for(typed("nulls.sent"), count=2)

    # In a PATCH, null puts a field back to its default; the url, which has none, stays.
    path = f"/v1/apps/{app_id}/endpoints/{endpoint.json()['id']}"
    set_up = {"description": "d", "metadata": {"a": 1}, "headers": {"x-v": "1"}, "uid": "e1"}
    set_up |= {"rate_limit": 5, "timeout_ms": 1000, "channels": ["c"], "ordered": True}
    assert api.patch(path, json=set_up).status_code == 200
    cleared = api.patch(path, json=dict.fromkeys([*set_up, "url", "enabled", "content_type"]))
    assert cleared.status_code == 200, cleared.text
    after = cleared.json()
    assert (after["description"], after["metadata"], after["headers"]) == ("", {}, {})
    assert (after["uid"], after["rate_limit"], after["channels"]) == (None, None, None)
    assert (after["timeout_ms"], after["ordered"], after["enabled"]) == (15000, False, True)
    assert after["url"] == receiver.url and after["content_type"] == "application/json"
    assert api.get(path).json() == after
    app_cleared = api.patch(f"/v1/apps/{app_id}", json={"metadata": None, "name": None})
    assert app_cleared.status_code == 200 and app_cleared.json()["name"] == "nulls"


def test_the_token_is_checked_before_anything_else(stack: Stack, app: str) -> None:
    anonymous = httpx.Client(base_url=stack.base_url, timeout=30)
    messages = f"/v1/apps/{app}/messages"
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": stack.token}):
        for answer in (
            anonymous.post(messages, content=b"{broken", headers={**JSON, **headers}),
            anonymous.post(
                messages, content=b"a=b", headers={"content-type": "text/plain", **headers}
            ),
            anonymous.post(messages, json={"payload": "y" * 2_000_000}, headers=headers),
            anonymous.get("/v1/no-such-thing", headers=headers),
            anonymous.delete(f"/v1/apps/{app}", headers=headers),
        ):
            refused(answer, 401, "unauthorized")
    assert stack.client.get(f"/v1/apps/{app}").status_code == 200


def test_a_trailing_slash_on_a_management_path_is_the_same_path(stack: Stack) -> None:
    api = stack.client
    made = api.post("/v1/apps/", json={"name": "slash", "uid": "slash-app"})
    assert made.status_code == 201, made.text
    listed = api.get("/v1/apps/", params={"limit": 250})
    assert listed.status_code == 200 and made.json() in listed.json()["data"]
    assert api.get("/v1/apps/slash-app/").json() == made.json()
    refused(api.get("/v1/nothing-here/"), 404)
    # A batch is held to the batch limit, slash or not (2 MiB: over a single message's limit).
    big = [{"event_type": "slash.big", "payload": {"s": "x" * 1024}}] * 2000
    batch = api.post(f"/v1/apps/{made.json()['id']}/messages/batch/", json={"messages": big})
    refused(batch, 422)  # over 1000 messages: refused for its count, not its size
    assert httpx.get(stack.base_url + "/v1/apps/").status_code == 401
