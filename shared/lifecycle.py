"""What every service does around its own work: settings, logs, topics, signals."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import uvloop
from aiokafka.errors import KafkaError

from shared import log as logs
from shared import metrics
from shared.kafka_io import ensure_topics
from shared.settings import Settings
from shared.topics import TopicSpec

log = logging.getLogger(__name__)
T = TypeVar("T")


def prepare(service: str) -> Settings:
    """Read settings, set up JSON logging and ``/metrics`` for ``service``; raise
    ``SettingsError``."""
    settings = Settings.from_env()
    logs.setup(service, settings.log_level)
    metrics.serve_as(service)
    return settings


async def topics_ready(
    settings: Settings, attempts: int = 60, extra: Sequence[TopicSpec] = ()
) -> None:
    """Create the topics, and a service's own ``extra`` ones (idempotently), retrying while the
    broker is still starting."""
    settings.bootstrap  # noqa: B018 - raises SettingsError at once when no broker is set
    for attempt in range(attempts):
        try:
            await ensure_topics(
                settings.bootstrap,
                settings.topic_prefix,
                settings.partitions,
                settings.retry_schedule,
                settings.replication_factor,
                extra,
            )
            return
        except (KafkaError, OSError) as exc:  # the broker may not answer yet
            if attempt == attempts - 1:
                raise
            log.warning("topics not ready, retrying", extra={"error": str(exc)})
            await asyncio.sleep(1.0)


def stop_event() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT, so a service can drain before it exits."""
    event = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, event.set)
    return event


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run a service's main coroutine on uvloop (libuv's event loop: less CPU per request)."""
    return uvloop.run(main)
