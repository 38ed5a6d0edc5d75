"""Logical topic names, in one place, and their physical names and layout."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MAX_RECORD_BYTES = 4 * 1024 * 1024
# The most a record's value may take: the rest is room for its key, headers and batch framing.
MAX_VALUE_BYTES = MAX_RECORD_BYTES - 64 * 1024


class Topic(StrEnum):
    """Every topic hookbus owns; the physical name is ``HOOKBUS_TOPIC_PREFIX`` + value."""

    CONFIG = "config"
    EVENTS = "events"
    DELIVERIES = "deliveries"
    ATTEMPTS = "attempts"
    DEAD = "dead"
    REPLIES = "replies"
    TASKS = "tasks"


@dataclass(frozen=True)
class TopicSpec:
    """How a topic is created: partition count and topic-level configuration."""

    name: str
    partitions: int
    config: dict[str, str]


RETRY_PREFIX = "retry."
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def physical(prefix: str, topic: Topic | str) -> str:
    """The broker-side name of ``topic`` (a :class:`Topic` or retry tier) under ``prefix``."""
    return f"{prefix}{topic}"


def retry_topic(delay: float) -> str:
    """The logical name of the retry tier of ``delay`` seconds: ``retry.5s``, ``retry.30m``...

    The largest unit that divides the delay names it; a fraction of a second counts in ms.
    """
    millis = round(delay * 1000)
    for unit, seconds in _UNITS:
        if millis % (seconds * 1000) == 0 and millis > 0:
            return f"{RETRY_PREFIX}{millis // (seconds * 1000)}{unit}"
    return f"{RETRY_PREFIX}{millis}ms"


def retry_topics(schedule: tuple[float, ...]) -> list[str]:
    """One retry tier per distinct delay of the schedule, in schedule order."""
    return list(dict.fromkeys(retry_topic(delay) for delay in schedule))


def layout(prefix: str, partitions: int, schedule: tuple[float, ...] = ()) -> list[TopicSpec]:
    """Every topic with its partition count, with a retry tier per delay of ``schedule``.

    The config log has one partition so every reader sees one total order of writes, and is
    compacted so it keeps the latest record per key forever; the rest are partitioned by key.
    Retry tiers have as many partitions as the deliveries topic, so an endpoint's records land
    on the same partition number in each (the dispatcher's range assignment relies on it).
    """
    # Records carry payloads of up to HOOKBUS_MAX_PAYLOAD_BYTES plus their envelope.
    large = {"max.message.bytes": str(MAX_RECORD_BYTES)}
    specs = [TopicSpec(physical(prefix, Topic.CONFIG), 1, {"cleanup.policy": "compact", **large})]
    for topic in (
        Topic.EVENTS,
        Topic.DELIVERIES,
        Topic.ATTEMPTS,
        Topic.DEAD,
        Topic.REPLIES,
        Topic.TASKS,
    ):
        specs.append(TopicSpec(physical(prefix, topic), partitions, dict(large)))
    for tier in retry_topics(schedule):
        specs.append(TopicSpec(physical(prefix, tier), partitions, dict(large)))
    return specs
