"""The audit tables exactly as hookbus created them at schema version 1, frozen for the
migration tests: an old database is built from these and must migrate to today's shape."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

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
    Column("kafka_partition", Integer, nullable=False),
    Column("kafka_offset", BigInteger, nullable=False),
    Index("ix_messages_app_ts", "app_id", "ts_ms", "id"),
    Index("ix_messages_app_type_ts", "app_id", "event_type", "ts_ms", "id"),
)

message_channels = Table(
    "message_channels",
    metadata,
    Column("app_id", String, primary_key=True),
    Column("channel", String, primary_key=True),
    Column("message_id", String, primary_key=True),
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
    Column("attempt", Integer, nullable=False),
    Column("timestamp", String, nullable=False),
    Column("ts_ms", BigInteger, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("status", Integer, nullable=True),
    Column("outcome", String, nullable=False),
    Column("request", Text, nullable=False),
    Column("response", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("kafka_partition", Integer, nullable=False),
    Column("kafka_offset", BigInteger, nullable=False),
    Index("ix_attempts_app_ep_ts", "app_id", "endpoint_id", "ts_ms", "id"),
    Index("ix_attempts_app_ep_outcome_ts", "app_id", "endpoint_id", "outcome", "ts_ms", "id"),
    Index("ix_attempts_app_msg_ts", "app_id", "message_id", "ts_ms", "id"),
)

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
    Index("ix_dead_letters_at", "at_ms"),
    Index("ix_dead_letters_kind_at", "kind", "at_ms"),
    UniqueConstraint(
        "origin_topic",
        "origin_partition",
        "origin_offset",
        "origin_service",
        "kind",
        name="uq_dead_letters_origin",
    ),
)
