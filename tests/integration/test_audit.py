"""Audit against a real broker: records in, the log API out, dead letters, replay, retention,
SIGTERM.

Audit runs as a subprocess with its own topic prefix, once on a SQLite file under ``tmp_path``
and once on a PostgreSQL database of its own (named by a plain ``postgresql://`` URL, as users
paste it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy.engine import make_url

from shared import ids
from shared.contracts import Contract, examples
from shared.topics import Topic, physical
from tests.postgres_server import fresh_database
from tests.support.stack import REPO, free_port
from tests.support.waiting import poll

pytestmark = pytest.mark.kafka
PARTITIONS = 3
AUDITED = (Topic.EVENTS, Topic.ATTEMPTS, Topic.DEAD)


class Audit:
    """One audit process; ``start`` again after ``stop`` restarts it on the same database."""

    def __init__(self, bootstrap: str, data_dir: Path, database_url: str | None = None) -> None:
        self.bootstrap = bootstrap
        self.prefix = f"t{uuid.uuid4().hex[:8]}."
        self.token = "test-" + uuid.uuid4().hex
        self.port = free_port()
        self.log_path = data_dir / "audit.log"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "HOOKBUS_KAFKA_BOOTSTRAP": bootstrap,
            "HOOKBUS_TOPIC_PREFIX": self.prefix,
            "HOOKBUS_PARTITIONS": str(PARTITIONS),
            "HOOKBUS_DATA_DIR": str(data_dir),
            "HOOKBUS_AUDIT_PORT": str(self.port),
            "HOOKBUS_ADMIN_TOKEN": self.token,
            "HOOKBUS_RETENTION": "30d",
            "HOOKBUS_RETENTION_INTERVAL": "1s",
        }
        if database_url:
            self.env["HOOKBUS_DATABASE_URL"] = database_url
        self.process: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={"authorization": f"Bearer {self.token}"},
            timeout=10,
        )

    def topic(self, topic: Topic) -> str:
        return physical(self.prefix, topic)

    def start(self) -> None:
        code = "import sys; from services.audit.main import main; sys.exit(main())"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", code], env=self.env, cwd=REPO, stdout=log, stderr=log
            )
        poll(self._ready, timeout=90, interval=0.2)

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"audit exited with {self.process.returncode}: {self.log()}")
        try:
            return self.http.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> int:
        """SIGTERM and wait; return the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"audit did not stop on SIGTERM: {self.log()}") from None

    def kill(self) -> None:
        """Make sure no process outlives the test, whatever it asserted."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.http.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def get(self, path: str, **params: Any) -> Any:
        """The JSON of a 200 answer, else None."""
        answer = self.http.get(path, params=params)
        return answer.json() if answer.status_code == 200 else None


def _example(contract: Contract, stem: str) -> dict[str, Any]:
    path = next(p for p in examples(contract) if p.stem == stem)
    record: dict[str, Any] = orjson.loads(path.read_bytes())
    return record


async def _produce(bootstrap: str, records: list[tuple[str, str, dict[str, Any]]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for topic, key, value in records:
            await producer.send_and_wait(topic, orjson.dumps(value), key=key.encode())
    finally:
        await producer.stop()


async def _read_all(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    """Every record now on ``topic``, decoded."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        found: list[dict[str, Any]] = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                found += [orjson.loads(r.value) for r in records]
        return found
    finally:
        await consumer.stop()


async def _lag(audit: Audit) -> int:
    """How many records of the audited topics the audit group has not committed yet."""
    tps = [TopicPartition(audit.topic(t), p) for t in AUDITED for p in range(PARTITIONS)]
    admin = AIOKafkaAdminClient(bootstrap_servers=audit.bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=audit.bootstrap)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(f"{audit.prefix}audit")
        ends = await consumer.end_offsets(tps)
        done = {tp: meta.offset for tp, meta in committed.items()}
        return sum(ends[tp] - max(done.get(tp, 0), 0) for tp in tps)
    finally:
        await consumer.stop()
        await admin.close()


async def _rewind_group(audit: Audit) -> None:
    """Commit offset 0 everywhere for the (idle) audit group, so its next run replays all."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=audit.bootstrap, group_id=f"{audit.prefix}audit", enable_auto_commit=False
    )
    await consumer.start()
    try:
        tps = [TopicPartition(audit.topic(t), p) for t in AUDITED for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.commit({tp: 0 for tp in tps})
    finally:
        await consumer.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def audit(kafka_bootstrap: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Audit]:
    with contextlib.ExitStack() as stack:
        database_url = None
        if request.param == "postgresql":
            url = stack.enter_context(fresh_database(request.getfixturevalue("postgres_url")))
            database_url = make_url(url).set(drivername="postgresql").render_as_string(False)
        running = Audit(kafka_bootstrap, tmp_path, database_url)
        try:
            yield running
        finally:
            running.kill()


def test_audit_records_serves_dead_letters_and_replays_idempotently(
    kafka_bootstrap: str, audit: Audit
) -> None:
    audit.start()
    app, ep, msg = ids.new_id("app"), ids.new_id("ep"), ids.new_id("msg")
    event = {**_example(Contract.EVENT, "message"), "id": msg, "app_id": app}
    attempt = {
        **_example(Contract.ATTEMPT, "succeeded"),
        "id": ids.new_id("atm"),
        "delivery_id": ids.new_id("dlv"),
        "message_id": msg,
        "app_id": app,
        "endpoint_id": ep,
    }
    broken = {k: v for k, v in attempt.items() if k != "outcome"} | {"id": ids.new_id("atm")}
    old_app, old_msg = ids.new_id("app"), ids.new_id("msg")
    old = {**event, "id": old_msg, "app_id": old_app, "timestamp": "2020-01-01T00:00:00Z"}
    asyncio.run(
        _produce(
            kafka_bootstrap,
            [
                (audit.topic(Topic.EVENTS), old_app, old),
                (audit.topic(Topic.EVENTS), app, event),
                (audit.topic(Topic.ATTEMPTS), ep, attempt),
                (audit.topic(Topic.ATTEMPTS), ep, broken),
            ],
        )
    )

    shown = poll(lambda: audit.get(f"/v1/apps/{app}/messages/{msg}"), timeout=60)
    assert shown == {k: event[k] for k in ("id", "event_type", "payload", "channels", "timestamp")}
    shown = poll(lambda: audit.get(f"/v1/apps/{app}/attempts/{attempt['id']}"), timeout=60)
    assert shown == {k: v for k, v in attempt.items() if k not in ("v", "app_id")}
    assert audit.get(f"/v1/apps/{ids.new_id('app')}/attempts/{attempt['id']}") is None

    def dead_letters() -> list[dict[str, Any]]:
        data = audit.get("/v1/dead-letters", limit=250)["data"]
        return [d for d in data if d["origin"]["topic"] == audit.topic(Topic.ATTEMPTS)]

    [letter] = poll(dead_letters, timeout=60)
    assert letter["origin"]["service"] == "audit" and "outcome" in letter["reason"]
    assert orjson.loads(letter["record"])["id"] == broken["id"]
    on_topic = asyncio.run(_read_all(kafka_bootstrap, audit.topic(Topic.DEAD)))
    assert [d["origin"]["offset"] for d in on_topic] == [letter["origin"]["offset"]]
    poll(lambda: asyncio.run(_lag(audit)) == 0, timeout=60)
    # Stored like the others (no dead letter names it), the event older than the retention
    # is gone after the next round (one a second here); the recent one stays.
    poll(lambda: audit.get(f"/v1/apps/{old_app}/messages") == {"data": [], "next_cursor": None})
    assert audit.get(f"/v1/apps/{app}/messages/{msg}") is not None
    assert audit.stop() == 0

    # Replay everything from the start: the rows must stay exactly as they were.
    asyncio.run(_rewind_group(audit))
    assert asyncio.run(_lag(audit)) > 0
    audit.start()
    # The replayed bad attempt is dead-lettered a second time, which shows the replay happened.
    poll(lambda: len(asyncio.run(_read_all(kafka_bootstrap, audit.topic(Topic.DEAD)))) == 2, 60)
    poll(lambda: asyncio.run(_lag(audit)) == 0, timeout=60)
    assert [m["id"] for m in audit.get(f"/v1/apps/{app}/messages")["data"]] == [msg]
    listed = audit.get(f"/v1/apps/{app}/endpoints/{ep}/attempts")["data"]
    assert [a["id"] for a in listed] == [attempt["id"]]
    assert len(dead_letters()) == 1
    assert audit.get(f"/v1/apps/{app}/endpoints/{ep}/stats")["succeeded"] == 1
    assert audit.stop() == 0
