"""The ingress's part of operational webhooks (:mod:`shared.operational`): the built-in app
``operational``, made at start, and the events of the management calls it serves.

Every ingress copy makes the app at start unless its config view has it; the id is fixed, so
copies starting together write the same object. A user's own app holding the uid
``operational`` keeps it (a warning says the built-in one is missing).
"""

from __future__ import annotations

import asyncio
import logging

from services.ingress.web.hub import Hub
from shared.errors import KafkaUnavailable
from shared.operational import (
    OPERATIONAL_APP_ID,
    OPERATIONAL_UID,
    operational_app,
    publish_operational,
)
from shared.records import JsonObject

log = logging.getLogger(__name__)
TRIES = 5


async def ensure_operational_app(hub: Hub, retry_delay: float = 1.0) -> None:
    """Make the built-in app unless it exists; a few tries while Kafka does not answer, then a
    warning (the next start tries again). Blocks on Kafka."""
    for attempt in range(TRIES):
        try:
            await hub.config.fresh()
            view = hub.config.view
            if view.get("app", OPERATIONAL_APP_ID) is not None:
                return
            holder = view.lookup("app", OPERATIONAL_UID)
            if holder is not None:
                log.warning("uid 'operational' taken by an app: no operational webhooks")
                return
            await hub.config.put("app", operational_app())
            log.info("operational app created", extra={"app_id": OPERATIONAL_APP_ID})
            return
        except KafkaUnavailable as exc:
            log.warning("operational app not created yet", extra={"error": str(exc)})
            if attempt < TRIES - 1:
                await asyncio.sleep(retry_delay)


def endpoint_data(hub: Hub, endpoint: JsonObject) -> JsonObject:
    """The data of an endpoint.* event: the endpoint and its app, by id and uid."""
    app = hub.config.view.get("app", endpoint["app_id"]) or {}
    return {
        "app_id": endpoint["app_id"],
        "app_uid": app.get("uid"),
        "endpoint_id": endpoint["id"],
        "endpoint_uid": endpoint.get("uid"),
    }


async def endpoint_event(hub: Hub, event_type: str, endpoint: JsonObject) -> None:
    """Publish ``endpoint.<what>`` about ``endpoint`` (nothing for the operational app's own)."""
    data = endpoint_data(hub, endpoint)
    await publish_operational(
        hub.producer,
        hub.events_topic,
        event_type,
        data,
        config_offset=hub.config.view.position,
    )


async def source_verified(hub: Hub, source: JsonObject, verified_at: str) -> None:
    """Publish ``source.verified`` once per source (a repeat from another copy is dropped)."""
    data = {
        "source_id": source["id"],
        "name": source.get("name"),
        "provider": source.get("provider"),
        "verified_at": verified_at,
    }
    await publish_operational(
        hub.producer,
        hub.events_topic,
        "source.verified",
        data,
        once_key=source["id"],
        config_offset=hub.config.view.position,
    )
