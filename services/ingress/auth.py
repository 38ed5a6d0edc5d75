"""The admin token check every management call passes through."""

from __future__ import annotations

import hmac

from fastapi import Request

from shared.errors import Unauthorized


async def authorized(request: Request) -> None:
    """FastAPI dependency accepting only ``Authorization: Bearer <HOOKBUS_ADMIN_TOKEN>``.

    Raises :class:`Unauthorized` (401) otherwise.
    """
    expected = request.app.state.ingress.settings.admin_token.encode()
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # compare_digest keeps the comparison time independent of where the tokens differ.
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise Unauthorized("missing or invalid bearer token")
