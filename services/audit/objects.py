"""Table rows back to the objects the API answers with. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from services.audit.dead_letter_ids import dead_letter_id
from shared.secret_headers import masked

NAMED = ("app_id", "endpoint_id", "message_id", "route_id", "inbound_id")


def message_object(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The API's message: ``{id, event_type, payload, channels, timestamp}``, with
    ``expunged: true`` (and a null payload) once erased."""
    found = {
        "id": row["id"],
        "event_type": row["event_type"],
        "payload": orjson.loads(row["payload"]),
        "channels": orjson.loads(row["channels"]),
        "timestamp": row["timestamp"],
    }
    return _marked(found, row)


def _marked(found: dict[str, Any], row: Mapping[Any, Any]) -> dict[str, Any]:
    # Only erased rows carry the flag: every other answer keeps its documented shape.
    if row.get("expunged"):
        found["expunged"] = True
    return found


def attempt_object(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The API's attempt, as the attempts log shows it (``expunged: true`` once erased)."""
    found = {
        "id": row["id"],
        "message_id": row["message_id"],
        "endpoint_id": row["endpoint_id"],
        "delivery_id": row["delivery_id"],
        "event_type": row["event_type"],
        **tried_fields(row),
    }
    return _marked(found, row)


def tried_fields(row: Mapping[Any, Any]) -> dict[str, Any]:
    """What every attempt object shows beyond its ids (an endpoint's or a route's attempt)."""
    return {
        "attempt": row["attempt"],
        "timestamp": row["timestamp"],
        "duration_ms": row["duration_ms"],
        "request": _request(row["request"]),
        "response": None if row["response"] is None else orjson.loads(row["response"]),
        "error": row["error"],
        "outcome": row["outcome"],
    }


def _request(text: str) -> dict[str, Any]:
    # Attempts are logged masked; rows written before that are masked on the way out.
    request: dict[str, Any] = orjson.loads(text)
    if isinstance(request.get("headers"), dict):
        request["headers"] = masked(request["headers"])
    return request


def dead_letter_object(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A dead letter as stored: its id, reason, kind, origin, the original record text, the ids
    the record names (app, endpoint or route, message or received request), and its place."""
    found = {
        "id": dead_letter_id(row["at_ms"], row["kafka_partition"], row["kafka_offset"]),
        **_named_ids(row["record"]),
        "topic": row["kafka_topic"],
        "partition": row["kafka_partition"],
        "offset": row["kafka_offset"],
        "reason": row["reason"],
        "kind": row["kind"],
        "origin": orjson.loads(row["origin"]),
        "record": None if row.get("expunged") else row["record"],
        "at": row["at"],
    }
    if row.get("expunged"):  # the record is gone, the ids it named are kept in columns
        found.update(app_id=row.get("app_id"), message_id=row.get("message_id"))
    return _marked(found, row)


def _named_ids(text: str) -> dict[str, Any]:
    try:
        record = orjson.loads(text)
    except orjson.JSONDecodeError:
        record = None
    if not isinstance(record, dict):
        record = {}
    return {key: record.get(key) if isinstance(record.get(key), str) else None for key in NAMED}
