"""The faust app's settings that at-least-once and our topic layout depend on (no broker)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.router.config_gate import ConfigGate
from services.router.stream_app import create_app
from shared.errors import KafkaUnavailable
from shared.settings import Settings


class Gate:
    view = None
    ready = True


def settings(tmp_path: Path) -> Settings:
    return Settings(kafka_bootstrap="127.0.0.1:1", topic_prefix="t1.", partitions=3,
                    router_port=18082, data_dir=tmp_path)  # fmt: skip


def test_settings_come_from_hookbus_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # faust would let these variables override the values the router passes in.
    monkeypatch.setenv("WEB_PORT", "1")
    monkeypatch.setenv("PRODUCER_ACKS", "1")
    monkeypatch.setenv("STREAM_WAIT_EMPTY", "true")
    conf = create_app(settings(tmp_path), Gate()).conf  # type: ignore[arg-type]
    assert conf.id == "t1.router"
    assert (conf.web_port, conf.producer_acks, conf.stream_wait_empty) == (18082, -1, False)
    assert conf.topic_partitions == 3 and conf.topic_replication_factor == 1
    assert conf.topic_disable_leader and not conf.autodiscover
    assert not conf.stream_publish_on_commit


def test_producer_is_idempotent_with_acks_all(tmp_path: Path) -> None:
    async def scenario() -> tuple[bool, int]:
        app = create_app(settings(tmp_path), Gate())  # type: ignore[arg-type]
        producer = app.producer._new_producer()  # type: ignore[attr-defined]
        try:
            return producer._txn_manager is not None, producer._sender._acks
        finally:
            await producer.stop()

    assert asyncio.run(scenario()) == (True, -1)


def test_gate_is_not_ready_before_catching_up() -> None:
    class View:
        ready = True

    gate = ConfigGate(View())  # type: ignore[arg-type]
    assert not gate.ready
    gate.caught_up.set()
    assert gate.ready


def test_gate_waits_for_the_first_catch_up_then_for_the_offset() -> None:
    class View:
        ready = True
        waited: list[int] = []

        async def wait_for_writer(self, offset: int, timeout: float) -> None:
            self.waited.append(offset)

    async def scenario() -> list[int]:
        view = View()
        gate = ConfigGate(view)  # type: ignore[arg-type]
        with pytest.raises(KafkaUnavailable):
            await gate.wait_for(5, timeout=0.01)
        assert view.waited == []
        gate.caught_up.set()
        await gate.wait_for(5, timeout=0.01)
        return view.waited

    assert asyncio.run(scenario()) == [5]


def test_the_app_has_no_faust_table(tmp_path: Path) -> None:
    # With a table, faust resumes the flow to recover it while the events partitions still wait
    # for their seek, and events fetched before the seek made it skip others (see stream_app).
    app = create_app(settings(tmp_path), Gate())  # type: ignore[arg-type]
    assert not app.tables
