"""Inbound records to table rows, and which contract a record of each topic follows. No I/O.

The events and attempts topics carry two families: kind-less outbound records (event, attempt)
and inbound records told apart by their ``kind``. :func:`contract_for` picks the contract; an
unknown kind is checked against the inbound contract of that topic, which refuses it, so the
record is dead-lettered with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Table

from services.audit.inbound.schema import (
    inbound_requests,
    inbound_route_runs,
    inbound_routings,
    route_attempts,
)
from services.audit.rows import Origin, Row, epoch_ms, origin_columns, to_json, tried_columns
from shared.contracts import Contract
from shared.inbound import record_kind
from shared.topics import Topic

Rows = list[tuple[Table, Row]]
Converter = Callable[[Mapping[str, Any], Origin], Rows]


def inbound_rows(record: Mapping[str, Any], origin: Origin) -> Rows:
    """The received log row of an inbound record."""
    row = {
        "id": record["id"],
        "source_id": record["source_id"],
        "received_at": record["received_at"],
        "ts_ms": epoch_ms(record["received_at"]),
        "method": record["method"],
        "path": record["path"],
        "query": record["query"],
        "headers": to_json(record["headers"]),
        "body": record["body"],
        "body_encoding": record["body_encoding"],
        "verification": to_json(record["verification"]),
        "status": record["status"],
        "route": record["route"],
        "resubmission_of": record.get("resubmission_of"),
        **origin_columns(origin),
    }
    return [(inbound_requests, row)]


def routed_rows(record: Mapping[str, Any], origin: Origin) -> Rows:
    """The routing row of an inbound_routed record, and one row per route it ran."""
    epoch_ms(record["routed_at"])  # refuse a timestamp Python cannot read, like every record
    routes = record["routes"]
    found: Rows = [
        (
            inbound_routings,
            {
                "inbound_id": record["inbound_id"],
                "source_id": record["source_id"],
                "routed_at": record["routed_at"],
                "route_count": len(routes),
                "duplicate_of": record.get("duplicate_of"),
            },
        )
    ]
    for position, entry in enumerate(routes):
        row = {
            "inbound_id": record["inbound_id"],
            "route_id": entry["route_id"],
            "position": position,
            "destination": entry["destination"],
            "outcome": entry["outcome"],
            "detail": to_json(entry.get("detail") or {}),
        }
        found.append((inbound_route_runs, row))
    return found


def route_attempt_rows(record: Mapping[str, Any], origin: Origin) -> Rows:
    """The attempt row of a route_attempt record (an HTTP route's forwarding try)."""
    row = {
        **{key: record[key] for key in ("id", "delivery_id", "inbound_id", "source_id")},
        "route_id": record["route_id"],
        **tried_columns(record, origin),
    }
    return [(route_attempts, row)]


KINDS: dict[tuple[Topic, str], tuple[Contract, Converter]] = {
    (Topic.EVENTS, "inbound"): (Contract.INBOUND, inbound_rows),
    (Topic.ATTEMPTS, "inbound_routed"): (Contract.INBOUND_ROUTED, routed_rows),
    (Topic.ATTEMPTS, "route_attempt"): (Contract.ROUTE_ATTEMPT, route_attempt_rows),
}
# What a record with an unknown kind is checked against (and refused by).
FALLBACK = {
    Topic.EVENTS: KINDS[(Topic.EVENTS, "inbound")],
    Topic.ATTEMPTS: KINDS[(Topic.ATTEMPTS, "route_attempt")],
}


def contract_for(
    topic: Topic, raw: bytes | None, default: tuple[Contract, Converter]
) -> tuple[Contract, Converter]:
    """The contract and converter of one record of ``topic``: by its ``kind``, else ``default``."""
    kind = record_kind(raw) if topic in FALLBACK else None
    if kind is None:
        return default
    return KINDS.get((topic, kind), FALLBACK[topic])
