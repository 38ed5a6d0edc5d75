"""The hub: what the ingress's request handlers share (settings, Kafka producer, config, audit
client, the replies inbox, the secret box, the Kafka probe, the messages audit may not have
yet), and the dependency that hands it to them: every handler declares ``hub: HubDep``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated

import httpx
from aiokafka import AIOKafkaProducer
from fastapi import Depends, Query, Request
from pydantic import BeforeValidator

from services.ingress.publish.config_store import ConfigStore
from services.ingress.publish.kafka_probe import KafkaProbe
from services.ingress.publish.log_barrier import WrittenRecords
from services.ingress.publish.reply_inbox import ReplyInbox
from shared.cursors import DEFAULT_LIMIT, MAX_LIMIT
from shared.secret_box import SecretBox
from shared.settings import Settings


@dataclass
class Hub:
    """The ingress's long-lived resources, built once at start."""

    settings: Settings
    producer: AIOKafkaProducer
    config: ConfigStore
    audit: httpx.AsyncClient
    events_topic: str
    replies: ReplyInbox
    box: SecretBox
    kafka: KafkaProbe
    # Messages published through this process, named ``<app id>/<message id>``, until audit
    # has them (read-your-writes for the message log).
    messages_written: WrittenRecords = field(default_factory=WrittenRecords)
    # Set when the ingress stops, so live streams end rather than hold the shutdown.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)


async def current_hub(request: Request) -> Hub:
    """FastAPI dependency: the running ingress's hub (async: a plain def would run in a thread)."""
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(current_hub)]
"""What a handler declares to get the hub: ``hub: HubDep``."""
# ``?limit=`` left empty is the default page size, as an empty filter is no filter.
Limit = Annotated[
    int,
    BeforeValidator(lambda given: DEFAULT_LIMIT if given == "" else given),
    Query(ge=1, le=MAX_LIMIT, description="page size"),
]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
