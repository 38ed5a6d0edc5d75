"""Retention of the received log: requests and their route attempts by time, and with each
request the routing facts that have no time of their own.

``inbound_routings`` and ``inbound_route_runs`` are kept exactly as long as their request: a
batch of old requests is deleted in one transaction together with their routing rows, so no
request is left half-routed and no routing row is left without its request. A routing row whose
request is not there at all (it arrived after its request was pruned, or the request record
was dead-lettered) is deleted once it is older than the retention itself, by ``routed_at``.
Route attempts go by the time they were made, as outbound attempts do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, exists, select

from services.audit.inbound.schema import (
    inbound_requests,
    inbound_route_runs,
    inbound_routings,
    route_attempts,
)
from shared import clock

TABLES = ("route_attempts", "inbound_requests", "inbound_routings", "inbound_route_runs")


def prune_inbound(
    conn: Connection, before_ms: int, batch_rows: int, should_stop: Callable[[], bool]
) -> dict[str, int]:
    """Delete received-log rows older than ``before_ms``, ``batch_rows`` requests (or attempts)
    per transaction; return the rows deleted per table. Blocks on the database."""
    deleted = dict.fromkeys(TABLES, 0)
    attempts = select(route_attempts.c.id).where(route_attempts.c.ts_ms < before_ms)
    while not should_stop():
        with conn.begin():
            chosen = list(conn.execute(attempts.limit(batch_rows)).scalars())
            if chosen:
                done = conn.execute(delete(route_attempts).where(route_attempts.c.id.in_(chosen)))
                deleted["route_attempts"] += done.rowcount
        if len(chosen) < batch_rows:
            break
    old = select(inbound_requests.c.id).where(inbound_requests.c.ts_ms < before_ms)
    _in_batches(conn, old, batch_rows, should_stop, deleted, with_requests=True)
    cutoff = clock.iso(datetime.fromtimestamp(before_ms / 1000, UTC))
    request_gone = ~exists().where(inbound_requests.c.id == inbound_routings.c.inbound_id)
    orphans = select(inbound_routings.c.inbound_id).where(
        inbound_routings.c.routed_at < cutoff, request_gone
    )
    _in_batches(conn, orphans, batch_rows, should_stop, deleted, with_requests=False)
    return deleted


def _in_batches(
    conn: Connection,
    chooser: Any,
    batch_rows: int,
    should_stop: Callable[[], bool],
    deleted: dict[str, int],
    with_requests: bool,
) -> None:
    """Delete the requests ``chooser`` selects (ids), with their routing rows, batch by batch."""
    while not should_stop():
        with conn.begin():
            ids = list(conn.execute(chooser.limit(batch_rows)).scalars())
            if ids:
                _delete_requests(conn, ids, deleted, with_requests)
        if len(ids) < batch_rows:
            return


def _delete_requests(
    conn: Connection, ids: Sequence[str], deleted: dict[str, int], with_requests: bool
) -> None:
    runs = delete(inbound_route_runs).where(inbound_route_runs.c.inbound_id.in_(ids))
    deleted["inbound_route_runs"] += conn.execute(runs).rowcount
    routings = delete(inbound_routings).where(inbound_routings.c.inbound_id.in_(ids))
    deleted["inbound_routings"] += conn.execute(routings).rowcount
    if with_requests:
        requests = delete(inbound_requests).where(inbound_requests.c.id.in_(ids))
        deleted["inbound_requests"] += conn.execute(requests).rowcount
