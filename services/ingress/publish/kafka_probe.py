"""Whether Kafka answers the ingress, for ``/readyz``.

The ingress writes only when asked, so nothing else would notice that the broker went away
until a user's call failed. The probe asks for the config topic's end offset (one small
request) every few seconds; ``/readyz`` answers 503 while the last answer did not come.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from shared.config_view import ConfigView
from shared.errors import KafkaUnavailable

log = logging.getLogger(__name__)


class KafkaProbe:
    """``reachable`` is true while Kafka answered the last probe within ``timeout`` seconds."""

    def __init__(self, view: ConfigView, interval: float = 2.0, timeout: float = 5.0) -> None:
        self._view = view
        self._interval = interval
        self._timeout = timeout
        self.reachable = True  # the ingress reached Kafka to start at all

    async def check(self) -> bool:
        """Ask Kafka once (blocks up to ``timeout``); record and return the result."""
        try:
            await asyncio.wait_for(self._view.end_offset(), self._timeout)
        except (KafkaUnavailable, TimeoutError) as exc:
            if self.reachable:
                log.warning("kafka unreachable", extra={"error": str(exc) or "timeout"})
            self.reachable = False
        else:
            if not self.reachable:
                log.info("kafka reachable again")
            self.reachable = True
        return self.reachable

    async def run(self, stop: asyncio.Event) -> None:
        """Probe every ``interval`` seconds until ``stop`` is set."""
        while not stop.is_set():
            await self.check()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)
