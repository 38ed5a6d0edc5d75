"""The first thing every request meets: counted in flight, the token checked on ``/v1`` calls,
and a body refused from its declared length before any of it is read.

A plain ASGI middleware rather than ``@app.middleware("http")``: Starlette's decorated kind runs
each request through an extra task and a memory stream, which cost the publish path more than
the checks themselves.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from services.ingress.web.auth import refusal_without_token
from services.ingress.web.portal_gate import PortalGate
from shared import metrics
from shared.http_errors import error_response


class FrontDoor:
    """ASGI middleware: 401 for a ``/v1`` call without ``token`` or a portal token allowing it
    (before anything else, the route included), then 413 for a declared length over
    ``limit_for(path)``."""

    def __init__(
        self, app: ASGIApp, token: str, limit_for: Callable[[str], int], portal: PortalGate
    ) -> None:
        self.app = app
        self.token = token
        self.limit_for = limit_for
        self.portal = portal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with metrics.HTTP_IN_FLIGHT.track_inprogress():
            refusal = await self._refusal(Request(scope))
            if refusal is None:
                await self.app(scope, receive, send)
            else:
                await refusal(scope, receive, send)

    async def _refusal(self, request: Request) -> Response | None:
        refused = await refusal_without_token(request, self.token, self.portal)
        if refused is not None:
            return refused
        declared = request.headers.get("content-length", "")
        limit = self.limit_for(request.url.path)
        if declared.isdigit() and int(declared) > limit:
            message = f"request body over {limit} bytes"
            return error_response(413, "payload_too_large", message, {"limit": limit})
        return None
