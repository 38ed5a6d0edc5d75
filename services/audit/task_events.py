"""Where a finished task is announced: the one call site of the operational ``task.completed``
event.

:func:`task_completed` is awaited once by the task worker when a task ends, ``done`` or
``failed``, with the task as ``GET /v1/tasks/{task}`` shows it. It must not raise: the worker
logs whatever it raises and goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaProducer

from shared.operational import publish_task_completed

log = logging.getLogger(__name__)
TaskCompleted = Callable[[dict[str, Any]], Awaitable[None]]


def announcer(producer: AIOKafkaProducer, events_topic: str) -> TaskCompleted:
    """What the task worker calls when a task ends: a log line, then the operational
    ``task.completed`` event (told once per task id; never raises for Kafka)."""

    async def announce(task: dict[str, Any]) -> None:
        await task_completed(task)
        await publish_task_completed(producer, events_topic, task)

    return announce


async def task_completed(task: dict[str, Any]) -> None:
    """Log that ``task`` ended."""
    log.info(
        "task completed",
        extra={
            "task_id": task["id"],
            "kind": task["kind"],
            "app_id": task["app_id"],
            "status": task["status"],
            "total": task["total"],
            "done": task["done"],
            "sent": task["sent"],
        },
    )
