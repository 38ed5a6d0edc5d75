"""Reading a received body within ``HOOKBUS_MAX_BODY``, whatever its content type."""

from __future__ import annotations

from fastapi import Request
from starlette.requests import ClientDisconnect

from shared.errors import BadRequest, PayloadTooLarge


def too_large(limit: int) -> PayloadTooLarge:
    """The 413 refusal for a body over ``limit`` bytes."""
    return PayloadTooLarge(f"request body over {limit} bytes", {"limit": limit})


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body bytes; raise :class:`PayloadTooLarge` past ``limit``.

    Refuses early from ``content-length``, and again while reading, so a body sent without a
    length (chunked) is never held in memory beyond the limit. Blocks while the client sends;
    raises :class:`BadRequest` when the client goes away before its body ended (nothing to log
    or answer: it is an ordinary refusal, not a fault of ours).
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect as exc:
        raise BadRequest(
            "the client went away before the body ended", code="incomplete_body"
        ) from exc
    return b"".join(chunks)
