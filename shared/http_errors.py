"""What every hookbus HTTP API answers when it refuses: ``{"error": {code, message, details}}``.

Also the admin-token check, shared by the public ingress and audit's internal API.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException

from shared.errors import ApiError, Unauthorized
from shared.json_response import OrjsonResponse

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def error_response(status: int, code: str, message: str, details: Any = None) -> OrjsonResponse:
    """A JSON error answer."""
    body = {"error": {"code": code, "message": message, "details": details}}
    return OrjsonResponse(body, status_code=status)


def api_error_response(exc: ApiError) -> OrjsonResponse:
    """The answer to an :class:`ApiError`: its status, JSON body and headers."""
    return OrjsonResponse(exc.body(), status_code=exc.status, headers=dict(exc.headers))


def allowed_methods(request: Request) -> str:
    """The methods some route of the application serves at the request's path, for ``Allow``
    (routers included in the application are looked into)."""
    path = request.scope.get("path", "")
    # (parameters in the path, methods): of several paths that match ("/messages/batch" and
    # "/messages/{msg}"), the one with fewest parameters is the one meant.
    found: list[tuple[int, set[str]]] = []
    for route in iter_route_contexts(request.app.router.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            found.append((len(getattr(route, "param_convertors", {})), route.methods or set()))
    fewest = min((params for params, _ in found), default=0)
    methods = set().union(*(named for params, named in found if params == fewest))
    return ", ".join(sorted(methods))


def check_bearer(request: Request, token: str) -> None:
    """Raise :class:`Unauthorized` unless ``Authorization: Bearer <token>`` was sent."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # compare_digest: the time taken must not tell how much of the token was right.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        raise Unauthorized("missing or invalid bearer token")


def admin_only(token: str) -> Callable[[Request], Awaitable[None]]:
    """A FastAPI dependency accepting only requests bearing ``token``."""

    async def check(request: Request) -> None:
        check_bearer(request, token)

    return check


def _validation_error(exc: RequestValidationError) -> OrjsonResponse:
    errors = jsonable_encoder(exc.errors())
    if any(err.get("type") == "json_invalid" for err in errors):
        return error_response(400, "malformed_json", "the request body is not valid JSON")
    if any(
        err.get("type") == "missing" and tuple(err.get("loc", ())) == ("body",) for err in errors
    ):
        # No body at all is no JSON at all: malformed, like a truncated one.
        return error_response(
            400, "malformed_json", "the request body is empty; this call takes a JSON object"
        )
    details = [
        {"path": ".".join(str(p) for p in err.get("loc", ()) if p != "body"), "msg": err.get("msg")}
        for err in errors
    ]
    summary = "; ".join(f"{d['path'] or 'body'}: {d['msg']}" for d in details[:5])
    return error_response(422, "validation_error", summary or "invalid request", details)


def install(app: FastAPI) -> None:
    """Register the handlers that turn exceptions into JSON errors (a bug answers 500)."""

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> OrjsonResponse:
        return api_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> OrjsonResponse:
        return _validation_error(exc)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> OrjsonResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        answer = error_response(exc.status_code, code, str(exc.detail))
        answer.headers.update(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the methods of the first route at the path; there may be more.
            answer.headers["Allow"] = allowed_methods(request)
        return answer

    @app.exception_handler(Exception)
    async def bug(_: Request, exc: Exception) -> OrjsonResponse:
        # Starlette logs the exception after this answer; only the shape is ours.
        return error_response(500, "internal_error", "internal error")
