"""Reading tasks: one with its current progress, or a page of them newest first. Every
function blocks on the database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select

from services.audit.paging import Key, Page, cut, newest_first
from services.audit.task_rows import task_object
from services.audit.task_schema import task_progress, tasks


def latest_progress(conn: Connection, task_ids: list[str]) -> dict[str, Mapping[Any, Any]]:
    """The current (highest ``seq``) progress row of each task that has one."""
    if not task_ids:
        return {}
    p = task_progress.c
    newest = (
        select(p.task_id, func.max(p.seq).label("seq"))
        .where(p.task_id.in_(task_ids))
        .group_by(p.task_id)
        .subquery()
    )
    query = select(task_progress).join(
        newest, and_(p.task_id == newest.c.task_id, p.seq == newest.c.seq)
    )
    return {row["task_id"]: row for row in conn.execute(query).mappings()}


def task_state(engine: Engine, task_id: str) -> tuple[Mapping[Any, Any], Mapping[Any, Any] | None]:
    """The request row and current progress row of ``task_id``; ``KeyError`` when unknown."""
    with engine.connect() as conn:
        row = conn.execute(select(tasks).where(tasks.c.id == task_id)).mappings().first()
        if row is None:
            raise KeyError(task_id)
        return row, latest_progress(conn, [task_id]).get(task_id)


def get_task(engine: Engine, task_id: str) -> dict[str, Any] | None:
    """The task as the API shows it, or None."""
    try:
        row, progress = task_state(engine, task_id)
    except KeyError:
        return None
    return task_object(row, progress)


def list_tasks(
    engine: Engine, *, app_id: str | None = None, limit: int, cursor: Key | None = None
) -> Page:
    """Tasks newest first (optionally of one app)."""
    query = select(tasks)
    if app_id is not None:
        query = query.where(tasks.c.app_id == app_id)
    with engine.connect() as conn:
        rows = conn.execute(newest_first(query, (tasks.c.ts_ms, tasks.c.id), limit, cursor))
        found = rows.mappings().all()
        states = latest_progress(conn, [row["id"] for row in found[:limit]])
    objects = [task_object(row, states.get(row["id"])) for row in found]
    return cut(objects, [(r["ts_ms"], r["id"]) for r in found], limit)
