"""Connections that reach only public addresses, checked at connect time (no DNS rebinding).

Checking a URL's host and then letting the HTTP client resolve it again leaves a window: a DNS
answer that changes between the two (rebinding) would lead the request to a private address.
Here the check and the connection are one step: for every new connection the host is resolved
once, every address is checked, and the socket connects to a checked address. TLS still uses
the URL's host name for SNI and certificate verification, and the Host header is unchanged,
because httpcore passes the origin's host name to ``start_tls`` and the request carries it.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx
from httpcore import AsyncNetworkBackend, AsyncNetworkStream

from shared.destinations import is_private

Resolver = Callable[[str, int], Awaitable[list[str]]]


class RefusedDestination(httpcore.ConnectError):
    """The host resolves to a private, loopback or link-local address, or does not resolve."""


async def resolve(host: str, port: int) -> list[str]:
    """Every address of ``host``, in the resolver's order of preference; blocks on DNS."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class NotPublic(Exception):
    """The host does not resolve, or resolves to a private, loopback or link-local address."""


async def public_addresses(resolver: Resolver, host: str, port: int) -> list[str]:
    """Every address of ``host``, each checked public; raises :class:`NotPublic` (saying why)
    when it does not resolve or any address is private. Both HTTP clients connect only to
    addresses this returned, so no second lookup happens between the check and the socket."""
    try:
        addresses = await resolver(host, port)
    except OSError as exc:
        raise NotPublic(f"cannot resolve host {host!r}: {exc}") from exc
    if not addresses:
        raise NotPublic(f"cannot resolve host {host!r}")
    for address in addresses:
        if is_private(address):
            raise NotPublic(
                f"destination {host!r} resolves to a private address ({address}); set "
                "HOOKBUS_ALLOW_PRIVATE_DESTINATIONS=true to allow it"
            )
    return addresses


class PublicOnlyBackend(AsyncNetworkBackend):
    """An httpcore network backend that connects only to public addresses it has checked.

    ``resolver`` and ``inner`` (the backend that really connects) are injectable for tests.
    Raises :class:`RefusedDestination` (an ``httpcore.ConnectError``) instead of connecting.
    """

    def __init__(
        self, resolver: Resolver = resolve, inner: AsyncNetworkBackend | None = None
    ) -> None:
        self._resolver = resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        try:
            addresses = await public_addresses(self._resolver, host, port)
        except NotPublic as exc:
            raise RefusedDestination(str(exc)) from exc
        failure: Exception | None = None
        for address in addresses:  # each one checked above: no second lookup happens
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        raise RefusedDestination("unix sockets are not a destination")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a :class:`PublicOnlyBackend`; otherwise configured the same."""

    def __init__(
        self, verify: ssl.SSLContext, limits: httpx.Limits, backend: AsyncNetworkBackend
    ) -> None:
        super().__init__(verify=verify, limits=limits)
        # httpx takes no network backend, so its pool is replaced by an equal one that does.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=verify,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )
