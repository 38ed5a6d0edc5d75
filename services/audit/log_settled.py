"""Before a task walks the log: wait until audit has stored everything written before it began.

Replays and recoveries read the message log and the attempts log from the database, which the
audit group fills from Kafka a moment after each record is written (a gathered batch; seconds
after a restart or a rebalance). A task asked for right after a delivery could miss it. So
before its first page a task takes the end offsets of the events and attempts topics and waits
until the audit group has committed up to them on every partition. Audit commits a batch only
once it is stored, so from then on every record written before the task began is in the
database, whichever audit copy stored it. Past the deadline the task goes on with what is
stored, and the log says so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from shared.consumer_lag import lag_of

log = logging.getLogger(__name__)
WAIT_S = 30.0
POLL_S = 0.1

Settled = Callable[[], Coroutine[Any, Any, bool]]


def settler(bootstrap: str, group: str, topics: Sequence[str], wait_s: float = WAIT_S) -> Settled:
    """What the task worker awaits before a task's first page: True once ``group`` has stored
    ``topics`` up to their end offsets of the moment it was called, False at the deadline or
    when Kafka could not tell (never raises)."""

    async def settled() -> bool:
        try:
            async with asyncio.timeout(wait_s):
                await _settle(bootstrap, group, topics)
            return True
        except Exception as exc:  # TimeoutError, KafkaError, OSError: walk what is stored
            log.warning(
                "task starts before the log caught up",
                extra={"group": group, "error": repr(exc)},
            )
            return False

    return settled


async def _settle(bootstrap: str, group: str, topics: Sequence[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="hookbus-audit-settle")
    offsets = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, client_id="hookbus-audit-settle", group_id=None
    )
    await admin.start()
    try:
        await offsets.start()
        described = await admin.describe_topics(list(topics))
        tps = [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in described
            for partition in topic["partitions"]
        ]
        ends = await offsets.end_offsets(tps)
        beginnings = await offsets.beginning_offsets(tps)
        while True:
            committed = await admin.list_consumer_group_offsets(group, partitions=tps)
            behind = [
                tp for tp in tps if lag_of(ends[tp], _offset(committed, tp), beginnings[tp]) > 0
            ]
            if not behind:
                return
            await asyncio.sleep(POLL_S)
    finally:
        await offsets.stop()
        await admin.close()


def _offset(committed: dict[TopicPartition, OffsetAndMetadata], tp: TopicPartition) -> int | None:
    meta = committed.get(tp)
    return None if meta is None else int(meta.offset)
