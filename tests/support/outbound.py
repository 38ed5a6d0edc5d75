"""Small helpers for end-to-end tests of the outbound API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from tests.support.receiver import Received, Receiver
from tests.support.stack import Stack


def new_app(stack: Stack, name: str = "app") -> str:
    answer = stack.client.post("/v1/apps", json={"name": name})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def new_endpoint(stack: Stack, app: str, url: str, **fields: Any) -> dict[str, Any]:
    answer = stack.client.post(
        f"/v1/apps/{app}/endpoints", json={"url": url, "ping": False, **fields}
    )
    assert answer.status_code == 201, answer.text
    endpoint: dict[str, Any] = answer.json()
    return endpoint


def publish(stack: Stack, app: str, event_type: str, payload: Any = None, **extra: Any) -> Any:
    answer = stack.client.post(
        f"/v1/apps/{app}/messages",
        json={"event_type": event_type, "payload": payload or {}, **extra},
    )
    assert answer.status_code == 202, answer.text
    return answer.json()


def body(request: Received) -> Any:
    return orjson.loads(request.body)


def of_type(event_type: str) -> Callable[[Received], bool]:
    def check(request: Received) -> bool:
        try:
            return bool(body(request).get("type") == event_type)
        except (orjson.JSONDecodeError, AttributeError):
            return False

    return check


def with_id(message_id: str) -> Callable[[Received], bool]:
    return lambda request: request.headers.get("webhook-id") == message_id


def arrives(
    stack: Stack, app: str, receiver: Receiver, event_type: str, payload: Any = None, **extra: Any
) -> Received:
    """Publish a message and wait until ``receiver`` got it; return what it got.

    Used as a marker: events of one app are routed in order, and an ``ordered`` endpoint gets
    its deliveries one at a time in that order, so once the marker reached such an endpoint,
    whatever the endpoint has not got from earlier messages it never gets.
    """
    sent = publish(stack, app, event_type, payload, **extra)
    return receiver.wait_for(with_id(sent["id"]))[0]


def ids(requests: list[Received]) -> list[str]:
    return [r.headers["webhook-id"] for r in requests]
