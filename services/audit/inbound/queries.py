"""Received-log queries; every function blocks on the database.

Lists are newest first by ``(ts_ms, id)``. Each request comes with its routes: what the router
recorded for each, and for an http route the outcome of its latest forwarding attempt
(``succeeded``; ``failed`` once an attempt failed, with ``retrying`` true while another try
is due, as the sync answer says; ``pending`` before the first try).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select

from services.audit.inbound.schema import (
    inbound_requests,
    inbound_route_runs,
    inbound_routings,
    route_attempts,
)
from services.audit.objects import tried_fields
from services.audit.paging import Key, Page, cut, newest_first
from shared.records import JsonObject

DUPLICATE = "duplicate"
ATTEMPT_OUTCOMES = {
    "succeeded": "succeeded",
    "retrying": "failed",
    "failed": "failed",
    "exhausted": "failed",
}


def _request_object(row: Mapping[Any, Any]) -> JsonObject:
    return {
        "id": row["id"],
        "source_id": row["source_id"],
        "received_at": row["received_at"],
        "method": row["method"],
        "path": row["path"],
        "query": row["query"],
        "headers": orjson.loads(row["headers"]),
        "body": row["body"],
        "body_encoding": row["body_encoding"],
        "verification": orjson.loads(row["verification"]),
        "status": row["status"],
        "resubmission_of": row["resubmission_of"],
        "duplicate_of": None,
        "routed_at": None,
        "routes": [],
    }


def _with_routes(conn: Connection, requests: list[JsonObject]) -> list[JsonObject]:
    """Fill in ``routed_at`` and ``routes`` of each request, in three queries for the page."""
    ids = [request["id"] for request in requests]
    if not ids:
        return requests
    routings = {
        row["inbound_id"]: row
        for row in conn.execute(
            select(inbound_routings).where(inbound_routings.c.inbound_id.in_(ids))
        ).mappings()
    }
    latest: dict[tuple[str, str], tuple[int, int, str]] = {}
    counts: dict[tuple[str, str], int] = defaultdict(int)
    attempts = select(route_attempts).where(route_attempts.c.inbound_id.in_(ids))
    for row in conn.execute(attempts).mappings():
        key = (row["inbound_id"], row["route_id"])
        counts[key] += 1
        mark = (row["attempt"], row["ts_ms"], row["outcome"])
        latest[key] = max(latest.get(key, mark), mark)
    runs: dict[str, list[JsonObject]] = defaultdict(list)
    query = select(inbound_route_runs).where(inbound_route_runs.c.inbound_id.in_(ids))
    for row in conn.execute(query.order_by(inbound_route_runs.c.position)).mappings():
        key = (row["inbound_id"], row["route_id"])
        outcome, retrying = row["outcome"], False
        if key in latest:
            outcome = ATTEMPT_OUTCOMES[latest[key][2]]
            retrying = latest[key][2] == "retrying"
        runs[row["inbound_id"]].append(
            {
                "route_id": row["route_id"],
                "destination": row["destination"],
                "outcome": outcome,
                "retrying": retrying,
                "attempts": counts.get(key, 0),
                "detail": orjson.loads(row["detail"]),
            }
        )
    for request in requests:
        routing = routings.get(request["id"])
        request["routed_at"] = None if routing is None else routing["routed_at"]
        request["routes"] = runs.get(request["id"], [])
        if routing is not None and routing["duplicate_of"] is not None:
            # A repeat of a dedupe key: accepted when received, judged a duplicate when routed.
            request["status"] = DUPLICATE
            request["duplicate_of"] = routing["duplicate_of"]
    return requests


def list_inbound(
    engine: Engine,
    *,
    source_id: str | None = None,
    status: str | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
    limit: int,
    cursor: Key | None = None,
) -> Page:
    """Received requests, optionally of one source and status, within exclusive time bounds."""
    table = inbound_requests
    query = select(table)
    if source_id is not None:
        query = query.where(table.c.source_id == source_id)
    repeats = select(inbound_routings.c.inbound_id).where(
        inbound_routings.c.duplicate_of.is_not(None)
    )
    if status == DUPLICATE:
        query = query.where(table.c.id.in_(repeats))
    elif status is not None:
        query = query.where(table.c.status == status)
        if status == "accepted":
            query = query.where(table.c.id.not_in(repeats))
    if since_ms is not None:
        query = query.where(table.c.ts_ms > since_ms)
    if until_ms is not None:
        query = query.where(table.c.ts_ms < until_ms)
    with engine.connect() as conn:
        found = conn.execute(newest_first(query, (table.c.ts_ms, table.c.id), limit, cursor))
        rows = found.mappings().all()
        objects = _with_routes(conn, [_request_object(row) for row in rows[:limit]])
    more = len(rows) > limit  # newest_first fetched one row beyond the page to tell
    return Page(objects, (rows[limit - 1]["ts_ms"], rows[limit - 1]["id"]) if more else None)


def get_inbound(engine: Engine, inbound_id: str) -> JsonObject | None:
    """One received request with its routes, or None."""
    with engine.connect() as conn:
        query = select(inbound_requests).where(inbound_requests.c.id == inbound_id)
        row = conn.execute(query).mappings().first()
        return None if row is None else _with_routes(conn, [_request_object(row)])[0]


def _attempt_object(row: Mapping[Any, Any]) -> JsonObject:
    return {
        **{key: row[key] for key in ("id", "delivery_id", "inbound_id", "source_id", "route_id")},
        **tried_fields(row),
    }


def list_route_attempts(
    engine: Engine, inbound_id: str, *, limit: int, cursor: Key | None = None
) -> Page:
    """HTTP forwarding attempts of one received request, newest first."""
    table = route_attempts
    query = select(table).where(table.c.inbound_id == inbound_id)
    with engine.connect() as conn:
        rows = conn.execute(newest_first(query, (table.c.ts_ms, table.c.id), limit, cursor))
        found = rows.mappings().all()
    return cut([_attempt_object(r) for r in found], [(r["ts_ms"], r["id"]) for r in found], limit)
