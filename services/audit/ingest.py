"""The audit consumer: events, attempts and dead letters into SQL, one polled batch at a time.

poll → decode and validate each record against its topic's contract → write the whole batch in
one transaction (insert-or-ignore, so a replay changes nothing) → dead-letter the records that
failed their contract → commit the batch's offsets. A crash anywhere before the commit replays
the batch; nothing acknowledged is lost and nothing is stored twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from sqlalchemy.exc import SQLAlchemyError

from services.audit.batch import Batch, Polled, count_dead_letters, sort_batch
from services.audit.database import refused_for_good
from services.audit.store import Store
from shared.errors import KafkaUnavailable
from shared.kafka_io import send

log = logging.getLogger(__name__)
POLL_MS = 500
MAX_RECORDS = 500
RETRY_PAUSE_S = 2.0
# After a batch well below MAX_RECORDS, let records gather this long before polling again: at a
# steady trickle each poll otherwise carries one or two records, and a transaction, a thread
# hop and a commit per record cost far more than the records themselves. The log lags by this
# much at most; nothing waits on it.
GATHER_S = 0.1


class Ingestor:
    """Runs the consumer loop; :attr:`running` says whether it is consuming."""

    def __init__(
        self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, store: Store, prefix: str
    ) -> None:
        self._consumer = consumer
        self._producer = producer
        self._store = store
        self._prefix = prefix
        self.running = False

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; the batch in hand is finished and committed first."""
        self.running = True
        try:
            while not stop.is_set():
                try:
                    polled = await self._consumer.getmany(
                        timeout_ms=POLL_MS, max_records=MAX_RECORDS
                    )
                except KafkaError as exc:  # the client reconnects by itself; poll again soon
                    log.warning("poll failed", extra={"error": str(exc)})
                    await _pause(stop)
                    continue
                if polled:
                    await self.handle(polled, stop)
                    if sum(len(records) for records in polled.values()) < MAX_RECORDS // 2:
                        await _pause(stop, GATHER_S)
        finally:
            self.running = False

    async def handle(self, polled: Polled, stop: asyncio.Event) -> None:
        """Store one polled batch, dead-letter its bad records, then commit its offsets.

        When the database or Kafka fails, the partitions are rewound to the batch's first
        offsets so the next poll reads it again after a pause.
        """
        batch = sort_batch(self._prefix, polled)
        try:
            await self._store_rows(batch)
            for key, value in batch.dead:
                await send(self._producer, batch.dead_topic, key, value)
        except (SQLAlchemyError, KafkaUnavailable) as exc:
            log.warning("batch not stored, reading it again", extra={"error": _cause(exc)})
            self._rewind(batch.first)
            await _pause(stop)
            return
        await self._commit(batch.commit)
        count_dead_letters(batch)
        log.debug("batch stored", extra={"rows": len(batch.rows), "dead": len(batch.dead)})

    async def _store_rows(self, batch: Batch) -> None:
        """Write the batch at once; if the database refuses its content, record by record.

        A record whose rows the database refuses for good (say a NUL character PostgreSQL will
        not store) is dead-lettered rather than blocking its partition forever. Transient
        database errors propagate, so the whole batch is read again later.
        """
        try:
            await asyncio.to_thread(self._store.write_batch, batch.rows)
            return
        except SQLAlchemyError as exc:
            if not refused_for_good(exc):
                raise
            log.warning("batch refused, storing one record at a time", extra={"error": _cause(exc)})
        for record, rows in batch.decoded:
            try:
                await asyncio.to_thread(self._store.write_batch, rows)
            except SQLAlchemyError as exc:
                if not refused_for_good(exc):
                    raise
                batch.reject(record, f"audit: the database refused the record: {_cause(exc)}")

    def _rewind(self, first: Mapping[TopicPartition, int]) -> None:
        for tp, offset in first.items():
            try:
                self._consumer.seek(tp, offset)
            except KafkaError:  # revoked meanwhile: its new owner reads from the last commit
                continue

    async def _commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        try:
            await self._consumer.commit(dict(offsets))
        except KafkaError as exc:
            # A rebalance took the partitions: their new owner replays from the last commit,
            # which the idempotent writes absorb.
            log.warning("offset commit failed", extra={"error": str(exc)})


async def _pause(stop: asyncio.Event, seconds: float = RETRY_PAUSE_S) -> None:
    """Wait ``seconds`` (before trying again), but no longer than until ``stop`` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _cause(exc: Exception) -> str:
    """The driver's own message: SQLAlchemy's text adds the SQL and every parameter (payloads)."""
    return str(getattr(exc, "orig", None) or exc).splitlines()[0][:500]
