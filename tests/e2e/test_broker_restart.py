"""Restart the broker in the middle of a stream of messages: every message the public API
accepted still reaches the endpoint. Runs its own local broker (the shared one is not ours to
restart), on a fixed port and data directory so the restarted broker is the same one."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest

from shared.local_kafka import LocalBroker
from shared.local_kafka.broker import free_ports
from shared.local_kafka.errors import LocalKafkaError
from tests.support.receiver import Receiver
from tests.support.stack import Stack, assert_stopped_cleanly
from tests.support.waiting import poll

pytestmark = pytest.mark.kafka
MESSAGES = 1500
BATCH = 50


def start_broker(data_dir: Path, port: int) -> LocalBroker:
    broker = LocalBroker(data_dir=data_dir, port=port)
    try:
        broker.start()
    except LocalKafkaError as exc:
        pytest.skip(f"no local broker of our own can start here: {exc}")
    return broker


def publish_all(stack: Stack, app: str, accepted: list[str], done: threading.Event) -> None:
    """Publish in batches until MESSAGES were accepted; refusals (503) are simply retried."""
    try:
        while len(accepted) < MESSAGES:
            batch = [{"event_type": "broker.restart", "payload": {"n": n}} for n in range(BATCH)]
            try:
                answer = stack.client.post(
                    f"/v1/apps/{app}/messages/batch", json={"messages": batch}
                )
            except httpx.HTTPError:  # the ingress may time out while the broker is away
                continue
            if answer.status_code == 202:
                accepted.extend(m["id"] for m in answer.json()["data"])
    finally:
        done.set()


def test_a_broker_restart_loses_no_accepted_message(tmp_path: Path) -> None:
    port = free_ports(1)[0]
    broker = start_broker(tmp_path / "kafka", port)
    stack = Stack(broker.bootstrap, tmp_path / "stack", HOOKBUS_RETRY_SCHEDULE="1s,2s,4s")
    try:
        stack.start()
        with Receiver() as receiver:
            app = stack.client.post("/v1/apps", json={"name": "broker"}).json()["id"]
            created = stack.client.post(
                f"/v1/apps/{app}/endpoints", json={"url": receiver.url, "ping": False}
            )
            assert created.status_code == 201, created.text
            accepted: list[str] = []
            done = threading.Event()
            threading.Thread(
                target=publish_all, args=(stack, app, accepted, done), daemon=True
            ).start()
            poll(lambda: len(receiver.requests) >= MESSAGES // 4, 120)
            broker.stop()
            broker = start_broker(tmp_path / "kafka", port)

            restarted: Counter[str] = Counter()

            def complete() -> bool:
                for name, process in list(stack.processes.items()):
                    if process.poll() is not None:  # as `hookbus run` or Kubernetes would
                        restarted[name] += 1
                        stack.start_service(name)
                arrived = Counter(r.headers["webhook-id"] for r in receiver.requests)
                return done.is_set() and all(arrived[m] for m in accepted)

            poll(complete, 240, 0.5)
        assert len(accepted) >= MESSAGES
        print(f"\nbroker restart: {len(accepted)} accepted, all arrived; "
              f"services restarted: {dict(restarted) or 'none'}")  # fmt: skip
    finally:
        codes = stack.stop()
        broker.stop()
    assert_stopped_cleanly(codes)
