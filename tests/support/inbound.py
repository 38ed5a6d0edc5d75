"""Helpers of the inbound end-to-end tests: the received log and user topics, polled."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer

from tests.support.stack import Stack
from tests.support.waiting import poll

Object = dict[str, Any]


def logged(stack: Stack, inbound_id: str, routed: bool = False) -> Object:
    """The received-log entry ``inbound_id`` once audit has it (and, if asked, its routing)."""

    def entry() -> Object | None:
        answer = stack.client.get(f"/v1/inbound/{inbound_id}")
        if answer.status_code != 200:
            return None
        found: Object = answer.json()
        return found if not routed or found["routed_at"] else None

    result: Object = poll(entry, 60)
    return result


def source(stack: Stack, **fields: Any) -> Object:
    """Create a source; fail the test unless it is answered 201."""
    answer = stack.client.post("/v1/sources", json=fields)
    assert answer.status_code == 201, answer.text
    created: Object = answer.json()
    return created


def route(stack: Stack, **fields: Any) -> Object:
    """Create a route; fail the test unless it is answered 201."""
    answer = stack.client.post("/v1/routes", json=fields)
    assert answer.status_code == 201, answer.text
    created: Object = answer.json()
    return created


def send(stack: Stack, path: str, **kwargs: Any) -> httpx.Response:
    """A request to a receiving URL (no admin token: those URLs are public)."""
    method = kwargs.pop("method", "POST")
    return httpx.request(method, stack.base_url + path, timeout=30, **kwargs)


def consume(
    bootstrap: str, topic: str, wanted: Callable[[list[Object]], bool], timeout: float = 60
) -> list[Object]:
    """Records of ``topic`` from the start (value JSON, plus ``_key``) until ``wanted`` holds."""

    async def run() -> list[Object]:
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
        )
        await consumer.start()
        found: list[Object] = []
        try:
            async with asyncio.timeout(timeout):
                while not wanted(found):
                    batches = await consumer.getmany(timeout_ms=300)
                    for records in batches.values():
                        for record in records:
                            value = orjson.loads(record.value)
                            value["_key"] = None if record.key is None else record.key.decode()
                            found.append(value)
        finally:
            await consumer.stop()
        return found

    return asyncio.run(run())
