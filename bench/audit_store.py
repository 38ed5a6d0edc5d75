"""Audit storage on SQLite and PostgreSQL: batched writes, list pages, a retention round.

    python bench/audit_store.py [--rows 50000] [--batch 500] [--url URL]

Without ``--url`` it runs on a temporary SQLite file and, when PostgreSQL's programs are found
(or ``HOOKBUS_TEST_POSTGRES_URL`` names a server), on a throwaway PostgreSQL. Writes attempts
(and one message per ten) in batches as the consumer does, replays the first batch, reads list
pages deep into the log, then deletes the older half by retention. Prints figures only.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.audit import queries  # noqa: E402
from services.audit.retention import prune  # noqa: E402
from services.audit.rows import Origin, attempt_rows, event_rows  # noqa: E402
from services.audit.store import Store  # noqa: E402
from tests.postgres_server import URL_ENV, NoPostgres, fresh_database, start_cluster  # noqa: E402
from tests.support.audit_rows import APP, EP, attempt, event  # noqa: E402

BASE_MS = 1795341600000  # 2026-11-22T10:00:00Z


def _rows(count: int) -> list[Any]:
    """Attempt rows one millisecond apart, and a message row for every tenth."""
    template = attempt("m", "2026-11-22T10:00:00Z", response=None, error="timeout")
    message = event("m", "2026-11-22T10:00:00Z", channels=["eu"])
    rows: list[Any] = []
    for i in range(count):
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime((BASE_MS + i) // 1000))
        stamp = f"{ts}.{(BASE_MS + i) % 1000:03d}Z"
        origin = Origin("bench", 0, i)
        rows += attempt_rows({**template, "id": f"atm_{i:09d}", "timestamp": stamp}, origin)
        if i % 10 == 0:
            rows += event_rows({**message, "id": f"msg_{i:09d}", "timestamp": stamp}, origin)
    return rows


def run(url: str, count: int, batch: int) -> None:
    store = Store.open(url)
    try:
        rows = _rows(count)
        started = time.perf_counter()
        for first in range(0, len(rows), batch):
            store.write_batch(rows[first : first + batch])
        took = time.perf_counter() - started
        print(f"  write  {len(rows)} rows in batches of {batch}: {len(rows) / took:,.0f} rows/s")
        started = time.perf_counter()
        store.write_batch(rows[:batch])
        print(f"  replay one batch (all ignored): {(time.perf_counter() - started) * 1000:.1f} ms")
        for name, fetch in (
            (
                "attempts of an endpoint",
                lambda key: queries.list_attempts(
                    store.engine, APP, endpoint_id=EP, limit=50, cursor=key
                ),
            ),
            (
                "messages in a channel",
                lambda key: queries.list_messages(
                    store.engine, APP, channel="eu", limit=50, cursor=key
                ),
            ),
        ):
            times, key = [], None
            for _ in range(40):  # the first 40 pages: 2000 rows deep
                started = time.perf_counter()
                page = fetch(key)
                times.append((time.perf_counter() - started) * 1000)
                key = page.next_key
            print(
                f"  page   {name}: median {statistics.median(times):.2f} ms,"
                f" page 40 {times[-1]:.2f} ms"
            )
        started = time.perf_counter()
        deleted = prune(store.engine, BASE_MS + count // 2)
        took = time.perf_counter() - started
        total = sum((deleted or {}).values())
        print(f"  retention deleted {total} rows: {total / took:,.0f} rows/s")
    finally:
        store.close()


@contextlib.contextmanager
def _postgres() -> Iterator[str | None]:
    if os.environ.get(URL_ENV):
        with fresh_database(os.environ[URL_ENV]) as url:
            yield url
        return
    try:
        cluster = start_cluster()
    except NoPostgres as exc:
        print(f"PostgreSQL skipped: {exc}")
        yield None
        return
    try:
        with fresh_database(cluster.url) as url:
            yield url
    finally:
        cluster.stop()


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--rows", type=int, default=50000)
    args.add_argument("--batch", type=int, default=500)
    args.add_argument("--url")
    options = args.parse_args()
    if options.url:
        print(options.url.split("://")[0])
        run(options.url, options.rows, options.batch)
        return
    with tempfile.TemporaryDirectory() as tmp:
        print("sqlite")
        run(f"sqlite:///{tmp}/audit.sqlite3", options.rows, options.batch)
    with _postgres() as url:
        if url:
            print("postgresql")
            run(url, options.rows, options.batch)


if __name__ == "__main__":
    main()
