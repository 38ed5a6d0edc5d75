"""A query parameter of a ``/v1`` call given more than once is refused (422), rather than the
last one silently winning: no ``/v1`` query parameter is a list, and ``?limit=5&limit=500``
is a mistake the caller should hear about (the OpenAPI document declares each one once).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.http_errors import error_response

PREFIX = "/v1/"


class SingleQuery:
    """ASGI middleware: 422 ``validation_error`` naming a ``/v1`` query parameter given twice."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query: bytes = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if b"&" in query and scope.get("path", "").startswith(PREFIX):
            repeated = _repeated(query.decode("latin-1"))
            if repeated:
                message = f"query parameter {repeated!r} is given more than once"
                details = [{"path": repeated, "msg": "given more than once"}]
                await error_response(422, "validation_error", message, details)(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)


def _repeated(query: str) -> str | None:
    seen: set[str] = set()
    for name, _ in parse_qsl(query, keep_blank_values=True):
        if name in seen:
            return name
        seen.add(name)
    return None
