"""Audit's own refusals, beside the shared ones of :mod:`shared.http_errors`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from sqlalchemy.exc import OperationalError

from shared import http_errors
from shared.errors import KafkaUnavailable
from shared.json_response import OrjsonResponse

log = logging.getLogger(__name__)
admin_only = http_errors.admin_only


def install(app: FastAPI) -> None:
    """The shared JSON error handlers, plus 503 when the database is unavailable."""
    http_errors.install(app)

    @app.exception_handler(KafkaUnavailable)
    async def kafka_down(_: Request, exc: KafkaUnavailable) -> OrjsonResponse:
        log.warning("kafka unavailable", extra={"error": str(exc)})
        return http_errors.error_response(
            503, "kafka_unavailable", "Kafka is unavailable; retry the call"
        )

    @app.exception_handler(OperationalError)
    async def database_down(_: Request, exc: OperationalError) -> OrjsonResponse:
        log.warning("audit database unavailable", extra={"error": str(exc.orig)})
        return http_errors.error_response(
            503, "database_unavailable", "the audit database is unavailable"
        )
