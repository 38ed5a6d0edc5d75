"""The router as a real process on a real broker: routing, dead letters, the config barrier,
SIGTERM and crashes (at least once), and rebalances between two routers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.router.claims_log import ChangelogReader, changelog_spec
from shared.contracts import Contract, decode
from shared.errors import KafkaUnavailable
from shared.kafka_io import create_topics, ensure_topics
from shared.settings import Settings
from shared.topics import Topic, physical
from tests.support import records
from tests.support.stack import free_port
from tests.support.waiting import eventually

pytestmark = pytest.mark.kafka
REPO = Path(__file__).resolve().parents[2]
APP = "app_01JD3QXW2N0B7C4D5E6F7G8H9J"
PARTITIONS = 3
NOW = "2026-11-22T10:00:00.000Z"
T = TypeVar("T")


class RouterProcess:
    """``services.router.main:main()`` in a subprocess with its own topic prefix and port."""

    def __init__(self, bootstrap: str, data_dir: Path, prefix: str, name: str = "router") -> None:
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.group = f"{prefix}router"
        self.port = free_port()
        self.log_path = data_dir / f"{name}.log"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "HOOKBUS_KAFKA_BOOTSTRAP": bootstrap,
            "HOOKBUS_TOPIC_PREFIX": prefix,
            "HOOKBUS_ROUTER_PORT": str(self.port),
            "HOOKBUS_PARTITIONS": str(PARTITIONS),
            "HOOKBUS_DATA_DIR": str(data_dir),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def topic(self, topic: Topic) -> str:
        return physical(self.prefix, topic)

    def start(self) -> None:
        command = "from services.router.main import main; raise SystemExit(main())"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", command], env=self.env, cwd=REPO, stdout=log, stderr=log
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"router exited early: {self.log()[-3000:]}")
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                return (await client.get(f"http://127.0.0.1:{self.port}/readyz")).status_code == 200
        except httpx.HTTPError:
            return False

    def terminate(self, timeout: float = 60.0) -> None:
        """SIGTERM; fail unless it exits 0 within ``timeout`` seconds."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"router ignored SIGTERM: {self.log()[-3000:]}") from None
        assert code == 0, f"router exited with {code} on SIGTERM: {self.log()[-3000:]}"

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def router(kafka_bootstrap: str, tmp_path: Path) -> Iterator[RouterProcess]:
    running = RouterProcess(kafka_bootstrap, tmp_path, f"t{uuid.uuid4().hex[:8]}.")
    asyncio.run(ensure_topics(kafka_bootstrap, running.prefix, PARTITIONS))
    yield running
    running.kill()


def run(router: RouterProcess, scenario: Coroutine[Any, Any, None]) -> None:
    """Run ``scenario``; show the router's log when it fails."""
    try:
        asyncio.run(scenario)
    except BaseException:
        print(router.log()[-5000:])
        raise


def config_record(kind: str, data: dict[str, Any]) -> bytes:
    return orjson.dumps(records.config_record(kind, data, NOW))


def app(app_id: str = APP) -> tuple[str, bytes]:
    data = {"id": app_id, "name": app_id, "created_at": NOW, "updated_at": NOW}
    return f"app/{app_id}", config_record("app", data)


def endpoint(ident: str, app_id: str = APP, **fields: Any) -> tuple[str, bytes]:
    data = {
        **{"id": ident, "app_id": app_id, "url": "http://127.0.0.1:9/hook", "enabled": True},
        **{"event_types": None, "channels": None, "content_type": "application/json"},
        "secrets": [{"secret": "whsec_" + "A" * 32, "expires_at": None}],
        **{"created_at": NOW, "updated_at": NOW, **fields},
    }
    return f"endpoint/{ident}", config_record("endpoint", data)


def event(ident: str, event_type: str, config_offset: int = 0, app_id: str = APP) -> bytes:
    record = records.event(id=ident, app_id=app_id, event_type=event_type, timestamp=NOW)
    return orjson.dumps({**record, "config_offset": config_offset})


async def produce(bootstrap: str, topic: str, records: list[tuple[str, bytes]]) -> list[Any]:
    """Write ``(key, value)`` records in order; return their ``(partition, offset)``."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        sent = [await producer.send(topic, value, key=key.encode()) for key, value in records]
        return [(meta.partition, meta.offset) for meta in await asyncio.gather(*sent)]
    finally:
        await producer.stop()


async def write_config(router: RouterProcess, *records: tuple[str, bytes]) -> None:
    await produce(router.bootstrap, router.topic(Topic.CONFIG), list(records))


async def write_events(router: RouterProcess, *records: tuple[str, bytes]) -> list[Any]:
    return await produce(router.bootstrap, router.topic(Topic.EVENTS), list(records))


def partitions(topic: str) -> list[TopicPartition]:
    return [TopicPartition(topic, p) for p in range(PARTITIONS)]


async def read_all(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes | None]]:
    """Every record on ``topic`` up to its current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = partitions(topic)
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        records: list[tuple[bytes | None, bytes | None]] = []
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend((r.key, r.value) for r in batch)
        return records
    finally:
        await consumer.stop()


async def committed(router: RouterProcess) -> dict[int, int]:
    """The router group's committed offsets on ``events`` by partition (0 where none)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=router.bootstrap)
    await admin.start()
    try:
        found = await admin.list_consumer_group_offsets(router.group)
    finally:
        await admin.close()
    events = partitions(router.topic(Topic.EVENTS))
    return {tp.partition: found[tp].offset if tp in found else 0 for tp in events}


async def all_committed(router: RouterProcess) -> bool:
    """True when the router group has committed every event written so far."""
    consumer = AIOKafkaConsumer(bootstrap_servers=router.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions(router.topic(Topic.EVENTS)))
    finally:
        await consumer.stop()
    done = await committed(router)
    return all(done[tp.partition] == end for tp, end in ends.items())


async def delivery_list(router: RouterProcess) -> list[tuple[str, str]]:
    """``(message_id, endpoint_id)`` of every delivery record, checking key and contract."""
    found = []
    for key, value in await read_all(router.bootstrap, router.topic(Topic.DELIVERIES)):
        record = decode(Contract.DELIVERY, value)
        assert key == record["endpoint_id"].encode()
        found.append((record["message_id"], record["endpoint_id"]))
    return found


async def deliveries(router: RouterProcess) -> set[tuple[str, str]]:
    return set(await delivery_list(router))


def test_routes_events_dead_letters_bad_ones_and_stops_cleanly(router: RouterProcess) -> None:
    async def scenario() -> None:
        await write_config(
            router,
            app(),
            endpoint("ep_invoice", event_types=["invoice.*"]),
            endpoint("ep_user", event_types=["user.created"]),
            endpoint("ep_off", enabled=False),
        )
        router.start()
        await eventually(router.ready)
        await write_events(
            router,
            (APP, event("msg_inv", "invoice.paid")),
            (APP, event("msg_user", "user.created")),
            (APP, event("msg_order", "order.created")),
            (APP, event("msg_user_updated", "user.updated")),
            (APP, b'{"oops"'),
        )
        await eventually(lambda: all_committed(router))
        assert await deliveries(router) == {("msg_inv", "ep_invoice"), ("msg_user", "ep_user")}
        [(key, value)] = await read_all(router.bootstrap, router.topic(Topic.DEAD))
        dead = decode(Contract.DEAD_LETTER, value)
        assert key == APP.encode() and dead["record"] == '{"oops"'
        assert dead["origin"]["service"] == "router" and "not JSON" in dead["reason"]

    run(router, scenario())
    router.terminate()


def test_event_claiming_config_beyond_the_log_end_is_routed_with_the_view_as_it_is(
    router: RouterProcess,
) -> None:
    """A config offset no honest writer can have seen (past the config log's end) must not
    hold the partition: the event is routed with the configuration there is, and the events
    behind it follow."""

    async def scenario() -> None:
        await write_config(router, app(), endpoint("ep_now"))
        router.start()
        await eventually(router.ready)
        await write_events(
            router,
            (APP, event("msg_future", "late.x", config_offset=10**9)),
            (APP, event("msg_next", "late.x", config_offset=2)),
        )
        await eventually(lambda: _has_both(router))
        await eventually(lambda: all_committed(router))

    run(router, scenario())
    router.terminate()


async def _has_both(router: RouterProcess) -> bool:
    return await deliveries(router) == {("msg_future", "ep_now"), ("msg_next", "ep_now")}


def test_no_committed_event_lacks_its_deliveries_after_a_crash_or_sigterm(
    router: RouterProcess,
) -> None:
    """At least once: however the router stops, every event below its committed offsets has
    all its delivery records, and a restart delivers the rest."""
    placed: dict[tuple[int, int], str] = {}

    async def check_committed_events_were_delivered() -> None:
        done, found = await committed(router), set(await delivery_list(router))
        missing = [
            ident
            for (partition, offset), ident in placed.items()
            if offset < done[partition] and not {(ident, "ep_a"), (ident, "ep_b")} <= found
        ]
        assert missing == [], f"committed without deliveries: {missing[:5]}"

    async def stop_mid_stream(batch: int, stop: Callable[[], None]) -> None:
        router.start()
        await eventually(router.ready)
        before = sum((await committed(router)).values())
        ids = [f"msg_{batch}_{i}" for i in range(2000)]
        where = await write_events(router, *[(APP, event(ident, "bulk.x")) for ident in ids])
        placed.update(zip(where, ids, strict=True))

        async def progress() -> bool:
            return sum((await committed(router)).values()) > before

        await eventually(progress)
        stop()
        await check_committed_events_were_delivered()

    async def scenario() -> None:
        await write_config(router, app(), endpoint("ep_a"), endpoint("ep_b"))
        await stop_mid_stream(1, router.kill)
        await stop_mid_stream(2, router.terminate)
        router.start()
        await eventually(lambda: all_committed(router))
        await check_committed_events_were_delivered()
        assert {ident for ident, _ in await delivery_list(router)} == set(placed.values())

    run(router, scenario())
    router.terminate()


def test_rebalances_between_two_routers_lose_no_event(
    router: RouterProcess, tmp_path: Path
) -> None:
    """A second router joins mid-stream, then the first leaves: every event is delivered."""
    other = RouterProcess(router.bootstrap, tmp_path, router.prefix, name="other")
    apps = [f"app_{i:026d}" for i in range(6)]  # keys spread over the partitions
    ids: list[str] = []

    async def more_events(batch: int) -> None:
        records = [(apps[i % 6], event(f"msg_{batch}_{i}", "bulk.x", 0, apps[i % 6])) for i in
                   range(1500)]  # fmt: skip
        ids.extend(f"msg_{batch}_{i}" for i in range(1500))
        await write_events(router, *records)

    async def scenario() -> None:
        await write_config(router, *[app(a) for a in apps])
        await write_config(router, *[endpoint(f"ep_{a[4:]}", a) for a in apps])
        router.start()
        await eventually(router.ready)
        await more_events(1)
        other.start()
        await more_events(2)
        await eventually(other.ready)
        router.terminate()
        await more_events(3)
        await eventually(lambda: all_committed(other), timeout=120)
        delivered = [ident for ident, _ in await delivery_list(router)]
        assert set(delivered) == set(ids)
        print(f"rebalance duplicates: {len(delivered) - len(ids)} of {len(ids)} events")

    try:
        run(other, scenario())
        other.terminate()
    finally:
        other.kill()


def test_a_sigterm_restart_routes_every_waiting_event_once(router: RouterProcess) -> None:
    """Events written while the router is stopped, behind claims already on the window's
    changelog, are each routed exactly once after it restarts: none skipped (faust's table
    recovery used to drop some and commit past them), none routed twice (a clean stop
    committed everything before it)."""

    async def write_batch(batch: int, count: int) -> list[str]:
        ids = [f"msg_{batch}_{i}" for i in range(count)]
        await write_events(router, *[(APP, event(ident, "bulk.x")) for ident in ids])
        return ids

    async def scenario() -> None:
        await write_config(router, app(), endpoint("ep_a"))
        router.start()
        await eventually(router.ready)
        ids = await write_batch(1, 50)
        await eventually(lambda: all_committed(router))
        router.terminate()
        ids += await write_batch(2, 300)
        router.start()
        await eventually(router.ready)
        ids += await write_batch(3, 50)
        await eventually(lambda: all_committed(router))
        delivered = [ident for ident, _ in await delivery_list(router)]
        assert sorted(set(ids) - set(delivered)) == []
        assert len(delivered) == len(ids), "events routed twice after a clean restart"

    run(router, scenario())
    router.terminate()


def test_window_changelog_is_read_back_whole_per_partition(kafka_bootstrap: str) -> None:
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_prefix=f"t{uuid.uuid4().hex[:8]}.",
                        partitions=PARTITIONS)  # fmt: skip
    spec = changelog_spec(settings)

    async def scenario() -> None:
        await create_topics(kafka_bootstrap, [spec])
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for key, value, partition in [(b"a", b"1", 0), (b"b", b"2", 2), (b"a", None, 0)]:
                await producer.send_and_wait(spec.name, value, key=key, partition=partition)
        finally:
            await producer.stop()
        reader = ChangelogReader(kafka_bootstrap, spec.name, timeout=5)
        assert await reader([0, 1, 2]) == {
            0: [(b"a", b"1"), (b"a", None)],
            1: [],
            2: [(b"b", b"2")],
        }
        with pytest.raises(KafkaUnavailable, match="not found"):
            await reader([0, PARTITIONS])

    asyncio.run(scenario())
