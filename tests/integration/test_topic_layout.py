"""Topics as hookbus creates them on a real broker: retry tiers keep the deliveries topic's
partition count, and HOOKBUS_REPLICATION_FACTOR reaches every topic it creates."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.router.stream_app import create_app
from shared.errors import KafkaUnavailable, TopicLayoutError
from shared.kafka_io import ensure_topics
from shared.settings import Settings
from shared.tier_partitions import align_tiers, partition_counts, tiers_to_grow
from shared.user_topics import UserTopics
from tests.support.waiting import poll

pytestmark = pytest.mark.kafka
SCHEDULE = (1.0, 5.0)


async def _admin(bootstrap: str, action: Any) -> Any:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return await action(admin)
    finally:
        await admin.close()


def counts(bootstrap: str, *topics: str) -> dict[str, int]:
    async def describe(admin: AIOKafkaAdminClient) -> dict[str, int]:
        found = await admin.describe_topics(list(topics))
        return {t["topic"]: len(t["partitions"]) for t in found}

    result: dict[str, int] = asyncio.run(_admin(bootstrap, describe))
    return result


def create(bootstrap: str, **partitions: int) -> None:
    async def make(admin: AIOKafkaAdminClient) -> None:
        await admin.create_topics([NewTopic(name, n, 1) for name, n in partitions.items()])

    asyncio.run(_admin(bootstrap, make))


def test_a_retry_tier_with_fewer_partitions_is_grown_to_match(kafka_bootstrap: str) -> None:
    prefix = f"layout{uuid.uuid4().hex[:8]}."
    # The deliveries topic was grown to 4 (or pre-created so); one tier still has 2.
    create(kafka_bootstrap, **{prefix + "deliveries": 4, prefix + "retry.1s": 2})
    asyncio.run(ensure_topics(kafka_bootstrap, prefix, 2, SCHEDULE))
    names = (prefix + "deliveries", prefix + "retry.1s", prefix + "retry.5s")
    # Metadata of grown topics reaches every broker answer a moment later.
    poll(lambda: counts(kafka_bootstrap, *names) == dict.fromkeys(names, 4), 30, 0.2)
    assert asyncio.run(align_tiers(kafka_bootstrap, prefix, SCHEDULE)) == {}


def test_a_retry_tier_with_more_partitions_refuses_to_start(kafka_bootstrap: str) -> None:
    prefix = f"layout{uuid.uuid4().hex[:8]}."
    create(kafka_bootstrap, **{prefix + "deliveries": 2, prefix + "retry.5s": 3})
    with pytest.raises(TopicLayoutError, match="add partitions to"):
        asyncio.run(ensure_topics(kafka_bootstrap, prefix, 2, SCHEDULE))


def test_the_replication_factor_reaches_the_broker(kafka_bootstrap: str) -> None:
    # The test broker is a single node: two copies of a partition cannot be placed, so the
    # broker's refusal proves the factor was asked for.
    prefix = f"layout{uuid.uuid4().hex[:8]}."
    with pytest.raises(Exception, match="38|replication"):
        asyncio.run(ensure_topics(kafka_bootstrap, prefix, 1, SCHEDULE, replication=2))
    topics = UserTopics(kafka_bootstrap, 1, replication=2)
    with pytest.raises(KafkaUnavailable):
        asyncio.run(topics.ensure(prefix + "user-topic"))
    asyncio.run(UserTopics(kafka_bootstrap, 1).ensure(prefix + "user-topic"))
    poll(lambda: counts(kafka_bootstrap, prefix + "user-topic") == {prefix + "user-topic": 1}, 30)


def test_faust_changelog_topics_get_the_replication_factor(tmp_path: Any) -> None:
    settings = Settings(kafka_bootstrap="127.0.0.1:1", replication_factor=3, data_dir=tmp_path)
    app = create_app(settings, gate=_Gate())
    assert app.conf.topic_replication_factor == 3


def test_tiers_to_grow_decides_without_a_broker() -> None:
    assert tiers_to_grow({"d": 4, "t1": 4, "t2": 2}, "d", ["t1", "t2", "t3"]) == {"t2": 4}
    assert tiers_to_grow({"t1": 4}, "d", ["t1"]) == {}
    assert partition_counts([{"topic": "new", "partitions": [], "error_code": 0}]) == {}
    with pytest.raises(TopicLayoutError):
        tiers_to_grow({"d": 2, "t1": 4}, "d", ["t1"])
    assert Settings.from_env({}).replication_factor == 1
    assert Settings.from_env({"HOOKBUS_REPLICATION_FACTOR": "3"}).replication_factor == 3


class _Gate:
    view: Any = None
    ready = False
