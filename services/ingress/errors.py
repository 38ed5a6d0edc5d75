"""Every refusal the ingress answers, in the one shape ``{"error": {code, message, details}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from shared.errors import ApiError, KafkaUnavailable
from shared.json_response import OrjsonResponse

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str, details: Any = None) -> OrjsonResponse:
    """A JSON error answer."""
    body = {"error": {"code": code, "message": message, "details": details}}
    return OrjsonResponse(body, status_code=status)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"path": ".".join(str(p) for p in err.get("loc", ()) if p != "body"), "msg": err["msg"]}
        for err in exc.errors()
    ]


def install(app: FastAPI) -> None:
    """Register the handlers that turn exceptions into JSON errors."""

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> OrjsonResponse:
        return OrjsonResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(KafkaUnavailable)
    async def kafka_down(_: Request, exc: KafkaUnavailable) -> OrjsonResponse:
        log.warning("kafka unavailable", extra={"error": str(exc)})
        return error_response(
            503, "kafka_unavailable", "Kafka is unavailable; nothing was accepted"
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> OrjsonResponse:
        if any(err.get("type") == "json_invalid" for err in exc.errors()):
            return error_response(400, "malformed_json", "the request body is not valid JSON")
        details = _validation_details(exc)
        summary = "; ".join(f"{d['path'] or 'body'}: {d['msg']}" for d in details[:5])
        return error_response(422, "validation_error", summary, details)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> OrjsonResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))
