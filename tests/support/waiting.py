"""Waiting for a condition, the one way every test does it: poll ``check`` until it returns
something truthy and fail with ``AssertionError`` at the deadline (tests never sleep to
synchronise)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def poll(check: Callable[[], Any], timeout: float = 60.0, interval: float = 0.1) -> Any:
    """Call ``check`` until it returns something truthy and return that; ``AssertionError``
    naming the last value at the deadline."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")


async def eventually(
    check: Callable[[], T | Awaitable[T]], timeout: float = 60.0, interval: float = 0.1
) -> T:
    """:func:`poll` inside an event loop: ``check`` may be a plain or an async callable, and
    the loop keeps running while we wait."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last  # type: ignore[no-any-return]
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")
