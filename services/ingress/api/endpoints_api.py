"""``/v1/apps/{app}/endpoints``: where an app's messages are delivered, and how."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from services.ingress.api.apps_api import find_app
from services.ingress.api.examples import (
    ENDPOINT,
    ENDPOINT_IN,
    MESSAGE_ID,
    answers,
    body_examples,
)
from services.ingress.api.models import EndpointIn, EndpointPatch
from services.ingress.publish.operational import endpoint_event
from services.ingress.publish.publisher import event_record, publish
from services.ingress.web.auth import authorized
from services.ingress.web.hub import Cursor, Hub, HubDep, Limit
from services.ingress.web.paging import page
from shared import clock, signing
from shared.config_state import ConfigState
from shared.destinations import check_destination
from shared.endpoint_limits import DEFAULT_MAX_IN_FLIGHT
from shared.errors import Conflict, NotFound, Unprocessable
from shared.ids import new_id
from shared.json_response import OrjsonResponse
from shared.payload_versions import covered, is_legacy, version_names
from shared.secret_headers import kept, masked

api = APIRouter(
    prefix="/v1/apps/{app}/endpoints", tags=["endpoints"], dependencies=[Depends(authorized)]
)
DEFAULTS: dict[str, Any] = {
    "description": "",
    "uid": None,
    "metadata": {},
    "event_types": None,
    "channels": None,
    "filter": None,
    "enabled": True,
    "disabled_reason": None,
    "headers": {},
    "timeout_ms": 15000,
    "transform": None,
    "content_type": "application/json",
    "rate_limit": None,
    "ordered": False,
    "version": None,
    "max_in_flight": DEFAULT_MAX_IN_FLIGHT,
}
PUBLIC_KEYS = ("id", "app_id", "url", *DEFAULTS, "legacy", "created_at", "updated_at")


def public(endpoint: dict[str, Any], view: ConfigState | None = None) -> dict[str, Any]:
    """The endpoint as the API shows it: never its secrets, credentials in ``headers`` masked,
    ``legacy`` true when its payload version is not the current one (``view``'s catalogue)."""
    shown = {key: endpoint.get(key, DEFAULTS.get(key)) for key in PUBLIC_KEYS}
    shown["headers"] = masked(shown["headers"])
    catalogue = [] if view is None else view.all("event_type")
    shown["legacy"] = is_legacy(endpoint, catalogue)
    return shown


def check_version(view: ConfigState, endpoint: dict[str, Any]) -> None:
    """Raise a 422 naming ``version`` unless it is absent or a version of some catalogued type
    the endpoint receives."""
    wanted = endpoint.get("version")
    if wanted is None:
        return
    known = version_names(covered(endpoint, view.all("event_type")))
    if wanted not in known:
        offered = ", ".join(sorted(known)) or "none"
        message = (
            f"no event type this endpoint receives has a version {wanted!r} (offered: {offered})"
        )
        raise Unprocessable(f"version: {message}", [{"path": "version", "msg": message}])


async def find_endpoint(hub: Hub, app: str, ref: str) -> dict[str, Any]:
    """The endpoint ``ref`` (id or uid) of app ``app``; raise :class:`NotFound`."""
    owner = await find_app(hub, app)
    found = hub.config.view.lookup("endpoint", ref, app_id=owner["id"])
    if found is None:
        raise NotFound(f"endpoint {ref!r} not found", {"endpoint": ref})
    return found


def _check_uid_free(hub: Hub, app_id: str, uid: str | None, own_id: str | None) -> None:
    holder = None if uid is None else hub.config.view.lookup("endpoint", uid, app_id=app_id)
    if holder is not None and holder["id"] != own_id:
        raise Conflict(f"an endpoint with uid {uid!r} already exists", {"uid": uid})


def require_enabled(endpoint: dict[str, Any]) -> None:
    """Raise :class:`Conflict` (``endpoint_disabled``) when the endpoint is disabled: what is
    sent to it on demand (ping, resend, recover) would be routed nowhere."""
    if not endpoint.get("enabled", True):
        raise Conflict(
            "the endpoint is disabled; enable it first (PATCH enabled: true)",
            {"disabled_reason": endpoint.get("disabled_reason")},
            code="endpoint_disabled",
        )


async def ping(hub: Hub, endpoint: dict[str, Any]) -> str:
    """Send a ``webhook.ping`` message to one endpoint; return its message id."""
    payload = {"success": True, "endpoint_id": endpoint["id"]}
    record = event_record(
        endpoint["app_id"],
        "webhook.ping",
        payload,
        hub.config.view.position,
        endpoint_id=endpoint["id"],
    )
    await publish(hub, [record])
    return str(record["id"])


@api.post(
    "",
    status_code=201,
    summary="Create an endpoint (sends it a webhook.ping)",
    openapi_extra=body_examples(ENDPOINT_IN),
    responses=answers(201, ENDPOINT),
)
async def create_endpoint(app: str, body: EndpointIn, hub: HubDep) -> OrjsonResponse:
    """Create an endpoint; 422 for a private destination unless allowed, an invalid filter or
    transform; 409 for a taken uid. The secret is stored sealed when HOOKBUS_SECRET_KEY is set."""
    owner = await find_app(hub, app)
    await check_destination(body.url, hub.settings.allow_private_destinations)
    _check_uid_free(hub, owner["id"], body.uid, None)
    now = clock.iso()
    given = body.model_dump(exclude_none=True, exclude={"secret", "ping"})
    endpoint_id = new_id("ep")
    secret = hub.box.seal(body.secret or signing.generate_secret(), endpoint_id)
    endpoint = {
        **DEFAULTS,
        **given,
        "id": endpoint_id,
        "app_id": owner["id"],
        "created_at": now,
        "updated_at": now,
        "secrets": [{"secret": secret, "expires_at": None}],
    }
    check_version(hub.config.view, endpoint)
    await hub.config.put("endpoint", endpoint)
    await endpoint_event(hub, "endpoint.created", endpoint)
    if body.ping:
        await ping(hub, endpoint)
    return OrjsonResponse(public(endpoint, hub.config.view), status_code=201)


@api.get("", summary="List an app's endpoints", responses=answers(200, [ENDPOINT], listed=True))
async def list_endpoints(
    app: str,
    hub: HubDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> OrjsonResponse:
    owner = await find_app(hub, app)
    view = hub.config.view
    endpoints = [public(e, view) for e in view.children("endpoint", owner["id"])]
    return OrjsonResponse(page(endpoints, limit, cursor))


@api.get("/{ep}", summary="Get an endpoint by id or uid", responses=answers(200, ENDPOINT))
async def get_endpoint(app: str, ep: str, hub: HubDep) -> OrjsonResponse:
    return OrjsonResponse(public(await find_endpoint(hub, app, ep), hub.config.view))


@api.patch(
    "/{ep}",
    summary="Update an endpoint; applies to the next message",
    openapi_extra=body_examples({"filter": None, "event_types": ["invoice.*", "refund.issued"]}),
    responses=answers(200, ENDPOINT),
)
async def patch_endpoint(app: str, ep: str, body: EndpointPatch, hub: HubDep) -> OrjsonResponse:
    current = await find_endpoint(hub, app, ep)
    changes = body.model_dump(exclude_unset=True)
    for field in [name for name, value in changes.items() if value is None]:
        if field in DEFAULTS:  # null puts a field back to its default
            changes[field] = DEFAULTS[field]
        else:  # the url has none: null leaves it as it is
            del changes[field]
    if changes.get("headers"):  # a masked credential sent back keeps its value
        changes["headers"] = kept(changes["headers"], current.get("headers"))
    if "url" in changes:
        await check_destination(changes["url"], hub.settings.allow_private_destinations)
    _check_uid_free(hub, current["app_id"], changes.get("uid"), current["id"])
    if changes.get("enabled"):
        changes["disabled_reason"] = None
    updated = {**current, **changes, "updated_at": clock.iso()}
    check_version(hub.config.view, updated)
    await hub.config.put("endpoint", updated)
    await endpoint_event(hub, "endpoint.updated", updated)
    if updated.get("enabled") and not current.get("enabled", True):
        await endpoint_event(hub, "endpoint.enabled", updated)
    return OrjsonResponse(public(updated, hub.config.view))


@api.delete("/{ep}", status_code=204, summary="Delete an endpoint")
async def delete_endpoint(app: str, ep: str, hub: HubDep) -> Response:
    current = await find_endpoint(hub, app, ep)
    await hub.config.delete("endpoint", current["id"])
    await endpoint_event(hub, "endpoint.deleted", current)
    return Response(status_code=204)


@api.post(
    "/{ep}/ping",
    status_code=202,
    summary="Send a webhook.ping message now",
    responses=answers(202, {"message_id": MESSAGE_ID}),
)
async def ping_endpoint(app: str, ep: str, hub: HubDep) -> OrjsonResponse:
    """409 when the endpoint is disabled."""
    current = await find_endpoint(hub, app, ep)
    require_enabled(current)
    return OrjsonResponse({"message_id": await ping(hub, current)}, status_code=202)
