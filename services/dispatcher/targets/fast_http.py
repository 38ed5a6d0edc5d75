"""Endpoint deliveries over aiohttp: the hot path's HTTP client.

Profiled under load, httpx spent over half of the dispatcher's CPU on its own layers (request
building, cookie handling, httpcore's pool and its pure-Python HTTP/1.1 state machine, anyio).
aiohttp parses and serialises in C and keeps a cheap keep-alive pool per host, so endpoint
POSTs go through one shared :class:`aiohttp.ClientSession`. The httpx path (:mod:`.clients`,
:func:`.exchange.post`) stays for what this one does not do byte for byte: forwarded inbound
requests (any method, raw headers as received) and header values that are not ASCII.

Same rules as the httpx path: redirects are not followed, cookies are never kept, the answer
is read up to 64 KiB within the timeout, and with the public-only guard every host name is
resolved once and each address checked before the socket connects to it (IP literals are
refused earlier, in :func:`.attempt._refusal`).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from services.dispatcher.targets.exchange import MAX_RESPONSE_BYTES, Exchange, response_text
from services.dispatcher.targets.guarded_network import Resolver, resolve
from services.dispatcher.targets.request import OutboundRequest
from shared.destinations import is_private

IDLE_SECONDS = 30.0
# Headers aiohttp would add on its own that the httpx path never sent.
_NOT_ADDED = ("Content-Type",)


class RefusedAddress(OSError):
    """The host does not resolve, or resolves to a private, loopback or link-local address."""


class PublicOnlyResolver(AbstractResolver):
    """Resolves a host once and refuses it unless every address is public."""

    def __init__(self, resolver: Resolver = resolve) -> None:
        self._resolver = resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The checked addresses of ``host``; raises :class:`RefusedAddress`."""
        try:
            addresses = await self._resolver(host, port)
        except OSError as exc:
            raise RefusedAddress(f"cannot resolve host {host!r}: {exc}") from exc
        if not addresses:
            raise RefusedAddress(f"cannot resolve host {host!r}")
        for address in addresses:
            if is_private(address):
                raise RefusedAddress(
                    f"destination {host!r} resolves to a private address ({address}); set "
                    "HOOKBUS_ALLOW_PRIVATE_DESTINATIONS=true to allow it"
                )
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for address in addresses
        ]

    async def close(self) -> None:
        """Nothing to release."""


def describe(exc: BaseException, timeout_ms: int) -> str:
    """The attempt's error text, worded as the httpx path words it."""
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return f"timeout after {timeout_ms} ms"
    if isinstance(exc, aiohttp.ClientConnectorError):
        refused = exc.os_error
        cause = refused if isinstance(refused, RefusedAddress) else exc.__cause__
        detail = str(cause) if isinstance(cause, RefusedAddress) else str(exc)
        return f"connection failed: {detail or type(exc).__name__}"
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return f"protocol error: {detail}"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"protocol error: {detail}"
    return f"request failed: {detail}"


def sendable(request: OutboundRequest) -> bool:
    """Whether this client sends ``request`` exactly as the httpx path would: a POST whose
    header names and values are ASCII."""
    return request.method == "POST" and all(
        name.isascii() and value.isascii() for name, value in request.headers.items()
    )


class FastSender:
    """One aiohttp session for every endpoint POST; ``guard`` refuses private destinations.

    The session is made on first use, inside the running loop; :meth:`aclose` ends it.
    """

    def __init__(self, ssl_context: ssl.SSLContext, guard: bool, resolver: Resolver = resolve):
        self._ssl, self._guard, self._resolver = ssl_context, guard, resolver
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        kwargs: dict[str, Any] = {}
        if self._guard:
            kwargs["resolver"] = PublicOnlyResolver(self._resolver)
        connector = aiohttp.TCPConnector(
            limit=0,  # the lanes bound what runs, per endpoint and in all
            keepalive_timeout=IDLE_SECONDS,
            ssl=self._ssl,
            **kwargs,
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(),  # bounded as a whole by post()
            skip_auto_headers=_NOT_ADDED,
            auto_decompress=True,
        )

    async def post(self, request: OutboundRequest, timeout_ms: int) -> Exchange:
        """Send ``request`` and read at most 64 KiB of the answer within ``timeout_ms`` in all.

        Never raises for network trouble (see :attr:`Exchange.error`); cancellation propagates.
        """
        session = self._session
        if session is None:
            session = self._session = self._open()
        status: int | None = None
        headers: dict[str, str] = {}
        raw = b""
        error: str | None = None
        try:
            async with asyncio.timeout(timeout_ms / 1000):
                async with session.request(
                    request.method,
                    request.url,
                    data=request.body,
                    headers=request.headers,
                    allow_redirects=False,
                ) as response:
                    status, headers = response.status, _headers(response)
                    raw = await _read_capped(response)
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            error = describe(exc, timeout_ms)
        return Exchange(status, headers, response_text(raw), error)

    async def aclose(self) -> None:
        """Close the session and its idle connections (call once nothing is in flight)."""
        if self._session is not None:
            await self._session.close()
            self._session = None


def _headers(response: aiohttp.ClientResponse) -> dict[str, str]:
    """Response headers with lower-case names, repeated ones joined by ``, `` (as httpx does)."""
    joined: dict[str, str] = {}
    for name, value in response.headers.items():
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            break  # the rest is never kept; the connection is closed rather than drained
    return b"".join(chunks)
