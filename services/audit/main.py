"""``hookbus serve audit``: the log consumer and the log API, until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import uvicorn
from aiokafka import AIOKafkaConsumer

from services.audit.app_retention import AppRetention
from services.audit.http_app import build_app
from services.audit.hub import Hub
from services.audit.ingest import Ingestor
from services.audit.log_settled import settler
from services.audit.retention import Retention
from services.audit.store import Store
from services.audit.task_events import announcer
from services.audit.task_worker import TaskWorker, task_consumer
from shared import consumer_lag, lifecycle
from shared.config_view import ConfigView
from shared.health import listening, start_http
from shared.kafka_io import durable_producer
from shared.settings import Settings
from shared.topics import MAX_RECORD_BYTES, Topic, physical

log = logging.getLogger(__name__)
DB_PROBE_S = 5.0


def consumer_for(settings: Settings) -> AIOKafkaConsumer:
    """The audit group's consumer of events, attempts and dead letters (not started)."""
    topics = (Topic.EVENTS, Topic.ATTEMPTS, Topic.DEAD, Topic.TASKS)
    return AIOKafkaConsumer(
        *(physical(settings.topic_prefix, topic) for topic in topics),
        bootstrap_servers=settings.bootstrap,
        client_id=f"hookbus-audit-{settings.instance_id}",
        group_id=f"{settings.topic_prefix}audit",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        # A record may be as large as a topic allows; a smaller fetch limit would stall on it.
        max_partition_fetch_bytes=MAX_RECORD_BYTES,
    )


class DatabaseProbe:
    """Checks every few seconds that the database answers, for ``/readyz``."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.ok = False

    async def run(self, stop: asyncio.Event) -> None:
        """Probe until ``stop`` is set; each probe runs in a worker thread."""
        while not stop.is_set():
            self.ok = await asyncio.to_thread(self._store.ping)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), DB_PROBE_S)


async def serve(settings: Settings) -> int:
    """Run audit until a stop signal; return the exit code (0 after a clean drain)."""
    stop = lifecycle.stop_event()
    await lifecycle.topics_ready(settings)
    store = await asyncio.to_thread(Store.open, settings.sqlite_url)
    config_topic = physical(settings.topic_prefix, Topic.CONFIG)
    view = ConfigView(settings.bootstrap, config_topic, client_id="hookbus-audit-config")
    producer = durable_producer(settings.bootstrap, f"hookbus-audit-{settings.instance_id}")
    consumer = consumer_for(settings)
    ingestor = Ingestor(consumer, producer, store, settings.topic_prefix)
    probe = DatabaseProbe(store)
    consumer_lag.watch(settings, "audit", consumer.assignment)
    retention = Retention(store.engine, settings.retention, settings.retention_interval)
    app_retention = AppRetention(store, view, settings.retention_interval)
    tasks_in = task_consumer(settings)
    worker = TaskWorker(
        tasks_in,
        producer,
        store,
        settings.topic_prefix,
        settings.task_page_size,
        log_settled=settler(
            settings.bootstrap,
            f"{settings.topic_prefix}audit",
            [physical(settings.topic_prefix, topic) for topic in (Topic.EVENTS, Topic.ATTEMPTS)],
        ),
        on_finished=announcer(producer, physical(settings.topic_prefix, Topic.EVENTS)),
    )

    def readiness() -> dict[str, bool]:
        return {"config": view.ready, "consumer": ingestor.running, "database": probe.ok}

    async with contextlib.AsyncExitStack() as stack:
        stack.callback(store.close)
        await view.start()
        stack.push_async_callback(view.stop)
        await producer.start()
        stack.push_async_callback(producer.stop)
        # Listening before consuming: /readyz says what is missing, and a taken port ends
        # the service before it joins the consumer group.
        server, http = start_http(
            build_app(Hub(store, producer, settings.topic_prefix), settings.admin_token, readiness),
            settings.http_host,
            settings.audit_port,
        )
        stack.push_async_callback(_stopped, server, http)
        await listening(server, http)
        await consumer.start()
        stack.push_async_callback(consumer.stop)
        await tasks_in.start()
        stack.push_async_callback(tasks_in.stop)
        probing = asyncio.create_task(probe.run(stop), name="audit-db-probe")
        pruning = asyncio.create_task(retention.run(stop), name="audit-retention")
        working = asyncio.create_task(_work(worker, stop), name="audit-tasks")
        erasing = asyncio.create_task(app_retention.run(stop), name="audit-app-retention")
        log.info("audit running", extra={"port": settings.audit_port})
        code = await _consume(ingestor, stop)
        await asyncio.gather(probing, pruning, erasing)
        code = code or await working
    log.info("audit stopped", extra={"exit_code": code})
    return code


async def _stopped(server: uvicorn.Server, http: asyncio.Task[None]) -> None:
    server.should_exit = True
    await http


async def _consume(ingestor: Ingestor, stop: asyncio.Event) -> int:
    try:
        await ingestor.run(stop)
    except Exception:  # the loop only ends on its own by a bug or a lost broker: say so, exit 1
        log.exception("audit consumer failed")
        stop.set()
        return 1
    return 0


async def _work(worker: TaskWorker, stop: asyncio.Event) -> int:
    """Run the task worker; return the exit code. When it fails (a bug, or the broker lost for
    good), stop audit (exit 1) so that it is restarted and the tasks resume there."""
    try:
        await worker.run(stop)
    except Exception:
        log.exception("task worker failed")
        stop.set()
        return 1
    return 0


def main() -> int:
    """Entry point of ``hookbus serve audit``."""
    settings = lifecycle.prepare("audit")
    return lifecycle.run(serve(settings))
