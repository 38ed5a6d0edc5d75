"""Retention of the received log on SQLite and PostgreSQL: old requests go with their routing
rows, route attempts by their own time, and no routing row is left without its request."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, inspect, select

from services.audit.inbound.rows import inbound_rows, route_attempt_rows, routed_rows
from services.audit.inbound.schema import (
    inbound_requests,
    inbound_route_runs,
    inbound_routings,
    route_attempts,
)
from services.audit.retention import prune
from services.audit.rows import Origin, epoch_ms
from services.audit.store import Store
from shared.contracts import Contract, validate
from tests.support.records import example

CUTOFF = "2026-11-22T10:00:00.000Z"
OLD, NEW = "2026-11-21T09:00:00.000Z", "2026-11-22T10:00:01.000Z"
TABLES = (inbound_requests, inbound_routings, inbound_route_runs, route_attempts)


def request(ident: str, at: str) -> list[Any]:
    record = {**example(Contract.INBOUND, "github_push"), "id": ident, "received_at": at}
    return inbound_rows(validate(Contract.INBOUND, record), Origin("t", 0, 0))


def routed(ident: str, at: str) -> list[Any]:
    record = {**example(Contract.INBOUND_ROUTED, "three_routes"), "inbound_id": ident}
    return routed_rows(
        validate(Contract.INBOUND_ROUTED, {**record, "routed_at": at}), Origin("t", 0, 0)
    )


def tried(ident: str, at: str, n: int) -> list[Any]:
    record = {**example(Contract.ROUTE_ATTEMPT, "succeeded"), "inbound_id": ident}
    record = {**record, "id": f"atm_{ident}_{n}", "timestamp": at}
    return route_attempt_rows(validate(Contract.ROUTE_ATTEMPT, record), Origin("t", 0, n))


def ids(store: Store) -> dict[str, set[str]]:
    with store.engine.connect() as conn:
        return {
            "requests": set(conn.execute(select(inbound_requests.c.id)).scalars()),
            "routings": set(conn.execute(select(inbound_routings.c.inbound_id)).scalars()),
            "runs": set(conn.execute(select(inbound_route_runs.c.inbound_id)).scalars()),
            "attempts": set(conn.execute(select(route_attempts.c.id)).scalars()),
        }


def test_old_requests_go_with_their_routing_rows_and_nothing_is_orphaned(store: Store) -> None:
    store.write_batch(
        [
            *request("in_old", OLD),
            *routed("in_old", OLD),
            *tried("in_old", OLD, 1),
            *tried("in_old", NEW, 2),  # a retry made after the cutoff stays, by its own time
            *request("in_late", OLD),  # routed after the cutoff: still goes with its request
            *routed("in_late", NEW),
            *request("in_new", NEW),
            *routed("in_new", NEW),
            *tried("in_new", NEW, 1),
            *routed("in_orphan", OLD),  # its request was never stored: old, so it goes
            *routed("in_early", NEW),  # its request has not arrived yet: kept
        ]
    )
    deleted = prune(store.engine, epoch_ms(CUTOFF), batch_rows=1)
    assert {k: deleted[k] for k in ("inbound_requests", "inbound_routings", "route_attempts")} == {
        "inbound_requests": 2,
        "inbound_routings": 3,
        "route_attempts": 1,
    }
    assert deleted["inbound_route_runs"] == 9  # three routes each
    left = ids(store)
    assert left["requests"] == {"in_new"}
    assert left["routings"] == left["runs"] == {"in_new", "in_early"}
    assert left["attempts"] == {"atm_in_old_2", "atm_in_new_1"}
    again = prune(store.engine, epoch_ms(CUTOFF))
    assert again is not None and sum(again.values()) == 0


def test_the_received_log_retention_uses_indexes(store: Store) -> None:
    # The retention queries select by ts_ms and routed_at: both are indexed (migration 4).
    with store.engine.connect() as conn:
        names = {
            index["name"]
            for table in ("route_attempts", "inbound_routings")
            for index in inspect(conn).get_indexes(table)
        }
        count = conn.execute(select(func.count()).select_from(inbound_requests)).scalar()
    assert {"ix_route_attempts_ts", "ix_inbound_routings_routed"} <= names
    assert count == 0
