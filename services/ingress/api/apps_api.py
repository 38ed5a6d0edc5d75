"""``/v1/apps``: the isolation boundary, one app per customer of the user."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from services.ingress.api.examples import APP, APP_IN, answers, body_examples
from services.ingress.api.models import AppIn, AppPatch
from services.ingress.web.auth import authorized
from services.ingress.web.hub import Cursor, Hub, HubDep, Limit
from services.ingress.web.paging import page
from shared import clock
from shared.errors import Conflict, NotFound
from shared.ids import new_id
from shared.json_response import OrjsonResponse

api = APIRouter(prefix="/v1/apps", tags=["apps"], dependencies=[Depends(authorized)])


def public(app: dict[str, Any]) -> dict[str, Any]:
    """The app as the API shows it."""
    keys = ("id", "uid", "name", "metadata", "retention", "created_at", "updated_at")
    return {key: app.get(key) for key in keys}


async def find_app(hub: Hub, ref: str) -> dict[str, Any]:
    """The app with id or uid ``ref``, seen after every earlier write; raise :class:`NotFound`."""
    await hub.config.fresh()
    found = hub.config.view.lookup("app", ref)
    if found is None:
        raise NotFound(f"app {ref!r} not found", {"app": ref})
    return found


def _check_uid_free(hub: Hub, uid: str | None, own_id: str | None = None) -> None:
    if uid is None:
        return
    holder = hub.config.view.lookup("app", uid)
    if holder is not None and holder["id"] != own_id:
        raise Conflict(f"an app with uid {uid!r} already exists", {"uid": uid})


@api.post(
    "",
    status_code=201,
    summary="Create an app",
    openapi_extra=body_examples(APP_IN),
    responses=answers(201, APP),
)
async def create_app(body: AppIn, hub: HubDep) -> OrjsonResponse:
    """Create an app. ``uid`` must be unique (409)."""
    await hub.config.fresh()
    _check_uid_free(hub, body.uid)
    now = clock.iso()
    app = {
        "id": new_id("app"),
        "uid": body.uid,
        "name": body.name,
        "metadata": body.metadata,
        "retention": body.retention,
        "created_at": now,
        "updated_at": now,
    }
    await hub.config.put("app", app)
    return OrjsonResponse(public(app), status_code=201)


@api.get("", summary="List apps", responses=answers(200, [APP], listed=True))
async def list_apps(
    hub: HubDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> OrjsonResponse:
    await hub.config.fresh()
    return OrjsonResponse(page([public(a) for a in hub.config.view.all("app")], limit, cursor))


@api.get("/{app}", summary="Get an app by id or uid", responses=answers(200, APP))
async def get_app(app: str, hub: HubDep) -> OrjsonResponse:
    return OrjsonResponse(public(await find_app(hub, app)))


@api.patch(
    "/{app}",
    summary="Update an app",
    openapi_extra=body_examples({"name": "Acme Inc"}),
    responses=answers(200, APP),
)
async def patch_app(app: str, body: AppPatch, hub: HubDep) -> OrjsonResponse:
    current = await find_app(hub, app)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("name", "") is None:
        del changes["name"]
    _check_uid_free(hub, changes.get("uid"), current["id"])
    updated = {**current, **changes, "updated_at": clock.iso()}
    if updated.get("metadata") is None:
        updated["metadata"] = {}
    await hub.config.put("app", updated)
    return OrjsonResponse(public(updated))


@api.delete("/{app}", status_code=204, summary="Delete an app and its endpoints")
async def delete_app(app: str, hub: HubDep) -> Response:
    current = await find_app(hub, app)
    for endpoint in list(hub.config.view.children("endpoint", current["id"])):
        await hub.config.delete("endpoint", endpoint["id"])
    await hub.config.delete("app", current["id"])
    return Response(status_code=204)
