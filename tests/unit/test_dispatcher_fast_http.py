"""FastSender (aiohttp) against a real in-process HTTP server: what it sends and reads, the
guard, timeouts, redirects, the response cap."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

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
