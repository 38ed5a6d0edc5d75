"""One HTTP exchange with an endpoint or a route's destination: bounded in time, redirects not
followed, body capped."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from services.dispatcher.targets.request import OutboundRequest
from shared.records import AttemptResponse

MAX_RESPONSE_BYTES = 64 * 1024
GONE = 410
"""The status by which an endpoint says it is gone for good: no retry, and it is disabled."""


@dataclass(frozen=True)
class Exchange:
    """What came back: the response (``status`` None when none arrived) and/or an error."""

    status: int | None
    headers: dict[str, str]
    body: str
    error: str | None

    @classmethod
    def unsent(cls, reason: str) -> Exchange:
        """No request went out, for ``reason``."""
        return cls(None, {}, "", reason)

    def response_record(self) -> AttemptResponse | None:
        """The ``response`` object of an attempt record: None when no answer arrived."""
        if self.status is None:
            return None
        return {"status": self.status, "headers": self.headers, "body": self.body}


def response_text(raw: bytes) -> str:
    """``raw`` decoded as UTF-8 with replacement, at most :data:`MAX_RESPONSE_BYTES` encoded."""
    text = raw[:MAX_RESPONSE_BYTES].decode("utf-8", errors="replace")
    encoded = text.encode("utf-8")
    if len(encoded) > MAX_RESPONSE_BYTES:
        # Replacement characters take 3 bytes where the invalid input took 1.
        text = encoded[:MAX_RESPONSE_BYTES].decode("utf-8", errors="ignore")
    return text


async def _read_capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            break  # the rest is never kept, so it is not worth reading
    return b"".join(chunks)


def describe(exc: Exception, timeout_ms: int) -> str:
    """The attempt's error text for an exception raised by the exchange."""
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return f"timeout after {timeout_ms} ms"
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed: {detail}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"protocol error: {detail}"
    return f"request failed: {detail}"


def wire_headers(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    """``headers`` as bytes: latin-1 as they came off the wire (a forwarded request's values
    were read that way), UTF-8 for what latin-1 cannot carry. httpx would refuse non-ASCII."""

    def raw(text: str) -> bytes:
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError:
            return text.encode("utf-8")

    return [(raw(name), raw(value)) for name, value in headers.items()]


async def post(client: httpx.AsyncClient, request: OutboundRequest, timeout_ms: int) -> Exchange:
    """Send ``request`` (by its method: POST for endpoints) and read at most 64 KiB of the
    answer within ``timeout_ms`` in total.

    Never raises for network trouble: it is reported in :attr:`Exchange.error`. Cancellation
    propagates.
    """
    status: int | None = None
    headers: dict[str, str] = {}
    raw = b""
    error: str | None = None
    seconds = timeout_ms / 1000
    try:
        # httpx's timeout bounds each phase; the outer one bounds the whole exchange.
        async with asyncio.timeout(seconds):
            async with client.stream(
                request.method,
                request.url,
                headers=wire_headers(request.headers),
                content=request.body,
                timeout=seconds,
            ) as response:
                status, headers = response.status_code, dict(response.headers.items())
                raw = await _read_capped(response)
    except (TimeoutError, httpx.HTTPError, httpx.InvalidURL) as exc:
        error = describe(exc, timeout_ms)
    return Exchange(status, headers, response_text(raw), error)


Send = Callable[[OutboundRequest, int], Awaitable[Exchange]]
"""How an attempt sends: ``await send(request, timeout_ms)`` (never raises for the network)."""
