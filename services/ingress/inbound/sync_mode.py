"""Sync mode: ``X-Hookbus-Sync: true`` on a receiving request waits for its routes' outcomes.

The request is accepted exactly as in async mode (durable on the events topic first, logged,
routed); only the answer waits. The router replies with every matching route (kafka and app
routes done, http routes pending), the dispatcher once per http route after its first try
(:mod:`shared.inbound_sync`); this ingress adds the replies up until nothing is pending or
``HOOKBUS_SYNC_TIMEOUT`` has passed, then answers:

- ``200`` at least one route matched and all succeeded;
- ``404`` no route matched;
- ``500`` a route failed (also when others were still pending at the deadline): a failed http
  route is still retried in the background on the usual schedule, and its entry says so;
- ``504`` routes still pending at the deadline (or the router had not answered): the request
  stays accepted and its routes still run.

The body: ``{"id", "outcome", "routes": [{route_id, destination, outcome, detail}]}``, http
routes' ``detail`` with the ``status`` of the answer; every answer but 200 also carries the
usual ``error`` object.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.ingress.inbound.answers import ID_HEADER, duplicate_answer, duplicate_of
from services.ingress.web.hub import Hub
from shared.inbound_sync import ROUTER, status_of
from shared.json_response import OrjsonResponse
from shared.records import JsonObject
from shared.request_reply import Reply, ReplyAddress

HEADER = "x-hookbus-sync"
# FlexDeploy's own name for the same request, so its callers need no change.
FLEX_HEADER = "flex-sync-webhook"
# The header on /docs, beside the receiving URLs' POST operations.
SYNC_DOCS = {
    "parameters": [
        {
            "name": "X-Hookbus-Sync",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "enum": ["true"]},
            "description": "wait for the routes: 200 all succeeded, 404 none matched, 500 one "
            "failed, 504 past HOOKBUS_SYNC_TIMEOUT; the body lists each route's outcome",
        },
        {
            "name": "flex-sync-webhook",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "enum": ["true"]},
            "description": "FlexDeploy's name for X-Hookbus-Sync; the same meaning",
        },
    ],
    "responses": {
        "200": {
            "description": "sync mode: every route succeeded; or, for a source with dedupe, "
            "a repeat of a key seen within its window (nothing routed)",
            "content": {
                "application/json": {
                    "examples": {
                        "duplicate": {
                            "value": {"id": "in_01JD3R0A00B1C2D3E4F5G6H7J8", "duplicate": True}
                        },
                        "sync": {
                            "value": {
                                "id": "in_01JD3R0A00B1C2D3E4F5G6H7J8",
                                "outcome": "succeeded",
                                "routes": [],
                            }
                        },
                    }
                }
            },
        }
    },
}
ERRORS = {
    404: ("no_route_matched", "no_match", "no route matched this request"),
    500: ("route_failed", "failed", "a route failed; failed http forwards are retried"),
    504: ("sync_timeout", "timeout", "the routes did not all finish in time; they still run"),
}


def wants_sync(headers: Mapping[str, str]) -> bool:
    """True when the request asks to wait for its routes (``X-Hookbus-Sync: true``, or
    FlexDeploy's ``flex-sync-webhook: true``)."""
    return any(headers.get(name, "").strip().lower() == "true" for name in (HEADER, FLEX_HEADER))


def tally(replies: list[Reply]) -> list[JsonObject] | None:
    """Every route's entry as known from ``replies``, in route order; None before the router's
    reply. An http route is ``pending`` until the dispatcher's reply about it arrived."""
    listed: list[JsonObject] | None = None
    forwarded: dict[str, JsonObject] = {}
    for reply in replies:
        if reply.body.get("from") == ROUTER:
            listed = list(reply.body.get("routes", []))
        else:
            for entry in reply.body.get("routes", []):
                forwarded.setdefault(entry["route_id"], entry)  # a redelivered try: the first
    if listed is None:
        return None
    return [
        forwarded.get(entry["route_id"], entry) if entry["outcome"] == "pending" else entry
        for entry in listed
    ]


def complete(replies: list[Reply]) -> bool:
    """True once every route's outcome is known (or the router said it is a duplicate)."""
    if duplicate_of(replies) is not None:
        return True
    routes = tally(replies)
    return routes is not None and all(entry["outcome"] != "pending" for entry in routes)


def summary(inbound_id: str, replies: list[Reply]) -> tuple[int, JsonObject]:
    """The status and body answering the request, from the replies gathered."""
    routes = tally(replies)
    status = 504 if routes is None else status_of(routes)
    if status == 202:
        status = 504
    body: JsonObject = {"id": inbound_id, "outcome": "succeeded", "routes": routes or []}
    if status in ERRORS:
        code, outcome, message = ERRORS[status]
        body["outcome"] = outcome
        details = {
            state: [e["route_id"] for e in body["routes"] if e["outcome"] == state]
            for state in ("failed", "pending")
        }
        body["error"] = {"code": code, "message": message, "details": details}
    return status, body


async def sync_answer(hub: Hub, address: ReplyAddress, inbound_id: str) -> OrjsonResponse:
    """Wait for the routes of the request answered at ``address`` (at most
    ``HOOKBUS_SYNC_TIMEOUT``) and answer with their outcomes."""
    replies, _ = await hub.replies.gather(address, complete, hub.settings.sync_timeout)
    first = duplicate_of(replies)
    if first is not None:
        return duplicate_answer(first, inbound_id)
    status, body = summary(inbound_id, replies)
    return OrjsonResponse(body, status_code=status, headers={ID_HEADER: inbound_id})
