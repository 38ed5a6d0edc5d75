"""What a task works on, one bounded page at a time, and how much there is in all.

Pages are read in ascending key order after a cursor (the key of the last row of the page
before), so a task resumed from its last progress record carries on where it was; nothing is
ever loaded whole. Every function blocks on the database.

- replay: the app's messages with ``since <= timestamp < until`` (and the event types asked
  for), key ``(ts_ms, id)``; for each, the latest attempt to each endpoint it was delivered to
  (or only to ``endpoint_id``), kept when ``only`` is ``all`` or it ended failed.
- recover: the endpoint's attempts since ``since`` that ended failed or exhausted and are the
  latest of their message to it, key ``(ts_ms, id)``, up to the task's creation (the task's own
  deliveries, made after, are never walked again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Engine, Select, and_, exists, func, or_, select

from services.audit.redelivery import ENDED_FAILED
from services.audit.rows import epoch_ms
from services.audit.schema import attempts, messages

Row = Mapping[Any, Any]


class TaskPage(NamedTuple):
    """The attempts to deliver again, how many items the page examined, and the next cursor
    (None at the end)."""

    redo: list[Row]
    examined: int
    cursor: list[Any] | None


def _above(columns: Sequence[ColumnElement[Any]], key: Sequence[Any]) -> ColumnElement[bool]:
    return or_(columns[0] > key[0], and_(columns[0] == key[0], columns[1] > key[1]))


def _pattern(name: str) -> ColumnElement[bool]:
    if name == "*":
        return messages.c.event_type.is_not(None)
    if name.endswith((".*", ":*")):
        escaped = name[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return messages.c.event_type.like(escaped + "%", escape="\\")
    return messages.c.event_type == name


def _replayed_messages(app_id: str, params: Mapping[str, Any]) -> Select[Any]:
    query = select(messages).where(
        messages.c.app_id == app_id, messages.c.ts_ms >= epoch_ms(params["since"])
    )
    if params.get("until"):
        query = query.where(messages.c.ts_ms < epoch_ms(params["until"]))
    if params.get("event_types"):
        query = query.where(or_(*(_pattern(name) for name in params["event_types"])))
    return query


def replay_total(engine: Engine, app_id: str, params: Mapping[str, Any]) -> int:
    """How many messages the replay examines."""
    query = select(func.count()).select_from(_replayed_messages(app_id, params).subquery())
    with engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def replay_page(
    engine: Engine, app_id: str, params: Mapping[str, Any], cursor: list[Any] | None, limit: int
) -> TaskPage:
    """One page of a replay; see the module docstring."""
    key = (messages.c.ts_ms, messages.c.id)
    query = _replayed_messages(app_id, params)
    if cursor is not None:
        query = query.where(_above(key, cursor))
    query = query.order_by(*key).limit(limit)
    with engine.connect() as conn:
        found = conn.execute(query.with_only_columns(*key)).all()
        ids = [row.id for row in found]
        tried = select(attempts).where(attempts.c.app_id == app_id, attempts.c.message_id.in_(ids))
        if params.get("endpoint_id"):
            tried = tried.where(attempts.c.endpoint_id == params["endpoint_id"])
        rows = conn.execute(tried.order_by(attempts.c.ts_ms, attempts.c.id)).mappings().all()
    latest: dict[tuple[str, str], Row] = {}
    for row in rows:  # ascending: the last one seen per endpoint is the latest
        latest[(row["message_id"], row["endpoint_id"])] = row
    wanted = [
        row
        for row in latest.values()
        if params.get("only", "all") == "all" or row["outcome"] in ENDED_FAILED
    ]
    last = [found[-1].ts_ms, found[-1].id] if len(found) == limit else None
    return TaskPage(wanted, len(found), last)


def _recoverable(app_id: str, endpoint_id: str, since: str, until_ms: int) -> Select[Any]:
    later = attempts.alias("later")
    newer = exists().where(
        later.c.app_id == attempts.c.app_id,
        later.c.message_id == attempts.c.message_id,
        later.c.endpoint_id == attempts.c.endpoint_id,
        _above((later.c.ts_ms, later.c.id), (attempts.c.ts_ms, attempts.c.id)),
    )
    return select(attempts).where(
        attempts.c.app_id == app_id,
        attempts.c.endpoint_id == endpoint_id,
        attempts.c.outcome.in_(ENDED_FAILED),
        attempts.c.ts_ms >= epoch_ms(since),
        attempts.c.ts_ms <= until_ms,
        ~newer,
    )


def recover_total(engine: Engine, app_id: str, endpoint_id: str, since: str, until_ms: int) -> int:
    """How many messages' deliveries to the endpoint ended failed since ``since``."""
    chosen = _recoverable(app_id, endpoint_id, since, until_ms).subquery()
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(chosen)).scalar() or 0)


def recover_page(
    engine: Engine,
    app_id: str,
    params: Mapping[str, Any],
    until_ms: int,
    cursor: list[Any] | None,
    limit: int,
) -> TaskPage:
    """One page of a recovery; see the module docstring."""
    query = _recoverable(app_id, params["endpoint_id"], params["since"], until_ms)
    key = (attempts.c.ts_ms, attempts.c.id)
    if cursor is not None:
        query = query.where(_above(key, cursor))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(*key).limit(limit)).mappings().all()
    last = [rows[-1]["ts_ms"], rows[-1]["id"]] if len(rows) == limit else None
    return TaskPage(list(rows), len(rows), last)
