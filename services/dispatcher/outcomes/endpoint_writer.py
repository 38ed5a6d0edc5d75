"""The dispatcher's writes to an endpoint's config record (auto-disable, health checkpoint).

Records on the config topic carry the whole object, so a write based on a stale read would undo
a user's PATCH that landed in between (a lost update). Kafka has no compare-and-set, so each
write is checked after the fact: the view reports every record it applies, and when another
record of the same endpoint landed between the state this write was based on and the write
itself, the change is applied again on top of that record (a tombstone: deleted again). The
other writer's change is thus restored within one round trip instead of being lost; a crash in
that window can still lose it, which the README states.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from aiokafka import AIOKafkaProducer

from shared import clock
from shared.config_view import ConfigView
from shared.contracts import Contract, encode
from shared.kafka_io import send
from shared.records import JsonObject

log = logging.getLogger(__name__)
MAX_REPAIRS = 5


class EndpointWriter:
    """Merges changes into endpoint records through the config topic; one write per endpoint
    at a time. Blocks on Kafka; raises ``KafkaUnavailable`` when it does not acknowledge.
    """

    def __init__(self, view: ConfigView, producer: AIOKafkaProducer, topic: str) -> None:
        self._view = view
        self._producer = producer
        self._topic = topic
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._seen: dict[str, list[JsonObject | None]] = {}
        view.on_change(self._applied)

    def _applied(self, kind: str, ident: str, value: JsonObject | None) -> None:
        if kind == "endpoint" and ident in self._seen:
            self._seen[ident].append(value)

    async def update(self, endpoint_id: str, changes: JsonObject, touch: bool = False) -> bool:
        """Merge ``changes`` into the endpoint's record; False when the endpoint is gone.

        ``touch`` sets ``updated_at`` (a change users see, such as a disable).
        """
        async with self._locks[endpoint_id]:
            try:
                return await self._update(endpoint_id, changes, touch)
            finally:
                self._seen.pop(endpoint_id, None)
                self._locks.pop(endpoint_id, None)

    async def _update(self, endpoint_id: str, changes: JsonObject, touch: bool) -> bool:
        await self._view.catch_up()
        base = self._view.get("endpoint", endpoint_id)
        for _ in range(MAX_REPAIRS):
            if base is None:
                return False
            # Recording starts with no await since reading `base`: every later record is seen.
            self._seen[endpoint_id] = []
            merged = {**base, **changes}
            if touch:
                merged["updated_at"] = clock.iso()
            await self._write(endpoint_id, merged)
            seen = self._seen[endpoint_id]
            ours = max((i for i, value in enumerate(seen) if value == merged), default=0)
            if ours == 0:
                return True
            base = seen[ours - 1]  # landed between our read and our write: keep it
            log.warning(
                "concurrent endpoint update, reapplying", extra={"endpoint_id": endpoint_id}
            )
            if base is None:
                await self._write(endpoint_id, None)
        return base is not None

    async def _write(self, endpoint_id: str, data: JsonObject | None) -> None:
        value = None
        if data is not None:
            record = {"v": 1, "kind": "endpoint", "id": endpoint_id, "updated_at": clock.iso()}
            value = encode(Contract.CONFIG, {**record, "data": data})
        _, offset = await send(self._producer, self._topic, f"endpoint/{endpoint_id}", value)
        await self._view.wait_for(offset + 1)
