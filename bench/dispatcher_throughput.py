"""Deliveries per second from the dispatcher alone to a fast loopback receiver; prints figures.

    python bench/dispatcher_throughput.py [--deliveries 2000] [--endpoints 10]

Writes endpoint configuration and N delivery records straight to Kafka, runs the dispatcher as a
process, and times until the receiver got every request and every attempt record is in Kafka.
Uses ``HOOKBUS_KAFKA_BOOTSTRAP`` when set, else starts the local broker.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shared import clock, signing  # noqa: E402
from shared.contracts import Contract, encode  # noqa: E402
from shared.ids import new_id  # noqa: E402
from shared.kafka_io import ensure_topics  # noqa: E402
from shared.topics import Topic, physical  # noqa: E402
from tests.kafka_broker import start_test_broker  # noqa: E402
from tests.support.stack import free_port, poll  # noqa: E402

PARTITIONS = 6
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"


class FastReceiver:
    """A minimal keep-alive HTTP/1.1 server on its own loop thread: counts requests, answers 200."""

    def __init__(self) -> None:
        self.count = 0
        self.first = self.last = 0.0
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()
        self._ready.wait(10)

    def _serve(self) -> None:
        async def start() -> None:
            await asyncio.start_server(self._connection, "127.0.0.1", self.port, backlog=1024)
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                now = time.monotonic()
                self.first = self.first or now
                self.last, self.count = now, self.count + 1
                writer.write(ANSWER)
                await writer.drain()
        writer.close()


def config_records(app_id: str, urls: list[str]) -> list[tuple[str, bytes]]:
    now = clock.iso()
    app = {"id": app_id, "name": "bench", "created_at": now, "updated_at": now}
    records = [(f"app/{app_id}", {"v": 1, "kind": "app", "id": app_id, "data": app})]
    for url in urls:
        ep = new_id("ep")
        data = {
            "id": ep, "app_id": app_id, "url": url, "enabled": True, "headers": {},
            "timeout_ms": 15000, "content_type": "application/json", "ordered": False,
            "secrets": [{"secret": signing.generate_secret(), "expires_at": None}],
            "created_at": now, "updated_at": now,
        }  # fmt: skip
        records.append((f"endpoint/{ep}", {"v": 1, "kind": "endpoint", "id": ep, "data": data}))
    return [(k, encode(Contract.CONFIG, {**v, "updated_at": now})) for k, v in records]


def delivery(app_id: str, endpoint_id: str, config_offset: int, number: int) -> bytes:
    body = f'{{"type":"bench.event","timestamp":"{clock.iso()}","data":{{"n":{number}}}}}'
    return encode(
        Contract.DELIVERY,
        {
            "v": 1, "id": new_id("dlv"), "message_id": new_id("msg"), "app_id": app_id,
            "endpoint_id": endpoint_id, "event_type": "bench.event", "body": body,
            "content_type": "application/json", "attempt": 1, "created_at": clock.iso(),
            "config_offset": config_offset,
        },
    )  # fmt: skip


async def produce_all(bootstrap: str, prefix: str, n: int, urls: list[str]) -> float:
    """Write the configuration, then ``n`` deliveries round-robin; return when they started."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        app_id = new_id("app")
        offset = 0
        endpoint_ids = []
        for key, value in config_records(app_id, urls):
            meta = await producer.send_and_wait(
                physical(prefix, Topic.CONFIG), value, key=key.encode()
            )
            offset = meta.offset + 1
            if key.startswith("endpoint/"):
                endpoint_ids.append(key.split("/", 1)[1])
        started = time.monotonic()
        topic = physical(prefix, Topic.DELIVERIES)
        futures = [
            await producer.send(topic, delivery(app_id, ep, offset, i), key=ep.encode())
            for i in range(n)
            for ep in [endpoint_ids[i % len(endpoint_ids)]]
        ]
        await asyncio.gather(*futures)
        return started
    finally:
        await producer.stop()


async def count_attempts(bootstrap: str, prefix: str, n: int, timeout: float) -> float:
    """Read the attempts topic until ``n`` records are there; return when that was seen."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    topic = physical(prefix, Topic.ATTEMPTS)
    consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
    await consumer.seek_to_beginning()
    seen, deadline = 0, time.monotonic() + timeout
    try:
        while seen < n and time.monotonic() < deadline:
            seen += sum(len(b) for b in (await consumer.getmany(timeout_ms=100)).values())
        return time.monotonic()
    finally:
        await consumer.stop()


def ready(process: subprocess.Popen[bytes], port: int) -> bool:
    if process.poll() is not None:
        raise SystemExit(f"dispatcher exited with {process.returncode}")
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
    except httpx.HTTPError:
        return False


def run(bootstrap: str, deliveries: int, endpoints: int, concurrency: int) -> None:
    receiver = FastReceiver()
    prefix, port = f"bench{uuid.uuid4().hex[:8]}.", free_port()
    asyncio.run(ensure_topics(bootstrap, prefix, PARTITIONS))
    env = {
        **os.environ, "PYTHONPATH": str(REPO), "HOOKBUS_KAFKA_BOOTSTRAP": bootstrap,
        "HOOKBUS_TOPIC_PREFIX": prefix, "HOOKBUS_PARTITIONS": str(PARTITIONS),
        "HOOKBUS_ALLOW_PRIVATE_DESTINATIONS": "true", "HOOKBUS_DISPATCHER_PORT": str(port),
        "HOOKBUS_DELIVERY_CONCURRENCY": str(concurrency), "HOOKBUS_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    command = "from services.dispatcher.main import main; raise SystemExit(main())"
    process = subprocess.Popen([sys.executable, "-c", command], env=env, cwd=REPO)
    try:
        poll(lambda: ready(process, port), 90, 0.2)
        urls = [f"http://127.0.0.1:{receiver.port}/ep{i}" for i in range(endpoints)]
        started = asyncio.run(produce_all(bootstrap, prefix, deliveries, urls))
        produced = time.monotonic()
        recorded = asyncio.run(count_attempts(bootstrap, prefix, deliveries, 300))
    finally:
        process.send_signal(signal.SIGTERM)
        status = process.wait(60)
    span = max(recorded - started, 1e-9)
    print(
        f"deliveries            {deliveries} to {endpoints} endpoint(s), concurrency {concurrency}"
    )
    print(f"produce (acked)       {produced - started:.2f} s")
    print(f"received by endpoint  {receiver.count}")
    print(f"first→last request    {receiver.last - receiver.first:.2f} s")
    rate = deliveries / span
    print(f"end to end            {span:.2f} s  ({rate:.0f} deliveries/s, attempts acked)")
    print(f"dispatcher exit       {status}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--endpoints", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=200)
    args = parser.parse_args()
    bootstrap, stop = start_test_broker()
    try:
        run(bootstrap, args.deliveries, args.endpoints, args.concurrency)
    finally:
        stop()


if __name__ == "__main__":
    main()
