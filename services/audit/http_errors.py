"""Every refusal audit answers, in one shape: ``{"error": {code, message, details}}``."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from shared.errors import ApiError, Unauthorized
from shared.json_response import OrjsonResponse

log = logging.getLogger(__name__)
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def error_response(status: int, code: str, message: str, details: Any = None) -> OrjsonResponse:
    """A JSON error answer."""
    body = {"error": {"code": code, "message": message, "details": details}}
    return OrjsonResponse(body, status_code=status)


def admin_only(token: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency raising :class:`Unauthorized` unless the request bears ``token``."""
    expected = token.encode()

    async def check(request: Request) -> None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        # compare_digest: the time taken must not tell how much of the token was right.
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
            raise Unauthorized("missing or wrong admin token")

    return check


def install(app: FastAPI) -> None:
    """Register the handlers that turn exceptions into JSON errors."""

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> OrjsonResponse:
        return OrjsonResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> OrjsonResponse:
        details = [
            {"path": ".".join(str(part) for part in err.get("loc", ())), "msg": err.get("msg")}
            for err in jsonable_encoder(exc.errors())
        ]
        summary = "; ".join(f"{d['path']}: {d['msg']}" for d in details[:5])
        return error_response(422, "validation_error", summary or "invalid request", details)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> OrjsonResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(OperationalError)
    async def database_down(_: Request, exc: OperationalError) -> OrjsonResponse:
        log.warning("audit database unavailable", extra={"error": str(exc.orig)})
        return error_response(503, "database_unavailable", "the audit database is unavailable")

    @app.exception_handler(Exception)
    async def bug(_: Request, exc: Exception) -> OrjsonResponse:
        # Starlette logs the exception after this answer; only the shape is ours.
        return error_response(500, "internal_error", "internal error")
