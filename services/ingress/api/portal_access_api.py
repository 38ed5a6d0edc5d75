"""``/v1/apps/{app}/portal-access``: magic links that open the dashboard limited to one app.

Issuing writes nothing (the token is signed, not stored); revoking writes one record on the
config topic, ``portal_revocation/<app id>``, refusing every token of the app issued until then.
Both take the admin token only: a portal token cannot issue or revoke portal tokens.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.ingress.api.apps_api import find_app
from services.ingress.api.examples import answers, body_examples
from services.ingress.web.auth import admin_only
from services.ingress.web.hub import HubDep
from services.ingress.web.portal_gate import REVOCATION, PortalGate
from services.ingress.web.portal_tokens import Grant
from shared import clock
from shared.json_response import OrjsonResponse
from shared.setting_values import SettingsError, parse_duration

DEFAULT_LIFETIME = 3600.0
MAX_LIFETIME = 30 * 86400.0
api = APIRouter(
    prefix="/v1/apps/{app}/portal-access",
    tags=["portal access"],
    dependencies=[Depends(admin_only)],
)
PORTAL_ACCESS = {
    "token": "hbp_eyJhcHAiOiJhcHBfMDFKRDNRWFcyTjBCN0M0RDVFNkY3RzhIOUoiLCJybyI6ZmFsc2V9.c2ln",
    "url": "http://127.0.0.1:8080/portal/#token=hbp_eyJhcHAiOiJhcHBfMDFKRDNRWFcyTjBCN0M0RDVFNkY3RzhIOUoiLCJybyI6ZmFsc2V9.c2ln",
    "expires_at": "2026-11-22T11:00:00.000Z",
}
NO_APP = (
    "No such app",
    {"error": {"code": "not_found", "message": "app 'acme' not found", "details": {"app": "acme"}}},
)
TOO_LONG = (
    "expires_in is not a duration of at most 30d",
    {
        "error": {
            "code": "validation_error",
            "message": "expires_in: Value error, must be more than 0 and at most 30d",
            "details": [{"path": "expires_in", "msg": "must be more than 0 and at most 30d"}],
        }
    },
)


class PortalAccessIn(BaseModel):
    """How long the link works (a duration such as ``1h`` or ``7d``, or seconds) and whether
    it may change anything."""

    model_config = ConfigDict(extra="forbid", strict=True)
    expires_in: Annotated[
        str | float | None,
        Field(description="lifetime: 1h when absent, at most 30d", examples=["1h", "7d"]),
    ] = None
    read_only: Annotated[bool, Field(description="true: the link may only read")] = False

    @field_validator("expires_in")
    @classmethod
    def _lifetime(cls, given: str | float | None) -> float:
        if given is None:
            return DEFAULT_LIFETIME
        try:
            seconds = parse_duration(given) if isinstance(given, str) else float(given)
        except SettingsError:
            raise ValueError("a duration such as 30m, 1h or 7d") from None
        if not 0 < seconds <= MAX_LIFETIME:
            raise ValueError("must be more than 0 and at most 30d")
        return seconds


def _base_url(hub: HubDep, request: Request) -> str:
    return hub.settings.public_url or str(request.base_url).rstrip("/")


@api.post(
    "",
    status_code=201,
    summary="Issue a portal link limited to this app",
    openapi_extra=body_examples({"expires_in": "1h", "read_only": False}),
    responses=answers(201, PORTAL_ACCESS, errors={404: NO_APP, 422: TOO_LONG}),
)
async def issue_portal_access(
    app: str, request: Request, hub: HubDep, body: PortalAccessIn | None = None
) -> OrjsonResponse:
    """A token (and the dashboard link carrying it in the URL fragment) that may call only this
    app's part of the API; ``read_only`` tokens may only read. Writes nothing."""
    found = await find_app(hub, app)
    given = body or PortalAccessIn()
    lifetime = float(given.expires_in or DEFAULT_LIFETIME)
    now = time.time()
    expires = int(now + lifetime)
    grant = Grant(found["id"], given.read_only, expires, int(now * 1000))
    gate: PortalGate = request.app.state.portal_gate
    token = gate.issue(grant)
    answer: dict[str, Any] = {
        "token": token,
        "url": f"{_base_url(hub, request)}/portal/#token={token}",
        "expires_at": clock.iso(datetime.fromtimestamp(expires, UTC)),
    }
    return OrjsonResponse(answer, status_code=201)


@api.delete(
    "",
    status_code=204,
    summary="Revoke every portal link issued for this app until now",
    responses={**answers(204, None, errors={404: NO_APP}), 204: {"description": "Revoked"}},
)
async def revoke_portal_access(app: str, hub: HubDep) -> Response:
    """Every portal token of the app issued until now answers 401 from now on (on every
    ingress copy); links issued later work."""
    found = await find_app(hub, app)
    record = {"id": found["id"], "revoked_at": clock.iso()}
    await hub.config.put(REVOCATION, record)
    return Response(status_code=204)
