"""``/v1/apps/`` is ``/v1/apps``: a trailing slash on a management path is dropped.

Starlette would answer a redirect instead, which most API clients do not follow for a POST and
which moves the token to a second request. Receiving URLs keep theirs: the path after a
source is the sender's, passed on as it came.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

PREFIX = "/v1/"


class TrailingSlash:
    """ASGI middleware: serve ``/v1/...//`` as if it were written without the slashes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(PREFIX) and path.endswith("/"):
            trimmed = path.rstrip("/")
            raw = scope.get("raw_path")
            scope = {**scope, "path": trimmed}
            if raw is not None:
                scope["raw_path"] = raw.rstrip(b"/")
        await self.app(scope, receive, send)
