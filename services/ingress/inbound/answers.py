"""What a provider gets back from a receiving URL.

Every answer carries ``x-hookbus-inbound-id``: the id of the request in the received log.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response

from services.ingress.inbound.verification import HttpAnswer
from shared.json_response import OrjsonResponse
from shared.request_reply import Reply

ID_HEADER = "x-hookbus-inbound-id"
TEXT = "text/plain; charset=utf-8"


def exact_answer(answer: HttpAnswer, inbound_id: str) -> Response:
    """A verification answer as is: a challenge's echo, or a 401/403 JSON error."""
    return Response(
        answer.body,
        status_code=answer.status,
        media_type=answer.content_type,
        headers={ID_HEADER: inbound_id},
    )


def duplicate_of(replies: list[Reply]) -> str | None:
    """The first request's id when the router judged the request a repeat of it, else None."""
    for reply in replies:
        first = reply.body.get("duplicate_of")
        if isinstance(first, str):
            return first
    return None


def duplicate_answer(first_id: str, inbound_id: str) -> OrjsonResponse:
    """``200 {"id": <first>, "duplicate": true}``; the header names this repeat's own log entry."""
    body = {"id": first_id, "duplicate": True}
    return OrjsonResponse(body, status_code=200, headers={ID_HEADER: inbound_id})


def accepted_answer(custom: dict[str, Any] | None, inbound_id: str) -> Response:
    """``202 {"id": ...}``, or the source's ``response``: ``{status, body, content_type}``.

    A text ``body`` is sent as is (``text/plain`` unless ``content_type`` says otherwise); any
    other JSON value is encoded (``application/json``); no body, an empty one.
    """
    if custom is None:
        return OrjsonResponse({"id": inbound_id}, status_code=202, headers={ID_HEADER: inbound_id})
    body = custom.get("body")
    if body is None:
        content, default_type = b"", None
    elif isinstance(body, str):
        content, default_type = body.encode(), TEXT
    else:
        content, default_type = orjson.dumps(body), "application/json"
    return Response(
        content,
        status_code=custom.get("status", 200),
        media_type=custom.get("content_type") or default_type,
        headers={ID_HEADER: inbound_id},
    )
