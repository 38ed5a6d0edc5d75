"""Live streams (Server-Sent Events) read with a real HTTP client: an app's messages and
attempts, received requests, keep-alive comments, and resuming with ``Last-Event-ID``."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.support.inbound import send, source
from tests.support.outbound import new_app, new_endpoint, publish
from tests.support.receiver import Receiver
from tests.support.sse import SseClient
from tests.support.stack import REPO, Stack, free_port
from tests.support.waiting import poll

STACK_ENV = {"HOOKBUS_STREAM_KEEPALIVE": "1s"}


@contextmanager
def streaming(
    stack: Stack, path: str, last_event_id: str | None = None, base_url: str | None = None
) -> Iterator[SseClient]:
    headers = {"authorization": f"Bearer {stack.token}"}
    if last_event_id is not None:
        headers["last-event-id"] = last_event_id
    client = SseClient((base_url or stack.base_url) + path, headers)
    try:
        poll(lambda: client.status is not None, 30)
        assert client.status == 200
        assert client.content_type.startswith("text/event-stream")
        poll(lambda: client.comments or client.events, 30)  # the stream is open
        yield client
    finally:
        client.close()


def test_an_app_stream_shows_new_messages_and_attempts_and_resumes(
    stack: Stack, receiver: Receiver
) -> None:
    app, other = new_app(stack), new_app(stack)
    endpoint = new_endpoint(stack, app, receiver.url)
    with streaming(stack, f"/v1/apps/{app}/stream") as client:
        first = publish(stack, app, "stream.test", {"n": 1})
        publish(stack, other, "stream.test", {"n": "elsewhere"})
        poll(lambda: client.of("attempt"), 60)
        messages = client.of("message")
        assert messages == [first]  # as the log API shows it, and only this app's
        attempt = client.of("attempt")[0]
        assert attempt["message_id"] == first["id"]
        assert attempt["endpoint_id"] == endpoint["id"]
        assert attempt["outcome"] == "succeeded"
        assert stack.client.get(f"/v1/apps/{app}/attempts/{attempt['id']}").json() == attempt
        poll(lambda: "keep-alive" in client.comments, 30)
        seen = [e for e in client.events if e.event == "message"][0].id
    # Published while nobody listens: a reconnect from the first message's id sees it.
    second = publish(stack, app, "stream.test", {"n": 2})
    with streaming(stack, f"/v1/apps/{app}/stream", last_event_id=seen) as again:
        poll(lambda: second in again.of("message"), 60)
        assert first not in again.of("message")
        poll(lambda: {a["message_id"] for a in again.of("attempt")} >= {second["id"]}, 60)
    assert all(event.id for event in client.events + again.events)


def test_the_inbound_stream_shows_received_requests_of_a_source(stack: Stack) -> None:
    mine = source(stack, name="mine", provider="generic", verification={"type": "none"})
    theirs = source(stack, name="theirs", provider="generic", verification={"type": "none"})
    with streaming(stack, f"/v1/inbound/stream?source_id={mine['id']}") as client:
        other = send(stack, f"/in/{theirs['id']}/x", json={"n": 0})
        answer = send(stack, f"/in/{mine['id']}/git/push", json={"n": 1})
        assert answer.status_code == 202, answer.text
        received = poll(lambda: client.of("inbound"), 60)
        assert [r["id"] for r in received] == [answer.json()["id"]]
        assert received[0]["path"] == "/git/push" or received[0]["path"].endswith("git/push")
        assert received[0]["source_id"] == mine["id"]
        assert other.json()["id"] not in {r["id"] for r in client.of("inbound")}
    with streaming(stack, "/v1/inbound/stream") as everything:
        later = send(stack, f"/in/{theirs['id']}/y", json={"n": 2})
        poll(lambda: later.json()["id"] in {r["id"] for r in everything.of("inbound")}, 60)


def test_stream_refusals_are_json_errors(stack: Stack) -> None:
    app = new_app(stack)
    bad = stack.client.get(f"/v1/apps/{app}/stream", headers={"last-event-id": "nonsense!"})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"]
    assert stack.client.get("/v1/apps/app_nope/stream").status_code == 404
    assert send(stack, f"/v1/apps/{app}/stream", method="GET").status_code == 401


def test_a_second_ingress_copy_streams_the_same_events_and_resumes_the_first(
    stack: Stack,
) -> None:
    port = free_port()
    env = {**stack.env, "HOOKBUS_HTTP_PORT": str(port), "HOOKBUS_INSTANCE_ID": "second"}
    log = (stack.log_dir / "ingress-2.log").open("ab")
    second = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", "ingress"],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    other_url = f"http://127.0.0.1:{port}"
    try:
        poll(lambda: _ready(other_url), 90, 0.2)
        app = new_app(stack)
        with (
            streaming(stack, f"/v1/apps/{app}/stream") as first,
            streaming(stack, f"/v1/apps/{app}/stream", base_url=other_url) as copy,
        ):
            sent = publish(stack, app, "stream.copies", {"n": 1})
            poll(lambda: first.of("message") and copy.of("message"), 60)
            assert first.of("message") == copy.of("message") == [sent]
            assert first.events[0].id == copy.events[0].id
            seen = first.events[0].id
        later = publish(stack, app, "stream.copies", {"n": 2})
        with streaming(stack, f"/v1/apps/{app}/stream", seen, base_url=other_url) as resumed:
            poll(lambda: resumed.of("message"), 60)
            assert resumed.of("message") == [later]
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(40) == 0
        log.close()


def _ready(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_stuck_client_slows_nothing(stack: Stack, receiver: Receiver) -> None:
    app = new_app(stack)
    new_endpoint(stack, app, receiver.url)
    stuck = socket.create_connection(("127.0.0.1", stack.ports["ingress"]))
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    request = (
        f"GET /v1/apps/{app}/stream HTTP/1.1\r\nhost: x\r\n"
        f"authorization: Bearer {stack.token}\r\n\r\n"
    )
    stuck.sendall(request.encode())  # ...and never reads a byte of the answer
    try:
        big = "x" * 40_000
        items = [{"event_type": "big", "payload": {"n": n, "x": big}} for n in range(150)]
        answer = stack.client.post(f"/v1/apps/{app}/messages/batch", json={"messages": items})
        assert answer.status_code == 202, answer.text
        receiver.wait_for(lambda r: True, 150, timeout=120)  # about 12 MB the stream cannot send
        with streaming(stack, f"/v1/apps/{app}/stream") as other:
            publish(stack, app, "after")
            poll(lambda: any(m["event_type"] == "after" for m in other.of("message")), 60)
    finally:
        stuck.close()
