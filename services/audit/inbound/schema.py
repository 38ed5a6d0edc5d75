"""The received log's tables (on the audit metadata, so ``create_all`` makes them).

Every row is a fact written once (insert-or-ignore, as every audit table): the request, which
routes it ran, and each HTTP forwarding attempt. A route's current outcome is worked out when
read (its latest attempt, else what the router recorded), so records arriving in any order
across topics and partitions give the same answer.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from services.audit.schema import metadata, origin_columns, tried_columns

inbound_requests = Table(
    "inbound_requests",
    metadata,
    Column("id", String, primary_key=True),
    Column("source_id", String, nullable=False),
    Column("received_at", String, nullable=False),
    Column("ts_ms", BigInteger, nullable=False),
    Column("method", String, nullable=False),
    Column("path", Text, nullable=False),
    Column("query", Text, nullable=False),
    Column("headers", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("body_encoding", String, nullable=False),
    Column("verification", Text, nullable=False),
    Column("status", String, nullable=False),
    Column("route", Boolean, nullable=False),
    Column("resubmission_of", String, nullable=True),
    *origin_columns(),
    Index("ix_inbound_ts", "ts_ms", "id"),
    Index("ix_inbound_source_ts", "source_id", "ts_ms", "id"),
    Index("ix_inbound_status_ts", "status", "ts_ms", "id"),
    Index("ix_inbound_source_status_ts", "source_id", "status", "ts_ms", "id"),
    Index("ix_inbound_stream", "kafka_partition", "kafka_offset"),
    Index("ix_inbound_source_stream", "source_id", "kafka_partition", "kafka_offset"),
)

# One row per routed request: present once the router has run its routes (maybe none).
inbound_routings = Table(
    "inbound_routings",
    metadata,
    Column("inbound_id", String, primary_key=True),
    Column("source_id", String, nullable=False),
    Column("routed_at", String, nullable=False),
    Column("route_count", Integer, nullable=False),
    # Set when the request repeated a dedupe key: the first request's id (status "duplicate").
    Column("duplicate_of", String, nullable=True),
    Index("ix_inbound_routings_routed", "routed_at"),  # retention finds orphans by it
)

# One row per (request, route) the router ran, in the order they ran.
inbound_route_runs = Table(
    "inbound_route_runs",
    metadata,
    Column("inbound_id", String, primary_key=True),
    Column("route_id", String, primary_key=True),
    Column("position", Integer, nullable=False),
    Column("destination", String, nullable=False),
    Column("outcome", String, nullable=False),
    Column("detail", Text, nullable=False),
)

route_attempts = Table(
    "route_attempts",
    metadata,
    Column("id", String, primary_key=True),
    Column("delivery_id", String, nullable=False),
    Column("inbound_id", String, nullable=False),
    Column("source_id", String, nullable=False),
    Column("route_id", String, nullable=False),
    *tried_columns(),
    Index("ix_route_attempts_inbound", "inbound_id", "route_id", "attempt", "ts_ms"),
    Index("ix_route_attempts_route_ts", "route_id", "ts_ms", "id"),
    Index("ix_route_attempts_ts", "ts_ms"),  # retention
)
