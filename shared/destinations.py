"""Refusing private destinations (SSRF guard) unless the operator allows them.

A URL is checked after DNS resolution: every address its host resolves to must be public.
"""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit

from shared.address_ranges import is_public
from shared.errors import Unprocessable


class PrivateDestination(Unprocessable):
    """The URL's host is, or resolves to, a private, loopback or link-local address."""

    code = "private_destination"


def is_private(address: str) -> bool:
    """True for every address that is not globally reachable (see :mod:`shared.address_ranges`:
    loopback, private, link-local, multicast, reserved, documentation, unspecified, and IPv6
    forms carrying such an IPv4 address). Raise ``ValueError`` for text that is no address."""
    return not is_public(address)


def check_url_syntax(url: str) -> str:
    """Return the host of an http(s) URL; raise :class:`Unprocessable` otherwise."""
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:  # a bracketed host that is not IPv6, a port past 65535
        valid = False
    # A request line cannot carry spaces or control characters: no delivery could be made.
    if not valid or any(char <= " " or char == "\x7f" for char in url):
        raise Unprocessable("url must be an absolute http or https URL", {"url": url})
    return str(parts.hostname)


async def resolve(host: str, port: int | None = None) -> list[str]:
    """Every address ``host`` resolves to; raise :class:`Unprocessable` when it does not."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port or 443, type=socket.SOCK_STREAM
        )
    except OSError as exc:
        raise Unprocessable(f"cannot resolve host {host!r}", {"host": host}) from exc
    return sorted({str(info[4][0]) for info in infos})


async def check_destination(url: str, allow_private: bool) -> None:
    """Raise :class:`PrivateDestination` when ``url`` leads to a non-public address.

    Blocks on DNS resolution. With ``allow_private`` only the URL's syntax is checked.
    """
    host = check_url_syntax(url)
    if allow_private:
        return
    for address in await resolve(host):
        if is_private(address):
            raise PrivateDestination(
                "destination resolves to a private address; set "
                "HOOKBUS_ALLOW_PRIVATE_DESTINATIONS=true to allow it",
                {"url": url, "address": address},
            )
