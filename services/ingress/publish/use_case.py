"""The publish use-case: what a publish call does, whichever handler (one message or a batch)
takes it, in one place: check the payloads, look up generated ids already used, write the
events (durable on return), wait for the verdicts and word each message's outcome.

The protocol itself (the records, the request-reply with the router) is
:mod:`services.ingress.publish.publishing`; the HTTP answer is the handler's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.ingress.api.models import MessageIn
from services.ingress.publish import id_reuse
from services.ingress.publish.publisher import message_view
from services.ingress.publish.publishing import (
    PENDING_HEADER,
    REPLAYED_HEADER,
    Publication,
    check_payloads,
    prepare,
    publish_and_judge,
)
from services.ingress.web.hub import Hub
from shared.request_reply import Reply


@dataclass(frozen=True)
class Outcome:
    """One message's answer: its HTTP status, body, and verdict ('', 'pending' or 'replayed')."""

    message_id: str
    status: int
    body: dict[str, Any]
    verdict: str = ""


async def publish(
    hub: Hub, app_id: str, messages: Sequence[MessageIn], key: str | None, batch: bool
) -> list[Outcome]:
    """Publish ``messages`` to the app ``app_id`` (resolved), one outcome per message in order.

    Nothing is written when a payload breaks its event type's schema (422) or a message is too
    large (413); a generated id the app already used is a 409 without being written again.
    ``key`` is the Idempotency-Key (a batch's covers each message as ``<key>#<index>``).
    Raises ``KafkaUnavailable`` when Kafka does not acknowledge the events.
    """
    check_payloads(hub, messages, batch)
    taken = await id_reuse.taken(hub, app_id, [m.id for m in messages])
    publications = prepare(hub, app_id, messages, key, batch)
    repeated = [m.id is not None and m.id in taken for m in messages]
    for publication, is_repeat in zip(publications, repeated, strict=True):
        if is_repeat and publication.address is not None:
            hub.replies.forget(publication.address)
    fresh = [p for p, is_repeat in zip(publications, repeated, strict=True) if not is_repeat]
    judged = iter(await publish_and_judge(hub, fresh))
    return [
        _repeat(p) if is_repeat else _outcome(p, next(judged))
        for p, is_repeat in zip(publications, repeated, strict=True)
    ]


def verdict_headers(outcomes: Sequence[Outcome]) -> dict[str, str]:
    """The answer's headers: a verdict still pending, or every message's answer replayed."""
    verdicts = [outcome.verdict for outcome in outcomes]
    headers = {}
    if "pending" in verdicts:
        headers[PENDING_HEADER] = "pending"
    if verdicts and all(v == "replayed" for v in verdicts):
        headers[REPLAYED_HEADER] = "true"
    return headers


def _repeat(publication: Publication) -> Outcome:
    message_id = publication.record["id"]
    return Outcome(message_id, 409, id_reuse.duplicate(message_id))


def _outcome(publication: Publication, reply: Reply | None) -> Outcome:
    view = message_view(publication.record)
    message_id = publication.record["id"]
    if publication.address is None:
        return Outcome(message_id, 202, view)
    if reply is None:
        return Outcome(message_id, 202, view, "pending")
    replayed = "replayed" if reply.body.get("replayed") else ""
    if reply.status != 202:
        return Outcome(message_id, reply.status, {"error": reply.body.get("error")}, replayed)
    answer = {**view, "id": reply.body["id"], "timestamp": reply.body["timestamp"]}
    return Outcome(message_id, 202, answer, replayed)
