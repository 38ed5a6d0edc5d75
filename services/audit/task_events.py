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

log = logging.getLogger(__name__)
TaskCompleted = Callable[[dict[str, Any]], Awaitable[None]]


async def task_completed(task: dict[str, Any]) -> None:
    """Announce that ``task`` ended (today: a structured log line; the operational events
    publisher plugs in here)."""
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
