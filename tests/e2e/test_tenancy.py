"""Tenancy and safety on a hookbus that refuses private destinations (the production default):
the token on every /v1 call, apps isolated from each other, loopback destinations refused with
422 at creation and recorded as failed attempts at delivery; and /docs describing every call."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from shared import clock, signing
from shared.contracts import Contract, encode
from shared.ids import new_id
from tests.support.outbound import new_app, publish
from tests.support.receiver import Receiver
from tests.support.stack import Stack
from tests.support.waiting import poll

SAMPLE_PATH_VALUES = {
    "app": "app_x",
    "ep": "ep_x",
    "msg": "msg_x",
    "atm": "atm_x",
    "name": "a.b",
    "src": "src_x",
    "rt": "rt_x",
    "inbound_id": "in_x",
    "task": "task_x",
    "dl": "dl_x",
}


# One short retry, so a delivery to a private address reaches its final outcome quickly.
STACK_ENV = {"HOOKBUS_ALLOW_PRIVATE_DESTINATIONS": "false", "HOOKBUS_RETRY_SCHEDULE": "1s"}


def operations(stack: Stack) -> list[tuple[str, str, dict[str, Any]]]:
    spec = stack.client.get("/openapi.json").json()
    return [
        (method.upper(), path, operation)
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
        if path.startswith("/v1")
    ]


def test_every_v1_call_needs_the_token(stack: Stack) -> None:
    found = operations(stack)
    assert len(found) >= 25
    for method, path, _ in found:
        url = stack.base_url + path.format(**SAMPLE_PATH_VALUES)
        for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": stack.token}):
            answer = httpx.request(method, url, headers=headers, json={})
            assert answer.status_code == 401, (method, path, answer.text)
            assert answer.json()["error"]["code"] == "unauthorized"


def test_docs_describe_every_call_with_an_example(stack: Stack) -> None:
    assert stack.client.get("/docs").status_code == 200
    for method, path, operation in operations(stack):
        assert operation.get("summary"), (method, path)
        success = [c for c in operation["responses"] if c.startswith("2")]
        assert success, (method, path)
        if success != ["204"]:
            contents = operation["responses"][success[0]]["content"]
            content = contents.get("application/json") or contents["text/event-stream"]
            assert "example" in content, (method, path)
        if method in ("POST", "PATCH") and "requestBody" in operation:
            assert "example" in operation["requestBody"]["content"]["application/json"], path


def test_private_destinations_refused_at_creation_and_at_delivery(stack: Stack) -> None:
    api = stack.client
    app = new_app(stack)
    with Receiver() as receiver:
        for url in (receiver.url, "http://localhost:9/x", "http://[::1]/x", "http://169.254.1.1/"):
            answer = api.post(f"/v1/apps/{app}/endpoints", json={"url": url})
            assert answer.status_code == 422, (url, answer.text)
            assert answer.json()["error"]["code"] == "private_destination"
        assert api.get(f"/v1/apps/{app}/endpoints").json()["data"] == []
        # An endpoint whose address turned private after its creation (written straight to
        # the config log here) gets failed attempts, retried as usual, and no request.
        endpoint_id = asyncio.run(write_endpoint(stack, app, receiver.url + "/x"))
        sent = publish(stack, app, "invoice.paid")
        base = f"/v1/apps/{app}/endpoints/{endpoint_id}/attempts"

        def attempts(status: str) -> list[dict[str, Any]]:
            data: list[dict[str, Any]] = api.get(f"{base}?status={status}").json()["data"]
            return data

        final = poll(lambda: attempts("failed"))
        first = poll(lambda: attempts("pending"))
        assert [a["outcome"] for a in first + final] == ["retrying", "exhausted"]
        for attempt in first + final:
            assert attempt["message_id"] == sent["id"] and attempt["response"] is None
            assert "private" in attempt["error"]
        assert receiver.requests == []


def test_apps_are_isolated(stack: Stack) -> None:
    api = stack.client
    mine, theirs = new_app(stack, "mine"), new_app(stack, "theirs")
    endpoint_id = asyncio.run(write_endpoint(stack, mine, "http://127.0.0.1:9/x"))
    api.patch(f"/v1/apps/{mine}", json={"uid": "mine-uid"})
    sent = publish(stack, mine, "invoice.paid", {"secret_sauce": 1})
    mine_attempts = f"/v1/apps/{mine}/endpoints/{endpoint_id}/attempts"
    attempt_id = poll(lambda: api.get(mine_attempts).json()["data"])[0]["id"]
    poll(lambda: api.get(f"/v1/apps/{mine}/messages/{sent['id']}").status_code == 200)

    other = f"/v1/apps/{theirs}"
    for path in (
        f"{other}/endpoints/{endpoint_id}",
        f"{other}/endpoints/{endpoint_id}/secret",
        f"{other}/endpoints/{endpoint_id}/attempts",
        f"{other}/endpoints/{endpoint_id}/stats",
        f"{other}/messages/{sent['id']}",
        f"{other}/attempts/{attempt_id}",
    ):
        assert api.get(path).status_code == 404, path
    assert api.post(f"{other}/endpoints/{endpoint_id}/ping").status_code == 404
    assert api.patch(f"{other}/endpoints/{endpoint_id}", json={}).status_code == 404
    assert api.delete(f"{other}/endpoints/{endpoint_id}").status_code == 404
    assert api.get(f"{other}/messages/{sent['id']}/attempts").status_code == 404
    assert api.get(f"{other}/messages").json()["data"] == []
    assert api.get(f"{other}/endpoints").json()["data"] == []
    assert api.get("/v1/apps/mine-uid/messages").json()["data"][0]["id"] == sent["id"]
    assert api.get(f"/v1/apps/{mine}/endpoints/{endpoint_id}").status_code == 200


async def write_endpoint(stack: Stack, app: str, url: str) -> str:
    """Put an endpoint on the config topic directly, as a management write would."""
    endpoint_id = new_id("ep")
    now = clock.iso()
    data = {
        "id": endpoint_id,
        "app_id": app,
        "url": url,
        "enabled": True,
        "ordered": True,
        "secrets": [{"secret": signing.generate_secret(), "expires_at": None}],
        "created_at": now,
        "updated_at": now,
    }
    record = {"v": 1, "kind": "endpoint", "id": endpoint_id, "updated_at": now, "data": data}
    producer = AIOKafkaProducer(bootstrap_servers=stack.env["HOOKBUS_KAFKA_BOOTSTRAP"], acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            stack.env["HOOKBUS_TOPIC_PREFIX"] + "config",
            key=f"endpoint/{endpoint_id}".encode(),
            value=encode(Contract.CONFIG, record),
        )
    finally:
        await producer.stop()
    return endpoint_id
