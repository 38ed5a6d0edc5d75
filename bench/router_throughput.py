"""Router startup time and events per second (events in → delivery records acked); prints figures.

    python bench/router_throughput.py [--events 2000] [--endpoints 2] [--apps 1]

Writes apps and endpoints straight to the config topic, runs the router as a process, times its
start until ``/readyz`` answers 200, then writes N events (each matching every endpoint of its
app) and times until every delivery record is on the deliveries topic and the router's consumer
group has committed every event. Uses ``HOOKBUS_KAFKA_BOOTSTRAP`` when set, else starts the local
broker.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shared import clock, signing  # noqa: E402
from shared.contracts import Contract, encode  # noqa: E402
from shared.ids import new_id  # noqa: E402
from shared.kafka_io import ensure_topics  # noqa: E402
from shared.topics import Topic, physical  # noqa: E402
from tests.support.stack import free_port, poll  # noqa: E402

PARTITIONS = 6


def config_records(apps: int, endpoints: int) -> tuple[list[str], list[tuple[str, bytes]]]:
    now = clock.iso()
    app_ids, records = [], []
    for _ in range(apps):
        app_id = new_id("app")
        app_ids.append(app_id)
        app = {"id": app_id, "name": "bench", "created_at": now, "updated_at": now}
        records.append((f"app/{app_id}", {"v": 1, "kind": "app", "id": app_id, "data": app}))
        for _ in range(endpoints):
            ep = new_id("ep")
            data = {
                "id": ep, "app_id": app_id, "url": "http://127.0.0.1:9/", "enabled": True,
                "event_types": ["bench.*"], "content_type": "application/json",
                "secrets": [{"secret": signing.generate_secret(), "expires_at": None}],
                "created_at": now, "updated_at": now,
            }  # fmt: skip
            records.append((f"endpoint/{ep}", {"v": 1, "kind": "endpoint", "id": ep, "data": data}))
    return app_ids, [(k, encode(Contract.CONFIG, {**v, "updated_at": now})) for k, v in records]


async def write_config(bootstrap: str, prefix: str, apps: int, endpoints: int) -> list[str]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        app_ids, records = config_records(apps, endpoints)
        for key, value in records:
            await producer.send_and_wait(physical(prefix, Topic.CONFIG), value, key=key.encode())
        return app_ids
    finally:
        await producer.stop()


async def write_events(bootstrap: str, prefix: str, app_ids: list[str], n: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        topic = physical(prefix, Topic.EVENTS)
        futures = []
        for i in range(n):
            app_id = app_ids[i % len(app_ids)]
            event = {
                "v": 1,
                "id": new_id("msg"),
                "app_id": app_id,
                "event_type": "bench.event",
                "payload": {"n": i},
                "timestamp": clock.iso(),
            }
            futures.append(await producer.send(topic, orjson.dumps(event), key=app_id.encode()))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def wait_deliveries(
    bootstrap: str, prefix: str, n: int, timeout: float
) -> tuple[float, float]:
    """Read the deliveries topic until ``n`` records are there; return when the first and the
    last were seen."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    topic = physical(prefix, Topic.DELIVERIES)
    consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
    await consumer.seek_to_beginning()
    seen, first, deadline = 0, 0.0, time.monotonic() + timeout
    try:
        while seen < n and time.monotonic() < deadline:
            seen += sum(len(b) for b in (await consumer.getmany(timeout_ms=20)).values())
            first = first or (time.monotonic() if seen else 0.0)
        return first, time.monotonic()
    finally:
        await consumer.stop()


async def wait_committed(bootstrap: str, prefix: str, n: int, timeout: float) -> float:
    """Poll the router group's committed offsets until they cover ``n`` events."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            offsets = await admin.list_consumer_group_offsets(f"{prefix}router")
            if sum(meta.offset for meta in offsets.values()) >= n:
                break
            await asyncio.sleep(0.1)
        return time.monotonic()
    finally:
        await admin.close()


@contextlib.contextmanager
def bootstrap_server() -> Iterator[str]:
    if os.environ.get("HOOKBUS_KAFKA_BOOTSTRAP"):
        yield os.environ["HOOKBUS_KAFKA_BOOTSTRAP"]
        return
    from shared.local_kafka.broker import LocalBroker

    with tempfile.TemporaryDirectory() as data:
        broker = LocalBroker(data_dir=Path(data))
        try:
            yield broker.start()
        finally:
            broker.stop()


def ready(process: subprocess.Popen[bytes], port: int) -> bool:
    if process.poll() is not None:
        raise SystemExit(f"router exited with {process.returncode}")
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
    except httpx.HTTPError:
        return False


def run(bootstrap: str, events: int, endpoints: int, apps: int) -> None:
    prefix, port = f"bench{uuid.uuid4().hex[:8]}.", free_port()
    asyncio.run(ensure_topics(bootstrap, prefix, PARTITIONS))
    app_ids = asyncio.run(write_config(bootstrap, prefix, apps, endpoints))
    with tempfile.TemporaryDirectory() as data:
        env = {
            **os.environ, "PYTHONPATH": str(REPO), "HOOKBUS_KAFKA_BOOTSTRAP": bootstrap,
            "HOOKBUS_TOPIC_PREFIX": prefix, "HOOKBUS_PARTITIONS": str(PARTITIONS),
            "HOOKBUS_ROUTER_PORT": str(port), "HOOKBUS_DATA_DIR": data,
            "HOOKBUS_LOG_LEVEL": "WARNING",
        }  # fmt: skip
        command = "from services.router.main import main; raise SystemExit(main())"
        launched = time.monotonic()
        process = subprocess.Popen([sys.executable, "-c", command], env=env, cwd=REPO)
        try:
            poll(lambda: ready(process, port), 90, 0.05)
            became_ready = time.monotonic()
            started = time.monotonic()
            asyncio.run(write_events(bootstrap, prefix, app_ids, events))
            produced = time.monotonic()
            first, delivered = asyncio.run(
                wait_deliveries(bootstrap, prefix, events * endpoints, 300)
            )
            committed = asyncio.run(wait_committed(bootstrap, prefix, events, 60))
        finally:
            process.send_signal(signal.SIGTERM)
            stopping = time.monotonic()
            status = process.wait(60)
            stopped = time.monotonic()
    span = max(delivered - started, 1e-9)
    print(f"router start → ready   {became_ready - launched:.2f} s (process launch to /readyz 200)")
    print(f"events                 {events} over {apps} app(s), {endpoints} endpoint(s) each")
    print(f"produce events (acked) {produced - started:.2f} s")
    print(
        f"all deliveries written {span:.2f} s  ({events / span:.0f} events/s, "
        f"{events * endpoints / span:.0f} deliveries/s)"
    )
    steady = max(delivered - first, 1e-9)
    print(f"first → last delivery  {steady:.2f} s  ({events / steady:.0f} events/s steady)")
    print(f"all events committed   {committed - started:.2f} s")
    print(f"SIGTERM → exit         {stopped - stopping:.2f} s (exit status {status})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--endpoints", type=int, default=2)
    parser.add_argument("--apps", type=int, default=1)
    args = parser.parse_args()
    with bootstrap_server() as bootstrap:
        run(bootstrap, args.events, args.endpoints, args.apps)


if __name__ == "__main__":
    main()
