"""The internal log API the public ingress forwards reads to.

Ids are canonical (``app_...``, ``ep_...``): the ingress resolves ``uid`` s before forwarding.
Every ``/v1`` route needs ``Authorization: Bearer <admin token>``. Lists answer
``{"data": [...], "next_cursor": str|null}``, newest first.

Attempt ``status`` filter: ``succeeded`` = outcome succeeded; ``failed`` = outcome failed or
exhausted; ``pending`` = outcome retrying (a retry is scheduled).
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI

from services.audit import http_errors, queries
from services.audit.dead_letter_ids import parse_dead_letter_id
from services.audit.inbound_api import inbound_routes
from services.audit.objects import dead_letter_object
from services.audit.paging import DEFAULT_LIMIT, answer, decode_cursor
from services.audit.params import TIME_KEY, Limit, bound
from services.audit.store import Store
from services.audit.stream_api import stream_routes
from shared.errors import NotFound
from shared.health import Readiness, health_router
from shared.json_response import OrjsonResponse

STATUS_OUTCOMES = {
    "succeeded": ("succeeded",),
    "failed": ("failed", "exhausted"),
    "pending": ("retrying",),
}
DEAD_KEY = (int, str, int, int)
Status = Literal["succeeded", "failed", "pending"]


def _found(item: dict[str, Any] | None, what: str) -> OrjsonResponse:
    if item is None:
        raise NotFound(f"{what} not found")
    return OrjsonResponse(item)


def log_routes(store: Store) -> APIRouter:
    """The read routes over ``store``; each query runs in a worker thread."""
    db = store.engine
    router = APIRouter(prefix="/v1", tags=["logs"])

    @router.get("/apps/{app_id}/endpoints/{endpoint_id}/attempts")
    async def endpoint_attempts(
        app_id: str,
        endpoint_id: str,
        status: Status | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> OrjsonResponse:
        """Attempts to one endpoint; see the module docstring for ``status``."""
        outcomes = None if status is None else STATUS_OUTCOMES[status]
        key = decode_cursor(cursor, TIME_KEY)
        page = await asyncio.to_thread(
            queries.list_attempts,
            db,
            app_id,
            endpoint_id=endpoint_id,
            outcomes=outcomes,
            limit=limit,
            cursor=key,
        )
        return answer(page)

    @router.get("/apps/{app_id}/attempts/{attempt_id}")
    async def attempt(app_id: str, attempt_id: str) -> OrjsonResponse:
        """One attempt; 404 when unknown or another app's."""
        found = await asyncio.to_thread(queries.get_attempt, db, app_id, attempt_id)
        return _found(found, "attempt")

    @router.get("/apps/{app_id}/messages")
    async def message_list(
        app_id: str,
        event_type: str | None = None,
        channel: str | None = None,
        after: str | None = None,
        before: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> OrjsonResponse:
        """Messages; ``after``/``before`` bound their timestamp (both exclusive)."""
        since, until = bound("after", after), bound("before", before)
        key = decode_cursor(cursor, TIME_KEY)
        page = await asyncio.to_thread(
            queries.list_messages,
            db,
            app_id,
            event_type=event_type,
            channel=channel,
            since_ms=since,
            until_ms=until,
            limit=limit,
            cursor=key,
        )
        return answer(page)

    @router.get("/apps/{app_id}/messages/{message_id}")
    async def message(app_id: str, message_id: str) -> OrjsonResponse:
        """One message, or 404."""
        return _found(
            await asyncio.to_thread(queries.get_message, db, app_id, message_id), "message"
        )

    @router.get("/apps/{app_id}/messages/{message_id}/attempts")
    async def message_attempts(
        app_id: str, message_id: str, limit: Limit = DEFAULT_LIMIT, cursor: str | None = None
    ) -> OrjsonResponse:
        """Every attempt to deliver one message, to any endpoint."""
        key = decode_cursor(cursor, TIME_KEY)
        page = await asyncio.to_thread(
            queries.list_attempts, db, app_id, message_id=message_id, limit=limit, cursor=key
        )
        return answer(page)

    @router.get("/apps/{app_id}/endpoints/{endpoint_id}/stats")
    async def stats(app_id: str, endpoint_id: str) -> OrjsonResponse:
        """Attempt counts by outcome and the last success and failure of one endpoint."""
        return OrjsonResponse(
            await asyncio.to_thread(queries.endpoint_stats, db, app_id, endpoint_id)
        )

    @router.get("/dead-letters")
    async def dead_letter_list(
        kind: Literal["bad_record", "exhausted"] | None = None,
        after: str | None = None,
        before: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> OrjsonResponse:
        """Records no consumer could process and deliveries that exhausted their retries;
        ``after``/``before`` bound the time they were written (both exclusive)."""
        since, until = bound("after", after), bound("before", before)
        key = decode_cursor(cursor, DEAD_KEY)
        page = await asyncio.to_thread(
            queries.list_dead_letters,
            db,
            kind=kind,
            since_ms=since,
            until_ms=until,
            limit=limit,
            cursor=key,
        )
        return answer(page)

    @router.get("/dead-letters/{dead_letter_id}")
    async def dead_letter(dead_letter_id: str) -> OrjsonResponse:
        """One dead letter, or 404."""
        place = parse_dead_letter_id(dead_letter_id)
        row = None if place is None else await asyncio.to_thread(queries.dead_letter_row, db, place)
        if row is None:
            raise NotFound("dead letter not found", {"dead_letter": dead_letter_id})
        return OrjsonResponse(dead_letter_object(row))

    return router


def build_app(store: Store, admin_token: str, readiness: Readiness, *extra: APIRouter) -> FastAPI:
    """The audit HTTP app: health routes (open), the log routes and the ``extra`` routes
    (resend and recover, tasks...), all but health behind the admin token.
    """
    app = FastAPI(title="hookbus audit", openapi_url=None, default_response_class=OrjsonResponse)
    http_errors.install(app)
    app.include_router(health_router(readiness))
    admin = [Depends(http_errors.admin_only(admin_token))]
    app.include_router(log_routes(store), dependencies=admin)
    app.include_router(inbound_routes(store.engine), dependencies=admin)
    app.include_router(stream_routes(store.engine), dependencies=admin)
    for routes in extra:
        app.include_router(routes, dependencies=admin)
    return app
