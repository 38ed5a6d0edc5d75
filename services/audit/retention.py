"""Retention: rows older than ``HOOKBUS_RETENTION`` are deleted, a small batch at a time.

Each table is pruned by its own time (a message by its timestamp, an attempt by the time it was
made, a dead letter by the time it was written), through the index on that time; the received
log too, its routing rows with their request (see :mod:`.inbound_retention`). Every batch is
its own short transaction, so no lock is held for long and the consumer keeps writing
meanwhile. On PostgreSQL one audit copy prunes at a time (an advisory lock); the others skip
that round. A message may go before the last attempts to deliver it: each is kept as long as
the retention says, counted from its own time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from sqlalchemy import Column, Connection, Engine, Table, delete, func, select, tuple_
from sqlalchemy.exc import SQLAlchemyError

from services.audit.inbound.retention import prune_inbound
from services.audit.schema import attempts, dead_letters, message_channels, messages
from services.audit.task_schema import task_progress, tasks

log = logging.getLogger(__name__)
BATCH_ROWS = 1000
MIN_INTERVAL_S = 1.0
PRUNE_LOCK = 0x686F6F6B62757302  # "hookbus" + 2; see migrations.MIGRATION_LOCK


class Target(NamedTuple):
    """A table, the time column it is pruned by, and its primary key."""

    table: Table
    time: Column[Any]
    key: tuple[Column[Any], ...]


# Channel rows before their messages, so no channel row is ever left without its message.
TARGETS = (
    Target(
        message_channels,
        message_channels.c.ts_ms,
        (message_channels.c.app_id, message_channels.c.channel, message_channels.c.message_id),
    ),
    Target(messages, messages.c.ts_ms, (messages.c.app_id, messages.c.id)),
    Target(attempts, attempts.c.ts_ms, (attempts.c.id,)),
    Target(
        dead_letters,
        dead_letters.c.at_ms,
        (dead_letters.c.kafka_topic, dead_letters.c.kafka_partition, dead_letters.c.kafka_offset),
    ),
    Target(task_progress, task_progress.c.at_ms, (task_progress.c.task_id, task_progress.c.seq)),
    Target(tasks, tasks.c.ts_ms, (tasks.c.id,)),
)


def prune(
    engine: Engine,
    before_ms: int,
    batch_rows: int = BATCH_ROWS,
    should_stop: Callable[[], bool] = lambda: False,
) -> dict[str, int] | None:
    """Delete every row older than ``before_ms``, ``batch_rows`` per transaction.

    Returns the rows deleted per table, or None when another process holds the pruning lock.
    Stops between two batches once ``should_stop()`` is true. Blocks on the database; raises
    SQLAlchemy errors (the batches already committed stay deleted).
    """
    deleted: dict[str, int] = {}
    with engine.connect() as conn, _pruning_lock(conn) as mine:
        if not mine:
            return None
        for target in TARGETS:
            deleted[target.table.name] = 0
            while not should_stop():
                with conn.begin():
                    count = conn.execute(_one_batch(target, before_ms, batch_rows)).rowcount
                deleted[target.table.name] += count
                if count < batch_rows:
                    break
        deleted.update(prune_inbound(conn, before_ms, batch_rows, should_stop))
    return deleted


def _one_batch(target: Target, before_ms: int, batch_rows: int) -> Any:
    chosen = select(*target.key).where(target.time < before_ms).limit(batch_rows)
    where = target.key[0] if len(target.key) == 1 else tuple_(*target.key)
    return delete(target.table).where(where.in_(chosen))


@contextlib.contextmanager
def _pruning_lock(conn: Connection) -> Iterator[bool]:
    """Whether this session got the pruning lock (always on SQLite, whose writes are serial)."""
    if conn.dialect.name != "postgresql":
        yield True
        return
    mine = bool(conn.execute(select(func.pg_try_advisory_lock(PRUNE_LOCK))).scalar())
    conn.commit()  # a session lock outlives the transaction that took it
    try:
        yield mine
    finally:
        if mine:
            conn.execute(select(func.pg_advisory_unlock(PRUNE_LOCK)))
            conn.commit()


class Retention:
    """Prunes the audit database every ``every_s`` seconds; ``keep_s`` of 0 keeps everything."""

    def __init__(
        self,
        engine: Engine,
        keep_s: float,
        every_s: float,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._keep_s = keep_s
        self._every_s = max(every_s, MIN_INTERVAL_S)
        self._now = now

    def prune_once(self, should_stop: Callable[[], bool] = lambda: False) -> dict[str, int] | None:
        """One round: delete what is older than the retention; see :func:`prune`."""
        before_ms = int((self._now() - self._keep_s) * 1000)
        return prune(self._engine, before_ms, should_stop=should_stop)

    async def run(self, stop: asyncio.Event) -> None:
        """Prune at once, then every ``every_s``, until ``stop`` is set; rounds run in a thread.

        A failed round is logged and tried again at the next one.
        """
        if self._keep_s <= 0:
            return
        while not stop.is_set():
            try:
                deleted = await asyncio.to_thread(self.prune_once, stop.is_set)
            except SQLAlchemyError as exc:
                # The driver's own words: SQLAlchemy's text would add the statement.
                cause = str(getattr(exc, "orig", None) or exc).splitlines()[0][:500]
                log.warning("retention round failed", extra={"error": cause})
            else:
                if deleted and any(deleted.values()):
                    log.info("retention deleted old rows", extra={"deleted": deleted})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._every_s)
