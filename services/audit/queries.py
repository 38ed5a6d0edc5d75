"""The log queries the API serves, each scoped to one app; every function blocks on the database.

Lists are newest first by ``(ts_ms, id)`` and take the key of the previous page's last row.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, func, select

from services.audit.objects import attempt_object, dead_letter_object, message_object
from services.audit.paging import Key, Page, cut, newest_first
from services.audit.rows import iso_from_ms
from services.audit.schema import attempts, dead_letters, message_channels, messages

FAILURES = ("retrying", "failed", "exhausted")


def list_attempts(
    engine: Engine,
    app_id: str,
    *,
    endpoint_id: str | None = None,
    message_id: str | None = None,
    outcomes: Collection[str] | None = None,
    limit: int,
    cursor: Key | None = None,
) -> Page:
    """Attempts of ``app_id``, optionally of one endpoint, one message and some outcomes."""
    query = select(attempts).where(attempts.c.app_id == app_id)
    if endpoint_id is not None:
        query = query.where(attempts.c.endpoint_id == endpoint_id)
    if message_id is not None:
        query = query.where(attempts.c.message_id == message_id)
    if outcomes is not None:
        query = query.where(attempts.c.outcome.in_(list(outcomes)))
    key = (attempts.c.ts_ms, attempts.c.id)
    with engine.connect() as conn:
        found = conn.execute(newest_first(query, key, limit, cursor)).mappings().all()
    return cut([attempt_object(r) for r in found], [(r["ts_ms"], r["id"]) for r in found], limit)


def get_attempt(engine: Engine, app_id: str, attempt_id: str) -> dict[str, Any] | None:
    """The attempt ``attempt_id`` if it belongs to ``app_id``, else None."""
    query = select(attempts).where(attempts.c.id == attempt_id, attempts.c.app_id == app_id)
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return None if row is None else attempt_object(row)


def list_messages(
    engine: Engine,
    app_id: str,
    *,
    event_type: str | None = None,
    channel: str | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
    limit: int,
    cursor: Key | None = None,
) -> Page:
    """Messages of ``app_id``; ``since_ms``/``until_ms`` bound the timestamp, both exclusive."""
    query = select(messages).where(messages.c.app_id == app_id)
    key: tuple[ColumnElement[Any], ColumnElement[Any]] = (messages.c.ts_ms, messages.c.id)
    if event_type is not None:
        query = query.where(messages.c.event_type == event_type)
    if channel is not None:
        # Walk the channel's own index, which holds the same (ts_ms, id) as each message.
        mc = message_channels.c
        query = query.join(
            message_channels, and_(mc.app_id == messages.c.app_id, mc.message_id == messages.c.id)
        ).where(mc.channel == channel)
        key = (mc.ts_ms, mc.message_id)
    if since_ms is not None:
        query = query.where(key[0] > since_ms)
    if until_ms is not None:
        query = query.where(key[0] < until_ms)
    with engine.connect() as conn:
        found = conn.execute(newest_first(query, key, limit, cursor)).mappings().all()
    return cut([message_object(r) for r in found], [(r["ts_ms"], r["id"]) for r in found], limit)


def get_message(engine: Engine, app_id: str, message_id: str) -> dict[str, Any] | None:
    """The message ``message_id`` of ``app_id``, or None."""
    query = select(messages).where(and_(messages.c.app_id == app_id, messages.c.id == message_id))
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return None if row is None else message_object(row)


def endpoint_stats(engine: Engine, app_id: str, endpoint_id: str) -> dict[str, Any]:
    """Attempt counts of one endpoint by outcome, and its last success and last failure.

    A failure is any attempt that did not succeed (retrying, failed or exhausted).
    """
    query = (
        select(attempts.c.outcome, func.count(), func.max(attempts.c.ts_ms))
        .where(attempts.c.app_id == app_id, attempts.c.endpoint_id == endpoint_id)
        .group_by(attempts.c.outcome)
    )
    with engine.connect() as conn:
        found = {outcome: (count, last) for outcome, count, last in conn.execute(query)}
    failures = [found[o][1] for o in FAILURES if o in found]
    return {
        **{o: found.get(o, (0, None))[0] for o in ("succeeded", *FAILURES)},
        "last_success_at": iso_from_ms(found["succeeded"][1]) if "succeeded" in found else None,
        "last_failure_at": iso_from_ms(max(failures)) if failures else None,
    }


def list_dead_letters(
    engine: Engine,
    *,
    kind: str | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
    limit: int,
    cursor: Key | None = None,
) -> Page:
    """Dead letters, newest first by the time they were written (bounds exclusive)."""
    c = dead_letters.c
    query = select(dead_letters)
    if kind is not None:
        query = query.where(c.kind == kind)
    if since_ms is not None:
        query = query.where(c.at_ms > since_ms)
    if until_ms is not None:
        query = query.where(c.at_ms < until_ms)
    key = (c.at_ms, c.kafka_topic, c.kafka_partition, c.kafka_offset)
    with engine.connect() as conn:
        found = conn.execute(newest_first(query, key, limit, cursor)).mappings().all()
    keys = [(r["at_ms"], r["kafka_topic"], r["kafka_partition"], r["kafka_offset"]) for r in found]
    return cut([dead_letter_object(r) for r in found], keys, limit)


def dead_letter_row(engine: Engine, place: tuple[int, int, int]) -> Mapping[Any, Any] | None:
    """The dead letter written at ``place`` = ``(at_ms, partition, offset)``, or None."""
    at_ms, partition, offset = place
    c = dead_letters.c
    query = select(dead_letters).where(
        c.at_ms == at_ms, c.kafka_partition == partition, c.kafka_offset == offset
    )
    with engine.connect() as conn:
        return conn.execute(query).mappings().first()
