"""Request and response examples shown on ``/docs`` for every call of the public API."""

from __future__ import annotations

from typing import Any

APP_ID = "app_01JD3QXW2N0B7C4D5E6F7G8H9J"
ENDPOINT_ID = "ep_01JD3QXZ3P4Q5R6S7T8V9W0X1Y"
MESSAGE_ID = "msg_01JD3QY8Z9V2M4KXW7R5T6N8PB"
ATTEMPT_ID = "atm_01JD3QYB00B1C2D3E4F5G6H7J8"
CREATED = "2026-11-22T10:00:00.000Z"

APP_IN = {"name": "Acme Corp", "uid": "acme", "metadata": {"plan": "pro"}}
APP = {"id": APP_ID, **APP_IN, "retention": "30d", "created_at": CREATED, "updated_at": CREATED}

ENDPOINT_IN = {
    "url": "https://example.com/hooks",
    "description": "billing consumer",
    "event_types": ["invoice.*"],
    "channels": ["eu"],
    "filter": {"$.data.environment.type": "production"},
    "headers": {"x-wpvip-webhook": "v1"},
    "transform": "merge(data, {event: type})",
}
ENDPOINT = {
    "id": ENDPOINT_ID,
    "app_id": APP_ID,
    "url": "https://example.com/hooks",
    "description": "billing consumer",
    "uid": None,
    "metadata": {},
    "event_types": ["invoice.*"],
    "channels": ["eu"],
    "filter": {"$.data.environment.type": "production"},
    "enabled": True,
    "disabled_reason": None,
    "headers": {"x-wpvip-webhook": "v1"},
    "timeout_ms": 15000,
    "transform": "merge(data, {event: type})",
    "content_type": "application/json",
    "rate_limit": None,
    "ordered": False,
    "version": None,
    "max_in_flight": 64,
    "legacy": False,
    "created_at": CREATED,
    "updated_at": CREATED,
}
SECRET = {"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}

MESSAGE_IN = {
    "event_type": "invoice.paid",
    "payload": {"invoice_id": "inv_1", "amount": 4200, "environment": {"type": "production"}},
    "id": "evt-2026-0042",
    "channels": ["eu"],
}
MESSAGE = {
    "id": "evt-2026-0042",
    "event_type": "invoice.paid",
    "payload": MESSAGE_IN["payload"],
    "channels": ["eu"],
    "timestamp": "2026-11-22T10:15:30.123Z",
}
DUPLICATE = {
    "error": {
        "code": "duplicate_id",
        "message": "a message with this id was published in the last 24 hours",
        "details": {"id": "evt-2026-0042"},
    }
}

EVENT_TYPE_IN = {
    "name": "invoice.paid",
    "description": "An invoice was paid",
    "schema": {
        "type": "object",
        "required": ["invoice_id", "amount"],
        "properties": {"invoice_id": {"type": "string"}, "amount": {"type": "integer"}},
    },
}
EVENT_TYPE = {
    **EVENT_TYPE_IN,
    "versions": None,
    "version_header": None,
    "created_at": CREATED,
    "updated_at": CREATED,
}

ATTEMPT = {
    "id": ATTEMPT_ID,
    "message_id": MESSAGE_ID,
    "endpoint_id": ENDPOINT_ID,
    "event_type": "invoice.paid",
    "attempt": 1,
    "timestamp": "2026-11-22T10:15:30.150Z",
    "duration_ms": 12,
    "request": {
        "url": "https://example.com/hooks",
        "method": "POST",
        "headers": {
            "content-type": "application/json",
            "webhook-id": MESSAGE_ID,
            "webhook-timestamp": "1795342530",
            "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
        },
        "body": '{"type":"invoice.paid","timestamp":"2026-11-22T10:15:30.123Z","data":{}}',
    },
    "response": {"status": 200, "headers": {"content-type": "text/plain"}, "body": "ok"},
    "error": None,
    "outcome": "succeeded",
}
STATS = {
    "succeeded": 41,
    "retrying": 1,
    "failed": 2,
    "exhausted": 0,
    "last_success_at": "2026-11-22T10:15:30.150Z",
    "last_failure_at": "2026-11-22T09:02:11.020Z",
    "disabled_reason": None,
}


def body_examples(example: Any) -> dict[str, Any]:
    """``openapi_extra`` adding ``example`` to a JSON request body."""
    return {"requestBody": {"content": {"application/json": {"example": example}}}}


SUCCESS = {200: "OK", 201: "Created", 202: "Accepted"}


def answers(
    status: int,
    example: Any,
    listed: bool = False,
    errors: dict[int, tuple[str, Any]] | None = None,
) -> dict[int | str, dict[str, Any]]:
    """``responses`` documenting the success answer (a page of items when ``listed``) and
    notable ``errors`` (status → description and example body)."""
    if listed:
        example = {"data": example, "next_cursor": None}
    found: dict[int | str, dict[str, Any]] = {
        status: {
            "description": SUCCESS.get(status, "OK"),
            "content": {"application/json": {"example": example}},
        }
    }
    for code, (description, body) in (errors or {}).items():
        found[code] = {
            "description": description,
            "content": {"application/json": {"example": body}},
        }
    return found
