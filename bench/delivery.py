"""The dispatcher's delivery engine alone: throughput, and isolation from hanging endpoints.

    python bench/delivery.py [--deliveries 3000] [--endpoints 20] [--concurrency 200]
                             [--rate 200] [--seconds 15]

Prints, each with a fresh dispatcher process and topic prefix:
1. deliveries/s to a fast receiver (answers at once): first to last request, and from the first
   record written until every attempt record is acknowledged in Kafka;
2. the same to a receiver that takes 100 ms per request;
3. healthy endpoints' latency (record written -> request received) at a fixed offered load,
   with none of the endpoints hanging, then with 10 % of them hanging until the timeout.

Delivery records are written straight to Kafka, so only the dispatcher is measured. Uses
``HOOKBUS_KAFKA_BOOTSTRAP`` when set, else starts the local broker. Prints figures only.
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
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shared import clock, signing  # noqa: E402
from shared.contracts import Contract, encode  # noqa: E402
from shared.ids import new_id  # noqa: E402
from shared.kafka_io import ensure_topics  # noqa: E402
from shared.settings import Settings  # noqa: E402
from shared.topics import Topic, physical, retry_topics  # noqa: E402
from tests.kafka_broker import start_test_broker  # noqa: E402
from tests.support.stack import free_port, poll  # noqa: E402

PARTITIONS = 6
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"
HANG_TIMEOUT_MS = 5000


class Receiver:
    """A keep-alive HTTP/1.1 server on its own loop thread. Per path: answer after ``delay``
    seconds, or never (``hang``: the dispatcher's timeout ends it). Records latencies."""

    def __init__(self, delay: float = 0.0, hanging: frozenset[str] = frozenset()) -> None:
        self.delay, self.hanging = delay, hanging
        self.count, self.first, self.last = 0, 0.0, 0.0
        self.latencies: dict[str, list[float]] = {}
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _serve(self, ready: threading.Event) -> None:
        async def start() -> None:
            await asyncio.start_server(self._connection, "127.0.0.1", self.port, backlog=4096)
            ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                path = lines[0].split(b" ")[1].decode()
                length = next(
                    int(v) for n, _, v in (ln.partition(b":") for ln in lines)
                    if n.strip().lower() == b"content-length"
                )  # fmt: skip
                body = await reader.readexactly(length)
                now = time.time()
                if path in self.hanging:
                    await asyncio.sleep(3600)  # until the dispatcher gives up
                sent_at = orjson.loads(body)["data"]["sent_at"]
                self.latencies.setdefault(path, []).append(now - sent_at)
                self.first = self.first or time.monotonic()
                self.last, self.count = time.monotonic(), self.count + 1
                if self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(ANSWER)
                await writer.drain()
        writer.close()


def endpoint_records(app_id: str, urls: list[str]) -> list[tuple[str, bytes]]:
    now = clock.iso()
    app = {"id": app_id, "name": "bench", "created_at": now, "updated_at": now}
    records = [(f"app/{app_id}", {"v": 1, "kind": "app", "id": app_id, "data": app})]
    for url in urls:
        ep = new_id("ep")
        data = {
            "id": ep, "app_id": app_id, "url": url, "enabled": True, "headers": {},
            "timeout_ms": HANG_TIMEOUT_MS, "content_type": "application/json", "ordered": False,
            "secrets": [{"secret": signing.generate_secret(), "expires_at": None}],
            "created_at": now, "updated_at": now,
        }  # fmt: skip
        records.append((f"endpoint/{ep}", {"v": 1, "kind": "endpoint", "id": ep, "data": data}))
    return [(k, encode(Contract.CONFIG, {**v, "updated_at": now})) for k, v in records]


def delivery(app_id: str, endpoint_id: str, config_offset: int) -> bytes:
    body = orjson.dumps({"type": "bench.event", "data": {"sent_at": time.time()}}).decode()
    record = {
        "v": 1, "id": new_id("dlv"), "message_id": new_id("msg"), "app_id": app_id,
        "endpoint_id": endpoint_id, "event_type": "bench.event", "body": body,
        "content_type": "application/json", "attempt": 1, "created_at": clock.iso(),
        "config_offset": config_offset,
    }  # fmt: skip
    return encode(Contract.DELIVERY, record)


async def produce(bootstrap: str, prefix: str, urls: list[str], n: int, rate: float) -> float:
    """Write the endpoints, then ``n`` deliveries round-robin, ``rate`` per second (0: at once);
    return when the deliveries started."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        app_id, offset, endpoint_ids = new_id("app"), 0, []
        for key, value in endpoint_records(app_id, urls):
            meta = await producer.send_and_wait(
                physical(prefix, Topic.CONFIG), value, key=key.encode()
            )
            offset = meta.offset + 1
            if key.startswith("endpoint/"):
                endpoint_ids.append(key.split("/", 1)[1])
        topic, started, futures = physical(prefix, Topic.DELIVERIES), time.monotonic(), []
        for i in range(n):
            if rate:
                await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
            ep = endpoint_ids[i % len(endpoint_ids)]
            futures.append(
                await producer.send(topic, delivery(app_id, ep, offset), key=ep.encode())
            )
        await asyncio.gather(*futures)
        return started
    finally:
        await producer.stop()


async def attempts_recorded(bootstrap: str, prefix: str, n: int, timeout: float) -> float:
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


def dispatcher(
    bootstrap: str, prefix: str, concurrency: int
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **os.environ, "PYTHONPATH": str(REPO), "HOOKBUS_KAFKA_BOOTSTRAP": bootstrap,
        "HOOKBUS_TOPIC_PREFIX": prefix, "HOOKBUS_PARTITIONS": str(PARTITIONS),
        "HOOKBUS_ALLOW_PRIVATE_DESTINATIONS": "true", "HOOKBUS_DISPATCHER_PORT": str(port),
        "HOOKBUS_DELIVERY_CONCURRENCY": str(concurrency), "HOOKBUS_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    command = "from services.dispatcher.main import main; raise SystemExit(main())"
    process = subprocess.Popen([sys.executable, "-c", command], env=env, cwd=REPO)

    def ready() -> bool:
        if process.poll() is not None:
            raise SystemExit(f"dispatcher exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
        return False

    poll(ready, 90, 0.2)
    return process, port


async def tier_records(bootstrap: str, prefix: str) -> int:
    """How many records the retry tiers hold (deliveries parked or retried)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        tiers = [physical(prefix, tier) for tier in retry_topics(Settings().retry_schedule)]
        partitions = [TopicPartition(topic, p) for topic in tiers for p in range(PARTITIONS)]
        return int(sum((await consumer.end_offsets(partitions)).values()))
    finally:
        await consumer.stop()


def scenario(
    bootstrap: str,
    receiver: Receiver,
    paths: list[str],
    n: int,
    rate: float,
    prefix: str,
    concurrency: int,
) -> float:
    """Run one dispatcher through ``n`` deliveries; return the seconds from the first record
    written until every attempt record is in Kafka (hanging endpoints' attempts not awaited)."""
    asyncio.run(ensure_topics(bootstrap, prefix, PARTITIONS, Settings().retry_schedule))
    process, _ = dispatcher(bootstrap, prefix, concurrency)
    try:
        urls = [f"http://127.0.0.1:{receiver.port}{path}" for path in paths]
        healthy = sum(1 for p in paths if p not in receiver.hanging) / len(paths)
        started = asyncio.run(produce(bootstrap, prefix, urls, n, rate))
        poll(lambda: receiver.count >= int(n * healthy), 600, 0.1)
        recorded = asyncio.run(attempts_recorded(bootstrap, prefix, int(n * healthy), 300))
    finally:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(60)
        if process.poll() is None:
            process.kill()
    return recorded - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--endpoints", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=200, help="the dispatcher's")
    parser.add_argument("--rate", type=float, default=200.0, help="offered load of part 3")
    parser.add_argument("--seconds", type=float, default=15.0, help="duration of part 3")
    args = parser.parse_args()
    bootstrap, stop = start_test_broker()
    paths = [f"/ep{i}" for i in range(args.endpoints)]
    try:
        for label, delay in (("fast receiver", 0.0), ("100 ms receiver", 0.1)):
            receiver = Receiver(delay=delay)
            prefix = f"bench{uuid.uuid4().hex[:8]}."
            recorded = scenario(
                bootstrap, receiver, paths, args.deliveries, 0, prefix, args.concurrency
            )
            span = receiver.last - receiver.first
            parked = asyncio.run(tier_records(bootstrap, prefix))
            print(f"{label:<18} {args.deliveries} deliveries to {args.endpoints} endpoints: "
                  f"{args.deliveries / max(span, 1e-9):.0f} deliveries/s first to last request, "
                  f"{args.deliveries / max(recorded, 1e-9):.0f}/s until attempts acked "
                  f"({parked} parked or retried)")  # fmt: skip
        n = int(args.rate * args.seconds)
        print(f"latency at {args.rate:.0f} deliveries/s for {args.seconds:.0f} s, healthy "
              f"endpoints only (hanging ones time out after {HANG_TIMEOUT_MS} ms):")  # fmt: skip
        for label, share in (("none hanging", 0.0), ("10 % hanging", 0.1)):
            hanging = frozenset(paths[: int(len(paths) * share)])
            receiver = Receiver(hanging=hanging)
            prefix = f"bench{uuid.uuid4().hex[:8]}."
            scenario(bootstrap, receiver, paths, n, args.rate, prefix, args.concurrency)
            parked = asyncio.run(tier_records(bootstrap, prefix))
            healthy = [v for p, vs in receiver.latencies.items() if p not in hanging for v in vs]
            p50, p99 = percentile(healthy, 0.5) * 1000, percentile(healthy, 0.99) * 1000
            print(f"  {label:<14} p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   "
                  f"({len(healthy)} requests; {parked} records parked or retried)")  # fmt: skip
    finally:
        stop()


if __name__ == "__main__":
    main()
