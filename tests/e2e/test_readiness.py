"""``/readyz`` of every service turns 200 only once its topics exist and its config view has
read the whole config topic: a config topic with thousands of records is written before the
services start, and the first 200 of each service is checked against what it has read."""

from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from shared.kafka_io import ensure_topics
from shared.topics import layout
from tests.support.stack import SERVICES, Stack, assert_stopped_cleanly
from tests.support.topics import topic_names
from tests.support.waiting import poll

pytestmark = pytest.mark.kafka
RECORDS = 3000


async def write_config(bootstrap: str, prefix: str) -> None:
    """The topics, and ``RECORDS`` app records on the config topic (what a big install has)."""
    await ensure_topics(bootstrap, prefix, 1, (1.0,))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    await producer.start()
    try:
        sends = []
        for n in range(RECORDS):
            ident = f"app_{n:026d}"
            data = {"id": ident, "name": f"app {n}", "metadata": {}}
            data |= {
                "created_at": "2026-11-22T10:00:00.000Z",
                "updated_at": "2026-11-22T10:00:00.000Z",
            }
            record = {
                "v": 1,
                "kind": "app",
                "id": ident,
                "updated_at": data["updated_at"],
                "data": data,
            }
            sends.append(
                await producer.send(
                    f"{prefix}config", orjson.dumps(record), key=f"app/{ident}".encode()
                )
            )
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


def config_offset(port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    line = next(x for x in text.splitlines() if x.startswith("hookbus_config_view_offset "))
    return float(line.split()[1])


def test_readyz_waits_for_the_topics_and_the_whole_config_topic(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    prefix = f"ready{uuid.uuid4().hex[:8]}."
    asyncio.run(write_config(kafka_bootstrap, prefix))
    stack = Stack(
        kafka_bootstrap,
        tmp_path,
        HOOKBUS_TOPIC_PREFIX=prefix,
        HOOKBUS_PARTITIONS="1",
        HOOKBUS_RETRY_SCHEDULE="1s",
    )
    seen: dict[str, list[int]] = {name: [] for name in SERVICES}
    try:
        for name in SERVICES:
            stack.start_service(name)

        def first_ready() -> bool:
            for name in SERVICES:
                if seen[name] and seen[name][-1] == 200:
                    continue
                try:
                    answer = httpx.get(f"http://127.0.0.1:{stack.ports[name]}/readyz", timeout=5)
                except httpx.HTTPError:
                    continue  # not listening yet: not ready either
                seen[name].append(answer.status_code)
                if answer.status_code == 200:
                    # Checked at once: the view may only have moved further since.
                    assert config_offset(stack.ports[name]) >= RECORDS, name
                    assert all(answer.json()["checks"].values())
                else:
                    assert answer.status_code == 503 and not all(answer.json()["checks"].values())
            return all(s and s[-1] == 200 for s in seen.values())

        poll(first_ready, 120, 0.05)
        names = {spec.name for spec in layout(prefix, 1, (1.0,))}
        assert names <= asyncio.run(topic_names(kafka_bootstrap))
    finally:
        codes = stack.stop()
    assert_stopped_cleanly(codes)
    print(f"\nreadyz answers before ready: { {n: len(s) - 1 for n, s in seen.items()} }")


def test_a_service_whose_port_is_taken_exits_3_before_taking_any_work(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A supervisor sees the failure and restarts it, rather than a copy that consumes (and
    holds partitions) while no health check can reach it."""
    stack = Stack(kafka_bootstrap, tmp_path, HOOKBUS_PARTITIONS="1")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack.env |= {f"HOOKBUS_{n}_PORT": str(port) for n in ("HTTP", "AUDIT", "DISPATCHER")}
        try:
            for name in ("ingress", "dispatcher", "audit"):
                stack.start_service(name)
                assert stack.processes[name].wait(60) == 3, stack.log(name)
                assert "cannot listen" in stack.log(name)
        finally:
            stack.stop()
