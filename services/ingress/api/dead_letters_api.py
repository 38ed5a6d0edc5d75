"""``/v1/dead-letters``: what no consumer could process and deliveries that exhausted their
retries (stored by audit), and redriving an exhausted delivery.

A redrive sends the dead letter's delivery again as a new first attempt, to the endpoint (or
inbound route) it was for; refused with 409 when that endpoint or route is gone or disabled,
when the dead letter is a bad record, or when its delivery cannot be read back.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import httpx
import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.ingress.api.endpoints_api import require_enabled
from services.ingress.api.examples import APP_ID, ENDPOINT_ID, MESSAGE_ID, answers
from services.ingress.web import audit_proxy
from services.ingress.web.auth import authorized
from services.ingress.web.hub import Cursor, Hub, HubDep, Limit
from shared.errors import ApiError, Conflict, NotFound

api = APIRouter(
    prefix="/v1/dead-letters", tags=["dead letters"], dependencies=[Depends(authorized)]
)
Moment = Annotated[str | None, Query(description="ISO 8601 timestamp, exclusive bound")]
DL_ID = "dl_01JD5Y7R8G0001000000000002Q"
DEAD_LETTER: dict[str, Any] = {
    "id": DL_ID,
    "app_id": APP_ID,
    "endpoint_id": ENDPOINT_ID,
    "message_id": MESSAGE_ID,
    "route_id": None,
    "inbound_id": None,
    "topic": "hookbus.dead",
    "partition": 1,
    "offset": 87,
    "reason": "delivery exhausted after 8 attempt(s); last: HTTP 500",
    "kind": "exhausted",
    "origin": {
        "topic": "hookbus.retry.10h",
        "partition": 1,
        "offset": 88,
        "key": ENDPOINT_ID,
        "service": "dispatcher",
    },
    "record": '{"v":1,"id":"dlv_01JD3QY9A0B1C2D3E4F5G6H7J8","message_id":"msg_…",…}',
    "at": "2026-11-23T19:02:12.000Z",
}


class DeadLetterOut(BaseModel):
    """A dead letter: why, what (the original record's text) and where it came from."""

    id: str
    kind: Literal["bad_record", "exhausted"]
    reason: str
    app_id: str | None
    endpoint_id: str | None
    message_id: str | None
    route_id: str | None
    inbound_id: str | None
    topic: str
    partition: int
    offset: int
    origin: dict[str, Any]
    record: str | None = Field(description="the original record's text; null once erased")
    at: str
    expunged: bool | None = Field(default=None, description="true once erased (else absent)")

    model_config = ConfigDict(json_schema_extra={"examples": [DEAD_LETTER]})


class DeadLetterPage(BaseModel):
    data: list[DeadLetterOut]
    next_cursor: str | None


class Redriven(BaseModel):
    id: str = Field(examples=[DL_ID])
    delivery_id: str = Field(description="the new delivery", examples=["dlv_01JD5Y9A0B1C2D3E4F"])


class AuditUnavailable(ApiError):
    status, code = 503, "audit_unavailable"


def _checked(dead_letter_id: str) -> str:
    if not dead_letter_id.startswith("dl_") or not dead_letter_id[3:].isalnum():
        raise NotFound("dead letter not found", {"dead_letter": dead_letter_id})
    return dead_letter_id


@api.get(
    "",
    summary="Dead letters, newest first (?kind=bad_record|exhausted&after=&before=)",
    response_class=JSONResponse,  # documents the model; handlers relay audit
    response_model=DeadLetterPage,
    responses=answers(200, [DEAD_LETTER], listed=True),
)
async def list_dead_letters(
    request: Request,
    hub: HubDep,
    kind: Literal["bad_record", "exhausted"] | None = None,
    after: Moment = None,
    before: Moment = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    return await audit_proxy.forward(hub, request, "/v1/dead-letters")


@api.get(
    "/{dl}",
    summary="One dead letter",
    response_class=JSONResponse,  # documents the model; handlers relay audit
    response_model=DeadLetterOut,
    responses=answers(200, DEAD_LETTER),
)
async def get_dead_letter(dl: str, request: Request, hub: HubDep) -> Response:
    return await audit_proxy.forward(hub, request, f"/v1/dead-letters/{_checked(dl)}")


async def _stored(hub: Hub, dead_letter_id: str) -> dict[str, Any]:
    path = f"/v1/dead-letters/{dead_letter_id}"
    try:
        answer = await hub.audit.get(path, headers=audit_proxy.admin_headers(hub))
    except httpx.HTTPError as exc:
        raise AuditUnavailable("the audit service is not reachable") from exc
    if answer.status_code == 404:
        raise NotFound("dead letter not found", {"dead_letter": dead_letter_id})
    if answer.status_code != 200:
        raise AuditUnavailable(f"audit answered {answer.status_code}")
    found: dict[str, Any] = orjson.loads(answer.content)
    return found


@api.post(
    "/{dl}/redrive",
    status_code=202,
    summary="Send an exhausted delivery again (a new first attempt)",
    response_class=JSONResponse,  # documents the model; handlers relay audit
    response_model=Redriven,
    responses=answers(
        202,
        {"id": DL_ID, "delivery_id": "dlv_01JD5Y9A0B1C2D3E4F5G6H7J8K"},
        errors={
            409: (
                "not an exhausted delivery, or its endpoint is gone or disabled",
                {"error": {"code": "conflict", "message": "...", "details": None}},
            )
        },
    ),
)
async def redrive(dl: str, hub: HubDep) -> Response:
    """202 once the new delivery is durable in Kafka."""
    letter = await _stored(hub, _checked(dl))
    await hub.config.fresh()
    if letter["endpoint_id"] is not None:
        endpoint = hub.config.view.get("endpoint", letter["endpoint_id"])
        if endpoint is None:
            raise Conflict("the endpoint of this delivery was deleted", {"endpoint": None})
        require_enabled(endpoint)
    elif (
        letter["route_id"] is not None
        and hub.config.view.lookup("route", letter["route_id"]) is None
    ):
        raise Conflict("the route of this delivery was deleted", {"route": letter["route_id"]})
    body = {"config_offset": hub.config.view.position}
    return await audit_proxy.post(hub, f"/v1/dead-letters/{letter['id']}/redrive", body)
