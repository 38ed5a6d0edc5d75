"""The rounds that apply each app's ``retention`` to its payloads and bodies (the erasure of
:mod:`.erasure`, by age)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from sqlalchemy.exc import SQLAlchemyError

from services.audit.erasure import erase_older
from services.audit.store import Store
from shared.config_state import ConfigState
from shared.setting_values import SettingsError, parse_duration

log = logging.getLogger(__name__)
MIN_INTERVAL_S = 1.0


class AppRetention:
    """Every ``every_s``, erases each app's payloads and bodies older than its ``retention``."""

    def __init__(self, store: Store, config: ConfigState, every_s: float) -> None:
        self._store = store
        self._config = config
        self._every_s = max(every_s, MIN_INTERVAL_S)

    def round(self) -> int:
        """One round over every app with a retention; returns how many rows were erased."""
        erased = 0
        for app in list(self._config.all("app")):
            try:
                keep_s = parse_duration(str(app.get("retention") or ""))
            except SettingsError:
                continue  # no retention (or one the API would have refused)
            before_ms = int((time.time() - keep_s) * 1000)
            erased += erase_older(self._store.engine, app["id"], before_ms)
        return erased

    async def run(self, stop: asyncio.Event) -> None:
        """Rounds until ``stop`` is set, each in a worker thread; a failed one is logged."""
        while not stop.is_set():
            try:
                erased = await asyncio.to_thread(self.round)
            except SQLAlchemyError as exc:
                cause = str(getattr(exc, "orig", None) or exc).splitlines()[0][:500]
                log.warning("app retention round failed", extra={"error": cause})
            else:
                if erased:
                    log.info("app retention erased payloads", extra={"rows": erased})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._every_s)
