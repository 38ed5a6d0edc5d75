"""Request-reply over Kafka: how an HTTP call waits for an answer a downstream service decides.

The waiting process (an ingress instance, ``HOOKBUS_INSTANCE_ID``) puts a reply address, its
instance id and a fresh correlation id, into the record it produces. Whoever decides the answer
produces a ``replies`` record keyed with that instance id; Kafka's default partitioner (murmur2,
the same in every client) sends all of one instance's replies to one partition, so each instance
reads only that partition, from its end, and completes the waiting call by correlation id.
Several instances may share a partition: each ignores the replies addressed to another.

Used by the publish duplicate check (router → ingress: one reply per request) and by the
inbound sync mode (router and dispatcher → ingress: several replies per request). This module
holds what both sides agree on; the ingress's inbox (``services.ingress.publish.reply_inbox``) reads
the replies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka.partitioner import murmur2

from shared.contracts import encode_reply
from shared.records import ReplyRecord, ReplyTo


@dataclass(frozen=True)
class ReplyAddress:
    """Where the answer to one request goes."""

    instance: str
    correlation_id: str

    def as_record(self) -> ReplyTo:
        """The ``reply_to`` object carried by the request record."""
        return {"instance": self.instance, "correlation_id": self.correlation_id}

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> ReplyAddress:
        """The address in a request record's ``reply_to``."""
        return cls(str(data["instance"]), str(data["correlation_id"]))


@dataclass(frozen=True)
class Reply:
    """An answer: what kind of request, the HTTP status it stands for, and a JSON body."""

    kind: str
    status: int
    body: dict[str, Any]


def reply_partition(instance: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives the key ``instance``."""
    digest: int = murmur2(instance.encode())
    return (digest & 0x7FFFFFFF) % partitions


def reply_record(address: ReplyAddress, reply: Reply) -> tuple[bytes, bytes]:
    """The ``(key, value)`` of the replies record answering ``address``."""
    record: ReplyRecord = {
        "v": 1,
        "correlation_id": address.correlation_id,
        "instance": address.instance,
        "kind": reply.kind,
        "status": reply.status,
        "body": reply.body,
    }
    return address.instance.encode(), encode_reply(record)
