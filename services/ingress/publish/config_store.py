"""Management writes as records on the config topic, answered only once read back."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer

from shared import clock
from shared.config_view import ConfigView
from shared.contracts import Contract, encode
from shared.kafka_io import send


class ConfigStore:
    """Reads and writes configuration through the config log and this process's view."""

    def __init__(self, view: ConfigView, producer: AIOKafkaProducer, topic: str) -> None:
        self.view = view
        self._producer = producer
        self._topic = topic

    async def fresh(self) -> int:
        """Catch the view up to everything written before now; return that end offset.

        Raises ``KafkaUnavailable`` when Kafka does not answer in time.
        """
        return await self.view.catch_up()

    async def put(self, kind: str, data: dict[str, Any]) -> int:
        """Write the latest state of an object; return once this view has applied it.

        Returns the config offset just past the write. Raises ``KafkaUnavailable``.
        """
        record = {"v": 1, "kind": kind, "id": data["id"], "updated_at": clock.iso(), "data": data}
        _, offset = await send(
            self._producer, self._topic, f"{kind}/{data['id']}", encode(Contract.CONFIG, record)
        )
        await self.view.wait_for(offset + 1)
        return offset + 1

    async def delete(self, kind: str, ident: str) -> int:
        """Write a tombstone for ``kind/ident``; return once this view has applied it."""
        _, offset = await send(self._producer, self._topic, f"{kind}/{ident}", None)
        await self.view.wait_for(offset + 1)
        return offset + 1
