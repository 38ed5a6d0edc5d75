"""HTTP route destinations end to end: a received request forwarded to a real loopback service
as it came (method, query, headers, body), retried on the tiers, logged attempt by attempt in
the received log; and sync mode (X-Hookbus-Sync), which waits for the routes' outcomes."""

from __future__ import annotations

import hashlib
import hmac
import threading
import uuid
from collections import defaultdict
from typing import Any

from shared.ids import has_prefix
from tests.e2e.test_publish_safety import second_ingress
from tests.support.inbound import logged, route, send, source
from tests.support.outbound import new_app
from tests.support.receiver import Received, Receiver
from tests.support.stack import Stack
from tests.support.waiting import poll

Object = dict[str, Any]


STACK_ENV = {"HOOKBUS_RETRY_SCHEDULE": "1s,1s", "HOOKBUS_SYNC_TIMEOUT": "10s"}


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
    return route(
        stack,
        name=f"forward-{uuid.uuid4().hex[:6]}",
        source_id=src,
        **fields,
        destination=destination,
    )


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
        assert attempt["request"]["headers"]["x-ci-token"] == "****"  # a credential: masked


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


SYNC = {"x-hookbus-sync": "true"}


def sync_send(stack: Stack, src: str, body: bytes = b'{"ok": true}', **kwargs: Any) -> Any:
    headers = {**SYNC, "content-type": "application/json", **kwargs.pop("headers", {})}
    return send(stack, f"/in/{src}/sync", content=body, headers=headers, **kwargs)


def test_sync_answers_200_listing_kafka_app_and_http_routes(stack: Stack) -> None:
    app = new_app(stack, "sync target")
    topic = f"sync-{uuid.uuid4().hex[:8]}"
    with Receiver() as receiver:
        src = open_source(stack)
        to_kafka = route(
            stack,
            name="k",
            source_id=src,
            priority=1,
            destination={"type": "kafka", "topic": topic},
        )
        to_app = route(
            stack,
            name="a",
            source_id=src,
            priority=2,
            destination={"type": "app", "app_id": app, "event_type": "ci.ran"},
        )
        to_http = forward_to(stack, src, receiver.url + "/ok", priority=3)
        answer = sync_send(stack, src)
        assert answer.status_code == 200, answer.text
        inbound_id = answer.headers["x-hookbus-inbound-id"]
        # the forward happened before the answer
        assert receiver.matching(lambda r: r.headers.get("x-hookbus-inbound-id") == inbound_id)
    body = answer.json()
    assert body["id"] == inbound_id and body["outcome"] == "succeeded" and "error" not in body
    assert [(r["route_id"], r["destination"], r["outcome"]) for r in body["routes"]] == [
        (to_kafka["id"], "kafka", "succeeded"),
        (to_app["id"], "app", "succeeded"),
        (to_http["id"], "http", "succeeded"),
    ]
    kafka, app_entry, http = body["routes"]
    assert kafka["detail"]["topic"] == topic
    message_id = app_entry["detail"]["message_id"]
    assert has_prefix(message_id, "msg")
    published = poll(lambda: stack.client.get(f"/v1/apps/{app}/messages/{message_id}").json(), 30)
    assert published["event_type"] == "ci.ran" and published["payload"] == {"ok": True}
    assert http["detail"]["status"] == 200 and http["detail"]["retrying"] is False
    assert logged(stack, inbound_id)["status"] == "accepted"


def test_an_app_route_is_held_to_the_event_types_schema_as_a_publish_is(stack: Stack) -> None:
    app = new_app(stack, "typed target")
    name = f"ci.typed.{uuid.uuid4().hex[:8]}"
    schema = {"type": "object", "required": ["build"], "properties": {"build": {"type": "integer"}}}
    made = stack.client.post("/v1/event-types", json={"name": name, "schema": schema})
    assert made.status_code == 201, made.text
    src = open_source(stack)
    to_app = route(
        stack,
        name="typed",
        source_id=src,
        destination={"type": "app", "app_id": app, "event_type": name},
    )
    answer = sync_send(stack, src, body=b'{"build": "not a number"}')
    assert answer.status_code == 500, answer.text
    [entry] = answer.json()["routes"]
    assert (entry["route_id"], entry["outcome"]) == (to_app["id"], "failed")
    assert "payload.build" in entry["detail"]["error"]
    fits = sync_send(stack, src, body=b'{"build": 7}')
    assert fits.status_code == 200, fits.text
    # The router publishes the app's message; audit logs it a moment after the sync answer.
    messages = poll(lambda: stack.client.get(f"/v1/apps/{app}/messages").json()["data"], 30)
    assert [m["payload"] for m in messages] == [{"build": 7}]


def test_sync_answers_404_when_no_route_matches(stack: Stack) -> None:
    src = open_source(stack)
    route(
        stack,
        name="elsewhere",
        source_id=src,
        path="other/*",
        destination={"type": "kafka", "topic": f"never-{uuid.uuid4().hex[:8]}"},
    )
    answer = sync_send(stack, src)
    assert answer.status_code == 404, answer.text
    body = answer.json()
    assert body["outcome"] == "no_match" and body["routes"] == []
    assert body["error"]["code"] == "no_route_matched"
    assert logged(stack, body["id"], routed=True)["routes"] == []


def test_sync_answers_500_when_a_route_fails_and_retries_it_in_the_background(
    stack: Stack,
) -> None:
    with Receiver(PerRequest(500, 200)) as receiver:
        src = open_source(stack)
        to_kafka = route(
            stack,
            name="k",
            source_id=src,
            destination={"type": "kafka", "topic": f"s-{uuid.uuid4().hex[:8]}"},
        )
        to_http = forward_to(stack, src, receiver.url + "/flaky")
        answer = sync_send(stack, src)
        assert answer.status_code == 500, answer.text
        body = answer.json()
        outcomes = {r["route_id"]: r for r in body["routes"]}
        assert outcomes[to_kafka["id"]]["outcome"] == "succeeded"
        failed = outcomes[to_http["id"]]
        assert failed["outcome"] == "failed" and failed["detail"]["status"] == 500
        assert failed["detail"]["retrying"] is True
        assert body["error"]["details"]["failed"] == [to_http["id"]]
        # the request stays accepted: the retry succeeds a second later
        receiver.wait_for(lambda r: r.headers.get("x-hookbus-inbound-id") == body["id"], 2)
    route_entry(stack, body["id"], to_http["id"], "succeeded", 2)


def test_sync_answers_504_past_the_timeout_and_the_route_still_runs(stack: Stack) -> None:
    release = threading.Event()

    def hang(request: Received) -> tuple[int, bytes]:
        release.wait(20)
        return 200, b"late"

    with Receiver(hang) as receiver:
        src = open_source(stack)
        to_http = forward_to(stack, src, receiver.url + "/slow", destination={"timeout_ms": 25000})
        try:
            answer = sync_send(stack, src)  # HOOKBUS_SYNC_TIMEOUT is 10s here
        finally:
            release.set()
        assert answer.status_code == 504, answer.text
        body = answer.json()
        assert body["outcome"] == "timeout" and body["error"]["code"] == "sync_timeout"
        assert [(r["route_id"], r["outcome"]) for r in body["routes"]] == [
            (to_http["id"], "pending")
        ]
        entry = route_entry(stack, body["id"], to_http["id"], "succeeded", 1)
    assert entry["destination"] == "http"
    assert logged(stack, body["id"])["status"] == "accepted"


def test_sync_mode_leaves_refusals_and_challenges_as_they_were(stack: Stack) -> None:
    github = source(stack, name="gh", provider="github", secret="gh-secret")
    refused = send(
        stack,
        f"/in/{github['id']}/x",
        content=b"{}",
        headers={**SYNC, "x-hub-signature-256": "sha256=" + "0" * 64},
    )
    assert refused.status_code == 401
    meta = source(
        stack,
        name="meta",
        provider="meta",
        secret="app-secret",
        verification={"verify_token": "tok"},
    )
    query = "hub.mode=subscribe&hub.verify_token=tok&hub.challenge=8675309"
    challenge = send(stack, f"/in/{meta['id']}/?{query}", method="GET", headers=SYNC)
    assert challenge.status_code == 200 and challenge.text == "8675309"
    body = b'{"ok": true}'
    signature = "sha256=" + hmac.new(b"gh-secret", body, hashlib.sha256).hexdigest()
    signed = send(
        stack,
        f"/in/{github['id']}/x",
        content=body,
        headers={**SYNC, "x-hub-signature-256": signature},
    )
    assert signed.status_code == 404 and signed.json()["outcome"] == "no_match"


def test_sync_mode_with_two_ingress_copies(stack: Stack) -> None:
    with Receiver() as receiver:
        src = open_source(stack)
        forward_to(stack, src, receiver.url + "/both")
        with second_ingress(stack) as other:
            answers = [
                other.post(f"/in/{src}/a", content=b"{}", headers=SYNC),
                sync_send(stack, src),
                other.post(f"/in/{src}/b", content=b"{}", headers=SYNC),
            ]
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 3
