"""CPU per endpoint POST of the dispatcher's HTTP clients, against one local keep-alive server.

    python bench/http_client.py [--requests 20000] [--concurrency 50]

Starts a minimal HTTP/1.1 server in a child process (so its CPU is not counted), then sends
the same signed-sized request (1 KiB body, the headers an endpoint gets) with each client in
turn: the dispatcher's own (:mod:`services.dispatcher.targets.fast_http`), aiohttp (the client
it replaced; installed for faust) and httpx (the path kept for forwarded requests). A warm-up
round, then a measured round each. Prints CPU µs per request and requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import ssl
import subprocess
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.dispatcher.targets.exchange import post  # noqa: E402
from services.dispatcher.targets.fast_http import FastSender  # noqa: E402
from services.dispatcher.targets.request import OutboundRequest  # noqa: E402

SERVER = textwrap.dedent(
    """
    import asyncio, sys
    ANSWER = b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nContent-Type: text/plain\\r\\n\\r\\nok"
    class Answering(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport, self.buffer = transport, b""
        def data_received(self, data):
            self.buffer += data
            while (end := self.buffer.find(b"\\r\\n\\r\\n")) >= 0:
                head = self.buffer[:end].lower()
                at = head.find(b"content-length:")
                length = int(head[at + 15:].split(b"\\r\\n")[0]) if at >= 0 else 0
                if len(self.buffer) < end + 4 + length:
                    return
                self.buffer = self.buffer[end + 4 + length:]
                self.transport.write(ANSWER)
    async def main():
        server = await asyncio.get_running_loop().create_server(Answering, "127.0.0.1", 0)
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()
    asyncio.run(main())
    """
)
HEADERS = {
    "content-type": "application/json",
    "user-agent": "hookbus/0.1.0",
    "webhook-id": "msg_01M923W40RHN4X813WW9T5QKVG",
    "webhook-timestamp": "1790000000",
    "webhook-signature": "v1," + "A" * 44,
}
Send = Callable[[], Awaitable[object]]


async def _round(send: Send, requests: int, concurrency: int) -> tuple[float, float]:
    left = iter(range(requests))

    async def worker() -> None:
        for _ in left:
            await send()

    cpu, wall = time.process_time(), time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.process_time() - cpu, time.monotonic() - wall


async def _measure(url: str, requests: int, concurrency: int) -> None:
    request = OutboundRequest(url, HEADERS, b"x" * 1024)
    ours = FastSender(ssl.create_default_context(), guard=False)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    client = httpx.AsyncClient(limits=httpx.Limits(max_connections=None))

    async def with_aiohttp() -> object:
        async with session.post(url, data=request.body, headers=request.headers) as response:
            return await response.read()

    clients: dict[str, Send] = {
        "hookbus fast_http": lambda: ours.post(request, 5000),
        "aiohttp": with_aiohttp,
        "httpx": lambda: post(client, request, 5000),
    }
    try:
        for name, send in clients.items():
            await _round(send, min(requests, 2000), concurrency)
            cpu, wall = await _round(send, requests, concurrency)
            print(
                f"{name:18} {cpu / requests * 1e6:7.1f} µs CPU per request"
                f"   {requests / wall:9,.0f} requests/s"
            )
    finally:
        await ours.aclose()
        await session.close()
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        socket.create_connection(("127.0.0.1", port)).close()
        url = f"http://127.0.0.1:{port}/hook"
        uvloop.run(_measure(url, args.requests, args.concurrency))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
