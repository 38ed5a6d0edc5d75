"""Reading a received body: the limit, and a client that goes away mid-body."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.requests import Request

from services.ingress.inbound.body import read_body
from shared.errors import BadRequest, PayloadTooLarge


def request(messages: list[dict[str, Any]], headers: list[tuple[bytes, bytes]]) -> Request:
    pending = list(messages)

    async def receive() -> dict[str, Any]:
        return pending.pop(0)

    scope = {"type": "http", "method": "POST", "path": "/in/src_1", "headers": headers}
    return Request(scope, receive)


def chunk(data: bytes, more: bool = True) -> dict[str, Any]:
    return {"type": "http.request", "body": data, "more_body": more}


def test_a_chunked_body_is_read_whole_within_the_limit() -> None:
    body = asyncio.run(read_body(request([chunk(b"ab"), chunk(b"c", more=False)], []), 3))
    assert body == b"abc"


def test_a_body_over_the_limit_is_refused_while_read_or_from_its_length() -> None:
    with pytest.raises(PayloadTooLarge):
        asyncio.run(read_body(request([chunk(b"ab"), chunk(b"cd", more=False)], []), 3))
    declared = [(b"content-length", b"4")]
    with pytest.raises(PayloadTooLarge):
        asyncio.run(read_body(request([chunk(b"abcd", more=False)], declared), 3))


def test_a_client_gone_mid_body_is_a_plain_refusal() -> None:
    gone = request([chunk(b"ab"), {"type": "http.disconnect"}], [])
    with pytest.raises(BadRequest) as caught:
        asyncio.run(read_body(gone, 100))
    assert caught.value.code == "incomplete_body"
