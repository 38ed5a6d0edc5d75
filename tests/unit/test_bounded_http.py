"""The request head bound: a request line plus headers over 32 KiB is answered 431 with the
JSON error shape and the connection closed (an 8 MiB header to /healthz answered 200 before);
anything under it, and bodies of any size, are served as before."""

from __future__ import annotations

import asyncio

import orjson
from fastapi import FastAPI, Request

from shared.bounded_http import MAX_HEAD_BYTES
from shared.health import listening, start_http
from tests.support.stack import free_port


def app() -> FastAPI:
    served = FastAPI()

    @served.api_route("/echo", methods=["GET", "POST"])
    async def echo(request: Request) -> dict[str, int]:
        return {"body": len(await request.body())}

    return served


def exchange(*requests: bytes, pieces: int = 1) -> bytes:
    """Serve the app, send ``requests`` (each in ``pieces`` writes) on one connection, and
    return all that came back."""

    async def served() -> bytes:
        port = free_port()
        server, task = start_http(app(), "127.0.0.1", port)
        await listening(server, task)
        try:
            return await talk(port, requests, pieces)
        finally:
            server.should_exit = True
            await task

    return asyncio.run(served())


async def talk(port: int, requests: tuple[bytes, ...], pieces: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for raw in requests:
            step = -(-len(raw) // pieces)
            for start in range(0, len(raw), step):
                writer.write(raw[start : start + step])
                await writer.drain()
        writer.write_eof()
        return await asyncio.wait_for(reader.read(), 30)
    except ConnectionResetError:
        return b"reset"
    finally:
        writer.close()


def request(header_bytes: int, body: bytes = b"", method: str = "GET") -> bytes:
    head = f"{method} /echo HTTP/1.1\r\nhost: x\r\ncontent-length: {len(body)}\r\n"
    return head.encode() + b"x-big: " + b"a" * header_bytes + b"\r\n\r\n" + body


def test_a_head_over_the_bound_is_431_json() -> None:
    answer = exchange(request(8 * 1024 * 1024), pieces=64)
    status, _, rest = answer.partition(b"\r\n")
    assert status == b"HTTP/1.1 431 Request Header Fields Too Large"
    body = orjson.loads(rest.split(b"\r\n\r\n", 1)[1])
    assert body["error"]["code"] == "header_fields_too_large"
    assert body["error"]["details"] == {"limit": MAX_HEAD_BYTES}


def test_a_head_just_over_the_bound_in_one_write_is_431() -> None:
    answer = exchange(request(MAX_HEAD_BYTES))
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_heads_under_the_bound_and_large_bodies_are_served() -> None:
    body = b"b" * (2 * 1024 * 1024)
    answer = exchange(
        request(MAX_HEAD_BYTES - 200),
        request(10, body, "POST"),
        request(MAX_HEAD_BYTES - 200),
        pieces=7,
    )
    assert answer.count(b"HTTP/1.1 200 OK") == 3, answer[:300]
    assert b'{"body":2097152}' in answer
