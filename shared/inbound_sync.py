"""Sync mode of inbound requests (``X-Hookbus-Sync: true``): the replies that tell the waiting
ingress how the request's routes went.

The ingress puts its reply address in the inbound record (``reply_to``); two services answer it
on the ``replies`` topic (contracts/reply.v1, kind ``inbound``), each with a body made here:

- the **router**, once it has produced what the routes cause: every matching route in the
  order they ran, kafka and app routes with their outcome (``succeeded``, or ``failed`` when
  they could not run) and http routes ``pending``. No route: an empty list.
- the **dispatcher**, after the first try of each http route: that route's outcome, with the
  HTTP status, and whether it is retried in the background.

The replies may arrive in any order; the ingress adds them up (one per pending http route).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from shared.records import JsonObject
from shared.request_reply import Reply, ReplyAddress, reply_record

KIND = "inbound"
ROUTER, DISPATCHER = "router", "dispatcher"


def status_of(entries: Iterable[Mapping[str, Any]]) -> int:
    """The HTTP status the outcomes known so far stand for: 404 none matched, 500 one failed,
    202 some pending, 200 all succeeded."""
    outcomes = [entry["outcome"] for entry in entries]
    if not outcomes:
        return 404
    if "failed" in outcomes:
        return 500
    return 202 if "pending" in outcomes else 200


def routed_reply(
    inbound: Mapping[str, Any],
    entries: Sequence[Mapping[str, Any]],
    duplicate_of: str | None = None,
) -> tuple[bytes, bytes] | None:
    """The router's reply ``(key, value)`` for ``inbound``'s waiting ingress, or None when
    nobody waits. ``entries`` are the routing entries (contracts/inbound_routed.v1);
    ``duplicate_of`` the first request when this one repeated its dedupe key (nothing routed:
    status 200, answered with that first id)."""
    reply_to = inbound.get("reply_to")
    if not reply_to:
        return None
    body: JsonObject = {"inbound_id": inbound["id"], "from": ROUTER, "routes": list(entries)}
    status = status_of(entries)
    if duplicate_of is not None:
        body["duplicate_of"], status = duplicate_of, 200
    return reply_record(ReplyAddress.from_record(reply_to), Reply(KIND, status, body))


def forwarded_reply(
    delivery: Mapping[str, Any], entry: Mapping[str, Any]
) -> tuple[bytes, bytes] | None:
    """The dispatcher's reply ``(key, value)`` with one http route's ``entry``, or None when
    nobody waits for this delivery."""
    reply_to = delivery.get("reply_to")
    if not reply_to:
        return None
    body = {"inbound_id": delivery["inbound_id"], "from": DISPATCHER, "routes": [entry]}
    reply = Reply(KIND, status_of([entry]), body)
    return reply_record(ReplyAddress.from_record(reply_to), reply)
