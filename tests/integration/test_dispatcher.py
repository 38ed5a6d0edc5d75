"""The dispatcher as a real process against a real broker, delivering to real loopback receivers.

Each test has its own topic prefix, so it sees only its own records. Configuration and
deliveries are written the way ingress and router write them: records on the Kafka topics.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from standardwebhooks.webhooks import Webhook

from shared import clock, signing
from shared.contracts import Contract, decode, encode
from shared.ids import new_id
from shared.kafka_io import ensure_topics
from shared.topics import Topic, physical, retry_topic
from tests.support import records
from tests.support.receiver import Received, Receiver
from tests.support.stack import REPO, free_port
from tests.support.waiting import poll

pytestmark = pytest.mark.kafka
PARTITIONS = 3
Record = dict[str, Any]


class Dispatcher:
    """One dispatcher process with its own topic prefix, plus helpers to talk to its topics."""

    def __init__(
        self,
        bootstrap: str,
        log_path: Path,
        allow_private: bool = True,
        sibling: Dispatcher | None = None,
    ) -> None:
        """A new prefix with an app in its config, or, with ``sibling``, another copy of it."""
        self.bootstrap = bootstrap
        self.prefix: str = sibling.prefix if sibling else f"t{uuid.uuid4().hex[:8]}."
        self.port = free_port()
        self.log_path = log_path
        self.app_id: str = sibling.app_id if sibling else new_id("app")
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "HOOKBUS_KAFKA_BOOTSTRAP": bootstrap,
            "HOOKBUS_TOPIC_PREFIX": self.prefix,
            "HOOKBUS_PARTITIONS": str(PARTITIONS),
            "HOOKBUS_ALLOW_PRIVATE_DESTINATIONS": "true" if allow_private else "false",
            "HOOKBUS_DISPATCHER_PORT": str(self.port),
            "HOOKBUS_HTTP_HOST": "127.0.0.1",
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.config_offset: int
        if sibling is not None:
            self.config_offset = sibling.config_offset
            return
        asyncio.run(ensure_topics(bootstrap, self.prefix, PARTITIONS))
        self.config_offset = self.produce(Topic.CONFIG, [(f"app/{self.app_id}", app(self.app_id))])

    def topic(self, topic: Topic | str) -> str:
        return physical(self.prefix, topic)

    def start(self) -> None:
        """Start the process and wait until its ``/readyz`` answers 200."""
        log = self.log_path.open("ab")
        command = "from services.dispatcher.main import main; raise SystemExit(main())"
        self.process = subprocess.Popen(
            [sys.executable, "-c", command], env=self.env, cwd=REPO, stdout=log, stderr=log
        )
        poll(self._ready, 90.0, 0.2)

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"dispatcher exited {self.process.returncode}: {self.log()}")
        try:
            url = f"http://127.0.0.1:{self.port}/readyz"
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def terminate(self, timeout: float = 40.0) -> int:
        """SIGTERM the process and return its exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"no exit {timeout}s after SIGTERM: {self.log()}") from None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def produce(
        self, topic: Topic, records: list[tuple[str, bytes]], partition: int | None = None
    ) -> int:
        """Write records durably; return the offset after the last one (a config barrier)."""

        async def go() -> int:
            producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
            await producer.start()
            try:
                last = 0
                for key, value in records:
                    meta = await producer.send_and_wait(
                        self.topic(topic), value, key=key.encode(), partition=partition
                    )
                    last = meta.offset + 1
                return last
            finally:
                await producer.stop()

        return asyncio.run(go())

    def add_endpoint(self, url: str, **changes: Any) -> tuple[str, str]:
        """Create an endpoint of the app through the config topic; return ``(id, secret)``."""
        endpoint_id, secret = new_id("ep"), signing.generate_secret()
        data = endpoint(endpoint_id, self.app_id, url, secret, **changes)
        self.config_offset = self.produce(Topic.CONFIG, [(f"endpoint/{endpoint_id}", data)])
        return endpoint_id, secret

    def deliver(
        self, endpoint_id: str, count: int = 1, partition: int | None = None
    ) -> list[Record]:
        """Write ``count`` deliveries for ``endpoint_id``; return them."""
        made = [delivery(self.app_id, endpoint_id, self.config_offset) for _ in range(count)]
        values = [(endpoint_id, encode(Contract.DELIVERY, d)) for d in made]
        self.produce(Topic.DELIVERIES, values, partition)
        return made

    def records(
        self,
        topic: Topic | str,
        contract: Contract,
        done: Callable[[list[Record]], bool],
        timeout: float,
    ) -> list[Record]:
        """Read ``topic`` from the start until ``done(records)``; AssertionError at the deadline."""
        return asyncio.run(read_until(self.bootstrap, self.topic(topic), contract, done, timeout))


async def read_until(
    bootstrap: str,
    topic: str,
    contract: Contract,
    done: Callable[[list[Record]], bool],
    timeout: float,
) -> list[Record]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
        await consumer.seek_to_beginning()
        found: list[Record] = []
        deadline = time.monotonic() + timeout
        while not done(found):
            assert time.monotonic() < deadline, f"{topic}: condition not met, got {found!r}"
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                found.extend(decode(contract, record.value) for record in batch)
        return found
    finally:
        await consumer.stop()


def app(app_id: str) -> bytes:
    now = clock.iso()
    data: dict[str, Any] = {
        "id": app_id,
        "uid": None,
        "name": "test",
        "metadata": {},
        "created_at": now,
        "updated_at": now,
    }
    return records.config_value("app", data, now)


def endpoint(endpoint_id: str, app_id: str, url: str, secret: str, **changes: Any) -> bytes:
    now = clock.iso()
    data = {
        "id": endpoint_id, "app_id": app_id, "uid": None, "url": url, "description": "",
        "event_types": None, "channels": None, "filter": None, "enabled": True,
        "disabled_reason": None, "headers": {"x-test": "yes"}, "timeout_ms": 5000,
        "transform": None, "content_type": "application/json", "rate_limit": None,
        "ordered": False, "secrets": [{"secret": secret, "expires_at": None}], "metadata": {},
        "created_at": now, "updated_at": now, **changes,
    }  # fmt: skip
    return records.config_value("endpoint", data, now)


def delivery(app_id: str, endpoint_id: str, config_offset: int) -> Record:
    message_id = new_id("msg")
    body = orjson.dumps(
        {"type": "test.event", "timestamp": clock.iso(), "data": {"id": message_id}}
    )
    return dict(
        records.delivery(
            id=new_id("dlv"), message_id=message_id, app_id=app_id, endpoint_id=endpoint_id,
            event_type="test.event", body=body.decode(), created_at=clock.iso(),
            config_offset=config_offset,
        )
    )  # fmt: skip


def of(endpoint_id: str, count: int) -> Callable[[list[Record]], bool]:
    return lambda found: sum(r["endpoint_id"] == endpoint_id for r in found) >= count


@pytest.fixture
def dispatcher(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Dispatcher]:
    """A running dispatcher that must exit 0 on SIGTERM at the end of the test."""
    process = Dispatcher(kafka_bootstrap, tmp_path / "dispatcher.log")
    process.start()
    yield process
    assert process.terminate() == 0, process.log()


def test_delivers_signed_and_records_success(dispatcher: Dispatcher) -> None:
    with Receiver() as receiver:
        endpoint_id, secret = dispatcher.add_endpoint(receiver.url + "/hook")
        sent = dispatcher.deliver(endpoint_id, count=3)
        got = receiver.wait_for(lambda r: r.path == "/hook", count=3, timeout=30)
        bodies = {r.body.decode() for r in got}
        assert bodies == {d["body"] for d in sent}
        for request in got:
            Webhook(secret).verify(request.body, request.headers)
            assert request.headers["x-test"] == "yes"
            assert request.headers["user-agent"].startswith("hookbus/")
        attempts = dispatcher.records(Topic.ATTEMPTS, Contract.ATTEMPT, of(endpoint_id, 3), 30)
        assert {a["delivery_id"] for a in attempts} == {d["id"] for d in sent}
        assert all(a["outcome"] == "succeeded" and a["response"]["status"] == 200 for a in attempts)
        assert {a["request"]["headers"]["webhook-id"] for a in attempts} == {
            d["message_id"] for d in sent
        }


def test_bad_record_is_dead_lettered(dispatcher: Dispatcher) -> None:
    dispatcher.produce(Topic.DELIVERIES, [("ep_whatever", b"{not json")])
    dead = dispatcher.records(Topic.DEAD, Contract.DEAD_LETTER, lambda found: bool(found), 30)
    assert dead[0]["origin"]["service"] == "dispatcher" and dead[0]["record"] == "{not json"


def test_server_error_is_retried_from_the_first_tier(dispatcher: Dispatcher) -> None:
    with Receiver(lambda _r: (500, b"broken")) as receiver:
        endpoint_id, _ = dispatcher.add_endpoint(receiver.url)
        [sent] = dispatcher.deliver(endpoint_id)
        [attempt] = dispatcher.records(Topic.ATTEMPTS, Contract.ATTEMPT, of(endpoint_id, 1), 30)
        assert attempt["outcome"] == "retrying" and attempt["error"] is None
        assert attempt["response"]["status"] == 500 and attempt["response"]["body"] == "broken"
        # The default schedule's first step: 5 s ± 20 %, waiting on the retry.5s tier.
        [retry] = dispatcher.records(retry_topic(5), Contract.DELIVERY, of(endpoint_id, 1), 30)
        assert retry["id"] == sent["id"] and retry["attempt"] == 2
        wait = (clock.parse(retry["due_at"]) - clock.parse(attempt["timestamp"])).total_seconds()
        assert 3.9 <= wait <= 6.5


def test_hanging_endpoint_does_not_delay_others_on_its_partition(dispatcher: Dispatcher) -> None:
    release = threading.Event()

    def hang(_request: Received) -> tuple[int, bytes]:
        release.wait(40)
        return 200, b"late"

    with Receiver(hang) as slow, Receiver() as fast:
        slow_id, _ = dispatcher.add_endpoint(slow.url, timeout_ms=10000)
        fast_id, _ = dispatcher.add_endpoint(fast.url)
        try:
            # Same partition, the slow deliveries first: only lanes can let the fast ones pass.
            dispatcher.deliver(slow_id, count=3, partition=0)
            dispatcher.deliver(fast_id, count=20, partition=0)
            slow.wait_for(lambda _r: True, count=3, timeout=30)
            hanging_since = time.monotonic()
            # All 20 well before the slow ones time out (10 s), even on a busy machine.
            fast.wait_for(lambda _r: True, count=20, timeout=8)
            assert time.monotonic() - hanging_since < 8
            both = lambda found: of(slow_id, 3)(found) and of(fast_id, 20)(found)  # noqa: E731
            attempts = dispatcher.records(Topic.ATTEMPTS, Contract.ATTEMPT, both, 30)
        finally:
            release.set()
        timed_out = [a for a in attempts if a["endpoint_id"] == slow_id]
        assert [a["error"] for a in timed_out] == ["timeout after 10000 ms"] * 3
        assert all(a["outcome"] == "succeeded" for a in attempts if a["endpoint_id"] == fast_id)


def test_private_destination_is_refused(kafka_bootstrap: str, tmp_path: Path) -> None:
    guarded = Dispatcher(kafka_bootstrap, tmp_path / "dispatcher.log", allow_private=False)
    guarded.start()
    try:
        with Receiver() as receiver:
            # An IP literal is refused before connecting; a name when the connection is made,
            # to the addresses checked (the name resolves to loopback).
            by_name = receiver.url.replace("127.0.0.1", "localhost")
            for url in (receiver.url, by_name):
                endpoint_id, _ = guarded.add_endpoint(url)
                guarded.deliver(endpoint_id)
                found = guarded.records(Topic.ATTEMPTS, Contract.ATTEMPT, of(endpoint_id, 1), 30)
                [attempt] = [a for a in found if a["endpoint_id"] == endpoint_id]
                assert attempt["outcome"] == "retrying" and attempt["response"] is None
                assert "private address" in attempt["error"], attempt["error"]
            assert receiver.requests == []
    finally:
        assert guarded.terminate() == 0, guarded.log()


def test_sigterm_lets_the_delivery_in_flight_finish(kafka_bootstrap: str, tmp_path: Path) -> None:
    release = threading.Event()
    process = Dispatcher(kafka_bootstrap, tmp_path / "dispatcher.log")
    process.start()
    with Receiver(lambda _r: (200, b"done") if release.wait(30) else (504, b"")) as receiver:
        endpoint_id, _ = process.add_endpoint(receiver.url)
        process.deliver(endpoint_id)
        receiver.wait_for(lambda _r: True, timeout=30)
        assert process.process is not None
        process.process.send_signal(signal.SIGTERM)
        poll(lambda: "draining" in process.log(), 30)
        release.set()
        assert process.terminate() == 0, process.log()
    [attempt] = process.records(Topic.ATTEMPTS, Contract.ATTEMPT, of(endpoint_id, 1), 30)
    assert attempt["outcome"] == "succeeded" and attempt["response"]["body"] == "done"


def assigned(log_path: Path) -> bool:
    """True once the process logged an assignment of at least one partition."""
    for line in log_path.read_text(errors="replace").splitlines():
        with contextlib.suppress(orjson.JSONDecodeError):
            entry = orjson.loads(line)
            if entry.get("msg") == "partitions assigned" and entry.get("partitions"):
                return True
    return False


async def group_lag(bootstrap: str, prefix: str) -> dict[int, int]:
    """Per partition of the deliveries topic: end offset minus the dispatchers' committed one."""
    topic = physical(prefix, Topic.DELIVERIES)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(f"{prefix}dispatcher")
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        ends = await consumer.end_offsets(partitions)
        return {tp.partition: ends[tp] - committed[tp].offset for tp in partitions}
    finally:
        await consumer.stop()
        await admin.close()


def test_a_second_copy_takes_over_partitions_mid_stream_in_order(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    def busy(_request: Received) -> tuple[int, bytes]:
        time.sleep(0.1)  # the receiver's own work: ordered lanes are still busy at the rebalance
        return 200, b"ok"

    first = Dispatcher(kafka_bootstrap, tmp_path / "first.log")
    first.start()
    second = Dispatcher(kafka_bootstrap, tmp_path / "second.log", sibling=first)
    with Receiver(busy) as receiver:
        endpoints = [first.add_endpoint(receiver.url, ordered=True)[0] for _ in range(PARTITIONS)]
        second.config_offset = first.config_offset
        sent: dict[str, list[str]] = {}
        for partition, endpoint_id in enumerate(endpoints):
            made = first.deliver(endpoint_id, count=40, partition=partition)
            sent[endpoint_id] = [d["message_id"] for d in made]
        receiver.wait_for(lambda _r: True, count=3, timeout=30)
        second.start()
        poll(lambda: assigned(second.log_path), 60)
        wanted = {m for ids in sent.values() for m in ids}
        poll(lambda: wanted <= {r.headers["webhook-id"] for r in receiver.requests}, 60)
        assert first.terminate() == 0, first.log()
        assert second.terminate() == 0, second.log()
    # Redeliveries are allowed (at least once), reordering is not: first arrivals keep order.
    received = [(r.path, r.headers["webhook-id"]) for r in receiver.requests]
    for ids in sent.values():
        arrivals = [m for _, m in received if m in set(ids)]
        assert list(dict.fromkeys(arrivals)) == ids
    # Between them the two copies committed every record: nothing is left to redeliver.
    assert asyncio.run(group_lag(kafka_bootstrap, first.prefix)) == dict.fromkeys(range(3), 0)
