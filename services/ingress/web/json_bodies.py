"""Every ``/v1`` request body is JSON, read strictly, before FastAPI sees it.

FastAPI parses with the standard library, which accepts what JSON does not (``NaN``, lone
surrogates) and integers orjson can neither write to Kafka nor answer with: each turned into a
500 further on. Here the body is parsed with orjson and written again, so what reaches a
handler can always be encoded. Refusals: 415 for a body that is not declared as JSON, 400 for
one that is not valid JSON, 413 past the size limit (also when no length was declared), 422
for one nested too deeply to be stored.

Receiving URLs (``/in``, ``/hooks``) are not touched: their bytes are signed as they came.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http_errors import error_response

WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
# orjson writes at most 254 levels; a request's document is stored one level deeper (inside
# its Kafka record), so the check wraps it in lists, which must fit too.
MARGIN = 2


def is_json(content_type: str) -> bool:
    """True for ``application/json`` and ``application/*+json``, with or without parameters."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def reencode(body: bytes) -> bytes:
    """``body`` as orjson writes it; raises ``orjson.JSONDecodeError`` when it is not JSON and
    ``orjson.JSONEncodeError`` when it is nested too deeply to be stored."""
    document: Any = orjson.loads(body)
    for _ in range(MARGIN):
        document = [document]
    return orjson.dumps(document)[MARGIN:-MARGIN]


class JsonBodies:
    """ASGI middleware applying the rules above to ``/v1`` requests that carry a body.

    ``limit_for(path)`` is the most bytes a body to ``path`` may have. The body is read whole
    (it blocks until the client sent it) and handed on re-encoded.
    """

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in WITH_BODY
            or not scope["path"].startswith("/v1/")
        ):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        body, more = b"", True
        while more and len(body) <= limit:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        refusal = _refusal(scope, body, limit)
        if isinstance(refusal, bytes):
            await self.app(_with_length(scope, len(refusal)), _replay(refusal, receive), send)
        else:
            await refusal(scope, receive, send)


def _refusal(scope: Scope, body: bytes, limit: int) -> ASGIApp | bytes:
    """The error answer for ``body``, or the body to hand on."""
    if len(body) > limit:
        return error_response(
            413, "payload_too_large", f"request body over {limit} bytes", {"limit": limit}
        )
    if not body:
        return body
    content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
    if not is_json(content_type):
        return error_response(
            415,
            "unsupported_media_type",
            "send the body as JSON with content-type: application/json",
            {"content_type": content_type or None},
        )
    try:
        return reencode(body)
    except orjson.JSONDecodeError as exc:
        return error_response(400, "malformed_json", f"the request body is not valid JSON: {exc}")
    except orjson.JSONEncodeError:
        return error_response(422, "too_deeply_nested", "the request body is nested too deeply")


def _with_length(scope: Scope, length: int) -> Scope:
    """``scope`` whose ``content-length`` header states the re-encoded body's length."""
    headers = [
        (k, v) for k, v in scope["headers"] if k not in (b"content-length", b"transfer-encoding")
    ]
    return {**scope, "headers": [*headers, (b"content-length", str(length).encode())]}


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app ``body`` in one message, then the client's own
    messages (which, the body being read, only say when it disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
