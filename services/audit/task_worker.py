"""Audit's task workers: a consumer group on the tasks topic that works each requested task
page by page and records its progress.

For each request record: read the task's last progress (audit's database); a task just begun
first waits until the log holds everything written before it (:mod:`.log_settled`); then repeat
"read a page → produce its deliveries → produce a progress record (and store it)" until the
last page, then a final ``done`` record. The request's offset is committed only once its task
ended, so when the worker dies the partition's next owner reads the request again and resumes
from the last progress record's cursor (at least once: a page may be delivered twice). A task
taken over after a crash counts a resume; past :data:`MAX_RESUMES` it ends ``failed``, so no
task stays ``running`` for ever. A clean stop hands the tasks in hand back without counting.
Several tasks run side by side, one page each in turn, and a page is all a task holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from sqlalchemy.exc import SQLAlchemyError

from services.audit import task_pages
from services.audit.log_settled import Settled
from services.audit.redo import again, produce
from services.audit.rows import epoch_ms
from services.audit.store import Store
from services.audit.task_events import TaskCompleted, task_completed
from services.audit.task_offsets import TaskOffsets
from services.audit.task_queries import get_task, task_state
from services.audit.task_rows import progress_record, task_rows
from shared import clock
from shared.contracts import decode_task, encode_task
from shared.errors import BadRecord, KafkaUnavailable
from shared.kafka_io import send
from shared.records import TaskRecord
from shared.settings import Settings
from shared.topics import MAX_RECORD_BYTES, Topic, physical

log = logging.getLogger(__name__)
MAX_RESUMES = 5
POLL_MS = 500
BUSY_POLL_MS = 10
RETRY_PAUSE_S = 1.0


def task_consumer(settings: Settings) -> AIOKafkaConsumer:
    """The task workers' group consumer of the tasks topic (not started)."""
    return AIOKafkaConsumer(
        physical(settings.topic_prefix, Topic.TASKS),
        bootstrap_servers=settings.bootstrap,
        client_id=f"hookbus-audit-tasks-{settings.instance_id}",
        group_id=f"{settings.topic_prefix}audit-tasks",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=MAX_RECORD_BYTES,
    )


@dataclass
class Job:
    """A task in hand: its request record, where it was read, and its current progress."""

    request: TaskRecord
    tp: TopicPartition
    offset: int
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The task id."""
        return str(self.request["id"])


class TaskWorker:
    """Runs the task consumer loop; see the module docstring."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        store: Store,
        prefix: str,
        page_size: int,
        log_settled: Settled,
        on_finished: TaskCompleted = task_completed,
    ) -> None:
        self._consumer = consumer
        self._producer = producer
        self._store = store
        self._prefix = prefix
        self._topic = physical(prefix, Topic.TASKS)
        self._page_size = max(1, page_size)
        self._log_settled = log_settled
        self._on_finished = on_finished
        self._active: list[Job] = []
        self._offsets = TaskOffsets()

    async def run(self, stop: asyncio.Event) -> None:
        """Work tasks until ``stop`` is set; the tasks in hand are then handed back."""
        try:
            while not stop.is_set():
                try:
                    polled = await self._consumer.getmany(
                        timeout_ms=BUSY_POLL_MS if self._active else POLL_MS, max_records=50
                    )
                except KafkaError as exc:
                    log.warning("task poll failed", extra={"error": str(exc)})
                    await _pause(stop)
                    continue
                self._take(polled)
                await self._step_all(stop)
                await self._commit()
        finally:
            for job in self._active:
                if job.state:
                    with contextlib.suppress(Exception):
                        await self._record(job, started=False)

    def _take(self, polled: dict[TopicPartition, list[Any]]) -> None:
        for tp, records in polled.items():
            for record in records:
                self._offsets.read(tp, record.offset)
                try:
                    value = decode_task(record.value)
                except BadRecord as exc:  # audit's log consumer dead-letters it
                    log.warning("bad task record skipped", extra={"reason": exc.reason})
                    continue
                if value["type"] == "request" and value["id"] not in self._ids():
                    self._active.append(Job(value, tp, record.offset))
                    self._offsets.hold(tp, record.offset)

    def _ids(self) -> set[str]:
        return {job.id for job in self._active}

    async def _step_all(self, stop: asyncio.Event) -> None:
        assigned = self._consumer.assignment()
        for job in list(self._active):
            if stop.is_set():
                return
            if job.tp not in assigned:  # revoked: its new owner resumes it
                self._drop(job)
                continue
            try:
                ended = await self._step(job)
            except (KafkaUnavailable, SQLAlchemyError) as exc:
                log.warning(
                    "task page failed, retrying", extra={"task_id": job.id, "error": str(exc)}
                )
                await _pause(stop)
                continue
            except Exception as exc:  # a bug or a request we cannot work: end it, say why
                log.exception("task failed", extra={"task_id": job.id})
                try:
                    ended = await self._fail(job, f"{type(exc).__name__}: {exc}")
                except (KafkaUnavailable, SQLAlchemyError):
                    continue
            if ended:
                self._drop(job)

    def _drop(self, job: Job) -> None:
        self._active.remove(job)
        self._offsets.release(job.tp, job.offset)

    async def _step(self, job: Job) -> bool:
        """One page of ``job`` (starting it first); True once the task has ended."""
        if not job.state and await self._start(job):
            return True
        page = await asyncio.to_thread(self._page, job)
        redos = await asyncio.to_thread(self._redos, job, page.redo)
        await produce(self._producer, redos)
        state = job.state
        state.update(done=state["done"] + page.examined, sent=state["sent"] + len(redos))
        state["cursor"] = page.cursor
        if page.cursor is None:
            return await self._end(job, "done")
        await self._record(job)
        return False

    async def _start(self, job: Job) -> bool:
        """Read where the task stands; True when it already ended (nothing left to do)."""
        await asyncio.to_thread(self._store.write_batch, task_rows(job.request))
        _, last = await asyncio.to_thread(task_state, self._store.engine, job.id)
        if last is not None and last["status"] != "running":
            return True
        previous = dict(last) if last is not None else {}
        resumes = previous.get("resumes", 0) + (1 if previous.get("started") else 0)
        cursor = previous.get("cursor")
        job.state = {
            "seq": previous.get("seq", -1),
            "total": previous.get("total"),
            "done": previous.get("done", 0),
            "sent": previous.get("sent", 0),
            "cursor": None if cursor is None else orjson.loads(cursor),
            "resumes": resumes,
        }
        if resumes > MAX_RESUMES:
            return await self._fail(job, f"gave up after {MAX_RESUMES} restarts")
        if resumes:
            log.info("task resumed", extra={"task_id": job.id, "done": job.state["done"]})
        if job.state["total"] is None:  # begun just now: walk what was logged before it too
            await self._log_settled()
            job.state["total"] = await asyncio.to_thread(self._total, job)
        await self._record(job)
        return False

    def _total(self, job: Job) -> int:
        request, params = job.request, job.request["params"]
        if request["kind"] == "recover":
            return int(params.get("total", 0))
        return task_pages.replay_total(self._store.engine, request["app_id"], params)

    def _page(self, job: Job) -> task_pages.TaskPage:
        request, engine = job.request, self._store.engine
        cursor, size = job.state["cursor"], self._page_size
        if request["kind"] == "recover":
            until_ms = epoch_ms(request["created_at"])
            params = request["params"]
            return task_pages.recover_page(
                engine, request["app_id"], params, until_ms, cursor, size
            )
        return task_pages.replay_page(engine, request["app_id"], request["params"], cursor, size)

    def _redos(self, job: Job, rows: list[Any]) -> list[Any]:
        offset = job.request.get("config_offset", 0)
        # An erased delivery has no body left to send again.
        kept = [row for row in rows if not row["expunged"]]
        return [again(self._store.engine, self._prefix, row, offset) for row in kept]

    async def _fail(self, job: Job, error: str) -> bool:
        job.state.setdefault("seq", -1)
        job.state.setdefault("done", 0)
        job.state.setdefault("sent", 0)
        job.state["error"] = error[:1000]
        return await self._end(job, "failed")

    async def _end(self, job: Job, status: str) -> bool:
        now = clock.iso()
        await self._record(job, status=status, finished_at=now)
        task = await asyncio.to_thread(get_task, self._store.engine, job.id)
        if task is not None:
            try:
                await self._on_finished(task)
            except Exception:  # the task did end; only its announcement failed
                log.exception("task completion hook failed", extra={"task_id": job.id})
        log.info("task ended", extra={"task_id": job.id, "status": status})
        return True

    async def _record(
        self,
        job: Job,
        status: str = "running",
        finished_at: str | None = None,
        started: bool = True,
    ) -> None:
        """Produce the task's next progress record, then store it (so reads see it at once)."""
        job.state["seq"] = job.state.get("seq", -1) + 1
        record = progress_record(job.id, job.state, status, finished_at, started)
        await send(self._producer, self._topic, job.id, encode_task(record))
        await asyncio.to_thread(self._store.write_batch, task_rows(record))

    async def _commit(self) -> None:
        offsets = self._offsets.to_commit(self._consumer.assignment())
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except KafkaError as exc:
            log.warning("task offset commit failed", extra={"error": str(exc)})
            return
        self._offsets.committed(offsets)


async def _pause(stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), RETRY_PAUSE_S)
