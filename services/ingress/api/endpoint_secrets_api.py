"""``/v1/apps/{app}/endpoints/{ep}/secret``: reading and rotating an endpoint's signing secret.

Secrets are stored as :mod:`shared.secret_box` seals them (plain without HOOKBUS_SECRET_KEY) and
opened only here and in the dispatcher; no list or get of an endpoint ever shows them.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends

from services.ingress.api.endpoints_api import find_endpoint
from services.ingress.api.examples import SECRET, answers, body_examples
from services.ingress.api.models import RotateIn
from services.ingress.web.auth import authorized
from services.ingress.web.hub import HubDep
from shared import clock, signing
from shared.errors import ApiError
from shared.json_response import OrjsonResponse
from shared.secret_box import SecretUnavailable

api = APIRouter(
    prefix="/v1/apps/{app}/endpoints", tags=["endpoints"], dependencies=[Depends(authorized)]
)


class SecretNotReadable(ApiError):
    """The stored secret is sealed with a key this ingress does not have."""

    status, code = 503, "secret_unavailable"


@api.get(
    "/{ep}/secret",
    summary="Get the endpoint's current signing secret",
    responses=answers(200, SECRET),
)
async def get_secret(app: str, ep: str, hub: HubDep) -> OrjsonResponse:
    """The current secret; 503 when it is sealed with a key this ingress lacks."""
    current = await find_endpoint(hub, app, ep)
    try:
        secret = hub.box.open(current["secrets"][0]["secret"], current["id"])
    except SecretUnavailable as exc:
        raise SecretNotReadable(f"{exc}; check HOOKBUS_SECRET_KEY") from None
    return OrjsonResponse({"secret": secret})


@api.post(
    "/{ep}/secret/rotate",
    summary="Rotate the secret; the old one signs during grace",
    openapi_extra=body_examples({}),
    responses=answers(200, SECRET),
)
async def rotate_secret(
    app: str, ep: str, hub: HubDep, body: RotateIn | None = None
) -> OrjsonResponse:
    """A new current secret (``secret`` given, or generated); every secret still valid keeps
    signing beside it until HOOKBUS_SECRET_GRACE has passed."""
    current = await find_endpoint(hub, app, ep)
    now = clock.now()
    grace_end = clock.iso(now + timedelta(seconds=hub.settings.secret_grace))
    kept = [
        {"secret": s["secret"], "expires_at": s["expires_at"] or grace_end}
        for s in current["secrets"]
        if s["expires_at"] is None or clock.parse(s["expires_at"]) > now
    ]
    fresh = (body.secret if body else None) or signing.generate_secret()
    sealed = hub.box.seal(fresh, current["id"])
    updated = {
        **current,
        "secrets": [{"secret": sealed, "expires_at": None}, *kept],
        "updated_at": clock.iso(now),
    }
    await hub.config.put("endpoint", updated)
    return OrjsonResponse({"secret": fresh})
