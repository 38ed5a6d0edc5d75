"""Helpers for end-to-end delivery tests: scripted receivers and the public API calls they use."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from tests.support.receiver import Received
from tests.support.stack import Stack
from tests.support.waiting import poll

Answer = tuple[int, bytes] | tuple[int, bytes, dict[str, str]]


class Script:
    """Answers each message's n-th request with the n-th answer (the last one repeats).

    ``answers`` may be replaced while a receiver uses it (a receiver that gets fixed).
    """

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.seen: defaultdict[str, int] = defaultdict(int)
        self.lock = threading.Lock()

    def __call__(self, request: Received) -> Answer:
        with self.lock:
            n = self.seen[request.headers["webhook-id"]]
            self.seen[request.headers["webhook-id"]] += 1
        return self.answers[min(n, len(self.answers) - 1)]


def publish(stack: Stack, app: str, event_type: str = "order.paid") -> str:
    """Publish one message through the public API; return its id."""
    answer = stack.client.post(
        f"/v1/apps/{app}/messages", json={"event_type": event_type, "payload": {"n": 1}}
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def attempts_of(stack: Stack, app: str, message: str, count: int) -> list[dict[str, Any]]:
    """The message's attempts, oldest first, once ``count`` of them are logged."""

    def listed() -> list[dict[str, Any]] | None:
        found = stack.client.get(f"/v1/apps/{app}/messages/{message}/attempts").json()["data"]
        return found if len(found) >= count else None

    return sorted(poll(listed, 60), key=lambda a: (a["timestamp"], a["attempt"]))


def of(message: str) -> Callable[[Received], bool]:
    """A receiver predicate: requests carrying ``message`` as their ``webhook-id``."""
    return lambda request: request.headers["webhook-id"] == message
