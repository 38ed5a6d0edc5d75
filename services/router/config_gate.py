"""The router's config view as a service the faust worker starts before the app and stops after.

Started first, the view follows the config topic while faust joins its consumer group; routing
waits on :meth:`ConfigGate.wait_for`, which first waits for the initial catch-up, so no event is
routed against a view that has not read the configuration written before the router started.
"""

from __future__ import annotations

import asyncio
import logging

from mode import Service

from shared.config_view import ConfigView
from shared.errors import KafkaUnavailable

log = logging.getLogger(__name__)


class ConfigGate(Service):
    """Runs a :class:`ConfigView` and lets routing wait until it has read far enough."""

    def __init__(self, view: ConfigView) -> None:
        super().__init__()
        self.view = view
        self.caught_up = asyncio.Event()

    async def on_start(self) -> None:
        """Connect the view and start catching up in the background; blocks on the broker."""
        await self.view.start()
        self.add_future(self._catch_up())

    async def on_stop(self) -> None:
        """Stop following the config topic."""
        await self.view.stop()

    async def _catch_up(self) -> None:
        while not self.caught_up.is_set():
            try:
                offset = await self.view.catch_up()
            except KafkaUnavailable as exc:
                log.warning("config view not caught up yet", extra={"error": str(exc)})
                continue
            self.caught_up.set()
            log.info("router config view caught up", extra={"offset": offset})

    async def wait_for(self, offset: int, timeout: float) -> None:
        """Wait for the initial catch-up, then until every record below ``offset`` was applied.

        Raises :class:`KafkaUnavailable` when that takes more than ``timeout`` seconds.
        """
        if not self.caught_up.is_set():
            try:
                await asyncio.wait_for(self.caught_up.wait(), timeout)
            except TimeoutError as exc:
                raise KafkaUnavailable("configuration not caught up since start") from exc
        await self.view.wait_for_writer(offset, timeout)

    @property
    def ready(self) -> bool:
        """True once the view has read the whole config topic at least once."""
        return bool(self.view.ready and self.caught_up.is_set())
