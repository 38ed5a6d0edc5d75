"""ClientPool: a client per running request, reused per endpoint, idle ones closed."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from services.dispatcher.targets import clients as clients_module
from services.dispatcher.targets.clients import ClientPool


def pool(max_idle: int = 100) -> ClientPool:
    return ClientPool(max_idle, httpx.MockTransport(lambda _r: httpx.Response(204)))


def test_concurrent_requests_get_their_own_clients_reused_afterwards() -> None:
    async def go() -> None:
        clients = pool()
        async with clients.client("ep_a") as one, clients.client("ep_a") as two:
            assert one is not two
            assert (await one.post("http://a.example/x")).status_code == 204
        assert clients.idle == 2
        async with clients.client("ep_a") as again:
            assert again in (one, two) and not again.is_closed
        async with clients.client("ep_b") as other:
            assert other not in (one, two)
        await clients.aclose()
        assert one.is_closed and two.is_closed and other.is_closed

    asyncio.run(go())


def test_least_recently_used_idle_clients_beyond_the_limit_are_closed() -> None:
    async def go() -> None:
        clients = pool(max_idle=2)
        seen = {}
        for name in ("ep_1", "ep_2", "ep_3", "ep_4"):
            async with clients.client(name) as client:
                seen[name] = client
        assert clients.idle == 2
        assert seen["ep_1"].is_closed and seen["ep_2"].is_closed
        assert not seen["ep_3"].is_closed and not seen["ep_4"].is_closed
        await clients.aclose()

    asyncio.run(go())


def test_lent_clients_are_never_closed() -> None:
    async def go() -> None:
        clients = pool(max_idle=1)
        async with clients.client("ep_hang") as hanging:
            for name in ("ep_1", "ep_2", "ep_3"):
                async with clients.client(name):
                    pass
            assert not hanging.is_closed
        await clients.aclose()

    asyncio.run(go())


def test_stale_clients_are_closed_on_a_later_release(monkeypatch: pytest.MonkeyPatch) -> None:
    async def go() -> None:
        clients = pool()
        async with clients.client("ep_old") as old:
            pass
        assert not old.is_closed
        monkeypatch.setattr(clients_module, "IDLE_SECONDS", -1.0)
        async with clients.client("ep_new"):
            pass
        assert old.is_closed and clients.idle == 0

    asyncio.run(go())


def test_cookies_set_by_a_receiver_are_not_sent_back() -> None:
    seen: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"set-cookie": "session=abc; Path=/"})

    async def go() -> None:
        clients = ClientPool(transport=httpx.MockTransport(respond))
        for _ in range(2):
            async with clients.client("ep_a") as client:
                await client.post("http://a.example/hook")
        await clients.aclose()

    asyncio.run(go())
    assert len(seen) == 2 and "cookie" not in seen[1].headers
