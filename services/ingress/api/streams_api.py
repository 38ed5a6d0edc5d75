"""Live streams (Server-Sent Events) of an app's messages and attempts, and of received requests.

The ingress reads them from what audit has stored, page by page (audit's ``/v1/streams/...``),
never from the topics: every ingress copy streams the same events, and a client is served only
as fast as it reads. A slow client holds one page (at most 100 events per log) and its socket
buffer; nothing it does reaches Kafka or the pipeline. Each event's ``id:`` is audit's position
after it, so ``Last-Event-ID`` resumes right after the last event the client saw, as long as
it is still in the log. A comment line (``: keep-alive``) goes out when nothing else did for
``HOOKBUS_STREAM_KEEPALIVE``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import orjson
from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import StreamingResponse

from services.ingress.api.apps_api import find_app
from services.ingress.api.examples import ATTEMPT, MESSAGE
from services.ingress.inbound.examples import RECEIVED_REQUEST
from services.ingress.web import audit_proxy
from services.ingress.web.auth import authorized
from services.ingress.web.hub import Hub, HubDep
from shared.errors import ApiError, Unprocessable

log = logging.getLogger(__name__)
api = APIRouter(prefix="/v1", tags=["live streams"], dependencies=[Depends(authorized)])
IDLE_POLL_S = 0.5
RETRY_MS = 2000
MEDIA = "text/event-stream"
LastEventId = Annotated[
    str | None,
    Header(alias="Last-Event-ID", description="the id of the last event received, to resume"),
]


class AuditUnavailable(ApiError):
    """Audit could not be asked where the stream starts."""

    status, code = 503, "audit_unavailable"


def sse(event: str, event_id: str, data: Any) -> bytes:
    """One Server-Sent Event; orjson writes one line, so ``data:`` needs no splitting."""
    return b"id: %s\nevent: %s\ndata: %s\n\n" % (
        event_id.encode(),
        event.encode(),
        orjson.dumps(data),
    )


def _example(event: str, data: Any) -> str:
    return sse(event, "W3sibSI6W1swLDQyXV19XQ", data).decode()


def _stream_doc(*events: tuple[str, Any]) -> dict[int | str, dict[str, Any]]:
    example = "retry: 2000\n\n" + "".join(_example(name, data) for name, data in events)
    return {
        200: {
            "description": "Server-Sent Events, one per new row of the log, until the client "
            "disconnects; `: keep-alive` comments in between",
            "content": {MEDIA: {"schema": {"type": "string"}, "example": example}},
        },
        422: {"description": "Last-Event-ID is not a position this API gave"},
        503: {"description": "audit is not reachable"},
    }


async def _page(hub: Hub, path: str, params: dict[str, str]) -> dict[str, Any]:
    """One page from audit; raise :class:`AuditUnavailable` / :class:`Unprocessable`."""
    try:
        answer = await hub.audit.get(path, params=params, headers=audit_proxy.admin_headers(hub))
    except httpx.HTTPError as exc:
        raise AuditUnavailable("the audit service is not reachable") from exc
    if answer.status_code == 422:
        raise Unprocessable("Last-Event-ID is not a stream position", params.get("position"))
    if answer.status_code != 200:
        raise AuditUnavailable(f"audit answered {answer.status_code}")
    page: dict[str, Any] = orjson.loads(answer.content)
    return page


async def _events(
    hub: Hub, path: str, params: dict[str, str], first: dict[str, Any]
) -> AsyncIterator[bytes]:
    """The stream's bytes: the first page, then each next one as audit stores more.

    Starlette cancels it when the client disconnects; it ends by itself when the ingress stops.
    """
    keepalive = hub.settings.stream_keepalive
    yield b"retry: %d\n\n" % RETRY_MS
    page, last_sent = first, time.monotonic()
    while True:
        for event in page["events"]:
            yield sse(event["event"], event["id"], event["data"])
            last_sent = time.monotonic()
        params = {**params, "position": page["position"]}
        if not page["more"]:
            if time.monotonic() - last_sent >= keepalive:
                yield b": keep-alive\n\n"
                last_sent = time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(hub.stopping.wait(), min(IDLE_POLL_S, keepalive))
        if hub.stopping.is_set():  # the ingress is shutting down: the client resumes elsewhere
            return
        try:
            page = await _page(hub, path, params)
        except ApiError as exc:  # audit went away: end the stream; the client resumes by id
            log.warning("stream ended", extra={"path": path, "error": exc.message})
            return


async def _stream(
    hub: Hub, path: str, params: dict[str, str], last_event_id: str | None
) -> StreamingResponse:
    if last_event_id:
        params = {**params, "position": last_event_id}
    first = await _page(hub, path, params)  # refusals answer as JSON, before the stream
    headers = {"cache-control": "no-cache", "x-accel-buffering": "no"}
    return StreamingResponse(_events(hub, path, params, first), media_type=MEDIA, headers=headers)


@api.get(
    "/apps/{app}/stream",
    summary="Live stream (SSE) of the app's new messages and attempts",
    response_class=StreamingResponse,
    responses=_stream_doc(("message", MESSAGE), ("attempt", ATTEMPT)),
)
async def app_stream(app: str, hub: HubDep, last_event_id: LastEventId = None) -> StreamingResponse:
    """``event: message`` per message audit stores, ``event: attempt`` per attempt; ``data:``
    is the object as the log API shows it (bodies cut at 64 KiB, ``body_truncated: true``)."""
    found = await find_app(hub, app)
    return await _stream(hub, f"/v1/streams/apps/{found['id']}", {}, last_event_id)


@api.get(
    "/inbound/stream",
    summary="Live stream (SSE) of received requests (?source_id=)",
    response_class=StreamingResponse,
    responses=_stream_doc(("inbound", RECEIVED_REQUEST)),
)
async def inbound_stream(
    hub: HubDep,
    source_id: Annotated[str | None, Query(max_length=128)] = None,
    last_event_id: LastEventId = None,
) -> StreamingResponse:
    """``event: inbound`` per received request, as the received log shows it."""
    params = {"source_id": source_id} if source_id else {}
    return await _stream(hub, "/v1/streams/inbound", params, last_event_id)
