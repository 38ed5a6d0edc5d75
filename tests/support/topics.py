"""What a broker holds, asked with its admin API."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient


async def topic_names(bootstrap: str) -> set[str]:
    """The names of every topic on the broker at ``bootstrap``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()
