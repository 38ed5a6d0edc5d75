"""What the ingress's request handlers share: settings, Kafka producer, config, audit client,
the replies inbox, the secret box, the Kafka probe and the messages audit may not have yet."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated

import httpx
from aiokafka import AIOKafkaProducer
from fastapi import Depends, Query, Request
from pydantic import BeforeValidator

from services.ingress.config_store import ConfigStore
from services.ingress.kafka_probe import KafkaProbe
from services.ingress.log_barrier import WrittenRecords
from services.ingress.reply_inbox import ReplyInbox
from shared.secret_box import SecretBox
from shared.settings import Settings


@dataclass
class Ingress:
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


async def ingress(request: Request) -> Ingress:
    """FastAPI dependency: the running ingress (async: a plain def would run in a thread)."""
    state: Ingress = request.app.state.ingress
    return state


Hub = Annotated[Ingress, Depends(ingress)]
DEFAULT_LIMIT = 50
# ``?limit=`` left empty is the default page size, as an empty filter is no filter.
Limit = Annotated[
    int,
    BeforeValidator(lambda given: DEFAULT_LIMIT if given == "" else given),
    Query(ge=1, le=250, description="page size"),
]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
