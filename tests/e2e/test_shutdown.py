"""SIGTERM with work in flight, one service at a time: each stops taking work, finishes or hands
back what it holds, commits, and exits 0 within its grace period; nothing acknowledged is lost
(every accepted message still reaches its endpoint and the log once the service is back)."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections import Counter

import httpx
import pytest

from tests.support.outbound import Ledger, new_app, new_endpoint
from tests.support.receiver import Received, Receiver
from tests.support.stack import Stack
from tests.support.waiting import poll

pytestmark = pytest.mark.kafka
# The grace periods of the Kubernetes manifests: the dispatcher drains for up to 25 s.
GRACE = {"ingress": 30.0, "router": 30.0, "dispatcher": 40.0, "audit": 30.0}


STACK_ENV = {"HOOKBUS_RETRY_SCHEDULE": "1s,2s", "HOOKBUS_VERDICT_TIMEOUT": "8s"}


def sigterm(stack: Stack, name: str) -> float:
    """SIGTERM ``name``; assert it exits 0 within its grace period; return how long it took."""
    process = stack.processes[name]
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(GRACE[name] + 30)  # a hang shows as a failure below, not a timeout
    took = time.monotonic() - started
    assert code == 0, f"{name} exited {code}: {stack.log(name)}"
    assert took < GRACE[name], f"{name} took {took:.1f}s to stop"
    print(f"\n{name} stopped in {took:.1f} s")
    return took


def restart(stack: Stack, name: str) -> None:
    stack.start_service(name)
    stack.wait_ready(name)


def publishing(stack: Stack, app: str, count: int) -> Ledger:
    """Start publishing ``count`` messages in batches of 25 from a thread."""
    ledger = Ledger([app])
    ledger.start(stack, count, 25, "stop.test")
    return ledger


def published(ledger: Ledger, app: str) -> list[str]:
    """The ids accepted once publishing ended; every batch must have been accepted."""
    assert ledger.done.wait(60) and not ledger.failures, ledger.failures[:3]
    return ledger.accepted[app]


def ids(requests: list[Received]) -> Counter[str]:
    return Counter(r.headers["webhook-id"] for r in requests)


def every_one_arrives(receiver: Receiver, accepted: list[str], timeout: float = 120) -> None:
    poll(lambda: set(accepted) <= set(ids(receiver.requests)), timeout, 0.3)


def test_dispatcher_finishes_deliveries_in_flight_commits_them_and_exits(stack: Stack) -> None:
    def slow(_request: Received) -> tuple[int, bytes]:
        time.sleep(2)
        return 200, b"ok"

    with Receiver(slow) as receiver:
        app = new_app(stack, "dispatcher-stop")
        new_endpoint(stack, app, receiver.url + "/slow")
        accepted = published(publishing(stack, app, 50), app)
        poll(lambda: len(receiver.requests) >= 4, 60)  # some deliveries are in flight
        sigterm(stack, "dispatcher")
        in_flight = list(ids(receiver.requests))  # every request it had started
        restart(stack, "dispatcher")
        every_one_arrives(receiver, accepted)
        counts = ids(receiver.requests)
    # Each delivery running at SIGTERM was finished and committed: never sent again.
    assert all(counts[m] == 1 for m in in_flight), {m: counts[m] for m in in_flight}
    assert set(counts) == set(accepted)


def test_router_stops_mid_stream_and_loses_no_event(stack: Stack) -> None:
    with Receiver() as receiver:
        app = new_app(stack, "router-stop")
        new_endpoint(stack, app, receiver.url + "/r")
        ledger = publishing(stack, app, 500)
        poll(lambda: len(receiver.requests) >= 50, 60)  # the router is routing
        sigterm(stack, "router")
        accepted = published(ledger, app)
        restart(stack, "router")
        every_one_arrives(receiver, accepted)
    assert len(accepted) == 500


def test_audit_stops_mid_stream_and_its_log_is_complete_after_restart(stack: Stack) -> None:
    with Receiver() as receiver:
        app = new_app(stack, "audit-stop")
        new_endpoint(stack, app, receiver.url + "/a")
        ledger = publishing(stack, app, 300)
        poll(lambda: len(receiver.requests) >= 30, 60)
        sigterm(stack, "audit")
        accepted = published(ledger, app)
        restart(stack, "audit")

    def logged() -> bool:
        found: set[str] = set()
        cursor = None
        while True:
            params = {"limit": 250, **({"cursor": cursor} if cursor else {})}
            page = stack.client.get(f"/v1/apps/{app}/messages", params=params).json()
            found.update(m["id"] for m in page["data"])
            cursor = page["next_cursor"]
            if not cursor:
                return set(accepted) <= found

    poll(logged, 120, 1.0)


def test_ingress_answers_requests_in_flight_then_refuses_new_ones(stack: Stack) -> None:
    with Receiver() as receiver:
        app = new_app(stack, "ingress-stop")
        new_endpoint(stack, app, receiver.url + "/i")
        # A stopped router sends no verdict: each publish with an id waits for it (8 s).
        router = stack.processes["router"]
        router.send_signal(signal.SIGSTOP)
        answers: list[httpx.Response | Exception] = []

        def publish_with_id() -> None:
            body = {"event_type": "stop.test", "payload": {}, "id": f"ing-{uuid.uuid4().hex}"}
            try:
                answers.append(stack.client.post(f"/v1/apps/{app}/messages", json=body))
            except httpx.HTTPError as exc:
                answers.append(exc)

        try:
            threads = [threading.Thread(target=publish_with_id) for _ in range(8)]
            for thread in threads:
                thread.start()
            poll(lambda: in_flight(stack) >= 8, 30)
            took = sigterm(stack, "ingress")
            with pytest.raises(httpx.ConnectError):  # no longer listening
                httpx.get(f"{stack.base_url}/healthz", timeout=5)
            for thread in threads:
                thread.join(30)
        finally:
            router.send_signal(signal.SIGCONT)
        assert all(isinstance(a, httpx.Response) and a.status_code == 202 for a in answers), answers
        assert all(a.headers.get("x-hookbus-verdict") == "pending" for a in answers)  # type: ignore[union-attr]
        assert took < 20
        restart(stack, "ingress")
        accepted = [a.json()["id"] for a in answers]  # type: ignore[union-attr]
        every_one_arrives(receiver, accepted)


def in_flight(stack: Stack) -> float:
    """The ingress's ``hookbus_http_requests_in_flight``, less the scrape itself."""
    text = httpx.get(f"{stack.base_url}/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith("hookbus_http_requests_in_flight "):
            return float(line.split()[1]) - 1
    return 0.0
