"""HTTP route destinations end to end: a received request forwarded to a real loopback service
as it came (method, query, headers, body), retried on the tiers, logged attempt by attempt in
the received log; and sync mode (X-Hookbus-Sync), which waits for the routes' outcomes."""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.inbound import logged, route, send, source
from tests.support.receiver import Received, Receiver
from tests.support.stack import Stack, poll

Object = dict[str, Any]


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(
        kafka_bootstrap,
        Path(tmp_path_factory.mktemp("hookbus")),
        HOOKBUS_RETRY_SCHEDULE="1s,1s",
        HOOKBUS_SYNC_TIMEOUT="4s",
    ).start()
    yield running
    codes = running.stop()
    assert codes == dict.fromkeys(codes, 0), f"services did not stop cleanly: {codes}"


class PerRequest:
    """Answers the n-th forward of each inbound request with the n-th status (last repeats)."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = statuses
        self.seen: defaultdict[str, int] = defaultdict(int)
        self.lock = threading.Lock()

    def __call__(self, request: Received) -> tuple[int, bytes]:
        with self.lock:
            n = self.seen[request.headers.get("x-hookbus-inbound-id", "")]
            self.seen[request.headers.get("x-hookbus-inbound-id", "")] += 1
        status = self.statuses[min(n, len(self.statuses) - 1)]
        return status, f"answer {n + 1}".encode()


def open_source(stack: Stack) -> str:
    created = source(stack, name="ci", provider="generic", verification={"type": "none"})
    return str(created["id"])


def forward_to(stack: Stack, src: str, url: str, **fields: Any) -> Object:
    destination = {"type": "http", "url": url, **fields.pop("destination", {})}
    return route(stack, name=f"forward-{uuid.uuid4().hex[:6]}", source_id=src, **fields,
                 destination=destination)  # fmt: skip


def route_entry(stack: Stack, inbound_id: str, route_id: str, outcome: str, tries: int) -> Object:
    """The route's entry in the received log once it shows ``outcome`` after ``tries``."""

    def entry() -> Object | None:
        for run in logged(stack, inbound_id, routed=True)["routes"]:
            if run["route_id"] == route_id and (run["outcome"], run["attempts"]) == (
                outcome,
                tries,
            ):
                found: Object = run
                return found
        return None

    result: Object = poll(entry, 60)
    return result


def test_http_route_forwards_the_request_as_it_came_and_retries(stack: Stack) -> None:
    with Receiver(PerRequest(500, 500, 200)) as receiver:
        src = open_source(stack)
        forward = forward_to(
            stack,
            src,
            receiver.url + "/ci?team=api",
            path="build/*",
            destination={"headers": {"x-ci-token": "t0k"}},
        )
        body = b'{"build": 42, "note": "caf\xc3\xa9"}'
        answer = send(
            stack,
            f"/in/{src}/build/42?ref=main&sha=abc",
            method="PUT",
            content=body,
            headers={"content-type": "application/json", "x-custom": "yes"},
        )
        assert answer.status_code == 202, answer.text
        inbound_id = answer.json()["id"]
        got = receiver.wait_for(lambda r: r.headers.get("x-hookbus-inbound-id") == inbound_id, 3)

    for request in got:
        assert request.method == "PUT" and request.body == body
        assert request.path == "/ci?team=api&ref=main&sha=abc"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["x-custom"] == "yes" and request.headers["x-ci-token"] == "t0k"
        assert request.headers["x-hookbus-source-id"] == src
        assert request.headers["x-hookbus-route-id"] == forward["id"]
        assert "webhook-signature" not in request.headers
    entry = route_entry(stack, inbound_id, forward["id"], "succeeded", 3)
    assert entry["destination"] == "http"
    attempts = stack.client.get(f"/v1/inbound/{inbound_id}/attempts").json()["data"]
    attempts.sort(key=lambda a: a["attempt"])
    assert [(a["attempt"], a["outcome"]) for a in attempts] == [
        (1, "retrying"),
        (2, "retrying"),
        (3, "succeeded"),
    ]
    assert [a["response"]["status"] for a in attempts] == [500, 500, 200]
    assert attempts[2]["response"]["body"] == "answer 3"
    for attempt in attempts:
        assert attempt["route_id"] == forward["id"] and attempt["source_id"] == src
        assert attempt["request"]["method"] == "PUT"
        assert attempt["request"]["url"] == receiver.url + "/ci?team=api&ref=main&sha=abc"
        assert attempt["request"]["body"] == body.decode()
        assert attempt["request"]["headers"]["x-ci-token"] == "t0k"


def test_http_route_that_keeps_failing_ends_failed_in_the_received_log(stack: Stack) -> None:
    with Receiver(PerRequest(503)) as receiver:
        src = open_source(stack)
        forward = forward_to(stack, src, receiver.url + "/down")
        answer = send(stack, f"/in/{src}/x", content=b"ping")
        inbound_id = answer.json()["id"]
        receiver.wait_for(lambda r: r.headers.get("x-hookbus-inbound-id") == inbound_id, 3)
        entry = route_entry(stack, inbound_id, forward["id"], "failed", 3)
    assert entry["detail"]["delivery_id"].startswith("dlv_")
    attempts = stack.client.get(f"/v1/inbound/{inbound_id}/attempts").json()["data"]
    assert sorted(a["outcome"] for a in attempts) == ["exhausted", "retrying", "retrying"]
