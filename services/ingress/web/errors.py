"""The ingress's refusals, beside the shared ones of :mod:`shared.http_errors`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request

from shared import http_errors
from shared.errors import KafkaUnavailable
from shared.http_errors import error_response
from shared.json_response import OrjsonResponse

log = logging.getLogger(__name__)


def install(app: FastAPI) -> None:
    """The shared JSON error handlers, plus 503 when Kafka did not accept a write."""
    http_errors.install(app)

    @app.exception_handler(KafkaUnavailable)
    async def kafka_down(_: Request, exc: KafkaUnavailable) -> OrjsonResponse:
        log.warning("kafka unavailable", extra={"error": str(exc)})
        return error_response(
            503, "kafka_unavailable", "Kafka is unavailable; nothing was accepted"
        )
