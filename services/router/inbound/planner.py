"""Routing one inbound record: decode → wait for config → match routes → one record per route,
then the routing record (contracts/inbound_routed.v1) that tells audit what ran, and, when an
ingress waits in sync mode, the routes' outcomes as its reply (:mod:`shared.inbound_sync`).

Only records with ``route`` true (accepted, not a handshake) are routed; the others were logged
by audit from the events topic and cause nothing here. The caller produces the records and
commits the inbound record once all are acknowledged, so a route's ``succeeded`` (kafka, app)
holds once the routing record is durable.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from services.router.deliveries import Outgoing
from services.router.inbound import destinations
from services.router.inbound.destinations import Produced
from services.router.inbound.event_types import Unresolved, event_type_of
from services.router.inbound.route_matching import matching_routes
from services.router.window import Window
from shared import clock
from shared.contracts import Contract, decode_inbound, encode, encode_inbound_routed, validate
from shared.errors import BadRecord, KafkaUnavailable
from shared.inbound import decode_body, document
from shared.inbound_sync import routed_reply
from shared.payload_schemas import mismatch
from shared.records import (
    EventRecord,
    InboundRecord,
    InboundRoutedRecord,
    JsonObject,
    RouteDeliveryRecord,
    RouteOutcome,
)
from shared.topics import MAX_VALUE_BYTES

log = logging.getLogger(__name__)
AnyProduced = Produced[EventRecord] | Produced[RouteDeliveryRecord] | Produced[JsonObject]
WaitForConfig = Callable[[int, str], Awaitable[None]]
# A kafka route whose topic cannot be created after this many tries is recorded failed, so a
# refused topic never blocks the events partition it shares with outbound messages.
TOPIC_TRIES = 3
CONTRACTS = {"http": Contract.ROUTE_DELIVERY, "kafka": Contract.INBOUND, "app": Contract.EVENT}


class InboundConfig(Protocol):
    """The part of the config view inbound routing reads."""

    def get(self, kind: str, ident: str) -> JsonObject | None: ...

    def all(self, kind: str) -> Iterable[JsonObject]: ...


class TopicMaker(Protocol):
    """Makes sure a user topic exists before a kafka route writes to it."""

    async def ensure(self, topic: str) -> None:
        """Return once ``topic`` exists; raise when it cannot be created."""


class InboundPlanner:
    """Turns an inbound record into destination records plus one routing record."""

    def __init__(
        self,
        config: InboundConfig,
        topics: TopicMaker,
        *,
        events_topic: str,
        deliveries_topic: str,
        attempts_topic: str,
        replies_topic: str = "",
        retry_delay: float = 1.0,
        window: Window | None = None,
    ) -> None:
        self.config = config
        self.topics = topics
        self.events_topic = events_topic
        self.deliveries_topic = deliveries_topic
        self.attempts_topic = attempts_topic
        self.replies_topic = replies_topic
        self.retry_delay = retry_delay
        self.window = window

    async def plan(
        self,
        raw: bytes | None,
        wait_for_config: WaitForConfig,
        partition: int = 0,
        offset: int = -1,
    ) -> list[Outgoing]:
        """The records one inbound record (read at ``partition``/``offset``) causes; raise
        :class:`BadRecord` when it is bad.

        A request repeating its source's dedupe key is judged first, before anything awaits
        (so no rebalance slips in): it routes nothing. Blocks until the config view has read
        the record's ``config_offset``, and on creating a kafka route's topic the first time
        this process writes to it.
        """
        inbound = decode_inbound(raw)
        if not inbound["route"] or inbound["status"] != "accepted":
            return []
        claims: list[Outgoing] = []
        if inbound.get("dedupe") and self.window is not None:
            first, claims = self.window.judge_inbound(inbound, partition, offset)
            if first is not None:
                return self._duplicate(inbound, first)
        await wait_for_config(inbound.get("config_offset", 0), inbound["id"])
        try:
            body = decode_body(inbound["body"], inbound["body_encoding"])
        except ValueError as exc:
            raise BadRecord(f"inbound: {exc}", raw) from exc
        doc = document(body, inbound["headers"].get("content-type"))
        routes = matching_routes(self.config, inbound["source_id"], inbound["path"], doc)
        outgoing: list[Outgoing] = claims
        entries: list[RouteOutcome] = []
        for route in routes:
            produced = await self._produce(route, inbound, doc)
            if isinstance(produced, Produced):
                outgoing.append(self._encoded(produced, route))
                entries.append(produced.outcome)
            else:
                entries.append(produced)
        outgoing.append(self._routed(inbound, entries))
        reply = routed_reply(inbound, entries) if self.replies_topic else None
        if reply is not None:
            outgoing.append(Outgoing(self.replies_topic, *reply))
        log.info(
            "inbound request routed",
            extra={"inbound_id": inbound["id"], "routes": [e["route_id"] for e in entries]},
        )
        return outgoing

    async def _produce(
        self, route: JsonObject, inbound: InboundRecord, doc: Any
    ) -> AnyProduced | RouteOutcome:
        """The route's record, or its ``failed`` routing entry when it cannot run."""
        destination = route["destination"]
        if destination["type"] == "http":
            return destinations.to_http(route, inbound, self.deliveries_topic)
        if destination["type"] == "app":
            if self.config.get("app", destination["app_id"]) is None:
                return destinations.failed(route, f"app {destination['app_id']} does not exist")
            try:
                event_type = event_type_of(destination["event_type"], inbound, doc)
            except Unresolved as exc:
                return destinations.failed(route, str(exc))
            produced = destinations.to_app(route, inbound, doc, self.events_topic, event_type)
            problem = self._name_problem(produced.record) or self._schema_problem(
                event_type, produced.record["payload"]
            )
            return produced if problem is None else destinations.failed(route, problem)
        error = await self._topic_ready(destination["topic"])
        if error is not None:
            return destinations.failed(route, error)
        return destinations.to_kafka(route, inbound, doc)

    @staticmethod
    def _name_problem(event: EventRecord) -> str | None:
        """Why ``event`` may not be published: an event type taken from the request that is
        not a valid name (as the events contract says), or None."""
        try:
            validate(Contract.EVENT, event)
        except BadRecord as exc:
            if "event_type" in exc.reason:
                return f"{event['event_type']!r} is not a valid event type name"
            return exc.reason
        return None

    def _schema_problem(self, event_type: str, payload: JsonObject) -> str | None:
        """Why ``payload`` may not be published as ``event_type`` (its catalogue schema, as the
        ingress checks a publish), or None."""
        return mismatch(self.config.get("event_type", event_type), event_type, payload)

    async def _topic_ready(self, topic: str) -> str | None:
        """None once ``topic`` exists; after a few failed tries, why it could not be made."""
        for attempt in range(TOPIC_TRIES):
            try:
                await self.topics.ensure(topic)
                return None
            except KafkaUnavailable as exc:
                log.warning("user topic not ready", extra={"topic": topic, "error": str(exc)})
                if attempt == TOPIC_TRIES - 1:
                    return str(exc)
                await asyncio.sleep(self.retry_delay)
        return None  # pragma: no cover - the loop always returns

    def _encoded(self, produced: AnyProduced, route: JsonObject) -> Outgoing:
        value = encode(CONTRACTS[route["destination"]["type"]], produced.record)
        if len(value) > MAX_VALUE_BYTES:
            raise BadRecord(f"route {route['id']}: record of {len(value)} bytes is too large")
        return Outgoing(produced.topic, produced.key.encode(), value)

    def _duplicate(self, inbound: InboundRecord, first: str) -> list[Outgoing]:
        """A repeat: nothing routed; the routing record and the waiting ingress name the first."""
        log.info(
            "inbound request not routed: duplicate",
            extra={"inbound_id": inbound["id"], "duplicate_of": first},
        )
        outgoing = [self._routed(inbound, [], duplicate_of=first)]
        reply = routed_reply(inbound, [], duplicate_of=first) if self.replies_topic else None
        if reply is not None:
            outgoing.append(Outgoing(self.replies_topic, *reply))
        return outgoing

    def _routed(
        self, inbound: InboundRecord, entries: list[RouteOutcome], duplicate_of: str | None = None
    ) -> Outgoing:
        record: InboundRoutedRecord = {
            "v": 1,
            "kind": "inbound_routed",
            "inbound_id": inbound["id"],
            "source_id": inbound["source_id"],
            "routed_at": clock.iso(),
            "routes": entries,
        }
        if duplicate_of is not None:
            record["duplicate_of"] = duplicate_of
        value = encode_inbound_routed(record)
        return Outgoing(self.attempts_topic, inbound["source_id"].encode(), value)
