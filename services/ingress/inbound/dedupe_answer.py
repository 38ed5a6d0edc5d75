"""The answer to a request of a source that dedupes (async mode): wait for the router's verdict.

The request is durable before anything waits. The router replies once it judged the request's
key: a repeat within the window is answered ``200 {"id": <first in_ id>, "duplicate": true}``
(the ``x-hookbus-inbound-id`` header names the repeat's own log entry, ``duplicate``); a first
is answered as usual (``202`` or the source's ``response``). No verdict within
``HOOKBUS_VERDICT_TIMEOUT``: the usual answer with ``x-hookbus-verdict: pending``, as a publish
with an id gets; the router still judges, so a repeat is never routed.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response

from services.ingress.inbound.answers import accepted_answer, duplicate_answer, duplicate_of
from services.ingress.web.hub import Hub
from shared.inbound_sync import ROUTER
from shared.request_reply import Reply, ReplyAddress

PENDING_HEADER = "x-hookbus-verdict"


def _judged(replies: list[Reply]) -> bool:
    return any(reply.body.get("from") == ROUTER for reply in replies)


async def deduped_answer(
    hub: Hub, address: ReplyAddress, custom: dict[str, Any] | None, inbound_id: str
) -> Response:
    """Wait (at most ``HOOKBUS_VERDICT_TIMEOUT``) for the verdict on the request answered at
    ``address``, and answer accordingly."""
    replies, judged = await hub.replies.gather(address, _judged, hub.settings.verdict_timeout)
    first = duplicate_of(replies)
    if first is not None:
        return duplicate_answer(first, inbound_id)
    answer = accepted_answer(custom, inbound_id)
    if not judged:
        answer.headers[PENDING_HEADER] = "pending"
    return answer
