"""Retry tiers keep the partition count of the deliveries topic, so one copy owns an endpoint.

The dispatcher's range assignment gives each copy the same partition numbers of every topic it
reads. An endpoint's records (keyed by its id) land on the same partition number of deliveries
and of each tier only while all of them have the same number of partitions; then one copy
holds the endpoint's lane, rate limit and health. A tier with fewer partitions (the deliveries
topic was grown, or a tier was created by hand) is grown to match; a tier with more cannot be
shrunk, so hookbus refuses to start and says how to fix it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions

from shared.errors import TopicLayoutError
from shared.topics import Topic, physical, retry_topics

log = logging.getLogger(__name__)
INVALID_PARTITIONS = 37  # the broker's answer when another copy grew the topic first


def partition_counts(described: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Partition count by topic name from ``describe_topics``; topics in error, or so new that
    the broker lists no partition yet, are left out."""
    return {
        t["topic"]: len(t["partitions"])
        for t in described
        if not t.get("error_code") and t["partitions"]
    }


def tiers_to_grow(counts: Mapping[str, int], deliveries: str, tiers: list[str]) -> dict[str, int]:
    """The tiers to grow, each to the deliveries topic's partition count.

    Raises :class:`TopicLayoutError` when a tier has more partitions than deliveries.
    """
    wanted = counts.get(deliveries)
    if wanted is None:
        return {}
    grow = {}
    for tier in tiers:
        have = counts.get(tier)
        if have is not None and have > wanted:
            raise TopicLayoutError(
                f"retry tier {tier} has {have} partitions, more than the {wanted} of {deliveries}; "
                f"add partitions to {deliveries} until it has {have} (every tier is then grown "
                "to match at the next start)"
            )
        if have is not None and have < wanted:
            grow[tier] = wanted
    return grow


async def partition_count(bootstrap: str, topic: str) -> int | None:
    """How many partitions ``topic`` has; None when it does not exist. Blocks on the broker."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="hookbus-admin")
    await admin.start()
    try:
        return partition_counts(await admin.describe_topics([topic])).get(topic)
    finally:
        await admin.close()


async def align_tiers(bootstrap: str, prefix: str, schedule: tuple[float, ...]) -> dict[str, int]:
    """Grow every retry tier to the deliveries topic's partition count; return what was grown.

    Blocks on the broker; raises ``KafkaError`` when it refuses and :class:`TopicLayoutError`.
    """
    deliveries = physical(prefix, Topic.DELIVERIES)
    tiers = [physical(prefix, name) for name in retry_topics(schedule)]
    if not tiers:
        return {}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="hookbus-admin")
    await admin.start()
    try:
        grow = tiers_to_grow(
            partition_counts(await admin.describe_topics([deliveries, *tiers])), deliveries, tiers
        )
        if grow:
            answer = await admin.create_partitions({t: NewPartitions(n) for t, n in grow.items()})
            for name, code, *_ in answer.topic_errors:
                if code not in (0, INVALID_PARTITIONS):
                    raise TopicLayoutError(f"could not add partitions to {name}: error {code}")
            log.warning(
                "retry tiers grown to the deliveries topic's partitions", extra={"tiers": grow}
            )
    finally:
        await admin.close()
    return grow
