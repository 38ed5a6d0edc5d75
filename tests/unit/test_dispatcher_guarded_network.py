"""The public-only network backend with a fake resolver: every connection is checked, the socket
goes to the address that was checked, and Host and TLS keep the URL's name."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
import pytest

from services.dispatcher.targets.guarded_network import GuardedTransport, PublicOnlyBackend

PUBLIC = "93.184.216.34"
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


class FakeStream(httpcore.AsyncNetworkStream):
    """Records what was written and the TLS name; answers one canned response."""

    def __init__(self) -> None:
        self.written = b""
        self.tls_name: str | None = None
        self._answer = ANSWER

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        chunk, self._answer = self._answer[:max_bytes], self._answer[max_bytes:]
        return chunk

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.written += buffer

    async def aclose(self) -> None:
        pass

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.tls_name = server_hostname
        return self

    def get_extra_info(self, info: str) -> Any:
        return None


class FakeNetwork(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []
        self.streams: list[FakeStream] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        self.streams.append(FakeStream())
        return self.streams[-1]

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class Resolver:
    """Answers each lookup with the next list of addresses (a DNS that rebinds)."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def connect(backend: PublicOnlyBackend, host: str = "hooks.example.com") -> Any:
    return asyncio.run(backend.connect_tcp(host, 443))


@pytest.mark.parametrize(
    "addresses",
    [["10.0.0.5"], ["127.0.0.1"], ["169.254.169.254"], ["::1"], ["::ffff:192.168.1.1"],
     [PUBLIC, "127.0.0.1"], []],
)  # fmt: skip
def test_private_or_unresolvable_destinations_are_refused(addresses: list[str]) -> None:
    network = FakeNetwork()
    backend = PublicOnlyBackend(Resolver(addresses), network)
    with pytest.raises(httpcore.ConnectError):
        connect(backend)
    assert network.connects == []


def test_connects_to_the_checked_address() -> None:
    network = FakeNetwork()
    connect(PublicOnlyBackend(Resolver([PUBLIC]), network))
    assert network.connects == [(PUBLIC, 443)]


def test_every_new_connection_is_checked_again() -> None:
    network = FakeNetwork()
    resolver = Resolver([PUBLIC], ["10.1.2.3"])
    backend = PublicOnlyBackend(resolver, network)
    connect(backend)
    with pytest.raises(httpcore.ConnectError, match="private address"):
        connect(backend)
    assert network.connects == [(PUBLIC, 443)] and len(resolver.lookups) == 2


def test_a_dns_failure_is_a_refusal() -> None:
    async def broken(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(httpcore.ConnectError, match="cannot resolve"):
        connect(PublicOnlyBackend(broken, FakeNetwork()))


def request_through(url: str, resolver: Resolver, network: FakeNetwork) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = GuardedTransport(
            httpx.create_ssl_context(),
            httpx.Limits(max_connections=1),
            PublicOnlyBackend(resolver, network),
        )
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.post(url, content=b"{}")

    return asyncio.run(go())


def test_requests_keep_the_host_name_for_host_header_and_tls() -> None:
    network = FakeNetwork()
    response = request_through("https://hooks.example.com/in", Resolver([PUBLIC]), network)
    assert response.status_code == 200 and network.connects == [(PUBLIC, 443)]
    stream = network.streams[0]
    assert stream.tls_name == "hooks.example.com"
    assert b"\r\nHost: hooks.example.com\r\n" in stream.written


def test_a_refusal_reaches_the_client_as_a_connect_error() -> None:
    network = FakeNetwork()
    with pytest.raises(httpx.ConnectError, match="resolves to a private address"):
        request_through("http://rebind.example/in", Resolver(["192.168.0.10"]), network)
    assert network.connects == []
