"""The token check every management call passes through: the admin token, or a portal token
limited to one app (:mod:`services.ingress.web.portal_gate`)."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from services.ingress.web.portal_gate import PortalGate
from services.ingress.web.portal_tokens import is_portal_token
from shared.errors import ApiError
from shared.http_errors import check_bearer
from shared.json_response import OrjsonResponse


async def authorized(request: Request) -> None:
    """FastAPI dependency accepting ``Authorization: Bearer <HOOKBUS_ADMIN_TOKEN>``, or a portal
    token whose call the front door already judged and let through.

    Raises ``Unauthorized`` (401) otherwise.
    """
    if getattr(request.state, "portal_grant", None) is not None:
        return
    check_bearer(request, request.app.state.hub.settings.admin_token)


async def admin_only(request: Request) -> None:
    """FastAPI dependency accepting only the admin token (never a portal token)."""
    check_bearer(request, request.app.state.hub.settings.admin_token)


async def refusal_without_token(
    request: Request, token: str, portal: PortalGate
) -> Response | None:
    """The answer refusing a ``/v1`` request without the admin token or an allowing portal
    token (401, or 403/404 for a portal token's call outside its scope), else ``None``.

    Checked before anything else (body size, content type, JSON, even the route), so a
    caller without the token learns nothing from how its request would have been judged.
    """
    path = request.url.path
    if path != "/v1" and not path.startswith("/v1/"):
        return None
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    try:
        if scheme.lower() == "bearer" and is_portal_token(given.strip()):
            await portal.check(request, given.strip())
        else:
            check_bearer(request, token)
    except ApiError as exc:
        return OrjsonResponse(exc.body(), status_code=exc.status)
    return None
