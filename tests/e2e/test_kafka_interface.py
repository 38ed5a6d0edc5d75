"""Kafka as an interface: events produced straight to the events topic are delivered, and a
record that breaks its contract lands on the dead topic with the reason."""

from __future__ import annotations

import asyncio

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared import clock
from shared.topics import MAX_RECORD_BYTES, MAX_VALUE_BYTES
from tests.support.receiver import Receiver
from tests.support.stack import Stack


async def produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", max_request_size=MAX_RECORD_BYTES
    )
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()


async def dead_letters(
    bootstrap: str, topic: str, wanted: int, about: str = ""
) -> list[dict[str, object]]:
    """The first ``wanted`` dead letters whose record contains ``about``."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        max_partition_fetch_bytes=MAX_RECORD_BYTES,
    )
    await consumer.start()
    found: list[dict[str, object]] = []
    try:
        async with asyncio.timeout(60):
            while len(found) < wanted:
                batches = await consumer.getmany(timeout_ms=500)
                letters = [orjson.loads(r.value) for rs in batches.values() for r in rs]
                found += [letter for letter in letters if about in letter["record"]]
    finally:
        await consumer.stop()
    return found


def test_external_producer_events_are_delivered_and_bad_ones_dead_lettered(
    stack: Stack, receiver: Receiver
) -> None:
    api, prefix = stack.client, stack.env["HOOKBUS_TOPIC_PREFIX"]
    bootstrap = stack.env["HOOKBUS_KAFKA_BOOTSTRAP"]
    app = api.post("/v1/apps", json={"name": "Producer"}).json()["id"]
    api.post(f"/v1/apps/{app}/endpoints", json={"url": receiver.url, "ping": False})
    event = {
        "v": 1,
        "id": "order-42",
        "app_id": app,
        "event_type": "order.created",
        "payload": {"order": 42},
        "timestamp": clock.iso(),
        # Past the config log's end (a careless producer): must not block the partition.
        "config_offset": 10**9,
    }
    broken = {"v": 1, "id": "order-43", "app_id": app, "payload": {}}
    asyncio.run(
        produce(
            bootstrap,
            f"{prefix}events",
            [
                (app.encode(), orjson.dumps(broken)),
                (app.encode(), orjson.dumps(event)),
            ],
        )
    )
    delivered = receiver.wait_for(lambda r: r.headers["webhook-id"] == "order-42")[0]
    assert orjson.loads(delivered.body)["data"] == {"order": 42}
    dead = asyncio.run(dead_letters(bootstrap, f"{prefix}dead", 1))[0]
    assert "event_type" in str(dead["reason"]) and "order-43" in str(dead["record"])
    assert dead["origin"]["topic"] == f"{prefix}events"  # type: ignore[index]


def test_a_broken_event_near_the_record_limit_is_dead_lettered_and_routing_goes_on(
    stack: Stack, receiver: Receiver
) -> None:
    """Its dead letter, a copy with the reason, would be over Kafka's limit: it is cut to fit
    rather than refused by the broker again and again, holding the partition."""
    api, prefix = stack.client, stack.env["HOOKBUS_TOPIC_PREFIX"]
    bootstrap = stack.env["HOOKBUS_KAFKA_BOOTSTRAP"]
    app = api.post("/v1/apps", json={"name": "Big"}).json()["id"]
    api.post(f"/v1/apps/{app}/endpoints", json={"url": receiver.url, "ping": False})
    # Quotes take two bytes in the event, escaped, and four in its dead letter.
    quotes = '"' * ((MAX_VALUE_BYTES - 8192) // 2)
    broken = orjson.dumps({"v": 1, "id": "big-1", "app_id": app, "payload": {"q": quotes}})
    event = {
        "v": 1,
        "id": "after-big",
        "app_id": app,
        "event_type": "order.created",
        "payload": {},
        "timestamp": clock.iso(),
    }
    asyncio.run(
        produce(
            bootstrap,
            f"{prefix}events",
            [(app.encode(), broken), (app.encode(), orjson.dumps(event))],
        )
    )
    receiver.wait_for(lambda r: r.headers["webhook-id"] == "after-big")
    dead = asyncio.run(dead_letters(bootstrap, f"{prefix}dead", 1, '"id":"big-1"'))[0]
    assert "record cut to its first" in str(dead["reason"])
    assert str(dead["record"]).startswith('{"v":1,"id":"big-1"')
