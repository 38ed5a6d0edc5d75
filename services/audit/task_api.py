"""Starting background tasks and reading them: the audit side of ``/v1/tasks`` and replay.

A task starts as a request record on the tasks topic (answered once Kafka acknowledged it),
stored at once too so that reading it right after never misses it; audit's task workers
(:mod:`.task_worker`) do the work. Lists are newest first.
"""

from __future__ import annotations

import asyncio
from typing import Literal, cast

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.audit import task_queries
from services.audit.hub import Hub, HubDep
from services.audit.paging import answer
from services.audit.params import TIME_KEY, Limit, moment
from services.audit.task_rows import task_rows
from shared import clock
from shared.contracts import encode_task
from shared.cursors import DEFAULT_LIMIT, decode_cursor
from shared.errors import NotFound, Unprocessable
from shared.ids import new_id
from shared.json_response import OrjsonResponse
from shared.kafka_io import send
from shared.records import TaskParams, TaskRecord
from shared.topics import Topic, physical

api = APIRouter(prefix="/v1", tags=["tasks"])


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: str
    until: str | None = None
    endpoint_id: str | None = None
    event_types: list[str] | None = None
    only: Literal["failed", "all"] = "all"
    config_offset: int = Field(default=0, ge=0)


async def start_task(
    hub: Hub, kind: str, app_id: str, params: TaskParams, created_at: str, config_offset: int
) -> str:
    """Produce a task's request record (``kind`` replay or recover) under a new id, then store
    it; return the id.

    Raises :class:`shared.errors.KafkaUnavailable` when Kafka did not acknowledge it.
    """
    record: TaskRecord = {
        "v": 1,
        "type": "request",
        "id": new_id("task"),
        "kind": kind,
        "app_id": app_id,
        "params": params,
        "created_at": created_at,
        "config_offset": config_offset,
    }
    value = encode_task(record)
    await send(hub.writer, physical(hub.prefix, Topic.TASKS), record["id"], value)
    await asyncio.to_thread(hub.store.write_batch, task_rows(record))
    return str(record["id"])


@api.post("/apps/{app_id}/replay", status_code=202)
async def replay(hub: HubDep, app_id: str, body: ReplayIn) -> OrjsonResponse:
    """Start a replay task; ``since``/``until`` bound the messages' timestamps."""
    since = moment("since", body.since)
    if body.until is not None and moment("until", body.until) <= since:
        raise Unprocessable("until must be after since", {"since": body.since})
    params = cast(TaskParams, body.model_dump(exclude={"config_offset"}))
    task_id = await start_task(
        hub, "replay", app_id, params, clock.iso(), config_offset=body.config_offset
    )
    return OrjsonResponse({"id": task_id}, status_code=202)


@api.get("/tasks")
async def task_list(
    hub: HubDep, app_id: str | None = None, limit: Limit = DEFAULT_LIMIT, cursor: str | None = None
) -> OrjsonResponse:
    """Tasks, newest first."""
    key = decode_cursor(cursor, TIME_KEY)
    page = await asyncio.to_thread(
        task_queries.list_tasks, hub.db, app_id=app_id, limit=limit, cursor=key
    )
    return answer(page)


@api.get("/tasks/{task_id}")
async def task(hub: HubDep, task_id: str) -> OrjsonResponse:
    """One task with its progress, or 404."""
    found = await asyncio.to_thread(task_queries.get_task, hub.db, task_id)
    if found is None:
        raise NotFound(f"task {task_id!r} not found", {"task": task_id})
    return OrjsonResponse(found)
