"""What resend and recover deliver again: the last attempt of a message to an endpoint.

A new delivery is built from the stored attempt's request body and content type (the body the
router rendered, transform included), with a new delivery id and attempt 1, so it shows in the
log as new attempts and gets the whole retry schedule. An attempt the router recorded because
the endpoint's transform failed has no body to repeat: the message goes back to the router
instead, as an event for that endpoint alone, rendered with the transform as it is now. Every
function here blocks on the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Engine, and_, func, select

from services.audit.schema import attempts
from shared import clock
from shared.ids import new_id
from shared.records import DeliveryRecord, EventRecord
from shared.transforms import FAILED as TRANSFORM_FAILED

ENDED_FAILED = ("failed", "exhausted")
CONTENT_TYPES = ("application/json", "application/x-www-form-urlencoded")


def last_attempt(
    engine: Engine, app_id: str, message_id: str, endpoint_id: str
) -> Mapping[Any, Any] | None:
    """The latest attempt of ``message_id`` to ``endpoint_id`` in ``app_id``, or None."""
    query = (
        select(attempts)
        .where(
            attempts.c.app_id == app_id,
            attempts.c.endpoint_id == endpoint_id,
            attempts.c.message_id == message_id,
        )
        .order_by(attempts.c.ts_ms.desc(), attempts.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        return conn.execute(query).mappings().first()


def ended_failed_since(
    engine: Engine, app_id: str, endpoint_id: str, since_ms: int
) -> list[Mapping[Any, Any]]:
    """Per message, its latest attempt to the endpoint since ``since_ms``, where that attempt
    ended it as failed or exhausted (a later success, or a retry still pending, excludes it).
    """
    scope = and_(
        attempts.c.app_id == app_id,
        attempts.c.endpoint_id == endpoint_id,
        attempts.c.ts_ms >= since_ms,
    )
    latest = (
        select(attempts.c.message_id, func.max(attempts.c.ts_ms).label("ts_ms"))
        .where(scope)
        .group_by(attempts.c.message_id)
        .subquery()
    )
    query = (
        select(attempts)
        .join(
            latest,
            and_(attempts.c.message_id == latest.c.message_id, attempts.c.ts_ms == latest.c.ts_ms),
        )
        .where(scope)
        .order_by(attempts.c.ts_ms, attempts.c.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    last: dict[str, Mapping[Any, Any]] = {}
    for row in rows:  # ties on the millisecond: the later id wins
        last[row["message_id"]] = row
    return [row for row in last.values() if row["outcome"] in ENDED_FAILED]


def delivery_from(row: Mapping[Any, Any], config_offset: int) -> DeliveryRecord:
    """A first-attempt delivery record (contracts/delivery.v1) repeating ``row``'s request."""
    request = orjson.loads(row["request"])
    content_type = request.get("headers", {}).get("content-type", CONTENT_TYPES[0])
    return {
        "v": 1,
        "id": new_id("dlv"),
        "message_id": row["message_id"],
        "app_id": row["app_id"],
        "endpoint_id": row["endpoint_id"],
        "event_type": row["event_type"] or "",
        "body": request["body"],
        "content_type": content_type if content_type in CONTENT_TYPES else CONTENT_TYPES[0],
        "attempt": 1,
        "created_at": clock.iso(),
        "due_at": None,
        "config_offset": max(0, config_offset),
    }


def unrendered(row: Mapping[Any, Any]) -> bool:
    """True for the router's attempt of a message the endpoint's transform failed on."""
    return row["response"] is None and (row["error"] or "").startswith(TRANSFORM_FAILED)


def event_for(
    message: Mapping[str, Any], app_id: str, endpoint_id: str, config_offset: int
) -> EventRecord:
    """An event record (contracts/event.v1) sending the stored ``message`` (as the API shows
    it) to ``endpoint_id`` alone; outside the duplicate check, being the message itself."""
    return {
        "v": 1,
        "id": message["id"],
        "app_id": app_id,
        "event_type": message["event_type"],
        "payload": message["payload"],
        "channels": message["channels"],
        "timestamp": message["timestamp"],
        "config_offset": max(0, config_offset),
        "endpoint_id": endpoint_id,
        "dedupe": False,
    }
