"""``ANY /in/{source}/{path}`` and ``ANY /hooks/{path}``: receiving inbound webhooks.

read the body (``HOOKBUS_MAX_BODY``) → find the source → verify → log the request on the events
topic (every request, whatever its verdict) → mark the source verified if this is its first
proof → answer. A ``2xx`` is sent only once the request is durable in Kafka; if Kafka does not
acknowledge, ``503`` and nothing was accepted. These URLs are public: each source's
verification protects them. With ``X-Hookbus-Sync: true`` a request whose routes run is
answered with their outcomes instead (:mod:`.sync_mode`). A request to a source that dedupes
waits for the router's verdict first: a repeat is answered ``200 {"id": <first>, "duplicate":
true}`` (:mod:`.dedupe_answer`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response

from services.ingress.inbound.answers import accepted_answer, exact_answer
from services.ingress.inbound.body import read_body
from services.ingress.inbound.dedupe import dedupe_field
from services.ingress.inbound.dedupe_answer import deduped_answer
from services.ingress.inbound.disabled import disabled_decision, is_disabled
from services.ingress.inbound.records import header_map, inbound_record, publish_inbound
from services.ingress.inbound.shared_url import pick
from services.ingress.inbound.sources_view import challenge_gate, status_of
from services.ingress.inbound.state import Inbound, InboundDep
from services.ingress.inbound.sync_mode import SYNC_DOCS, sync_answer, wants_sync
from services.ingress.inbound.verification import InboundRequest, decide, verify
from services.ingress.publish.operational import source_verified
from services.ingress.web.hub import Hub, HubDep
from shared import clock, metrics
from shared.errors import NotFound
from shared.records import JsonObject

api = APIRouter(tags=["receiving"])
# Any method is received; only POST is described in the OpenAPI document, as one operation.
OTHER_METHODS = ["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"]
ALL_METHODS = ["POST", *OTHER_METHODS]


def _url(request: Request) -> str:
    """The URL as called: scheme, Host header, and the raw path and query (as Twilio signs)."""
    scope = request.scope
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    url = f"{scope.get('scheme', 'http')}://{host}{raw_path.decode('latin-1')}"
    return f"{url}?{query.decode('latin-1')}" if query else url


@dataclass(frozen=True)
class Received:
    """The request as verification sees it, and its headers as the received log keeps them."""

    request: InboundRequest
    headers: dict[str, str]


async def _incoming(request: Request, hub: Hub) -> Received:
    body = await read_body(request, hub.settings.max_body)
    raw = request.headers.raw
    return Received(InboundRequest.build(request.method, _url(request), raw, body), header_map(raw))


@api.api_route("/in/{src}", methods=ALL_METHODS, include_in_schema=False)
@api.api_route("/in/{src}/{path:path}", methods=OTHER_METHODS, include_in_schema=False)
@api.api_route(
    "/in/{src}/{path:path}", methods=["POST"], summary="Receive a webhook", openapi_extra=SYNC_DOCS
)
async def receive_for_source(
    src: str, request: Request, hub: HubDep, inbound: InboundDep, path: str = ""
) -> Response:
    """Receive for one source: 404 when it does not exist, else see the module docstring."""
    offset = await hub.config.fresh()
    source = hub.config.view.get("source", src)
    if source is None:
        raise NotFound(f"source {src!r} not found", {"source": src})
    incoming = await _incoming(request, hub)
    return await receive(hub, inbound, source, incoming, path, offset)


@api.api_route("/hooks", methods=ALL_METHODS, include_in_schema=False)
@api.api_route("/hooks/{path:path}", methods=OTHER_METHODS, include_in_schema=False)
@api.api_route(
    "/hooks/{path:path}",
    methods=["POST"],
    summary="Receive on the shared URL",
    openapi_extra=SYNC_DOCS,
)
async def receive_shared(
    request: Request, hub: HubDep, inbound: InboundDep, path: str = ""
) -> Response:
    """Receive for the first source whose ``match`` holds (by priority); 404 when none does."""
    offset = await hub.config.fresh()
    incoming = await _incoming(request, hub)
    source = pick(hub.config.view.all("source"), incoming.request)
    if source is None:
        raise NotFound("no source matches this request", {"path": path})
    return await receive(hub, inbound, source, incoming, path, offset)


async def receive(
    hub: Hub,
    inbound: Inbound,
    source: JsonObject,
    received: Received,
    path: str,
    config_offset: int,
) -> Response:
    """Verify, log durably, mark the source verified when due, and answer."""
    incoming = received.request
    if is_disabled(source):
        decision, mark = disabled_decision(source["id"]), False
    else:
        settings = inbound.verifiers.settings(source)
        verdict = verify(settings, incoming, time.time())
        status = status_of(hub.config.view, source["id"])
        gate = challenge_gate(source, status)
        decision = decide(settings, gate, verdict)
        # With the challenge gate opted out, decide() never sees an unverified source: mark.
        mark = decision.mark_verified or (gate != status and decision.log_status == "accepted")
    _, _, query = incoming.url.partition("?")
    sync = decision.route and wants_sync(received.headers)
    dedupe = dedupe_field(source, received.headers, incoming.body) if decision.route else None
    address = hub.replies.new_gathering_address() if sync or dedupe else None
    record = inbound_record(
        source["id"],
        incoming.method,
        path.lstrip("/"),
        query,
        received.headers,
        incoming.body,
        verification=decision.verification,
        status=decision.log_status,
        route=decision.route,
        config_offset=config_offset,
        reply_to=None if address is None else address.as_record(),
        dedupe=dedupe,
    )
    try:
        await publish_inbound(hub, inbound.written, record)
        metrics.inbound_received(source["id"], decision.log_status)
        if mark:
            await mark_verified(hub, source["id"])
        if decision.answer is not None:
            return exact_answer(decision.answer, record["id"])
        if address is not None and sync:
            return await sync_answer(hub, address, record["id"])
        if address is not None:
            return await deduped_answer(hub, address, source.get("response"), record["id"])
        return accepted_answer(source.get("response"), record["id"])
    finally:
        if address is not None:
            hub.replies.forget(address)


async def mark_verified(hub: Hub, source_id: str) -> None:
    """Store the source as verified, unless some ingress copy already did (idempotent)."""
    state = hub.config.view.get("source_state", source_id)
    if state is not None and state.get("status") == "verified":
        return
    state = {"id": source_id, "status": "verified", "verified_at": clock.iso()}
    await hub.config.put("source_state", state)
    source = hub.config.view.get("source", source_id)
    if source is not None:
        await source_verified(hub, source, state["verified_at"])
