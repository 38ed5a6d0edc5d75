"""``POST /v1/apps/{app}/messages/{msg}/expunge``: erase one message from the logs (an erasure
request). The message's row stays, its payload is null and ``expunged: true``; so are the
request and response bodies of every attempt to deliver it, now and later. Audit records the
request on Kafka, erases, and only then is ``204`` answered."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from services.ingress.api.apps_api import find_app
from services.ingress.api.delivery_log_api import log_id
from services.ingress.web import audit_proxy
from services.ingress.web.auth import authorized
from services.ingress.web.hub import HubDep

api = APIRouter(prefix="/v1/apps/{app}", tags=["messages"], dependencies=[Depends(authorized)])


@api.post(
    "/messages/{msg}/expunge",
    status_code=204,
    summary="Erase a message's payload and every body logged for it (rows stay)",
    responses={
        204: {"description": "Erased: reads show `payload: null` and `expunged: true`"},
        404: {"description": "no such app or message"},
    },
)
async def expunge(app: str, msg: str, hub: HubDep) -> Response:
    found = await find_app(hub, app)
    await audit_proxy.messages_caught_up(hub)
    path = f"/v1/apps/{found['id']}/messages/{log_id('message', msg)}/expunge"
    return await audit_proxy.post(hub, path, {})
