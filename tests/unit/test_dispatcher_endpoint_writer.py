"""EndpointWriter against an in-memory config log: merges, and repairs lost updates."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from services.dispatcher.outcomes.endpoint_writer import EndpointWriter
from shared.config_state import ConfigState
from tests.support import records

KEY = "endpoint/ep_1"


@dataclass(frozen=True)
class Meta:
    partition: int
    offset: int


class ConfigLog(ConfigState):
    """A config topic and a view of it in one: records apply when the view waits for them."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, dict[str, Any] | None]] = []
        self.position = 0
        self.listeners: list[Callable[[str, str, Any], None]] = []
        self.before_next_write: list[tuple[str, dict[str, Any] | None]] = []

    def on_change(self, listener: Callable[[str, str, Any], None]) -> None:
        self.listeners.append(listener)

    def write(self, key: str, data: dict[str, Any] | None) -> int:
        self.log.append((key, data))
        return len(self.log) - 1

    async def send_and_wait(self, topic: str, value: bytes | None, key: bytes) -> Meta:
        for other in self.before_next_write:  # someone else's write lands first
            self.write(*other)
        self.before_next_write = []
        data = None if value is None else orjson.loads(value)["data"]
        return Meta(0, self.write(key.decode(), data))

    async def wait_for(self, offset: int, timeout: float = 10.0) -> None:
        while self.position < min(offset, len(self.log)):
            key, data = self.log[self.position]
            self.position += 1
            kind, ident = self.apply(key, data)
            for listener in self.listeners:
                listener(kind, ident, data)

    async def catch_up(self, timeout: float = 10.0) -> int:
        await self.wait_for(len(self.log))
        return self.position


def setup() -> tuple[ConfigLog, EndpointWriter, dict[str, Any]]:
    config = ConfigLog()
    endpoint = records.endpoint(id="ep_1", url="https://old.example/hook")
    config.write(KEY, endpoint)
    writer = EndpointWriter(config, config, "t.config")  # type: ignore[arg-type]
    return config, writer, endpoint


def test_a_change_is_merged_into_the_current_record() -> None:
    config, writer, endpoint = setup()
    assert asyncio.run(writer.update("ep_1", {"enabled": False}, touch=True))
    current = config.get("endpoint", "ep_1")
    assert current is not None and current["enabled"] is False
    assert current["url"] == endpoint["url"] and current["updated_at"] != endpoint["updated_at"]
    assert len(config.log) == 2


def test_a_concurrent_patch_is_not_lost() -> None:
    config, writer, endpoint = setup()
    patched = {**endpoint, "url": "https://new.example/hook"}
    config.before_next_write = [(KEY, patched)]
    assert asyncio.run(writer.update("ep_1", {"enabled": False}))
    current = config.get("endpoint", "ep_1")
    assert current is not None
    assert current["url"] == "https://new.example/hook" and current["enabled"] is False
    assert len(config.log) == 4  # original, the PATCH, ours over the PATCH, the repair


def test_an_endpoint_deleted_meanwhile_stays_deleted() -> None:
    config, writer, _ = setup()
    config.before_next_write = [(KEY, None)]
    assert not asyncio.run(writer.update("ep_1", {"enabled": False}))
    assert config.get("endpoint", "ep_1") is None and config.log[-1] == (KEY, None)


def test_a_missing_endpoint_is_not_created() -> None:
    config, writer, _ = setup()
    assert not asyncio.run(writer.update("ep_other", {"enabled": False}))
    assert len(config.log) == 1
