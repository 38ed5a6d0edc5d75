"""``/v1/inbound``: the received log (served by audit) and resubmitting a stored request.

Every read first waits (briefly) until audit has stored the requests this ingress answered
(:mod:`services.ingress.publish.log_barrier`), so a request is in the log as soon as its
answer was sent.

A resubmission is a new inbound record, with its own ``in_`` id and ``resubmission_of`` naming
the original; it carries the original's method, path, query, headers, body and verification,
is routed against the routes as they are now, and is not verified again. It appears in the
received log as its own entry, so each run's route outcomes stay apart. Only requests whose
routes ran (accepted, not a handshake) can be resubmitted: a rejected request was never
proven to come from its source.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

import httpx
import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from services.ingress.api.delivery_log_api import Moment
from services.ingress.api.examples import answers
from services.ingress.inbound.examples import RECEIVED_REQUEST, RESUBMITTED, ROUTE_ATTEMPT
from services.ingress.inbound.records import inbound_record, publish_inbound
from services.ingress.inbound.state import Inbound, InboundDep
from services.ingress.web import audit_proxy
from services.ingress.web.auth import authorized
from services.ingress.web.hub import Cursor, Hub, HubDep, Limit
from shared.errors import ApiError, Conflict, NotFound
from shared.inbound import decode_body
from shared.json_response import OrjsonResponse

api = APIRouter(prefix="/v1/inbound", tags=["received log"], dependencies=[Depends(authorized)])


@api.get(
    "",
    summary="The received log (?source_id=&status=&after=&before=)",
    responses=answers(200, [RECEIVED_REQUEST], listed=True),
)
async def list_inbound(
    request: Request,
    hub: HubDep,
    inbound: InboundDep,
    source_id: Annotated[str | None, Query(max_length=256)] = None,
    status: Literal["accepted", "rejected", "ignored", "duplicate"] | None = None,
    after: Moment = None,
    before: Moment = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """Newest first. The query is checked here and passed on to audit as it came."""
    await _caught_up(hub, inbound)
    return await audit_proxy.forward(hub, request, "/v1/inbound")


@api.get(
    "/{inbound_id}",
    summary="One received request and its routes' outcomes",
    responses=answers(200, RECEIVED_REQUEST),
)
async def get_inbound(
    inbound_id: str, request: Request, hub: HubDep, inbound: InboundDep
) -> Response:
    await _caught_up(hub, inbound)
    return await audit_proxy.forward(hub, request, _path(inbound_id))


@api.get(
    "/{inbound_id}/attempts",
    summary="HTTP forwarding attempts of a received request",
    responses=answers(200, [ROUTE_ATTEMPT], listed=True),
)
async def inbound_attempts(
    inbound_id: str,
    request: Request,
    hub: HubDep,
    inbound: InboundDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    await _caught_up(hub, inbound)
    return await audit_proxy.forward(hub, request, f"{_path(inbound_id)}/attempts")


def _path(inbound_id: str) -> str:
    # The id as one path segment on audit, whatever the caller put in it ("/", "?", NUL...).
    return f"/v1/inbound/{quote(inbound_id, safe='')}"


async def _caught_up(hub: Hub, inbound: Inbound) -> None:
    """Wait (briefly) until audit has stored the requests this ingress answered."""

    async def stored(inbound_id: str) -> bool:
        try:
            answer = await hub.audit.get(_path(inbound_id), headers=audit_proxy.admin_headers(hub))
        except httpx.HTTPError:
            return True  # audit is unreachable: the read itself will say so, without waiting
        return answer.status_code != 404

    await inbound.written.settle(stored)


async def _stored(hub: Hub, inbound_id: str) -> dict[str, Any]:
    """The stored request from audit; raise :class:`NotFound` or :class:`AuditUnavailable`."""
    try:
        answer = await hub.audit.get(_path(inbound_id), headers=audit_proxy.admin_headers(hub))
    except httpx.HTTPError as exc:
        raise AuditUnavailable("the audit service is not reachable") from exc
    if answer.status_code == 404:
        raise NotFound(f"inbound request {inbound_id!r} not found", {"inbound": inbound_id})
    if answer.status_code != 200:
        raise AuditUnavailable(f"audit answered {answer.status_code}")
    stored: dict[str, Any] = orjson.loads(answer.content)
    return stored


class AuditUnavailable(ApiError):
    """Audit could not tell what was received: nothing was resubmitted."""

    status, code = 503, "audit_unavailable"


@api.post(
    "/{inbound_id}/resubmit",
    status_code=202,
    summary="Run the routes again",
    responses=answers(202, RESUBMITTED),
)
async def resubmit(inbound_id: str, hub: HubDep, inbound: InboundDep) -> OrjsonResponse:
    """Route the stored request again: ``202 {id, resubmission_of}`` once durable in Kafka.

    404 when unknown, 409 when its routes never ran (rejected, ignored, a handshake).
    """
    await _caught_up(hub, inbound)
    stored = await _stored(hub, inbound_id)
    handshake = stored["verification"].get("result") == "challenge"
    if stored["status"] != "accepted" or handshake:
        raise Conflict(
            "only accepted requests whose routes ran can be resubmitted",
            {"status": stored["status"], "verification": stored["verification"]},
        )
    offset = await hub.config.fresh()
    record = inbound_record(
        stored["source_id"],
        stored["method"],
        stored["path"],
        stored["query"],
        stored["headers"],
        decode_body(stored["body"], stored["body_encoding"]),
        verification=stored["verification"],
        status="accepted",
        route=True,
        config_offset=offset,
        resubmission_of=stored["id"],
    )
    await publish_inbound(hub, inbound.written, record)
    body = {"id": record["id"], "resubmission_of": stored["id"]}
    return OrjsonResponse(body, status_code=202)
