"""The answer a publisher waits for: the duplicate window's verdict, as a ``replies`` record.

Only events carrying a ``reply_to`` (a publish with an id or an Idempotency-Key) get one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.router.deliveries import Outgoing
from services.router.window import ACCEPTED, DUPLICATE, Verdict
from shared.request_reply import Reply, ReplyAddress, reply_record

MESSAGES = {
    DUPLICATE: ("duplicate_id", "a message with this id was published in the last 24 hours"),
}
KEY_REUSED_ERROR = (
    "idempotency_key_reused",
    "this Idempotency-Key was used with a different request in the last 24 hours",
)


def verdict_body(verdict: Verdict) -> dict[str, Any]:
    """The reply body: the message answered about, or the error; ``replayed`` says whether it
    repeats the answer given to an earlier event with the same Idempotency-Key."""
    if verdict.status == ACCEPTED:
        return {
            "id": verdict.message_id,
            "timestamp": verdict.timestamp,
            "replayed": verdict.replayed,
        }
    code, message = MESSAGES.get(verdict.status, KEY_REUSED_ERROR)
    error = {"code": code, "message": message, "details": {"id": verdict.message_id}}
    return {"error": error, "replayed": verdict.replayed}


def verdict_reply(event: Mapping[str, Any], verdict: Verdict, topic: str) -> Outgoing | None:
    """The replies record for ``event``'s publisher, or None when nobody waits for one."""
    reply_to = event.get("reply_to")
    if not reply_to or not topic:
        return None
    address = ReplyAddress.from_record(reply_to)
    key, value = reply_record(address, Reply("publish", verdict.status, verdict_body(verdict)))
    return Outgoing(topic, key, value)
