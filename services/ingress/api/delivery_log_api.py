"""Reading the deliveries log (messages, attempts, an endpoint's stats): served by audit and
reached through here, so users see one base URL. ``{app}`` and ``{ep}`` are resolved (id or
uid) before audit is asked, with canonical ids, so only that app's rows are read."""

from __future__ import annotations

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from services.ingress.api.apps_api import find_app
from services.ingress.api.endpoints_api import find_endpoint
from services.ingress.api.examples import ATTEMPT, MESSAGE, STATS, answers
from services.ingress.api.models import CHANNEL_PATTERN, EVENT_TYPE_PATTERN, is_id
from services.ingress.web import audit_proxy
from services.ingress.web.auth import authorized
from services.ingress.web.hub import Cursor, HubDep, Limit
from shared.errors import NotFound
from shared.json_response import OrjsonResponse

api = APIRouter(prefix="/v1/apps/{app}", tags=["messages"], dependencies=[Depends(authorized)])
Moment = Annotated[str | None, Query(description="ISO 8601 timestamp, exclusive bound")]


@api.get(
    "/messages",
    summary="List messages (?event_type=&channel=&after=&before=)",
    responses=answers(200, [MESSAGE], listed=True),
)
async def list_messages(
    app: str,
    request: Request,
    hub: HubDep,
    event_type: Annotated[
        str | None, Query(pattern=f"{EVENT_TYPE_PATTERN}|^$", max_length=256)
    ] = None,
    channel: Annotated[str | None, Query(pattern=f"{CHANNEL_PATTERN}|^$", max_length=128)] = None,
    after: Moment = None,
    before: Moment = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """Newest first; ``after``/``before`` are ISO 8601 timestamps (exclusive). The query is
    checked here and passed on to audit; a filter left empty is no filter."""
    found = await find_app(hub, app)
    await audit_proxy.messages_caught_up(hub)
    return await audit_proxy.forward(hub, request, f"/v1/apps/{found['id']}/messages")


def log_id(kind: str, text: str) -> str:
    """``text`` when it can name a message or attempt; else raise :class:`NotFound` here,
    rather than splice it into the URL of audit's API."""
    if not is_id(text):
        raise NotFound(f"{kind} {text!r} not found", {kind: text})
    return text


@api.get("/messages/{msg}", summary="Get a message", responses=answers(200, MESSAGE))
async def get_message(app: str, msg: str, request: Request, hub: HubDep) -> Response:
    found = await find_app(hub, app)
    path = f"/v1/apps/{found['id']}/messages/{log_id('message', msg)}"
    await audit_proxy.messages_caught_up(hub)
    return await audit_proxy.forward(hub, request, path)


@api.get(
    "/messages/{msg}/attempts",
    summary="Delivery attempts of a message, to every endpoint",
    responses=answers(200, [ATTEMPT], listed=True),
)
async def message_attempts(
    app: str, msg: str, request: Request, hub: HubDep, limit: Limit = 50, cursor: Cursor = None
) -> Response:
    """404 when the app has no such message. A message published through this ingress is
    waited for (read-your-writes), so polling right after a publish never sees a 404."""
    found = await find_app(hub, app)
    path = f"/v1/apps/{found['id']}/messages/{log_id('message', msg)}/attempts"
    await audit_proxy.messages_caught_up(hub)
    return await audit_proxy.forward(hub, request, path)


@api.get(
    "/attempts/{atm}",
    summary="Get one attempt: request, response, outcome",
    responses=answers(200, ATTEMPT),
)
async def get_attempt(app: str, atm: str, request: Request, hub: HubDep) -> Response:
    found = await find_app(hub, app)
    path = f"/v1/apps/{found['id']}/attempts/{log_id('attempt', atm)}"
    return await audit_proxy.forward(hub, request, path)


@api.get(
    "/endpoints/{ep}/attempts",
    summary="The endpoint's attempts (?status=succeeded|failed|pending)",
    responses=answers(200, [ATTEMPT], listed=True),
)
async def endpoint_attempts(
    app: str,
    ep: str,
    request: Request,
    hub: HubDep,
    status: Literal["succeeded", "failed", "pending"] | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """Newest first. ``succeeded``: a 2xx; ``failed``: failed or exhausted; ``pending``: a
    retry is scheduled. The query is checked here and passed on to audit as it came."""
    current = await find_endpoint(hub, app, ep)
    path = f"/v1/apps/{current['app_id']}/endpoints/{current['id']}/attempts"
    return await audit_proxy.forward(hub, request, path)


@api.get(
    "/endpoints/{ep}/stats",
    summary="Counts by outcome, last success and failure",
    responses=answers(200, STATS),
)
async def endpoint_stats(app: str, ep: str, request: Request, hub: HubDep) -> Response:
    current = await find_endpoint(hub, app, ep)
    path = f"/v1/apps/{current['app_id']}/endpoints/{current['id']}/stats"
    answer = await audit_proxy.forward(hub, request, path)
    if answer.status_code != 200:
        return answer
    stats = orjson.loads(bytes(answer.body))
    stats["disabled_reason"] = current.get("disabled_reason")
    return OrjsonResponse(stats)
