"""FastSender against real in-process HTTP servers (aiohttp's, and raw sockets for what a
framework would tidy away): what it sends and reads, the guard, timeouts, redirects, the
response cap, keep-alive and stale connections, chunked, compressed and close-delimited
answers."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import ssl
import zlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.dispatcher.targets.exchange import MAX_RESPONSE_BYTES, Exchange
from services.dispatcher.targets.fast_http import FastSender, sendable
from services.dispatcher.targets.request import OutboundRequest

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def exchange(handler: Handler, guard: bool = False, host: str = "127.0.0.1", **kw: Any) -> Any:
    seen: list[tuple[dict[str, str], bytes]] = []

    async def recording(request: web.Request) -> web.StreamResponse:
        seen.append((dict(request.headers), await request.read()))
        return await handler(request)

    async def go() -> Exchange:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", recording)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        sender = FastSender(ssl.create_default_context(), guard=guard)
        try:
            headers = {"content-type": "application/json", "webhook-id": "msg_1", **kw}
            request = OutboundRequest(f"http://{host}:{port}/hook", headers, b'{"a": 1}')
            return await sender.post(request, 1000)
        finally:
            await sender.aclose()
            await runner.cleanup()

    return asyncio.run(go()), seen


def test_posts_the_body_and_headers_and_reads_the_answer() -> None:
    async def ok(_r: web.Request) -> web.StreamResponse:
        return web.Response(status=201, text="fine", headers={"X-Reply": "yes"})

    result, seen = exchange(ok, **{"x-custom": "v"})
    assert (result.status, result.body, result.error) == (201, "fine", None)
    assert result.headers["x-reply"] == "yes"
    [(headers, body)] = seen
    assert body == b'{"a": 1}' and headers["webhook-id"] == "msg_1"
    assert headers["Content-Type"] == "application/json" and headers["x-custom"] == "v"


def test_redirects_are_not_followed() -> None:
    async def moved(_r: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": "/elsewhere"})

    result, seen = exchange(moved)
    assert result.status == 302 and len(seen) == 1


def test_answer_is_cut_at_the_cap() -> None:
    async def big(_r: web.Request) -> web.StreamResponse:
        return web.Response(body=b"x" * (MAX_RESPONSE_BYTES * 4))

    result, _ = exchange(big)
    assert result.status == 200 and len(result.body) == MAX_RESPONSE_BYTES


def test_timeout_is_reported_not_raised() -> None:
    async def slow(_r: web.Request) -> web.StreamResponse:
        await asyncio.sleep(5)
        return web.Response()

    result, _ = exchange(slow)
    assert result.status is None and result.error == "timeout after 1000 ms"


def test_guard_refuses_a_name_that_resolves_to_loopback() -> None:
    async def ok(_r: web.Request) -> web.StreamResponse:
        return web.Response()

    result, seen = exchange(ok, guard=True, host="localhost")
    assert result.status is None and seen == []
    assert result.error is not None and "private address" in result.error, result.error


def test_non_ascii_headers_and_other_methods_go_the_httpx_way() -> None:
    assert sendable(OutboundRequest("http://x/", {"a": "b"}, b""))
    assert not sendable(OutboundRequest("http://x/", {"a": "é"}, b""))
    assert not sendable(OutboundRequest("http://x/", {}, b"", method="PUT"))


# Raw servers: each connection's requests are read whole, then ``reply`` says what to write back.
Reply = Callable[[bytes, int], bytes]


def _content_length(head: bytes) -> int:
    """The Content-Length of a request head (0 when it has none)."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def _request_end(buffer: bytes) -> int:
    """Where the first whole request in ``buffer`` ends, or -1."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return -1
    end = head_end + 4 + _content_length(buffer[:head_end])
    return end if len(buffer) >= end else -1


def raw_exchanges(
    reply: Reply, count: int, url_path: str = "/hook", headers: dict[str, str] | None = None
) -> tuple[list[Exchange], list[bytes], int]:
    """``count`` POSTs in turn through one sender; the answers, the raw requests and how many
    connections the server accepted."""
    requests: list[bytes] = []
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        buffer = b""
        try:
            while True:
                end = _request_end(buffer)
                if end < 0:
                    data = await reader.read(65536)
                    if not data:
                        return
                    buffer += data
                    continue
                requests.append(buffer[:end])
                buffer = buffer[end:]
                answer = reply(requests[-1], len(requests))
                if not answer:  # hang up without a word
                    return
                writer.write(answer)
                await writer.drain()
                if (
                    b"connection: close" in answer.lower()
                    or b"content-length" not in (answer.lower().split(b"\r\n\r\n")[0])
                    and b"chunked" not in answer.lower()
                ):
                    writer.close()
                    return
        finally:
            writer.close()

    async def go() -> list[Exchange]:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        sender = FastSender(ssl.create_default_context(), guard=False)
        answers = []
        try:
            for _ in range(count):
                request = OutboundRequest(
                    f"http://127.0.0.1:{port}{url_path}", headers or {"a": "b"}, b"body"
                )
                answers.append(await sender.post(request, 2000))
                await asyncio.sleep(0.05)
        finally:
            await sender.aclose()
            server.close()
        return answers

    answers = asyncio.run(go())
    return answers, requests, connections


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def test_keep_alive_reuses_one_connection_and_sends_the_expected_head() -> None:
    answers, requests, connections = raw_exchanges(lambda _r, _n: OK, 3)
    assert [a.status for a in answers] == [200, 200, 200] and connections == 1
    head = requests[0].split(b"\r\n")
    assert head[0] == b"POST /hook HTTP/1.1"
    assert head[1].startswith(b"Host: 127.0.0.1:")
    assert b"Content-Length: 4" in head and b"a: b" in head and requests[0].endswith(b"body")


def test_a_pooled_connection_the_server_closed_is_replaced() -> None:
    # The second request finds its pooled connection closed by the server without an answer
    # (an idle timeout racing it): it goes again over a new connection.
    replies = [OK, b"", OK]
    answers, requests, connections = raw_exchanges(lambda _r, n: replies[n - 1], 2)
    assert [a.status for a in answers] == [200, 200]
    assert len(requests) == 3 and connections == 2


def test_chunked_compressed_and_close_delimited_answers() -> None:
    chunked = b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    packed = gzip.compress(b"zipped answer")
    zipped = (
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(packed)
        + packed
    )
    deflated = zlib.compress(b"deflated answer")
    deflate = (
        b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n"
        % len(deflated)
        + deflated
    )
    until_close = b"HTTP/1.0 200 OK\r\nX-Twice: 1\r\nX-Twice: 2\r\n\r\nall of it"
    replies = [chunked, zipped, deflate, until_close]
    answers, _, connections = raw_exchanges(lambda _r, n: replies[n - 1], 4)
    assert [(a.status, a.body, a.error) for a in answers] == [
        (202, "abc", None),
        (200, "zipped answer", None),
        (200, "deflated answer", None),
        (200, "all of it", None),
    ]
    assert answers[3].headers["x-twice"] == "1, 2"
    assert connections == 1  # only the close-delimited answer ended its connection


def test_an_answer_cut_short_is_a_protocol_error() -> None:
    short = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nabc"
    [answer], _, _ = raw_exchanges(lambda _r, _n: short, 1)
    assert answer.status is None and answer.error is not None
    assert answer.error.startswith("protocol error:"), answer.error


def test_garbage_is_a_protocol_error() -> None:
    [answer], _, _ = raw_exchanges(lambda _r, _n: b"SMTP ready\r\n\r\n", 1)
    assert answer.status is None and answer.error is not None
    assert answer.error.startswith("protocol error: invalid answer"), answer.error


def test_user_info_becomes_basic_credentials_and_paths_are_encoded() -> None:
    async def go() -> bytes:
        seen: list[bytes] = []

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            seen.append(await reader.readuntil(b"\r\n\r\n"))
            writer.write(OK)
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        sender = FastSender(ssl.create_default_context(), guard=False)
        url = f"http://user:p%40ss@127.0.0.1:{port}/caf\u00e9?x=1"
        await sender.post(OutboundRequest(url, {}, b""), 2000)
        await sender.aclose()
        server.close()
        return seen[0]

    head = asyncio.run(go())
    assert head.startswith(b"POST /caf%C3%A9?x=1 HTTP/1.1\r\n")
    assert b"Authorization: Basic dXNlcjpwQHNz\r\n" in head


def test_a_header_with_a_line_break_is_refused_unsent() -> None:
    answers, requests, _ = raw_exchanges(lambda _r, _n: OK, 1, headers={"x": "a\r\nEvil: 1"})
    assert answers[0].status is None and requests == []
    assert answers[0].error == "request failed: a header name or value contains a line break"


def test_a_refused_connection_says_so() -> None:
    async def go() -> Exchange:
        server = await asyncio.start_server(lambda _r, _w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        sender = FastSender(ssl.create_default_context(), guard=False)
        return await sender.post(OutboundRequest(f"http://127.0.0.1:{port}/", {}, b""), 2000)

    answer = asyncio.run(go())
    assert (answer.status, answer.error) == (None, "connection failed: Connection refused")


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for ``localhost`` and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_https_verifies_the_certificate_by_host_name(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))

    async def go() -> tuple[Exchange, Exchange, Exchange]:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    await reader.readexactly(_content_length(head))
                    writer.write(OK)
                    await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=served)
        port = server.sockets[0].getsockname()[1]
        ours = FastSender(trusting, guard=False)
        doubting = FastSender(ssl.create_default_context(), guard=False)
        try:
            request = OutboundRequest(f"https://localhost:{port}/hook", {"a": "b"}, b"body")
            first = await ours.post(request, 3000)
            again = await ours.post(request, 3000)
            refused = await doubting.post(request, 3000)
        finally:
            await ours.aclose()
            await doubting.aclose()
            server.close()
        return first, again, refused

    first, again, refused = asyncio.run(go())
    assert (first.status, first.body, again.status) == (200, "ok", 200)
    assert refused.status is None and refused.error is not None
    assert refused.error.startswith("connection failed:") and "CERTIFICATE" in refused.error
