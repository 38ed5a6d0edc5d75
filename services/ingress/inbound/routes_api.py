"""``/v1/routes``: what happens to an accepted inbound request.

A route's destination is checked when written: an http URL like an endpoint's (private
addresses refused unless allowed), an app by id or uid (stored as its id), and a kafka topic is
created when missing (``HOOKBUS_PARTITIONS`` partitions) so consumers can subscribe before the
first request arrives. hookbus's own topics (``HOOKBUS_TOPIC_PREFIX``...) are refused.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from services.ingress.api.examples import answers, body_examples
from services.ingress.inbound.examples import ROUTE, ROUTE_IN, ROUTE_PATCH
from services.ingress.inbound.models import DESTINATION, RouteIn, RoutePatch
from services.ingress.inbound.state import Inbound, InboundDep
from services.ingress.web.auth import authorized
from services.ingress.web.hub import Cursor, Hub, HubDep, Limit
from services.ingress.web.paging import page
from shared import clock
from shared.destinations import check_destination
from shared.errors import NotFound, Unprocessable
from shared.ids import new_id
from shared.json_response import OrjsonResponse
from shared.records import JsonObject
from shared.secret_headers import kept, masked

api = APIRouter(prefix="/v1/routes", tags=["routes"], dependencies=[Depends(authorized)])
DEFAULT_TIMEOUT_MS = 15000


def public(route: JsonObject) -> JsonObject:
    """The route as the API shows it: credentials in an http destination's headers masked."""
    destination = route.get("destination") or {}
    if "headers" not in destination:
        return route
    return {**route, "destination": {**destination, "headers": masked(destination["headers"])}}


def _refuse(path: str, message: str) -> Unprocessable:
    return Unprocessable(f"{path}: {message}", [{"path": path, "msg": message}])


async def find_route(hub: Hub, ref: str) -> JsonObject:
    """The route ``ref``, seen after every earlier write; raise :class:`NotFound`."""
    await hub.config.fresh()
    found = hub.config.view.get("route", ref)
    if found is None:
        raise NotFound(f"route {ref!r} not found", {"route": ref})
    return found


async def _destination(hub: Hub, inbound: Inbound, given: JsonObject) -> JsonObject:
    """The destination as stored, after checking what it points at."""
    if given["type"] == "http":
        await check_destination(given["url"], hub.settings.allow_private_destinations)
        return {
            "type": "http",
            "url": given["url"],
            "headers": given.get("headers") or {},
            "timeout_ms": given.get("timeout_ms") or DEFAULT_TIMEOUT_MS,
        }
    if given["type"] == "kafka":
        prefix = hub.settings.topic_prefix
        if prefix and given["topic"].startswith(prefix):
            raise _refuse("destination.topic", f"topics starting with {prefix!r} are hookbus's own")
        await inbound.topics.ensure(given["topic"])
        return {"type": "kafka", "topic": given["topic"], "key": given.get("key")}
    app = hub.config.view.lookup("app", given["app_id"])
    if app is None:
        raise _refuse("destination.app_id", f"no app {given['app_id']!r}")
    event_type = given["event_type"]
    if isinstance(event_type, dict):  # taken from the request: stored without empty fields
        event_type = {name: value for name, value in event_type.items() if value is not None}
    return {"type": "app", "app_id": app["id"], "event_type": event_type}


def _check_source(hub: Hub, source_id: str | None) -> None:
    if source_id is not None and hub.config.view.get("source", source_id) is None:
        raise _refuse("source_id", f"no source {source_id!r}")


def _patched_destination(current: JsonObject, given: JsonObject) -> JsonObject:
    """A PATCH's destination: merged into the current one when its ``type`` is the same or
    left out (as a JSON merge patch: null removes a field), else a whole new one; 422 when
    the result is not a valid destination."""
    if given.get("type", current["type"]) == current["type"]:
        if given.get("headers"):  # a masked credential sent back keeps its value
            given = {**given, "headers": kept(given["headers"], current.get("headers"))}
        merged = {**current, **given}
        given = {name: value for name, value in merged.items() if value is not None}
    try:
        return DESTINATION.validate_python(given).model_dump()
    except ValidationError as exc:
        errors = [{**error, "loc": ("destination", *error["loc"])} for error in exc.errors()]
        raise RequestValidationError(errors) from exc


def _path(path: str | None) -> str | None:
    # The path after the source never starts with "/": "/git/*" means "git/*".
    return None if path is None else path.lstrip("/")


@api.post(
    "",
    status_code=201,
    summary="Create a route",
    openapi_extra=body_examples(ROUTE_IN),
    responses=answers(201, ROUTE),
)
async def create_route(body: RouteIn, hub: HubDep, inbound: InboundDep) -> OrjsonResponse:
    """Create a route; 422 for an unknown source or app, or a refused destination."""
    await hub.config.fresh()
    _check_source(hub, body.source_id)
    now = clock.iso()
    route = {
        "id": new_id("rt"),
        "name": body.name,
        "source_id": body.source_id,
        "path": _path(body.path),
        "matches": body.matches,
        "priority": body.priority or 0,
        "enabled": body.enabled is not False,
        "destination": await _destination(hub, inbound, body.destination.model_dump()),
        "created_at": now,
        "updated_at": now,
    }
    await hub.config.put("route", route)
    return OrjsonResponse(public(route), status_code=201)


@api.get("", summary="List routes (?source_id=)", responses=answers(200, [ROUTE], listed=True))
async def list_routes(
    hub: HubDep, limit: Limit = 50, cursor: Cursor = None, source_id: str | None = None
) -> OrjsonResponse:
    await hub.config.fresh()
    routes = [
        r for r in hub.config.view.all("route") if source_id is None or r["source_id"] == source_id
    ]
    answer = page(routes, limit, cursor)
    answer["data"] = [public(route) for route in answer["data"]]
    return OrjsonResponse(answer)


@api.get("/{rt}", summary="Get a route", responses=answers(200, ROUTE))
async def get_route(rt: str, hub: HubDep) -> OrjsonResponse:
    return OrjsonResponse(public(await find_route(hub, rt)))


@api.patch(
    "/{rt}",
    summary="Update a route; applies to the next request",
    openapi_extra=body_examples(ROUTE_PATCH),
    responses=answers(200, ROUTE),
)
async def patch_route(
    rt: str, body: RoutePatch, hub: HubDep, inbound: InboundDep
) -> OrjsonResponse:
    current = await find_route(hub, rt)
    changes = body.model_dump(exclude_unset=True, exclude={"destination"})
    for required in ("name", "priority", "enabled"):
        if changes.get(required, "") is None:
            del changes[required]
    if "source_id" in changes:
        _check_source(hub, changes["source_id"])
    if "path" in changes:
        changes["path"] = _path(changes["path"])
    if body.destination is not None:
        given = _patched_destination(current["destination"], body.destination)
        changes["destination"] = await _destination(hub, inbound, given)
    updated = {**current, **changes, "updated_at": clock.iso()}
    await hub.config.put("route", updated)
    return OrjsonResponse(public(updated))


@api.delete("/{rt}", status_code=204, summary="Delete a route")
async def delete_route(rt: str, hub: HubDep) -> Response:
    current = await find_route(hub, rt)
    await hub.config.delete("route", current["id"])
    return Response(status_code=204)
