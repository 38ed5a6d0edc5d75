"""faust plumbing of the router: an idempotent producer, raw topics, the health pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import faust
from faust.transport.drivers.aiokafka import Producer
from faust.web import Request, Response, View

from services.router.config_gate import ConfigGate
from shared import metrics


class IdempotentProducer(Producer):
    """faust's aiokafka producer with ``enable_idempotence``, which faust only turns on for
    ``processing_guarantee="exactly_once"`` (acks=all comes from the app's settings)."""

    def _settings_extra(self) -> Mapping[str, Any]:
        return {**super()._settings_extra(), "enable_idempotence": True}


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
