"""Endpoint POSTs over a small HTTP/1.1 client of our own: the hot path's HTTP client.

Profiled flat out, aiohttp (the client before this one) cost about 80 µs of CPU a request on
this machine, a third of the dispatcher's work per delivery: its request and response objects,
the connector, URL and header objects. This client writes a request as one bytes object,
parses the answer with httptools (llhttp, in C: uvicorn's parser) and keeps a keep-alive pool
per origin; it costs a fraction of that (``bench/http_client.py`` measures both). The httpx
path (:mod:`.clients`, :func:`.exchange.post`) stays for what this one does not do: forwarded
inbound requests (any method, raw headers as received) and header values that are not ASCII.

Same rules as the httpx path: redirects are not followed, cookies are never kept, the answer is
read up to 64 KiB within the timeout (then the connection is closed rather than drained), gzip
and deflate answers are decompressed, and with the public-only guard every host name is
resolved once and each address checked before the socket connects to it (IP literals are
refused earlier, in :func:`.attempt._refusal`). A request carries ``Host``, ``Accept: */*``,
``Accept-Encoding: gzip, deflate``, its own headers and ``Content-Length``. A pooled connection
the endpoint closed while it was idle (no byte of an answer read) is replaced by a new one once,
as httpx and urllib3 do; idle connections are closed after :data:`IDLE_SECONDS`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import ssl
import time
import zlib
from functools import lru_cache
from typing import NamedTuple, cast
from urllib.parse import quote, unquote, urlsplit

import httptools

from services.dispatcher.targets.exchange import MAX_RESPONSE_BYTES, Exchange, response_text
from services.dispatcher.targets.guarded_network import (
    NotPublic,
    Resolver,
    public_addresses,
    resolve,
)
from services.dispatcher.targets.request import OutboundRequest

IDLE_SECONDS = 30.0
MAX_HEAD_BYTES = 64 * 1024  # status line and headers of an answer
_PORTS = {"http": 80, "https": 443}
_PATH_SAFE = "/%:@!$&'()*+,;=-._~?#[]"


class ConnectFailed(Exception):
    """No connection: the host does not resolve, resolves to a private address (with the
    guard), refuses, or fails the TLS handshake."""


class ProtocolError(Exception):
    """The answer broke HTTP/1.1, or the connection ended before the answer was whole."""


class _Stale(ProtocolError):
    """A pooled connection was closed before any byte of the answer came."""


class Url(NamedTuple):
    """What a URL means to this client."""

    scheme: str
    host: str  # as connected to: IDNA-encoded, no IPv6 brackets
    port: int
    authority: str  # the Host header
    target: str  # path and query, percent-encoded where not ASCII
    authorization: str | None  # Basic credentials from the URL's user info


@lru_cache(maxsize=4096)
def split_url(url: str) -> Url:
    """``url`` taken apart; raises ``ValueError`` for one this client cannot send to."""
    parts = urlsplit(url)
    if parts.scheme not in _PORTS or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = parts.hostname.encode("idna").decode("ascii")
    port = parts.port or _PORTS[parts.scheme]
    shown = f"[{host}]" if ":" in host else host
    authority = shown if port == _PORTS[parts.scheme] else f"{shown}:{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not target.isascii():
        target = quote(target, safe=_PATH_SAFE)
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    return Url(parts.scheme, host, port, authority, target, authorization)


def encode_request(url: Url, request: OutboundRequest) -> bytes:
    """The request as it goes on the wire; raises ``ValueError`` for a header that would split
    the request (a line break in a name or a value)."""
    lines = [
        f"{request.method} {url.target} HTTP/1.1\r\nHost: {url.authority}\r\n"
        "Accept: */*\r\nAccept-Encoding: gzip, deflate\r\n"
    ]
    if url.authorization is not None and "authorization" not in request.headers:
        lines.append(f"Authorization: {url.authorization}\r\n")
    lines.extend(f"{name}: {value}\r\n" for name, value in request.headers.items())
    lines.append(f"Content-Length: {len(request.body)}\r\n\r\n")
    head = "".join(lines)
    breaks = 4 + len(lines)  # request line, Host, Accept, Accept-Encoding, one per line, blank
    if head.count("\n") != breaks or head.count("\r") != breaks:
        raise ValueError("a header name or value contains a line break")
    return head.encode("ascii") + request.body


class Answer(NamedTuple):
    """What came back: status, headers as received (lower-case names, repeats joined by
    ``, ``) and the body (at most :data:`MAX_RESPONSE_BYTES` past, before decompression)."""

    status: int
    headers: dict[str, str]
    body: bytes


class Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: one request at a time, its answer parsed as it arrives."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.reusable = True
        self.idle_since = 0.0
        self._answer: asyncio.Future[Answer] | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._size = 0
        self._head_size = 0
        self._status: int | None = None
        self._received = False
        self._delimited = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """asyncio: connected."""
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        """asyncio: the connection ended; an answer not yet whole ends with it."""
        self.reusable = False
        answer = self._answer
        if answer is None or answer.done():
            return
        if self._status is not None and not self._delimited:
            self._finish()  # a body without length or chunks ends when the connection does
        elif self._received:
            answer.set_exception(ProtocolError("server disconnected before the answer was whole"))
        else:
            answer.set_exception(_Stale("server disconnected"))

    def send(self, data: bytes) -> asyncio.Future[Answer]:
        """Write one request; the future is the answer."""
        assert self.transport is not None
        self._parser = httptools.HttpResponseParser(self)
        self._headers, self._body, self._size, self._head_size = {}, [], 0, 0
        self._status, self._received, self._delimited = None, False, False
        self._answer = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self._answer

    def close(self) -> None:
        """Close the connection (it is never reused)."""
        self.reusable = False
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        """asyncio: bytes of the answer."""
        answer = self._answer
        if answer is None or answer.done():
            self.close()  # nothing was asked: an endpoint talking out of turn
            return
        self._received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ProtocolError(f"invalid answer: {exc}"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        """httptools: one header line."""
        self._head_size += len(name) + len(value)
        if self._head_size > MAX_HEAD_BYTES:
            self._fail(ProtocolError("answer headers too large"))
            return
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        known = self._headers.get(key)
        self._headers[key] = text if known is None else f"{known}, {text}"
        if key in ("content-length", "transfer-encoding"):
            self._delimited = True

    def on_headers_complete(self) -> None:
        """httptools: the status line and headers are read."""
        self._status = self._parser.get_status_code()
        if not self._parser.should_keep_alive():
            self.reusable = False

    def on_body(self, body: bytes) -> None:
        """httptools: a piece of the body; past the cap the rest is not read."""
        if self._answer is None or self._answer.done():
            return
        self._body.append(body)
        self._size += len(body)
        if self._size > MAX_RESPONSE_BYTES:
            self._finish()
            self.close()

    def on_message_complete(self) -> None:
        """httptools: the answer is whole."""
        self._finish()

    def _fail(self, exc: ProtocolError) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(exc)
        self.close()

    def _finish(self) -> None:
        answer = self._answer
        if answer is not None and not answer.done() and self._status is not None:
            answer.set_result(Answer(self._status, self._headers, b"".join(self._body)))


class Pool:
    """Idle keep-alive connections per origin, newest used first."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, str, int], list[Connection]] = {}
        self._swept = time.monotonic()

    def take(self, origin: tuple[str, str, int]) -> Connection | None:
        """An idle connection to ``origin`` still open and not idle too long, or None."""
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if connection.reusable and now - connection.idle_since < IDLE_SECONDS:
                return connection
            connection.close()
        return None

    def give(self, origin: tuple[str, str, int], connection: Connection) -> None:
        """Keep ``connection`` for the next request to ``origin`` (closed when not reusable)."""
        if not connection.reusable:
            connection.close()
            return
        now = connection.idle_since = time.monotonic()
        self._idle.setdefault(origin, []).append(connection)
        if now - self._swept > IDLE_SECONDS:
            self._sweep(now)

    def _sweep(self, now: float) -> None:
        self._swept = now
        for origin, idle in list(self._idle.items()):
            kept = [c for c in idle if c.reusable and now - c.idle_since < IDLE_SECONDS]
            for connection in idle:
                if connection not in kept:
                    connection.close()
            if kept:
                self._idle[origin] = kept
            else:
                del self._idle[origin]

    def close(self) -> None:
        """Close every idle connection."""
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()


class FastSender:
    """Endpoint POSTs; ``guard`` refuses private destinations. :meth:`aclose` ends the pool."""

    def __init__(self, ssl_context: ssl.SSLContext, guard: bool, resolver: Resolver = resolve):
        self._ssl, self._guard, self._resolver = ssl_context, guard, resolver
        self._pool = Pool()

    async def post(self, request: OutboundRequest, timeout_ms: int) -> Exchange:
        """Send ``request`` and read at most 64 KiB of the answer within ``timeout_ms`` in all.

        Never raises for network trouble (see :attr:`Exchange.error`); cancellation propagates.
        """
        try:
            url = split_url(request.url)
            data = encode_request(url, request)
            async with asyncio.timeout(timeout_ms / 1000):
                answer = await self._exchange(url, data)
            body = decoded(answer)
        except TimeoutError:
            return Exchange(None, {}, "", f"timeout after {timeout_ms} ms")
        except ConnectFailed as exc:
            return Exchange(None, {}, "", f"connection failed: {exc}")
        except ProtocolError as exc:
            return Exchange(None, {}, "", f"protocol error: {exc}")
        except ValueError as exc:
            return Exchange(None, {}, "", f"request failed: {exc}")
        return Exchange(answer.status, answer.headers, response_text(body), None)

    async def _exchange(self, url: Url, data: bytes) -> Answer:
        origin = (url.scheme, url.host, url.port)
        connection = self._pool.take(origin)
        if connection is not None:
            try:
                answer = await connection.send(data)
            except _Stale:
                connection = None
            except BaseException:
                connection.close()
                raise
            else:
                self._pool.give(origin, connection)
                return answer
        connection = await self._connect(url)
        try:
            answer = await connection.send(data)
        except BaseException:
            connection.close()
            raise
        self._pool.give(origin, connection)
        return answer

    async def _connect(self, url: Url) -> Connection:
        tls = self._ssl if url.scheme == "https" else None
        name = url.host if tls is not None else None
        loop = asyncio.get_running_loop()
        addresses = await self._checked(url.host, url.port) if self._guard else [url.host]
        failure: OSError | None = None
        for address in addresses:  # with the guard each one was checked: no second lookup
            try:
                _, connection = await loop.create_connection(
                    Connection, address, url.port, ssl=tls, server_hostname=name
                )
                return connection
            except OSError as exc:
                failure = exc
        assert failure is not None
        raise ConnectFailed(_reason(failure)) from failure

    async def _checked(self, host: str, port: int) -> list[str]:
        try:
            return await public_addresses(self._resolver, host, port)
        except NotPublic as exc:
            raise ConnectFailed(str(exc)) from exc

    async def aclose(self) -> None:
        """Close the idle connections (call once nothing is in flight)."""
        self._pool.close()


def _reason(exc: OSError) -> str:
    """An OS error as one short phrase: ``Connection refused`` rather than errno and address."""
    if isinstance(exc, ssl.SSLError) or not exc.errno:
        return str(exc) or type(exc).__name__
    return os.strerror(exc.errno)


def decoded(answer: Answer) -> bytes:
    """The body with its gzip or deflate ``content-encoding`` undone (at most past the cap);
    raises :class:`ProtocolError` when it does not decompress."""
    encoding = answer.headers.get("content-encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        decompressors = [zlib.decompressobj(16 + zlib.MAX_WBITS)]
    elif encoding == "deflate":  # zlib-wrapped as the RFC says, or raw as some servers send
        decompressors = [zlib.decompressobj(zlib.MAX_WBITS), zlib.decompressobj(-zlib.MAX_WBITS)]
    else:
        return answer.body
    for decompressor in decompressors:
        with contextlib.suppress(zlib.error):
            return decompressor.decompress(answer.body, MAX_RESPONSE_BYTES + 1)
    raise ProtocolError(f"answer does not decompress as {encoding}")


def sendable(request: OutboundRequest) -> bool:
    """Whether this client sends ``request`` exactly as the httpx path would: a POST whose
    header names and values are ASCII."""
    return request.method == "POST" and all(
        name.isascii() and value.isascii() for name, value in request.headers.items()
    )
