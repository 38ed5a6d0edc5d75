"""Events in flight: acknowledged to the stream strictly in the order they were consumed.

Routing event N+1 need not wait for Kafka's acks of event N's records, but committing must: an
event is acknowledged only once its own records are durable *and* every event consumed before it
was acknowledged. faust's offset tracking also needs in-order acks (see ``stream_app``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class InOrderAcks(Generic[T]):
    """A bounded window of ``(item, work)`` pairs; ``ack(item)`` runs once ``work`` and every
    earlier pair are done, in insertion order."""

    def __init__(self, ack: Callable[[T], Awaitable[Any]], limit: int) -> None:
        self._ack = ack
        self._queue: asyncio.Queue[tuple[T, asyncio.Future[None]]] = asyncio.Queue(limit)
        self._acker: asyncio.Task[None] | None = None

    async def add(self, item: T, work: asyncio.Future[None]) -> None:
        """Track ``item`` until ``work`` is done; blocks while ``limit`` items are in flight."""
        if self._acker is None:
            self._acker = asyncio.create_task(self._run(), name="router-in-order-acks")
        await self._queue.put((item, work))

    async def _run(self) -> None:
        while True:
            item, work = await self._queue.get()
            # A cancelled work (shutdown) ends acking here: nothing after it may be acked.
            await work
            await self._ack(item)
            self._queue.task_done()

    async def close(self, timeout: float) -> None:
        """Ack what completes within ``timeout`` seconds, then cancel the rest (left unacked)."""
        try:
            if self._acker is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._drained(), timeout)
        finally:
            if self._acker is not None:
                self._acker.cancel()
            while not self._queue.empty():
                self._queue.get_nowait()[1].cancel()

    async def _drained(self) -> None:
        assert self._acker is not None
        join = asyncio.ensure_future(self._queue.join())
        await asyncio.wait([join, self._acker], return_when=asyncio.FIRST_COMPLETED)
        join.cancel()
