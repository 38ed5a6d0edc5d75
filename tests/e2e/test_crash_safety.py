"""SIGKILL the dispatcher and the router in the middle of a few thousand messages: every message
the public API accepted reaches every subscribed endpoint at least once (a ledger proves it), and
a repeat carries the same webhook-id."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.support.outbound import Ledger
from tests.support.receiver import Received, Receiver
from tests.support.stack import Stack
from tests.support.waiting import poll

pytestmark = pytest.mark.kafka
MESSAGES = 3000
BATCH = 100
PATHS = ("/a", "/b")


STACK_ENV = {"HOOKBUS_RETRY_SCHEDULE": "1s,2s,4s"}


def kill_and_restart(stack: Stack, *names: str) -> None:
    """SIGKILL each service (no drain, no commit), then start it again and wait until ready."""
    for name in names:
        stack.processes[name].kill()
        stack.processes[name].wait(30)
    for name in names:
        stack.start_service(name)
    for name in names:
        stack.wait_ready(name)


def test_sigkill_mid_stream_loses_no_accepted_message(stack: Stack) -> None:
    with Receiver() as receiver:
        app = stack.client.post("/v1/apps", json={"name": "crash"}).json()["id"]
        for path in PATHS:
            created = stack.client.post(
                f"/v1/apps/{app}/endpoints", json={"url": receiver.url + path, "ping": False}
            )
            assert created.status_code == 201, created.text
        ledger = Ledger([app])
        ledger.start(stack, MESSAGES, BATCH, "crash.test")
        accepted = ledger.accepted[app]

        poll(lambda: len(receiver.requests) >= MESSAGES // 4, 120)
        kill_and_restart(stack, "dispatcher")
        poll(lambda: len(receiver.requests) >= MESSAGES, 120)
        kill_and_restart(stack, "router", "dispatcher")
        assert ledger.done.wait(180) and not ledger.failures, ledger.failures[:3]

        def arrived() -> dict[str, Counter[str]]:
            return {
                path: Counter(r.headers["webhook-id"] for r in receiver.matching(on(path)))
                for path in PATHS
            }

        def complete() -> bool:
            counts = arrived()
            return all(all(counts[path][m] for m in accepted) for path in PATHS)

        poll(complete, 180, 0.5)
        counts = arrived()
    assert len(accepted) == MESSAGES
    unknown = {m for path in PATHS for m in counts[path]} - set(accepted)
    assert not unknown, "something arrived that the API never accepted"
    repeats = {path: sum(n - 1 for n in counts[path].values()) for path in PATHS}
    print(f"\ncrash test: {MESSAGES} messages x {len(PATHS)} endpoints, all arrived; "
          f"repeats after the kills: {repeats}")  # fmt: skip


def on(path: str):  # type: ignore[no-untyped-def]
    def check(request: Received) -> bool:
        return request.path == path

    return check
