"""Forwarding log reads, resends and recoveries to the audit service, so users see one base
URL."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import Request, Response

from services.ingress.state import Ingress
from shared.http_errors import error_response

log = logging.getLogger(__name__)


async def forward(hub: Ingress, request: Request, path: str) -> Response:
    """GET ``path`` (canonical ids) on audit with the caller's query; relay the answer.

    Answers 503 when audit cannot be reached.
    """
    return await _relay(hub, "GET", path, params=list(request.query_params.multi_items()))


async def post(hub: Ingress, path: str, body: dict[str, Any]) -> Response:
    """POST ``body`` to audit's ``path``; relay the answer, or 503 when audit cannot be reached."""
    return await _relay(hub, "POST", path, json=body)


async def _relay(hub: Ingress, method: str, path: str, **sent: Any) -> Response:
    try:
        answer = await hub.audit.request(
            method, path, headers={"authorization": f"Bearer {hub.settings.admin_token}"}, **sent
        )
    except httpx.HTTPError as exc:
        log.warning("audit unreachable", extra={"path": path, "error": str(exc)})
        return error_response(503, "audit_unavailable", "the audit service is not reachable")
    return Response(
        content=answer.content,
        status_code=answer.status_code,
        media_type=answer.headers.get("content-type", "application/json"),
    )
