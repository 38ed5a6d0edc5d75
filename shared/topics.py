"""Logical topic names, in one place, and their physical names and layout."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MAX_RECORD_BYTES = 4 * 1024 * 1024


class Topic(StrEnum):
    """Every topic hookbus owns; the physical name is ``HOOKBUS_TOPIC_PREFIX`` + value."""

    CONFIG = "config"
    EVENTS = "events"
    DELIVERIES = "deliveries"
    ATTEMPTS = "attempts"
    DEAD = "dead"
    REPLIES = "replies"


@dataclass(frozen=True)
class TopicSpec:
    """How a topic is created: partition count and topic-level configuration."""

    name: str
    partitions: int
    config: dict[str, str]


def physical(prefix: str, topic: Topic) -> str:
    """The broker-side name of ``topic`` under ``prefix``."""
    return f"{prefix}{topic.value}"


def layout(prefix: str, partitions: int) -> list[TopicSpec]:
    """Every topic with its partition count.

    The config log has one partition so every reader sees one total order of writes, and is
    compacted so it keeps the latest record per key forever; the rest are partitioned by key.
    """
    # Records carry payloads of up to HOOKBUS_MAX_PAYLOAD_BYTES plus their envelope.
    large = {"max.message.bytes": str(MAX_RECORD_BYTES)}
    specs = [TopicSpec(physical(prefix, Topic.CONFIG), 1, {"cleanup.policy": "compact", **large})]
    for topic in (Topic.EVENTS, Topic.DELIVERIES, Topic.ATTEMPTS, Topic.DEAD, Topic.REPLIES):
        specs.append(TopicSpec(physical(prefix, topic), partitions, dict(large)))
    return specs
