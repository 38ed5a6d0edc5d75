"""Small helpers for end-to-end tests of the outbound API."""

from __future__ import annotations

import threading
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


class Ledger:
    """Every message id the API accepted (202) per app, in publish order, and the refusals."""

    def __init__(self, apps: list[str]) -> None:
        self.accepted: dict[str, list[str]] = {app: [] for app in apps}
        self.failures: list[str] = []
        self.done = threading.Event()

    def start(self, stack: Stack, per_app: int, batch: int, event_type: str) -> None:
        """Publish ``per_app`` messages to each app from a thread, in batches of ``batch`` that
        take turns between the apps; ``done`` is set when every batch was answered."""
        args = (stack, per_app, batch, event_type)
        threading.Thread(target=self._publish_all, args=args, daemon=True).start()

    def _publish_all(self, stack: Stack, per_app: int, batch: int, event_type: str) -> None:
        try:
            for start in range(0, per_app, batch):
                for app, ids in self.accepted.items():
                    messages = [
                        {"event_type": event_type, "payload": {"n": n}}
                        for n in range(start, start + batch)
                    ]
                    answer = stack.client.post(
                        f"/v1/apps/{app}/messages/batch", json={"messages": messages}
                    )
                    if answer.status_code == 202:
                        ids.extend(m["id"] for m in answer.json()["data"])
                    else:
                        self.failures.append(answer.text)
        finally:
            self.done.set()

    @property
    def total(self) -> int:
        """How many messages were accepted, all apps together."""
        return sum(len(ids) for ids in self.accepted.values())
