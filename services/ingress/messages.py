"""``/v1/apps/{app}/messages``: publishing, and reading the message log (served by audit)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.ingress import audit_proxy
from services.ingress.apps import find_app
from services.ingress.auth import authorized
from services.ingress.models import BatchIn, MessageIn
from services.ingress.publisher import event_record, message_view, publish
from services.ingress.state import Hub
from shared.json_response import OrjsonResponse

router = APIRouter(prefix="/v1/apps/{app}", tags=["messages"], dependencies=[Depends(authorized)])


@router.post("/messages", status_code=202, summary="Publish a message to the app's endpoints")
async def create_message(app: str, body: MessageIn, hub: Hub) -> OrjsonResponse:
    """Accept one message: answered 202 only once the event is durable in Kafka."""
    found = await find_app(hub, app)
    offset = hub.config.view.position
    record = event_record(
        found["id"], body.event_type, body.payload, offset, body.id, body.channels
    )
    await publish(hub, [record])
    return OrjsonResponse(message_view(record), status_code=202)


@router.post("/messages/batch", status_code=202, summary="Publish up to 1000 messages at once")
async def create_batch(app: str, body: BatchIn, hub: Hub) -> OrjsonResponse:
    """Accept every message or none: nothing is written when one is invalid or too large."""
    found = await find_app(hub, app)
    offset = hub.config.view.position
    records = [
        event_record(found["id"], m.event_type, m.payload, offset, m.id, m.channels)
        for m in body.messages
    ]
    await publish(hub, records)
    return OrjsonResponse({"data": [message_view(r) for r in records]}, status_code=202)


@router.get("/messages", summary="List messages (?event_type=&channel=&after=&before=)")
async def list_messages(app: str, request: Request, hub: Hub) -> Response:
    found = await find_app(hub, app)
    return await audit_proxy.forward(hub, request, f"/v1/apps/{found['id']}/messages")


@router.get("/messages/{msg}", summary="Get a message")
async def get_message(app: str, msg: str, request: Request, hub: Hub) -> Response:
    found = await find_app(hub, app)
    return await audit_proxy.forward(hub, request, f"/v1/apps/{found['id']}/messages/{msg}")


@router.get("/messages/{msg}/attempts", summary="Delivery attempts of a message")
async def message_attempts(app: str, msg: str, request: Request, hub: Hub) -> Response:
    found = await find_app(hub, app)
    path = f"/v1/apps/{found['id']}/messages/{msg}/attempts"
    return await audit_proxy.forward(hub, request, path)


@router.get("/attempts/{atm}", summary="Get one attempt: request, response, outcome")
async def get_attempt(app: str, atm: str, request: Request, hub: Hub) -> Response:
    found = await find_app(hub, app)
    return await audit_proxy.forward(hub, request, f"/v1/apps/{found['id']}/attempts/{atm}")
