"""Every 401 of a ``/v1`` call names the scheme the caller must use: ``WWW-Authenticate:
Bearer`` (RFC 6750), whichever check refused it (the front door's token check, a route's own).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/v1"
CHALLENGE = (b"www-authenticate", b"Bearer")


class BearerChallenge:
    """ASGI middleware adding ``WWW-Authenticate: Bearer`` to a ``/v1`` 401 that lacks it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(PREFIX):
            await self.app(scope, receive, send)
            return

        async def challenged(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                headers = list(message.get("headers", []))
                if not any(name.lower() == CHALLENGE[0] for name, _ in headers):
                    message = {**message, "headers": [*headers, CHALLENGE]}
            await send(message)

        await self.app(scope, receive, challenged)
