"""Turning attempts into endpoint health, and health changes into config writes.

:class:`EndpointHealth` decides (no I/O); :class:`EndpointWriter` writes to the config topic,
where every service sees an endpoint disabled with its reason.
"""

from __future__ import annotations

import logging
import time

from services.dispatcher.outcomes.endpoint_health import GONE_REASON, Change, EndpointHealth
from services.dispatcher.outcomes.endpoint_writer import EndpointWriter
from services.dispatcher.outcomes.kafka_out import persistently
from services.dispatcher.outcomes.operational_events import OperationalEvents
from services.dispatcher.targets.exchange import GONE
from services.dispatcher.targets.tried import Tried
from shared import metrics
from shared.records import JsonObject

log = logging.getLogger(__name__)


class EndpointStatus:
    """What each attempt means for its endpoint's health; writes the resulting changes."""

    def __init__(
        self,
        disable_after: float,
        writer: EndpointWriter | None,
        events: OperationalEvents | None = None,
    ) -> None:
        self._health = EndpointHealth(disable_after)
        self._writer = writer
        self._events = events

    def judge(self, endpoint: JsonObject, tried: Tried) -> Change | None:
        """The change ``tried`` calls for, if any; pass it to :meth:`apply` afterwards."""
        if tried.outcome == "succeeded":
            return self._health.succeeded(endpoint)
        if tried.exchange.status == GONE:
            return self._health.gone(endpoint)
        return self._health.failed(endpoint, time.time())

    async def apply(self, endpoint_id: str, change: Change, ids: dict[str, str]) -> None:
        """Write ``change`` to the endpoint's config record; blocks while Kafka is down."""
        writer = self._writer
        try:
            if writer is None:
                return
            disabling = change.get("enabled") is False
            written = await persistently(
                lambda: writer.update(endpoint_id, change, touch=disabling),
                "updating the endpoint",
                ids,
            )
            if disabling:
                log.warning("endpoint disabled", extra={**ids, "reason": change["disabled_reason"]})
                metrics.ENDPOINTS_DISABLED.labels(_reason(change)).inc()
                if written and self._events is not None and "app_id" in ids:
                    await self._events.endpoint_disabled(ids["app_id"], endpoint_id, change)
        finally:
            self._health.written(endpoint_id, change)


def _reason(change: Change) -> str:
    """The metric label of a disabling change: ``gone`` (410) or ``failing``."""
    return "gone" if change.get("disabled_reason") == GONE_REASON else "failing"
