"""faust plumbing of the router: an idempotent producer, raw topics, the health pages."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import faust
from aiokafka import AIOKafkaProducer
from faust.transport.drivers.aiokafka import Producer
from faust.web import Request, Response, View

from services.router.config_gate import ConfigGate
from shared import metrics


class IdempotentProducer(Producer):
    """faust's aiokafka producer with ``enable_idempotence``, which faust only turns on for
    ``processing_guarantee="exactly_once"`` (acks=all comes from the app's settings)."""

    def _settings_extra(self) -> Mapping[str, Any]:
        return {**super()._settings_extra(), "enable_idempotence": True}


class SendWhenIdle:
    """Ends the producer's linger at once when events come one at a time.

    The linger lets a burst of deliveries share produce requests. When events are sparse
    (100/s is one every 10 ms) nothing would join a batch, so waiting out the linger only adds
    latency (the whole linger on every event). ``routed()`` after each event sees how long ago
    the previous one was routed; after a pause of ``sparse_gap`` seconds it schedules, once per
    loop turn, marking the waiting batches ready and waking aiokafka's sender. Flat out, events
    follow each other closely and the linger batches as before: sending on every pause there
    halved the throughput of one busy endpoint (measured with ``bench/pipeline.py``, scenario a).
    Reads aiokafka 0.12's accumulator (``_batches``, ``_linger_time``, ``_waiter_future``).
    """

    def __init__(self, producer: Callable[[], AIOKafkaProducer | None], sparse_gap: float) -> None:
        self.producer = producer  # faust starts its aiokafka producer lazily
        self.sparse_gap = sparse_gap
        self._scheduled = False
        self._last = 0.0

    def routed(self) -> None:
        """Called after each event: send what lingers now if this event came after a pause."""
        now = time.monotonic()
        sparse, self._last = now - self._last >= self.sparse_gap, now
        if sparse and not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._send_now)

    def _send_now(self) -> None:
        self._scheduled = False
        accumulator = getattr(self.producer(), "_message_accumulator", None)
        if accumulator is None:
            return
        for batches in accumulator._batches.values():
            for batch in batches:
                batch._linger_time = 0.0
        waiter = accumulator._waiter_future
        if not waiter.done():
            waiter.set_result(None)


def raw_topic(app: faust.App, name: str) -> faust.TopicT:
    """A topic of raw bytes keys and values; not ``internal``, so faust never declares it."""
    return app.topic(name, key_serializer="raw", value_serializer="raw", internal=False)


class FaustOutbox:
    """Produces through the app's producer at once (``stream_publish_on_commit`` is off)."""

    def __init__(self, app: faust.App) -> None:
        self.app = app
        self._topics: dict[str, faust.TopicT] = {}

    async def send(
        self, topic: str, key: bytes | None, value: bytes, partition: int | None = None
    ) -> Any:
        """Queue one record (to ``partition``, or by key); return the future of the broker's ack.

        Raises ``ProducerSendError`` when the producer refuses the record outright.
        """
        channel = self._topics.get(topic)
        if channel is None:
            channel = self._topics[topic] = raw_topic(self.app, topic)
        return await channel.send(key=key, value=value, partition=partition)


def add_health_pages(app: faust.App, gate: ConfigGate) -> None:
    """``/healthz`` (alive), ``/readyz`` (config caught up, consumer running, group joined) and
    ``/metrics`` (Prometheus)."""

    @app.page("/metrics")
    async def prometheus(view: View, request: Request) -> Response:
        # aiohttp refuses a charset inside content_type=, so the header is set whole.
        headers = {"Content-Type": metrics.CONTENT_TYPE_LATEST}
        return view.bytes(await metrics.exposition(), headers=headers)

    @app.page("/healthz")
    async def healthz(view: View, request: Request) -> Response:
        return view.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(view: View, request: Request) -> Response:
        checks = {
            "config_view": gate.ready,
            "consumer": app.consumer.state == "running",
            # Set by the first partition assignment: until then no event can be routed.
            "group_joined": app.consumer_generation_id > 0,
        }
        ready = all(checks.values())
        return view.json(
            {"status": "ready" if ready else "not_ready", "checks": checks},
            status=200 if ready else 503,
        )
