"""The audit consumer chain without a broker: decoding, dead letters, store-then-commit."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import TopicPartition
from sqlalchemy.exc import DataError, OperationalError

from services.audit import queries
from services.audit.batch import sort_batch, to_rows
from services.audit.ingest import Ingestor
from services.audit.rows import Origin
from services.audit.schema import attempts, dead_letters, message_channels, messages
from services.audit.store import Store
from shared.contracts import Contract, decode, examples
from shared.errors import BadRecord
from shared.topics import Topic, physical
from tests.support.records import UNIT_PREFIX, consumed, polled

PREFIX = UNIT_PREFIX
TOPICS = {Contract.EVENT: Topic.EVENTS, Contract.ATTEMPT: Topic.ATTEMPTS}
TOPICS[Contract.DEAD_LETTER] = Topic.DEAD
TABLES = {Contract.EVENT: messages, Contract.ATTEMPT: attempts, Contract.DEAD_LETTER: dead_letters}


@pytest.mark.parametrize(
    "path",
    [p for contract in TOPICS for p in examples(contract)],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_every_example_becomes_rows(path: Path) -> None:
    contract = Contract(path.parent.name)
    batch = sort_batch(PREFIX, polled(consumed(TOPICS[contract], 7, path.read_bytes())))
    assert batch.dead == []
    assert batch.rows and batch.rows[0][0] is TABLES[contract]
    assert batch.rows[0][1]["kafka_offset"] == 7


def test_channels_become_one_row_each() -> None:
    raw = orjson.dumps(
        {**orjson.loads(examples(Contract.EVENT)[1].read_bytes()), "channels": ["a", "b", "a"]}
    )
    rows = sort_batch(PREFIX, polled(consumed(Topic.EVENTS, 0, raw))).rows
    assert [row["channel"] for table, row in rows if table is message_channels] == ["a", "b"]


@pytest.mark.parametrize("value", [b"{not json", None, b'{"v": 1, "id": "x"}'])
def test_bad_event_or_attempt_becomes_a_dead_letter(value: bytes | None) -> None:
    good = examples(Contract.ATTEMPT)[0].read_bytes()
    recs = [consumed(Topic.ATTEMPTS, 4, good), consumed(Topic.ATTEMPTS, 5, value)]
    batch = sort_batch(PREFIX, polled(*recs, consumed(Topic.EVENTS, 9, value, partition=2)))
    assert len(batch.rows) == 1
    assert len(batch.dead) == 2
    key, raw = batch.dead[0]
    letter = decode(Contract.DEAD_LETTER, raw)
    assert key == "k"
    assert letter["origin"] == {
        "topic": physical(PREFIX, Topic.ATTEMPTS),
        "partition": 0,
        "offset": 5,
        "key": "k",
        "service": "audit",
    }
    assert letter["record"] == (value or b"").decode()
    # The bad records are committed with the good ones: they are dealt with, not lost.
    assert batch.commit == {
        TopicPartition(physical(PREFIX, Topic.ATTEMPTS), 0): 6,
        TopicPartition(physical(PREFIX, Topic.EVENTS), 2): 10,
    }
    assert batch.first[TopicPartition(physical(PREFIX, Topic.ATTEMPTS), 0)] == 4


def test_bad_record_on_the_dead_topic_is_not_dead_lettered_again() -> None:
    batch = sort_batch(PREFIX, polled(consumed(Topic.DEAD, 3, b"garbage")))
    assert batch.rows == [] and batch.dead == []
    assert batch.commit == {TopicPartition(physical(PREFIX, Topic.DEAD), 0): 4}


def test_a_value_python_cannot_read_is_a_bad_record() -> None:
    def refuse(_record: Any, _origin: Origin) -> Any:
        raise ValueError("no")

    raw = examples(Contract.EVENT)[0].read_bytes()
    with pytest.raises(BadRecord, match="event: no"):
        to_rows(Contract.EVENT, refuse, consumed(Topic.EVENTS, 0, raw))


def test_a_leap_second_is_stored() -> None:
    event = {
        **orjson.loads(examples(Contract.EVENT)[0].read_bytes()),
        "timestamp": "2026-12-31T23:59:60Z",
    }
    rows = sort_batch(PREFIX, polled(consumed(Topic.EVENTS, 0, orjson.dumps(event)))).rows
    assert rows[0][1]["timestamp"] == "2026-12-31T23:59:60Z"


class FakeConsumer:
    """Records what the chain asks of the consumer (the real one is in the integration test)."""

    def __init__(self) -> None:
        self.commits: list[dict[TopicPartition, int]] = []
        self.seeks: list[tuple[TopicPartition, int]] = []

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(offsets)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes]] = []

    async def send_and_wait(self, topic: str, value: bytes, key: bytes | None) -> Any:
        self.sent.append((topic, key, value))
        return type("Meta", (), {"partition": 0, "offset": len(self.sent)})()


class BrokenStore(Store):
    def write_batch(self, rows: Any) -> int:
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))


class PickyStore(Store):
    """Refuses, as a content error, any batch holding a message with id "poison"."""

    def write_batch(self, rows: Any) -> int:
        rows = list(rows)
        if any(row.get("id") == "poison" for _, row in rows):
            raise DataError("INSERT", {}, Exception("invalid byte sequence"))
        return super().write_batch(rows)


def _handle(store: Store, consumer: FakeConsumer, producer: FakeProducer, *recs: Any) -> None:
    ingestor = Ingestor(consumer, producer, store, PREFIX)  # type: ignore[arg-type]
    stop = asyncio.Event()
    stop.set()  # no pause after a failure in tests
    asyncio.run(ingestor.handle(polled(*recs), stop))


def test_batch_is_stored_dead_lettered_then_committed(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    consumer, producer = FakeConsumer(), FakeProducer()
    good = examples(Contract.EVENT)[1].read_bytes()
    _handle(
        store, consumer, producer, consumed(Topic.EVENTS, 0, good), consumed(Topic.EVENTS, 1, b"x")
    )
    assert queries.list_messages(store.engine, orjson.loads(good)["app_id"], limit=5).data
    assert [topic for topic, _, _ in producer.sent] == [physical(PREFIX, Topic.DEAD)]
    assert consumer.commits == [{TopicPartition(physical(PREFIX, Topic.EVENTS), 0): 2}]
    assert consumer.seeks == []


def test_database_failure_rewinds_and_commits_nothing(tmp_path: Path) -> None:
    store = BrokenStore.open(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    consumer, producer = FakeConsumer(), FakeProducer()
    good = examples(Contract.EVENT)[1].read_bytes()
    _handle(
        store, consumer, producer, consumed(Topic.EVENTS, 3, good), consumed(Topic.EVENTS, 4, b"x")
    )
    assert consumer.commits == []
    assert producer.sent == []  # dead letters wait until the batch is stored
    assert consumer.seeks == [(TopicPartition(physical(PREFIX, Topic.EVENTS), 0), 3)]


def test_a_record_the_database_refuses_is_dead_lettered_alone(tmp_path: Path) -> None:
    store = PickyStore.open(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    consumer, producer = FakeConsumer(), FakeProducer()
    good = orjson.loads(examples(Contract.EVENT)[1].read_bytes())
    recs = [
        consumed(Topic.EVENTS, 0, orjson.dumps(good)),
        consumed(Topic.EVENTS, 1, orjson.dumps({**good, "id": "poison"})),
    ]
    _handle(store, consumer, producer, *recs)
    stored = queries.list_messages(store.engine, good["app_id"], limit=5).data
    assert [m["id"] for m in stored] == [good["id"]]
    [(_, _, letter)] = producer.sent
    assert decode(Contract.DEAD_LETTER, letter)["origin"]["offset"] == 1
    assert "invalid byte sequence" in decode(Contract.DEAD_LETTER, letter)["reason"]
    assert consumer.commits == [{TopicPartition(physical(PREFIX, Topic.EVENTS), 0): 2}]
