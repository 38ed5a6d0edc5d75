"""Task records to table rows and rows to the API's task object. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Table

from services.audit.erasure import expunge_row
from services.audit.rows import Origin, Row, epoch_ms, to_json
from services.audit.schema import expunged_messages
from services.audit.task_schema import task_progress, tasks
from shared import clock
from shared.records import TaskRecord


def task_rows(record: Mapping[str, Any], _origin: Origin | None = None) -> list[tuple[Table, Row]]:
    """The row of a request, progress or expunge record (the store carries out an expunge
    when it writes its row: see :mod:`services.audit.erasure`)."""
    if record["type"] == "request":
        row = {
            "id": record["id"],
            "kind": record["kind"],
            "app_id": record["app_id"],
            "params": to_json(record["params"]),
            "created_at": record["created_at"],
            "ts_ms": epoch_ms(record["created_at"]),
            "config_offset": record.get("config_offset", 0),
        }
        return [(tasks, row)]
    if record["type"] == "progress":
        cursor = record.get("cursor")
        row = {
            "task_id": record["id"],
            "seq": record["seq"],
            "status": record["status"],
            "total": record.get("total"),
            "done": record["done"],
            "sent": record["sent"],
            "cursor": None if cursor is None else to_json(cursor),
            "started": record.get("started", False),
            "resumes": record.get("resumes", 0),
            "error": record.get("error"),
            "at": record["at"],
            "at_ms": epoch_ms(record["at"]),
            "finished_at": record.get("finished_at"),
        }
        return [(task_progress, row)]
    return [(expunged_messages, expunge_row(record["app_id"], record["id"], record["at"]))]


def task_object(task: Mapping[Any, Any], progress: Mapping[Any, Any] | None) -> dict[str, Any]:
    """The API's task: ``{id, kind, status, total, done, created_at, finished_at}`` and what
    it was asked to do, how many deliveries it sent so far and why it failed."""
    state = progress or {}
    return {
        "id": task["id"],
        "kind": task["kind"],
        "app_id": task["app_id"],
        "status": state.get("status", "running"),
        "total": state.get("total"),
        "done": state.get("done", 0),
        "sent": state.get("sent", 0),
        "error": state.get("error"),
        "params": orjson.loads(task["params"]),
        "created_at": task["created_at"],
        "finished_at": state.get("finished_at"),
    }


def progress_record(
    task_id: str, state: Mapping[str, Any], status: str, finished_at: str | None, started: bool
) -> TaskRecord:
    """The progress record (contracts/task.v1) of ``task_id`` in ``state`` (its ``seq``,
    ``total``, ``done``, ``sent``, ``cursor``, ``resumes``, ``error``)."""
    return {
        "v": 1,
        "type": "progress",
        "id": task_id,
        "seq": state["seq"],
        "status": status,
        "total": state.get("total"),
        "done": state.get("done", 0),
        "sent": state.get("sent", 0),
        "cursor": state.get("cursor") if status == "running" else None,
        "started": started,
        "resumes": state.get("resumes", 0),
        "error": state.get("error"),
        "at": clock.iso(),
        "finished_at": finished_at,
    }
