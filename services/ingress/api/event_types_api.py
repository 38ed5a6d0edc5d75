"""``/v1/event-types``: the optional catalogue of event types, each with an optional JSON Schema.

Event types are shared by every app (as in Svix) and addressed by name; the config key is
``event_type/<name>``. Publishing a type that is not in the catalogue is allowed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from services.ingress.api.examples import EVENT_TYPE, EVENT_TYPE_IN, answers, body_examples
from services.ingress.api.models import EventTypeIn, EventTypePatch, VersionIn
from services.ingress.web.auth import authorized
from services.ingress.web.hub import Cursor, Hub, HubDep, Limit
from services.ingress.web.paging import page
from shared import clock
from shared.errors import Conflict, NotFound
from shared.json_response import OrjsonResponse
from shared.payload_schemas import check_schema
from shared.type_patterns import accepts_type

KIND = "event_type"
IN_USE = {
    "error": {
        "code": "version_in_use",
        "message": "versions still used by endpoints: v0; move them first",
        "details": {"endpoint_ids": ["ep_01JD3QXZ3P4Q5R6S7T8V9W0X1Y"]},
    }
}
api = APIRouter(prefix="/v1/event-types", tags=["event types"], dependencies=[Depends(authorized)])


def public(event_type: dict[str, Any]) -> dict[str, Any]:
    """The event type as the API shows it."""
    keys = ("name", "description", "schema", "versions", "version_header")
    return {key: event_type.get(key) for key in (*keys, "created_at", "updated_at")}


def _versions(given: list[VersionIn] | None) -> list[dict[str, Any]] | None:
    """The versions as stored: a transform left out is stored absent."""
    if given is None:
        return None
    return [version.model_dump(exclude_none=True) for version in given]


def _check_versions_kept(hub: Hub, current: dict[str, Any], changes: dict[str, Any]) -> None:
    """Raise :class:`Conflict` when a PATCH drops a version an endpoint of this type is on:
    that endpoint would silently get another body shape."""
    if "versions" not in changes:
        return
    kept = {version["name"] for version in changes["versions"] or []}
    gone = {version["name"] for version in current.get("versions") or []} - kept
    users = [
        endpoint["id"]
        for endpoint in hub.config.view.all("endpoint")
        if endpoint.get("version") in gone and accepts_type(endpoint, current["name"])
    ]
    if users:
        raise Conflict(
            f"versions still used by endpoints: {', '.join(sorted(gone))}; move them first",
            {"endpoint_ids": sorted(users)[:20]},
            code="version_in_use",
        )


async def find_event_type(hub: Hub, name: str) -> dict[str, Any]:
    """The event type ``name``, seen after every earlier write; raise :class:`NotFound`."""
    await hub.config.fresh()
    found = hub.config.view.get(KIND, name)
    if found is None:
        raise NotFound(f"event type {name!r} not found", {"name": name})
    return found


@api.post(
    "",
    status_code=201,
    summary="Create an event type",
    openapi_extra=body_examples(EVENT_TYPE_IN),
    responses=answers(201, EVENT_TYPE),
)
async def create_event_type(body: EventTypeIn, hub: HubDep) -> OrjsonResponse:
    """Add a type to the catalogue; 409 when the name exists, 422 for an invalid schema."""
    await hub.config.fresh()
    if hub.config.view.get(KIND, body.name) is not None:
        raise Conflict(f"event type {body.name!r} already exists", {"name": body.name})
    if body.json_schema is not None:
        check_schema(body.json_schema)
    now = clock.iso()
    event_type = {
        "id": body.name,
        "name": body.name,
        "description": body.description,
        "schema": body.json_schema,
        "versions": _versions(body.versions),
        "version_header": body.version_header,
        "created_at": now,
        "updated_at": now,
    }
    await hub.config.put(KIND, event_type)
    return OrjsonResponse(public(event_type), status_code=201)


@api.get("", summary="List event types", responses=answers(200, [EVENT_TYPE], listed=True))
async def list_event_types(hub: HubDep, limit: Limit = 50, cursor: Cursor = None) -> OrjsonResponse:
    await hub.config.fresh()
    answer = page(list(hub.config.view.all(KIND)), limit, cursor)
    answer["data"] = [public(e) for e in answer["data"]]
    return OrjsonResponse(answer)


@api.get("/{name}", summary="Get an event type", responses=answers(200, EVENT_TYPE))
async def get_event_type(name: str, hub: HubDep) -> OrjsonResponse:
    return OrjsonResponse(public(await find_event_type(hub, name)))


@api.patch(
    "/{name}",
    summary="Update an event type's description or schema",
    openapi_extra=body_examples({"description": "Paid in full", "schema": None}),
    responses=answers(200, EVENT_TYPE, errors={409: ("A dropped version is in use", IN_USE)}),
)
async def patch_event_type(name: str, body: EventTypePatch, hub: HubDep) -> OrjsonResponse:
    """Change the description, schema, versions or version header (``null`` removes one) for
    the next publish; 409 ``version_in_use`` when a dropped version is still an endpoint's."""
    current = await find_event_type(hub, name)
    changes = body.model_dump(exclude_unset=True, by_alias=True)
    if changes.get("description", "") is None:
        del changes["description"]
    if "versions" in changes:
        changes["versions"] = _versions(body.versions)
    _check_versions_kept(hub, current, changes)
    if changes.get("schema") is not None:
        check_schema(changes["schema"])
    updated = {**current, **changes, "updated_at": clock.iso()}
    await hub.config.put(KIND, updated)
    return OrjsonResponse(public(updated))


@api.delete("/{name}", status_code=204, summary="Delete an event type")
async def delete_event_type(name: str, hub: HubDep) -> Response:
    """Remove the type from the catalogue: its messages are no longer checked. 409
    ``version_in_use`` while an endpoint is on one of its versions."""
    current = await find_event_type(hub, name)
    _check_versions_kept(hub, current, {"versions": None})
    await hub.config.delete(KIND, current["id"])
    return Response(status_code=204)
