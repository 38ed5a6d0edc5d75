"""The admin token check every management call passes through."""

from __future__ import annotations

from fastapi import Request

from shared.http_errors import check_bearer


async def authorized(request: Request) -> None:
    """FastAPI dependency accepting only ``Authorization: Bearer <HOOKBUS_ADMIN_TOKEN>``.

    Raises ``Unauthorized`` (401) otherwise.
    """
    check_bearer(request, request.app.state.ingress.settings.admin_token)
