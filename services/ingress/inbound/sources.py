"""``/v1/sources``: who may send inbound webhooks, and how their requests are verified."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from services.ingress.auth import authorized
from services.ingress.examples import answers, body_examples
from services.ingress.inbound.examples import SOURCE, SOURCE_IN, SOURCE_PATCH
from services.ingress.inbound.models import SourceIn, SourcePatch
from services.ingress.inbound.sources_view import public
from services.ingress.inbound.state import InboundDep
from services.ingress.inbound.verification import CHALLENGE_PROVIDERS
from services.ingress.paging import page
from services.ingress.state import Cursor, Hub, Ingress, Limit
from shared import clock
from shared.errors import NotFound, Unprocessable
from shared.ids import new_id
from shared.json_response import OrjsonResponse

router = APIRouter(prefix="/v1/sources", tags=["sources"], dependencies=[Depends(authorized)])
Object = dict[str, Any]


async def find_source(hub: Ingress, ref: str) -> Object:
    """The source ``ref``, seen after every earlier write; raise :class:`NotFound`."""
    await hub.config.fresh()
    found = hub.config.view.get("source", ref)
    if found is None:
        raise NotFound(f"source {ref!r} not found", {"source": ref})
    return found


def _challenge_required(source: Object, given: bool | None, before: Object | None) -> bool:
    """True for a challenge provider unless opted out; refused for any other provider."""
    if source["provider"] not in CHALLENGE_PROVIDERS:
        if given is False:
            message = "only slack, meta and twitter sources have a challenge to skip"
            raise Unprocessable(
                f"challenge_required: {message}", [{"path": "challenge_required", "msg": message}]
            )
        return False
    if given is not None:
        return given
    if before is not None and before["provider"] == source["provider"]:
        return bool(before.get("challenge_required", True))
    return True


def _compact_match(fields: Object) -> None:
    # A predicate group left out is stored absent, not null.
    if fields.get("match") is not None:
        fields["match"] = {k: v for k, v in fields["match"].items() if v is not None}


def _shown(hub: Ingress, source: Object) -> Object:
    return public(source, hub.config.view, hub.settings.base_url)


@router.post(
    "",
    status_code=201,
    summary="Create a source (answers its receiving url)",
    openapi_extra=body_examples(SOURCE_IN),
    responses=answers(201, SOURCE),
)
async def create_source(body: SourceIn, hub: Hub, inbound: InboundDep) -> OrjsonResponse:
    """Create a source; 422 when its verification fields do not fit its provider."""
    now = clock.iso()
    source: Object = {
        "id": new_id("src"),
        **body.model_dump(exclude={"challenge_required"}, mode="json"),
        "priority": body.priority or 0,
        "created_at": now,
        "updated_at": now,
    }
    source["challenge_required"] = _challenge_required(source, body.challenge_required, None)
    _compact_match(source)
    inbound.verifiers.parse(source)
    await hub.config.put("source", source)
    return OrjsonResponse(_shown(hub, source), status_code=201)


@router.get("", summary="List sources", responses=answers(200, [SOURCE], listed=True))
async def list_sources(hub: Hub, limit: Limit = 50, cursor: Cursor = None) -> OrjsonResponse:
    await hub.config.fresh()
    sources = [_shown(hub, s) for s in hub.config.view.all("source")]
    return OrjsonResponse(page(sources, limit, cursor))


@router.get("/{src}", summary="Get a source", responses=answers(200, SOURCE))
async def get_source(src: str, hub: Hub) -> OrjsonResponse:
    return OrjsonResponse(_shown(hub, await find_source(hub, src)))


@router.patch(
    "/{src}",
    summary="Update a source; applies to the next request",
    openapi_extra=body_examples(SOURCE_PATCH),
    responses=answers(200, SOURCE),
)
async def patch_source(
    src: str, body: SourcePatch, hub: Hub, inbound: InboundDep
) -> OrjsonResponse:
    """Change some fields; the verification fields are checked again as a whole (422)."""
    current = await find_source(hub, src)
    changes = body.model_dump(exclude_unset=True, exclude={"challenge_required"}, mode="json")
    for required in ("name", "provider", "priority"):
        if changes.get(required, "") is None:
            del changes[required]
    _compact_match(changes)
    updated = {**current, **changes, "updated_at": clock.iso()}
    updated["challenge_required"] = _challenge_required(updated, body.challenge_required, current)
    inbound.verifiers.parse(updated)
    await hub.config.put("source", updated)
    return OrjsonResponse(_shown(hub, updated))


@router.delete("/{src}", status_code=204, summary="Delete a source and the routes bound to it")
async def delete_source(src: str, hub: Hub) -> Response:
    current = await find_source(hub, src)
    for route in list(hub.config.view.all("route")):
        if route.get("source_id") == current["id"]:
            await hub.config.delete("route", route["id"])
    if hub.config.view.get("source_state", current["id"]) is not None:
        await hub.config.delete("source_state", current["id"])
    await hub.config.delete("source", current["id"])
    return Response(status_code=204)
