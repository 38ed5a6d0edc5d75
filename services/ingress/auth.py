"""The admin token check every management call passes through."""

from __future__ import annotations

from fastapi import Request

from shared.errors import Unauthorized
from shared.http_errors import check_bearer
from shared.json_response import OrjsonResponse


async def authorized(request: Request) -> None:
    """FastAPI dependency accepting only ``Authorization: Bearer <HOOKBUS_ADMIN_TOKEN>``.

    Raises ``Unauthorized`` (401) otherwise.
    """
    check_bearer(request, request.app.state.ingress.settings.admin_token)


def refusal_without_token(request: Request, token: str) -> OrjsonResponse | None:
    """The 401 answer to a ``/v1`` request without the admin token, else ``None``.

    Checked before anything else (body size, content type, JSON, even the route), so a
    caller without the token learns nothing from how its request would have been judged.
    """
    path = request.url.path
    if path != "/v1" and not path.startswith("/v1/"):
        return None
    try:
        check_bearer(request, token)
    except Unauthorized as exc:
        return OrjsonResponse(exc.body(), status_code=exc.status)
    return None
