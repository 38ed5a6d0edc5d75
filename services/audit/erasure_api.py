"""Erasure, the audit side: the expunge call, and the rounds that apply each app's
``retention`` to payloads and bodies.

An expunge is recorded on the tasks topic first (keyed by app id), so it is durable and a log
rebuilt from Kafka erases the message again, then carried out in the database before the call
answers ``204``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Response
from sqlalchemy.exc import SQLAlchemyError

from services.audit import queries
from services.audit.erasure import erase_older, expunge_message
from services.audit.store import Store
from shared import clock
from shared.config_state import ConfigState
from shared.contracts import Contract, encode
from shared.errors import NotFound
from shared.kafka_io import send
from shared.settings import SettingsError, parse_duration
from shared.topics import Topic, physical

log = logging.getLogger(__name__)
MIN_INTERVAL_S = 1.0


def erasure_routes(store: Store, producer: AIOKafkaProducer, prefix: str) -> APIRouter:
    """``POST /v1/apps/{app_id}/messages/{message_id}/expunge``."""
    router = APIRouter(prefix="/v1/apps/{app_id}", tags=["erasure"])
    topic = physical(prefix, Topic.TASKS)

    @router.post("/messages/{message_id}/expunge", status_code=204)
    async def expunge(app_id: str, message_id: str) -> Response:
        """Erase the message's payload and every body logged for it; 404 when unknown."""
        found = await asyncio.to_thread(queries.get_message, store.engine, app_id, message_id)
        if found is None:
            raise NotFound("message not found", {"message": message_id})
        at = clock.iso()
        record = {"v": 1, "type": "expunge", "id": message_id, "app_id": app_id, "at": at}
        await send(producer, topic, app_id, encode(Contract.TASK, record))
        await asyncio.to_thread(expunge_message, store.engine, app_id, message_id, at)
        log.info("message expunged", extra={"app_id": app_id, "message_id": message_id})
        return Response(status_code=204)

    return router


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
