"""``/v1/sources``: who may send inbound webhooks, and how their requests are verified."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from services.ingress.api.examples import answers, body_examples
from services.ingress.inbound.dedupe import check_window
from services.ingress.inbound.examples import SOURCE, SOURCE_IN, SOURCE_PATCH
from services.ingress.inbound.source_fields import new_source, patched_source
from services.ingress.inbound.source_models import SourceIn, SourcePatch
from services.ingress.inbound.sources_view import public
from services.ingress.inbound.state import InboundDep
from services.ingress.web.auth import authorized
from services.ingress.web.hub import Cursor, Hub, HubDep, Limit
from services.ingress.web.paging import page
from shared.errors import NotFound
from shared.json_response import OrjsonResponse
from shared.records import JsonObject

api = APIRouter(prefix="/v1/sources", tags=["sources"], dependencies=[Depends(authorized)])


async def find_source(hub: Hub, ref: str) -> JsonObject:
    """The source ``ref``, seen after every earlier write; raise :class:`NotFound`."""
    await hub.config.fresh()
    found = hub.config.view.get("source", ref)
    if found is None:
        raise NotFound(f"source {ref!r} not found", {"source": ref})
    return found


def _shown(hub: Hub, source: JsonObject) -> JsonObject:
    return public(source, hub.config.view, hub.settings.base_url)


@api.post(
    "",
    status_code=201,
    summary="Create a source (answers its receiving url)",
    openapi_extra=body_examples(SOURCE_IN),
    responses=answers(201, SOURCE),
)
async def create_source(body: SourceIn, hub: HubDep, inbound: InboundDep) -> OrjsonResponse:
    """Create a source; 422 when its verification fields do not fit its provider."""
    source = new_source(body)
    inbound.verifiers.parse(source)
    check_window(source, hub.settings.dedupe_window)
    await hub.config.put("source", source)
    return OrjsonResponse(_shown(hub, source), status_code=201)


@api.get("", summary="List sources", responses=answers(200, [SOURCE], listed=True))
async def list_sources(hub: HubDep, limit: Limit = 50, cursor: Cursor = None) -> OrjsonResponse:
    await hub.config.fresh()
    sources = [_shown(hub, s) for s in hub.config.view.all("source")]
    return OrjsonResponse(page(sources, limit, cursor))


@api.get("/{src}", summary="Get a source", responses=answers(200, SOURCE))
async def get_source(src: str, hub: HubDep) -> OrjsonResponse:
    return OrjsonResponse(_shown(hub, await find_source(hub, src)))


@api.patch(
    "/{src}",
    summary="Update a source; applies to the next request",
    openapi_extra=body_examples(SOURCE_PATCH),
    responses=answers(200, SOURCE),
)
async def patch_source(
    src: str, body: SourcePatch, hub: HubDep, inbound: InboundDep
) -> OrjsonResponse:
    """Change some fields; the verification fields are checked again as a whole (422)."""
    updated = patched_source(await find_source(hub, src), body)
    inbound.verifiers.parse(updated)
    check_window(updated, hub.settings.dedupe_window)
    await hub.config.put("source", updated)
    return OrjsonResponse(_shown(hub, updated))


@api.delete("/{src}", status_code=204, summary="Delete a source and the routes bound to it")
async def delete_source(src: str, hub: HubDep) -> Response:
    current = await find_source(hub, src)
    for route in list(hub.config.view.all("route")):
        if route.get("source_id") == current["id"]:
            await hub.config.delete("route", route["id"])
    if hub.config.view.get("source_state", current["id"]) is not None:
        await hub.config.delete("source_state", current["id"])
    await hub.config.delete("source", current["id"])
    return Response(status_code=204)
