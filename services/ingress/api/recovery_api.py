"""Resend one message to one endpoint, or recover every delivery to an endpoint that ended
failed since a time. Both answer 202 once audit has produced the new deliveries to Kafka; the
dispatcher attempts them as new attempts of the message.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from services.ingress.api.delivery_log_api import log_id
from services.ingress.api.endpoints_api import find_endpoint, require_enabled
from services.ingress.api.examples import ENDPOINT_ID, MESSAGE_ID, answers, body_examples
from services.ingress.api.models import IsoTimestamp
from services.ingress.web import audit_proxy
from services.ingress.web.auth import authorized
from services.ingress.web.hub import HubDep
from shared import clock

api = APIRouter(prefix="/v1/apps/{app}", tags=["recovery"], dependencies=[Depends(authorized)])


class RecoverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: IsoTimestamp = Field(
        description="resend deliveries that ended failed at or after this time (ISO 8601; "
        "UTC if no offset)",
        examples=["2026-11-22T10:00:00Z"],
    )


@api.post(
    "/messages/{msg}/endpoints/{ep}/resend",
    status_code=202,
    summary="Send a message to an endpoint again (a new attempt, signed afresh)",
    responses=answers(202, {"message_id": MESSAGE_ID, "endpoint_id": ENDPOINT_ID}),
)
async def resend(app: str, msg: str, ep: str, hub: HubDep) -> Response:
    """404 when the message was never sent to the endpoint; 409 when the endpoint is disabled."""
    endpoint = await find_endpoint(hub, app, ep)
    require_enabled(endpoint)
    message_id = log_id("message", msg)
    path = f"/v1/apps/{endpoint['app_id']}/messages/{message_id}/endpoints/{endpoint['id']}/resend"
    return await audit_proxy.post(hub, path, {"config_offset": hub.config.view.position})


@api.post(
    "/endpoints/{ep}/recover",
    status_code=202,
    summary="Resend every message whose delivery to the endpoint ended failed since a time",
    openapi_extra=body_examples({"since": "2026-11-22T10:00:00Z"}),
    responses=answers(202, {"count": 3, "task_id": "task_01JD3R0A1B2C3D4E5F6G7H8J9M"}),
)
async def recover(app: str, ep: str, body: RecoverIn, hub: HubDep) -> Response:
    """Answers ``{count, task_id}``: how many messages are delivered again, by the background
    task ``task_id`` (``GET /v1/tasks/{task_id}``). 409 when disabled."""
    endpoint = await find_endpoint(hub, app, ep)
    require_enabled(endpoint)
    path = f"/v1/apps/{endpoint['app_id']}/endpoints/{endpoint['id']}/recover"
    offset = hub.config.view.position
    body_sent = {"since": clock.iso(body.since), "config_offset": offset}
    return await audit_proxy.post(hub, path, body_sent)
