"""Routing one event record: decode → judge duplicates → wait for config → match → render →
produce (deliveries, claims, the verdict reply) → await acks.

Kafka-free: the config view, the barrier, the duplicate window and the producer come in through
small protocols or plain mappings, so each step is tested with in-memory stand-ins. At least
once: the caller may acknowledge (commit) an event only when the future :meth:`Router.dispatch`
returned for it is done, which is when Kafka has acknowledged every record the event caused.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from services.router.deliveries import Outgoing, deliveries
from services.router.inbound.planner import InboundPlanner
from services.router.matching import ConfigReader, targets
from services.router.verdicts import verdict_reply
from services.router.window import ACCEPTED, Verdict, Window
from shared.contracts import Contract, decode, encode
from shared.errors import BadRecord, KafkaUnavailable
from shared.inbound import record_kind
from shared.kafka_io import dead_letter
from shared.payload_schemas import mismatch

log = logging.getLogger(__name__)


class Barrier(Protocol):
    """Waits until the config view has applied every record below an offset."""

    async def wait_for(self, offset: int, timeout: float) -> None:
        """Return once caught up; raise :class:`KafkaUnavailable` after ``timeout`` seconds."""


class Outbox(Protocol):
    """Hands a record to the producer; the returned awaitable resolves on the broker's ack."""

    async def send(
        self, topic: str, key: bytes | None, value: bytes, partition: int | None = None
    ) -> Awaitable[Any]:
        """Queue one record; raise when the producer refuses it outright."""


@dataclass(frozen=True)
class Incoming:
    """One consumed record and where it came from."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class Router:
    """Turns event records into delivery records (or a dead letter) and waits until durable."""

    def __init__(
        self,
        config: ConfigReader,
        barrier: Barrier,
        outbox: Outbox,
        deliveries_topic: str,
        dead_topic: str,
        *,
        window: Window | None = None,
        replies_topic: str = "",
        attempts_topic: str = "",
        barrier_timeout: float = 10.0,
        retry_delay: float = 1.0,
        inbound: InboundPlanner | None = None,
    ) -> None:
        self.config = config
        self.barrier = barrier
        self.outbox = outbox
        self.deliveries_topic = deliveries_topic
        self.dead_topic = dead_topic
        self.window = window
        self.replies_topic = replies_topic
        self.attempts_topic = attempts_topic
        self.barrier_timeout = barrier_timeout
        self.retry_delay = retry_delay
        self.inbound = inbound

    async def handle(self, record: Incoming) -> int:
        """Route one event record and wait until durable; return the deliveries produced.

        :meth:`plan` then :meth:`dispatch`, awaited: see both for what blocks. Never raises
        except when cancelled.
        """
        outgoing = await self.plan(record)
        await (await self.dispatch(outgoing))
        return sum(1 for item in outgoing if item.topic == self.deliveries_topic)

    async def plan(self, record: Incoming) -> list[Outgoing]:
        """The records ``record`` causes: the claims it made in the duplicate window, its
        deliveries (or a dead letter per endpoint whose transform failed on it, or one for the
        whole event when it is bad) and the verdict its publisher waits for."""
        try:
            if self.inbound is not None and record_kind(record.value) is not None:
                # Inbound requests share the events topic; their records carry a "kind".
                return await self.inbound.plan(
                    record.value, self.wait_for_config, record.partition, record.offset
                )
            event = decode(Contract.EVENT, record.value)
            self._check_schema(event)
            verdict, outgoing = self._judge(event, record)
        except Exception as exc:  # BadRecord, or a bug: record it rather than lose the event
            return [self._failed(exc, record)]
        if verdict.route:
            try:
                outgoing += await self._route(event, record)
            except Exception as exc:
                outgoing.append(self._failed(exc, record))
        else:
            log.info(
                "event not routed: duplicate",
                extra={"message_id": event["id"], "status": verdict.status},
            )
        reply = verdict_reply(event, verdict, self.replies_topic)
        return outgoing if reply is None else [*outgoing, reply]

    async def _route(self, event: dict[str, Any], record: Incoming) -> list[Outgoing]:
        await self.wait_for_config(event.get("config_offset", 0), event["id"])
        catalogued = self.config.get("event_type", event["event_type"])
        routed, failures = deliveries(
            event, targets(self.config, event), self.deliveries_topic, catalogued
        )
        for failure in failures:
            log.warning(
                "endpoint skipped, event dead-lettered for it",
                extra={"endpoint_id": failure.endpoint_id, "message_id": event["id"]},
            )
            reason = f"endpoint {failure.endpoint_id}: {failure.reason}"
            routed.append(self._dead_letter(reason, record))
            if self.attempts_topic:  # the failure shows in the endpoint's attempts too
                value = encode(Contract.ATTEMPT, failure.attempt(event))
                routed.append(Outgoing(self.attempts_topic, failure.endpoint_id.encode(), value))
        return routed

    def _check_schema(self, event: dict[str, Any]) -> None:
        """Raise :class:`BadRecord` naming the failing path when an event hookbus did not check
        (produced straight to Kafka) breaks its event type's catalogue schema, as a publish
        over HTTP would have been refused. Events for one endpoint (ping, resend) repeat
        messages already accepted and are not checked again."""
        if event.get("schema_checked") or event.get("endpoint_id") is not None:
            return
        catalogued = self.config.get("event_type", event["event_type"])
        problem = mismatch(catalogued, event["event_type"], event["payload"])
        if problem is not None:
            raise BadRecord(f"schema mismatch: {problem}")

    def _failed(self, exc: Exception, record: Incoming) -> Outgoing:
        if isinstance(exc, BadRecord):
            reason = exc.reason
            log.warning("event dead-lettered", extra={"reason": reason, **_origin(record)})
        else:
            reason = f"router failed: {exc!r}"
            log.error("routing failed, event dead-lettered", exc_info=exc, extra=_origin(record))
        return self._dead_letter(reason, record)

    def _judge(self, event: dict[str, Any], record: Incoming) -> tuple[Verdict, list[Outgoing]]:
        if self.window is None:
            return Verdict(ACCEPTED, True, event["id"], event["timestamp"]), []
        return self.window.judge(event, record.partition, record.offset)

    def _dead_letter(self, reason: str, record: Incoming) -> Outgoing:
        value = dead_letter(
            reason,
            record.topic,
            record.partition,
            record.offset,
            record.key,
            record.value,
            service="router",
        )
        return Outgoing(self.dead_topic, record.key, value)

    async def wait_for_config(self, offset: int, message_id: str) -> None:
        """Block until the config view has read up to ``offset``, however long that takes."""
        while True:
            try:
                await self.barrier.wait_for(offset, self.barrier_timeout)
                return
            except KafkaUnavailable as exc:
                log.warning(
                    "config view behind the event, still waiting",
                    extra={"message_id": message_id, "config_offset": offset, "error": str(exc)},
                )

    async def dispatch(self, records: Sequence[Outgoing]) -> asyncio.Future[None]:
        """Hand ``records`` to the producer now, in order; return a future of their durability.

        The future completes once Kafka acknowledged every record; records Kafka refused are
        produced again after ``retry_delay`` until acknowledged, so it never fails (it is
        cancelled only by shutdown). Awaiting it is the caller's business, so the next event can
        be routed while these records are on their way.
        """
        acks = [await self._send(item) for item in records]
        return asyncio.ensure_future(self._confirm(list(records), acks))

    async def _send(self, item: Outgoing) -> Awaitable[Any] | Exception:
        try:
            return await self.outbox.send(item.topic, item.key, item.value, item.partition)
        except Exception as exc:  # refused before it was queued
            return exc

    async def _confirm(
        self, records: list[Outgoing], acks: list[Awaitable[Any] | Exception]
    ) -> None:
        while True:
            failed = []
            for item, ack in zip(records, acks, strict=True):
                error = ack if isinstance(ack, Exception) else await _outcome(ack)
                if error is not None:
                    log.warning(
                        "record not acknowledged, producing it again",
                        extra={"topic": item.topic, "error": repr(error)},
                    )
                    failed.append(item)
            if not failed:
                return
            await asyncio.sleep(self.retry_delay)
            records, acks = failed, [await self._send(item) for item in failed]


async def _outcome(ack: Awaitable[Any]) -> Exception | None:
    try:
        await ack
    except Exception as exc:
        return exc
    return None


def _origin(record: Incoming) -> dict[str, Any]:
    return {"topic": record.topic, "partition": record.partition, "offset": record.offset}
