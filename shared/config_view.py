"""The config view: every service's in-memory copy of the compacted ``config`` topic.

Configuration is a log (as in Kafka Connect): management writes are records keyed
``<kind>/<id>``; a tombstone deletes. The view reads the topic from the beginning and follows it.

Read-your-writes across processes rests on one barrier, the topic's end offset:
- a writer answers only after its own view has read its record back (:meth:`wait_for`);
- a reader first catches up to the end offset current at the time of its call (:meth:`catch_up`);
- an event carries the end offset its publisher saw, and consumers wait for it before routing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from shared import metrics
from shared.config_state import ConfigState
from shared.contracts import decode_config
from shared.errors import BadRecord, KafkaUnavailable
from shared.kafka_io import stop_reading
from shared.records import JsonObject

log = logging.getLogger(__name__)
Listener = Callable[[str, str, JsonObject | None], None]


class ConfigView(ConfigState):
    """A :class:`ConfigState` kept up to date from the config topic by a background task."""

    def __init__(self, bootstrap: str, topic: str, client_id: str = "hookbus-config") -> None:
        super().__init__()
        self._tp = TopicPartition(topic, 0)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            client_id=client_id,
            enable_auto_commit=False,
            group_id=None,
            auto_offset_reset="earliest",
        )
        # End offsets are asked on a client of their own: on the following consumer they
        # would queue behind its long-poll fetch and cost up to fetch_max_wait_ms each.
        self._offsets = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, client_id=f"{client_id}-offsets", group_id=None
        )
        self._position = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._listeners: list[Listener] = []
        self._task: asyncio.Task[None] | None = None
        self._end_query: asyncio.Task[int] | None = None
        self._end_query_started = 0.0
        self.ready = False

    @property
    def position(self) -> int:
        """The offset of the next config record this view will read."""
        return self._position

    def on_change(self, listener: Listener) -> None:
        """Call ``listener(kind, id, new_or_None)`` after each applied record."""
        self._listeners.append(listener)

    async def start(self) -> None:
        """Connect and start following; ``ready`` turns true once the view reached the end."""
        await self._consumer.start()
        await self._offsets.start()
        self._consumer.assign([self._tp])
        await self._consumer.seek_to_beginning(self._tp)
        self._task = asyncio.create_task(self._follow(), name="config-view")
        asyncio.create_task(self._become_ready(), name="config-view-ready")

    async def stop(self) -> None:
        """Stop following and disconnect."""
        await stop_reading(self._task, self._consumer)
        await self._offsets.stop()

    async def _become_ready(self) -> None:
        while not self.ready:
            try:
                await self.catch_up(timeout=30.0)
                self.ready = True
                log.info("config view caught up", extra={"offset": self._position})
            except KafkaUnavailable as exc:
                log.warning("config view not caught up yet", extra={"error": str(exc)})

    async def _follow(self) -> None:
        while True:
            try:
                batches = await self._consumer.getmany(self._tp, timeout_ms=500)
                for record in batches.get(self._tp, []):
                    self._apply_record(record.key, record.value)
                self._position = await self._consumer.position(self._tp)
                metrics.CONFIG_VIEW_OFFSET.set(self._position)
            except KafkaError as exc:
                log.warning("config view fetch failed", extra={"error": str(exc)})
                await asyncio.sleep(0.5)
                continue
            self._wake()

    def _apply_record(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            log.error("config record without a key ignored")
            return
        try:
            data = None if value is None else decode_config(value)["data"]
        except BadRecord as exc:
            log.error("config record ignored", extra={"key": key.decode(), "reason": exc.reason})
            return
        kind, ident = self.apply(key.decode(), data)
        for listener in self._listeners:
            listener(kind, ident, data)

    def _wake(self) -> None:
        still = []
        for offset, future in self._waiters:
            if future.done():
                continue
            if offset <= self._position:
                future.set_result(None)
            else:
                still.append((offset, future))
        self._waiters = still

    async def wait_for(self, offset: int, timeout: float = 10.0) -> None:
        """Block until every config record below ``offset`` has been applied.

        Raises :class:`KafkaUnavailable` after ``timeout`` seconds.
        """
        if offset <= self._position:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((offset, future))
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError as exc:
            raise KafkaUnavailable(
                f"configuration not caught up: at {self._position}, need {offset}"
            ) from exc

    async def wait_for_writer(self, offset: int, timeout: float = 10.0) -> None:
        """Block until this view has read the configuration a record's writer had seen.

        ``offset`` is the ``config_offset`` the record carries. One beyond the config topic's
        end can never be reached (a hand-written record, a recreated topic), so the end counts
        instead: the view as it is then, rather than a partition blocked for ever. Raises
        :class:`KafkaUnavailable` after ``timeout`` seconds.
        """
        if offset > self._position:
            offset = min(offset, await asyncio.wait_for(self.end_offset(), timeout))
        await self.wait_for(offset, timeout)

    async def end_offset(self) -> int:
        """The config topic's end offset as of a moment after this call began.

        Calls that overlap share one broker request, but never one that was sent before they
        arrived: that one might predate a write whose answer this caller already saw.
        """
        arrived = time.monotonic()
        while True:
            query = self._end_query
            if query is None or query.done():
                query = self._end_query = asyncio.ensure_future(self._query_end())
                self._end_query_started = time.monotonic()
            started = self._end_query_started
            try:
                end = await asyncio.shield(query)
            except KafkaError as exc:
                raise KafkaUnavailable(f"config end offset unavailable: {exc}") from exc
            if started >= arrived:
                return end

    async def _query_end(self) -> int:
        offsets = await self._offsets.end_offsets([self._tp])
        return int(offsets[self._tp])

    async def catch_up(self, timeout: float = 10.0) -> int:
        """Apply everything written before this call; return the end offset reached.

        Raises :class:`KafkaUnavailable` when the broker does not answer within ``timeout``.
        """
        try:
            end = await asyncio.wait_for(self.end_offset(), timeout)
        except TimeoutError as exc:
            raise KafkaUnavailable("config end offset unavailable: timeout") from exc
        await self.wait_for(end, timeout)
        return end
