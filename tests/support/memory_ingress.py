"""The ingress's HTTP app in-process, on an in-memory stand-in for its Kafka side.

For fast tests of the ingress API with FastAPI's ``TestClient``; the end-to-end tests
(real services, real broker) stay the judge of the whole. The stand-in keeps what the ingress
reads back: config records are applied to its config view at once (as the real view would
read them back), and an event that waits for a verdict is answered as the router would answer
it (202, or 409 for an id already published).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import httpx
import orjson
from fastapi.testclient import TestClient

from services.ingress.http_app import create_app
from services.ingress.publish.config_store import ConfigStore
from services.ingress.publish.kafka_probe import KafkaProbe
from services.ingress.publish.operational import ensure_operational_app
from services.ingress.publish.reply_inbox import ReplyInbox
from services.ingress.web.hub import Hub
from shared.config_state import ConfigState
from shared.config_view import ConfigView
from shared.contracts import decode_event, encode_reply
from shared.records import ReplyRecord
from shared.secret_box import secret_box
from shared.settings import Settings
from shared.topics import Topic, physical

PREFIX = "mem."
TOKEN = "hb_in_memory_admin_token"


class Meta(NamedTuple):
    """What a producer's ``send_and_wait`` answers."""

    partition: int
    offset: int


class MemoryConfigView(ConfigView):
    """A config view fed by :class:`MemoryKafka` instead of a consumer."""

    def __init__(self) -> None:  # no Kafka clients: the records arrive by :meth:`receive`
        ConfigState.__init__(self)
        self._position = 0
        self._waiters = []
        self._listeners = []
        self._task = None
        self._end_query = None
        self._end_query_started = 0.0
        self.ready = True

    def receive(self, key: bytes | None, value: bytes | None) -> None:
        """Apply the config record written at the next offset."""
        self._apply_record(key, value)
        self._position += 1
        self._wake()

    async def end_offset(self) -> int:
        """Everything written is read at once."""
        return self._position


class MemoryInbox(ReplyInbox):
    """A reply inbox the stand-in router delivers to directly."""

    def __init__(self, instance: str) -> None:  # no consumer
        self.instance = instance
        self._topic = ""
        self._waiting = {}
        self._gathering = {}
        self._task = None

    async def stop(self) -> None:
        """Nothing to stop."""

    def deliver(self, record: ReplyRecord) -> None:
        """Hand a reply over as if read from the replies topic."""
        self._deliver(encode_reply(record))


@dataclass
class MemoryKafka:
    """The producer the ingress writes with, keeping every record per topic."""

    view: MemoryConfigView
    inbox: MemoryInbox
    topics: dict[str, list[tuple[bytes | None, bytes | None]]] = field(default_factory=dict)
    published: set[tuple[str, str]] = field(default_factory=set)

    async def send_and_wait(
        self, topic: str, value: bytes | None = None, key: bytes | None = None
    ) -> Meta:
        """Append the record; apply a config record, answer an event that waits."""
        log = self.topics.setdefault(topic, [])
        log.append((key, value))
        if topic == physical(PREFIX, Topic.CONFIG):
            self.view.receive(key, value)
        elif topic == physical(PREFIX, Topic.EVENTS) and value is not None:
            self._judge(value)
        return Meta(0, len(log) - 1)

    async def partitions_for(self, topic: str) -> set[int]:
        """One partition per topic."""
        return {0}

    def records(self, topic: Topic) -> list[dict[str, Any]]:
        """The values written to ``topic`` so far, decoded."""
        found = self.topics.get(physical(PREFIX, topic), [])
        return [orjson.loads(value) for _, value in found if value is not None]

    def _judge(self, value: bytes) -> None:
        """The router's verdict on an event with ``reply_to``: 409 for an id seen before."""
        record = decode_event(value)
        reply_to = record.get("reply_to")
        if reply_to is None:
            return
        seen = (record["app_id"], record["id"])
        duplicate = record.get("dedupe", False) and seen in self.published
        self.published.add(seen)
        body: dict[str, Any] = {"id": record["id"], "timestamp": record["timestamp"]}
        if duplicate:
            details = {"id": record["id"]}
            message = "a message with this id was published in the last 24 hours"
            body = {"error": {"code": "duplicate_id", "message": message, "details": details}}
        reply: ReplyRecord = {
            "v": 1,
            "correlation_id": reply_to["correlation_id"],
            "instance": reply_to["instance"],
            "kind": "publish",
            "status": 409 if duplicate else 202,
            "body": {**body, "replayed": False},
        }
        self.inbox.deliver(reply)


def _no_audit(request: httpx.Request) -> httpx.Response:
    error = {"code": "unavailable", "message": "no audit in memory", "details": {}}
    return httpx.Response(503, json={"error": error})


@contextmanager
def memory_ingress(**settings: Any) -> Iterator[tuple[TestClient, MemoryKafka]]:
    """A ``TestClient`` of the ingress app over the in-memory Kafka (admin token
    :data:`TOKEN` sent on every call), and that Kafka."""
    config = Settings(topic_prefix=PREFIX, admin_token=TOKEN, **settings)
    view, inbox = MemoryConfigView(), MemoryInbox(config.instance_id)
    kafka = MemoryKafka(view, inbox)
    audit = httpx.AsyncClient(transport=httpx.MockTransport(_no_audit), base_url="http://audit")
    hub = Hub(
        settings=config,
        producer=kafka,  # type: ignore[arg-type]
        config=ConfigStore(view, kafka, physical(PREFIX, Topic.CONFIG)),  # type: ignore[arg-type]
        audit=audit,
        events_topic=physical(PREFIX, Topic.EVENTS),
        replies=inbox,
        box=secret_box(config.secret_keys),
        kafka=KafkaProbe(view),
    )
    asyncio.run(ensure_operational_app(hub))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(hub), headers=headers, raise_server_exceptions=False) as client:
        yield client, kafka
