"""What live streams read: the rows audit stored after a position, in the order it stored them.

A position is where audit has read each Kafka partition to, per log: for every stored row, the
partition and offset of the record it came from. Audit stores each partition in offset order
(a batch commits after the one before it), so "every row of partition p above offset o" never
misses a row that becomes visible later below it. A stream therefore resumes exactly where it
stopped, whichever ingress copy serves it and however long the client was away, as long as the
rows are still in the log. Every function here blocks on the database.

Bodies are cut to :data:`BODY_LIMIT` for a stream (``body_truncated: true`` says so); a message
payload larger than that is shown as ``null`` with ``payload_truncated: true``: the log API
still shows the whole of either.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import orjson
from sqlalchemy import ColumnElement, Engine, Select, Table, and_, func, not_, or_, select

from services.audit.inbound.queries import get_inbound
from services.audit.inbound.schema import inbound_requests
from services.audit.objects import attempt_object, message_object
from services.audit.schema import attempts, messages
from shared.errors import Unprocessable

BODY_LIMIT = 64 * 1024
PAGE = 100
Offsets = dict[int, int]  # partition -> the highest offset already streamed
Position = dict[str, Offsets]  # log ("m", "a", "i") -> its offsets


class Log(NamedTuple):
    """One log a stream follows: its letter in positions, table, event name and object."""

    letter: str
    table: Table
    event: str
    to_object: Callable[[Engine, Mapping[Any, Any]], dict[str, Any] | None]


def _message(_: Engine, row: Mapping[Any, Any]) -> dict[str, Any]:
    found = message_object(row)
    if len(row["payload"]) > BODY_LIMIT:
        found.update(payload=None, payload_truncated=True)
    return found


def _attempt(_: Engine, row: Mapping[Any, Any]) -> dict[str, Any]:
    found = attempt_object(row)
    for part in ("request", "response"):
        if found[part] is not None:
            _cut_body(found[part])
    return found


def _inbound(engine: Engine, row: Mapping[Any, Any]) -> dict[str, Any] | None:
    found = get_inbound(engine, row["id"])
    if found is not None:
        _cut_body(found)
    return found


def _cut_body(holder: dict[str, Any]) -> None:
    body = holder.get("body")
    if isinstance(body, str) and len(body) > BODY_LIMIT:
        holder.update(body=body[:BODY_LIMIT], body_truncated=True)


MESSAGES = Log("m", messages, "message", _message)
ATTEMPTS = Log("a", attempts, "attempt", _attempt)
INBOUND = Log("i", inbound_requests, "inbound", _inbound)


def encode_position(position: Position) -> str:
    """The opaque text of a position (an SSE event id): base64url of its JSON, unpadded."""
    compact = {log: sorted(offsets.items()) for log, offsets in position.items()}
    return base64.urlsafe_b64encode(orjson.dumps(compact)).decode().rstrip("=")


def decode_position(text: str, logs: tuple[Log, ...]) -> Position:
    """The position ``text`` stands for; :class:`Unprocessable` when it is not one of ours."""
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        position = {
            log.letter: {int(p): int(o) for p, o in raw.get(log.letter, [])} for log in logs
        }
    except (binascii.Error, ValueError, TypeError, AttributeError) as exc:
        raise Unprocessable("invalid stream position", {"last_event_id": text}) from exc
    return position


def _after(table: Table, offsets: Offsets) -> ColumnElement[bool]:
    """Rows above ``offsets``: partitions not named there are read from their start."""
    c = table.c
    known = [and_(c.kafka_partition == p, c.kafka_offset > o) for p, o in offsets.items()]
    return or_(not_(c.kafka_partition.in_(list(offsets))), *known) if known else c.id.is_not(None)


def _scoped(log: Log, where: Mapping[str, str]) -> Select[Any]:
    query = select(log.table)
    for column, value in where.items():
        query = query.where(log.table.c[column] == value)
    return query


def now(engine: Engine, logs: tuple[Log, ...], where: Mapping[str, str]) -> Position:
    """The position after every row stored so far (what a stream without ``Last-Event-ID``
    starts from)."""
    position: Position = {}
    with engine.connect() as conn:
        for log in logs:
            c = log.table.c
            query = select(c.kafka_partition, func.max(c.kafka_offset)).group_by(c.kafka_partition)
            for column, value in where.items():
                query = query.where(c[column] == value)
            position[log.letter] = {p: o for p, o in conn.execute(query)}
    return position


def changes(
    engine: Engine,
    logs: tuple[Log, ...],
    where: Mapping[str, str],
    position: Position,
    limit: int = PAGE,
) -> tuple[list[dict[str, Any]], Position, bool]:
    """The events stored after ``position`` (at most ``limit`` per log), each with the position
    just after it as ``id``; the position after the last one; and whether a log had more."""
    events: list[dict[str, Any]] = []
    full = False
    current = {log.letter: dict(position.get(log.letter, {})) for log in logs}
    for log in logs:
        c = log.table.c
        query = (
            _scoped(log, where)
            .where(_after(log.table, current[log.letter]))
            .order_by(c.kafka_partition, c.kafka_offset)
            .limit(limit)
        )
        with engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        full = full or len(rows) == limit
        for row in rows:
            current[log.letter][row["kafka_partition"]] = row["kafka_offset"]
            data = log.to_object(engine, row)
            if data is not None:
                events.append({"event": log.event, "id": encode_position(current), "data": data})
    return events, current, full
