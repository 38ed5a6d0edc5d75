"""The tasks' tables (on the audit metadata, so ``create_all`` makes them).

A task is a request row and its progress rows, one per progress record (insert-or-ignore, as
every audit table): its state is the progress row with the highest ``seq``. Rows are the same
whether audit wrote them straight after producing the record or read them back from the tasks
topic, so either may come first.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from services.audit.schema import metadata

tasks = Table(
    "tasks",
    metadata,
    Column("id", String, primary_key=True),
    Column("kind", String, nullable=False),
    Column("app_id", String, nullable=False),
    Column("params", Text, nullable=False),
    Column("created_at", String, nullable=False),
    Column("ts_ms", BigInteger, nullable=False),
    Column("config_offset", BigInteger, nullable=False),
    Index("ix_tasks_ts", "ts_ms", "id"),
)

task_progress = Table(
    "task_progress",
    metadata,
    Column("task_id", String, primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("status", String, nullable=False),
    Column("total", BigInteger, nullable=True),
    Column("done", BigInteger, nullable=False),
    Column("sent", BigInteger, nullable=False),
    Column("cursor", Text, nullable=True),
    Column("started", Boolean, nullable=False),
    Column("resumes", Integer, nullable=False),
    Column("error", Text, nullable=True),
    Column("at", String, nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Column("finished_at", String, nullable=True),
    Index("ix_task_progress_at", "at_ms"),  # retention
)
