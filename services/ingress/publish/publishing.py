"""Publishing messages safely: schema check, duplicate ids, Idempotency-Key, and the verdict.

The event is written first (a 2xx is only ever given once it is durable); when the caller gave
an id or an Idempotency-Key, the router's duplicate window decides whether it is routed and
tells this ingress instance over Kafka (request-reply). Without either, nothing waits.

- A duplicate id within the window: 409, nothing delivered.
- An Idempotency-Key seen before with the same request: the first answer again (202 with the
  first message, or the first 409), header ``Idempotent-Replayed: true``, nothing delivered.
  With a different request: 422 ``idempotency_key_reused``. Without an id, the message id is
  derived from the key, so a retried publish is one message everywhere (log, ``webhook-id``).
- No verdict within ``HOOKBUS_VERDICT_TIMEOUT``: 202 with header ``X-Hookbus-Verdict: pending``.
  The event is durable and is still checked: a duplicate is never delivered twice.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from services.ingress.api.models import MessageIn
from services.ingress.publish.publisher import event_record, publish
from services.ingress.web.hub import Hub
from shared.ids import derived_id
from shared.payload_schemas import payload_problems, refuse
from shared.records import EventRecord, Idempotency
from shared.request_reply import Reply, ReplyAddress

PENDING_HEADER = "x-hookbus-verdict"
REPLAYED_HEADER = "idempotent-replayed"


@dataclass(frozen=True)
class Publication:
    """One message's event record and, when a verdict is awaited, its reply address."""

    record: EventRecord
    address: ReplyAddress | None


def request_hash(message: MessageIn) -> str:
    """A fingerprint of what the caller asked for, to spot a reused Idempotency-Key."""
    asked = message.model_dump(mode="json")
    return hashlib.sha256(orjson.dumps(asked, option=orjson.OPT_SORT_KEYS)).hexdigest()


def check_payloads(hub: Hub, messages: Sequence[MessageIn], batch: bool) -> None:
    """Raise a 422 naming the failing path when a payload breaks its event type's schema.

    Every message is checked before anything is written. The config view must be fresh.
    """
    for index, message in enumerate(messages):
        event_type = hub.config.view.get("event_type", message.event_type)
        if event_type is None or not event_type.get("schema"):
            continue
        prefix: list[str | int] = ["messages", index, "payload"] if batch else ["payload"]
        problems = payload_problems(event_type["schema"], message.payload, prefix)
        if problems:
            raise refuse(problems, message.event_type)


def prepare(
    hub: Hub, app_id: str, messages: Sequence[MessageIn], key: str | None, batch: bool
) -> list[Publication]:
    """The publications of ``messages``; a batch's Idempotency-Key covers each message as
    ``<key>#<index>``. Call :func:`publish_and_judge` with them, so no address is left open."""
    offset = hub.config.view.position
    found = []
    for index, message in enumerate(messages):
        item_key = None if key is None else (f"{key}#{index}" if batch else key)
        message_id = message.id
        if message_id is None and item_key is not None:
            message_id = derived_id("msg", f"{app_id}\n{item_key}".encode())
        idempotency: Idempotency | None = None
        if item_key is not None:
            idempotency = {"key": item_key, "hash": request_hash(message)}
        waits = message.id is not None or item_key is not None
        address = hub.replies.new_address() if waits else None
        record = event_record(
            app_id,
            message.event_type,
            message.payload,
            offset,
            message_id,
            message.channels,
            dedupe=message.id is not None,
            idempotency=idempotency,
            reply_to=None if address is None else address.as_record(),
        )
        record["schema_checked"] = True  # by check_payloads: the router need not again
        found.append(Publication(record, address))
    return found


async def publish_and_judge(hub: Hub, publications: list[Publication]) -> list[Reply | None]:
    """Write every event (durable on return), then wait for the verdicts awaited.

    Raises ``PayloadTooLarge`` or ``KafkaUnavailable`` before anything is answered.
    """
    try:
        await publish(hub, [p.record for p in publications])
    except BaseException:
        for publication in publications:
            if publication.address is not None:
                hub.replies.forget(publication.address)
        raise
    timeout = hub.settings.verdict_timeout
    return list(await asyncio.gather(*(_verdict(hub, p.address, timeout) for p in publications)))


async def _verdict(hub: Hub, address: ReplyAddress | None, timeout: float) -> Reply | None:
    return None if address is None else await hub.replies.wait(address, timeout)
