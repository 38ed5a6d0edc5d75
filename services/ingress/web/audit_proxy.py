"""Forwarding log reads, resends and recoveries to the audit service, so users see one base
URL."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import Request, Response

from services.ingress.web.hub import Hub
from shared.http_errors import error_response

log = logging.getLogger(__name__)
# Segments of ids only: a caller's text ("?", "%00", "..") is never spliced into audit's URL.
_PATH = re.compile(r"(/[A-Za-z0-9_.-]*[A-Za-z0-9_-][A-Za-z0-9_.-]*)+")


async def forward(hub: Hub, request: Request, path: str) -> Response:
    """GET ``path`` (canonical ids) on audit with the caller's query; relay the answer.

    A query parameter left empty (``?event_type=``) counts as absent. Answers 404 for a path
    that no id could make, 503 when audit cannot be reached.
    """
    params = [(name, value) for name, value in request.query_params.multi_items() if value]
    return await _relay(hub, "GET", path, params=params)


async def get(hub: Hub, path: str, params: dict[str, str]) -> Response:
    """GET ``path`` on audit with ``params``; relay the answer, or 503 when unreachable."""
    return await _relay(hub, "GET", path, params=params)


async def post(hub: Hub, path: str, body: dict[str, Any]) -> Response:
    """POST ``body`` to audit's ``path``; relay the answer, or 503 when audit cannot be reached."""
    return await _relay(hub, "POST", path, json=body)


def admin_headers(hub: Hub) -> dict[str, str]:
    """How the ingress authenticates to audit: the admin token, as a user would."""
    return {"authorization": f"Bearer {hub.settings.admin_token}"}


async def _relay(hub: Hub, method: str, path: str, **sent: Any) -> Response:
    if _PATH.fullmatch(path) is None:
        return error_response(404, "not_found", "not found")
    try:
        answer = await hub.audit.request(method, path, headers=admin_headers(hub), **sent)
    except httpx.HTTPError as exc:
        log.warning("audit unreachable", extra={"path": path, "error": str(exc)})
        return error_response(503, "audit_unavailable", "the audit service is not reachable")
    return Response(
        content=answer.content,
        status_code=answer.status_code,
        media_type=answer.headers.get("content-type", "application/json"),
    )


async def _message_answer(hub: Hub, app_id: str, message_id: str) -> httpx.Response | None:
    """Audit's answer about one message; None when audit cannot be reached."""
    path = f"/v1/apps/{app_id}/messages/{quote(message_id, safe='')}"
    try:
        return await hub.audit.get(path, headers=admin_headers(hub))
    except httpx.HTTPError:
        return None


async def stored_message(hub: Hub, app_id: str, message_id: str) -> dict[str, Any] | None:
    """The message as audit has stored it; None when it has not, or cannot be reached."""
    answer = await _message_answer(hub, app_id, message_id)
    found: dict[str, Any] | None = None
    if answer is not None and answer.status_code == 200:
        found = answer.json()
    return found


async def messages_caught_up(hub: Hub) -> None:
    """Wait (briefly) until audit has stored the messages published through this ingress."""

    async def stored(name: str) -> bool:
        app_id, message_id = name.split("/", 1)
        answer = await _message_answer(hub, app_id, message_id)
        # Unreachable: the read itself will say so, without waiting.
        return answer is None or answer.status_code != 404

    await hub.messages_written.settle(stored)
