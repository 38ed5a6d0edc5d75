"""Forwarding log reads to the audit service, so users see one base URL."""

from __future__ import annotations

import logging

import httpx
from fastapi import Request, Response

from services.ingress.state import Ingress
from shared.http_errors import error_response

log = logging.getLogger(__name__)


async def forward(hub: Ingress, request: Request, path: str) -> Response:
    """GET ``path`` (canonical ids) on audit with the caller's query; relay the answer.

    Answers 503 when audit cannot be reached.
    """
    try:
        answer = await hub.audit.get(
            path,
            params=list(request.query_params.multi_items()),
            headers={"authorization": f"Bearer {hub.settings.admin_token}"},
        )
    except httpx.HTTPError as exc:
        log.warning("audit unreachable", extra={"path": path, "error": str(exc)})
        return error_response(503, "audit_unavailable", "the audit service is not reachable")
    return Response(
        content=answer.content,
        status_code=answer.status_code,
        media_type=answer.headers.get("content-type", "application/json"),
    )
