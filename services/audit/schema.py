"""The audit tables as they are now, in portable SQL (SQLite and PostgreSQL).

Every list is read newest first by ``(ts_ms, id)``: ``ts_ms`` is the record's own timestamp in
milliseconds since the epoch, because the ISO text of a caller's timestamp does not always sort
(``...:00Z`` sorts after ``...:00.123Z``). Each list filter has an index that starts with the
app id and ends with the list's whole order, so a page is read in index order without a sort
and one app's reads never scan another app's rows. Each table also has an index on its time
alone, for retention. JSON columns are plain text. Strings have no length limit: the contracts
bound few of them, and a value too long for its column would be refused by PostgreSQL for good.

A change here needs a migration in :mod:`services.audit.migrations` that brings an existing
database to the same shape (a test compares a migrated database with a new one).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()


def origin_columns() -> list[Column[Any]]:
    """Where the record was read, so a row can be traced back to the log."""
    return [
        Column("kafka_partition", Integer, nullable=False),
        Column("kafka_offset", BigInteger, nullable=False),
    ]


def expunged_column() -> Column[Any]:
    """True once a row's payload or bodies were erased (per-app retention, or an expunge)."""
    return Column("expunged", Boolean, nullable=False, server_default=text("false"))


def tried_columns() -> list[Column[Any]]:
    """The columns every attempt table has after its ids (an endpoint's or a route's attempt);
    ``status`` is the response's, null when none arrived."""
    return [
        Column("attempt", Integer, nullable=False),
        Column("timestamp", String, nullable=False),
        Column("ts_ms", BigInteger, nullable=False),
        Column("duration_ms", Integer, nullable=False),
        Column("status", Integer, nullable=True),
        Column("outcome", String, nullable=False),
        Column("request", Text, nullable=False),
        Column("response", Text, nullable=True),
        Column("error", Text, nullable=True),
        *origin_columns(),
    ]


# One row per migration applied (see services.audit.migrations).
schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", String, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("app_id", String, primary_key=True),
    Column("id", String, primary_key=True),
    Column("event_type", String, nullable=False),
    Column("payload", Text, nullable=False),
    Column("channels", Text, nullable=False),
    Column("timestamp", String, nullable=False),
    Column("ts_ms", BigInteger, nullable=False),
    Column("endpoint_id", String, nullable=True),
    *origin_columns(),
    expunged_column(),
    Index("ix_messages_app_ts", "app_id", "ts_ms", "id"),
    Index("ix_messages_app_type_ts", "app_id", "event_type", "ts_ms", "id"),
    Index("ix_messages_ts", "ts_ms"),
    Index("ix_messages_app_stream", "app_id", "kafka_partition", "kafka_offset"),
    Index("ix_messages_app_expunged_ts", "app_id", "expunged", "ts_ms"),
)

# One row per (message, channel), with the message's time: the channel filter reads one
# channel's messages newest first from an index, not by testing every message of the app.
message_channels = Table(
    "message_channels",
    metadata,
    Column("app_id", String, primary_key=True),
    Column("channel", String, primary_key=True),
    Column("message_id", String, primary_key=True),
    # The default only serves rows written before the column existed (see migration 2).
    Column("ts_ms", BigInteger, nullable=False, server_default=text("0")),
    Index("ix_message_channels_list", "app_id", "channel", "ts_ms", "message_id"),
    Index("ix_message_channels_ts", "ts_ms"),
)

attempts = Table(
    "attempts",
    metadata,
    Column("id", String, primary_key=True),
    Column("app_id", String, nullable=False),
    Column("message_id", String, nullable=False),
    Column("endpoint_id", String, nullable=False),
    Column("delivery_id", String, nullable=False),
    Column("event_type", String, nullable=True),
    *tried_columns(),
    expunged_column(),
    Index("ix_attempts_app_ep_ts", "app_id", "endpoint_id", "ts_ms", "id"),
    Index("ix_attempts_app_ep_outcome_ts", "app_id", "endpoint_id", "outcome", "ts_ms", "id"),
    Index("ix_attempts_app_msg_ts", "app_id", "message_id", "ts_ms", "id"),
    Index("ix_attempts_ts", "ts_ms"),
    Index("ix_attempts_app_stream", "app_id", "kafka_partition", "kafka_offset"),
    Index("ix_attempts_app_expunged_ts", "app_id", "expunged", "ts_ms"),
)

# Keyed by the dead letter's own position on the dead topic, so replaying the dead topic inserts
# nothing new; and unique by what failed where, so a consumer that replays a bad record and
# dead-letters it a second time does not list it twice either.
dead_letters = Table(
    "dead_letters",
    metadata,
    Column("kafka_topic", String, primary_key=True),
    Column("kafka_partition", Integer, primary_key=True, autoincrement=False),
    Column("kafka_offset", BigInteger, primary_key=True, autoincrement=False),
    Column("reason", Text, nullable=False),
    Column("kind", String, nullable=False),
    Column("origin", Text, nullable=False),
    Column("origin_topic", String, nullable=False),
    Column("origin_partition", Integer, nullable=False),
    Column("origin_offset", BigInteger, nullable=False),
    Column("origin_service", String, nullable=False),
    Column("record", Text, nullable=False),
    Column("at", String, nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    # The exhausted delivery's app and message, when its record says (for erasure).
    Column("app_id", String, nullable=True),
    Column("message_id", String, nullable=True),
    expunged_column(),
    Index("ix_dead_letters_message", "app_id", "message_id"),
    Index("ix_dead_letters_list", "at_ms", "kafka_topic", "kafka_partition", "kafka_offset"),
    Index(
        "ix_dead_letters_kind_list",
        "kind",
        "at_ms",
        "kafka_topic",
        "kafka_partition",
        "kafka_offset",
    ),
    UniqueConstraint(
        "origin_topic",
        "origin_partition",
        "origin_offset",
        "origin_service",
        "kind",
        name="uq_dead_letters_origin",
    ),
)

# Messages erased on request: attempts and dead letters of them that audit stores later (a
# retry made after the request) are erased as they arrive.
expunged_messages = Table(
    "expunged_messages",
    metadata,
    Column("app_id", String, primary_key=True),
    Column("message_id", String, primary_key=True),
    Column("at", String, nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Index("ix_expunged_messages_at", "at_ms"),
)
