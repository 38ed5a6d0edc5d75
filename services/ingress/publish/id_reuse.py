"""Caller ids that name a message hookbus made itself.

The router's duplicate window holds the ids callers chose, not the ones hookbus generates: those
are unique by construction, and remembering each would cost a claim per message. A caller who
publishes with a generated id (retrying with the id a first answer gave it) would slip past the
window and have a second message delivered under the first one's ``webhook-id``. So an id of
the generated form (``msg_`` and 26 characters) is looked up in the message log instead: a
message of the app published within the window makes the publish a duplicate, answered as the
window answers one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from services.ingress.web.audit_proxy import messages_caught_up, stored_message
from services.ingress.web.hub import Hub
from shared import clock
from shared.ids import has_prefix

DUPLICATE_ERROR = {
    "code": "duplicate_id",
    "message": "a message with this id was published in the last 24 hours",
}


def duplicate(message_id: str) -> dict[str, Any]:
    """The error body of a duplicate id, as the router's verdict words it."""
    return {"error": {**DUPLICATE_ERROR, "details": {"id": message_id}}}


async def taken(hub: Hub, app_id: str, ids: Iterable[str | None]) -> set[str]:
    """Those of ``ids`` that are generated ids of messages the app published within the window.

    Waits (briefly) until audit has what this ingress published; an id audit does not have, or
    cannot be asked about, is not taken (the window still judges it).
    """
    generated = {i for i in ids if i is not None and has_prefix(i, "msg")}
    if not generated:
        return set()
    await messages_caught_up(hub)
    oldest = clock.now().timestamp() - hub.settings.dedupe_window

    async def is_taken(message_id: str) -> bool:
        found = await stored_message(hub, app_id, message_id)
        return found is not None and clock.parse(found["timestamp"]).timestamp() > oldest

    ordered = sorted(generated)
    verdicts = await asyncio.gather(*(is_taken(i) for i in ordered))
    return {i for i, is_dup in zip(ordered, verdicts, strict=True) if is_dup}
