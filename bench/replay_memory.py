"""Audit's memory during a replay task: the worker must hold one page, never the whole set.

    python bench/replay_memory.py [--messages 100000] [--page 500]

Fills a temporary SQLite log with ``--messages`` messages, each with one succeeded attempt,
starts a real audit process on it against ``HOOKBUS_KAFKA_BOOTSTRAP`` (own topic prefix),
asks it for a replay of every message (``only: all``), and samples the process's resident
memory (VmRSS) every 50 ms until the task is done. Prints the RSS before and at its peak, and
how long the replay took. Run it with a small and a large count: a bounded worker shows the
same peak for both.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiokafka.admin import AIOKafkaAdminClient  # noqa: E402

from services.audit.rows import Origin, attempt_rows, event_rows  # noqa: E402
from services.audit.store import Store  # noqa: E402
from tests.support.audit_rows import APP, attempt, event  # noqa: E402
from tests.support.stack import free_port, poll  # noqa: E402

BASE_MS = 1795341600000  # 2026-11-22T10:00:00Z
BATCH = 1000


def _stamp(millis: int) -> str:
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis // 1000))
    return f"{ts}.{millis % 1000:03d}Z"


def fill(url: str, count: int) -> None:
    """``count`` messages of one app, a millisecond apart, each with a succeeded attempt."""
    store = Store.open(url)
    message, tried = event("m", _stamp(BASE_MS)), attempt("m", _stamp(BASE_MS))
    try:
        for first in range(0, count, BATCH):
            rows = []
            for i in range(first, min(first + BATCH, count)):
                stamp, msg_id = _stamp(BASE_MS + i), f"msg_{i:09d}"
                origin = Origin("bench", 0, i)
                rows += event_rows({**message, "id": msg_id, "timestamp": stamp}, origin)
                record = {**tried, "id": f"atm_{i:09d}", "message_id": msg_id, "timestamp": stamp}
                rows += attempt_rows(record, origin)
            store.write_batch(rows)
    finally:
        store.close()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def drop_topics(bootstrap: str, prefix: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        mine = [name for name in await admin.list_topics() if name.startswith(prefix)]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()


def run(count: int, page: int) -> None:
    bootstrap = os.environ["HOOKBUS_KAFKA_BOOTSTRAP"]
    data = Path(tempfile.mkdtemp(prefix="hookbus-replay-"))
    url = f"sqlite:///{data / 'audit.sqlite3'}"
    started = time.perf_counter()
    fill(url, count)
    print(f"  filled {count:,} messages and attempts in {time.perf_counter() - started:.1f} s")
    port, token, prefix = free_port(), "bench-" + uuid.uuid4().hex, f"bench{uuid.uuid4().hex[:8]}."
    env = {
        **os.environ,
        "HOOKBUS_DATABASE_URL": url,
        "HOOKBUS_AUDIT_PORT": str(port),
        "HOOKBUS_ADMIN_TOKEN": token,
        "HOOKBUS_TOPIC_PREFIX": prefix,
        "HOOKBUS_PARTITIONS": "3",
        "HOOKBUS_TASK_PAGE_SIZE": str(page),
        "HOOKBUS_LOG_LEVEL": "WARNING",
    }
    repo = Path(__file__).resolve().parents[1]
    audit = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", "audit"], env=env, cwd=repo
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    client.headers["authorization"] = f"Bearer {token}"
    try:
        poll(lambda: _ready(client), 120, 0.2)
        time.sleep(2)  # let start-up allocations settle before the baseline
        before = rss_kib(audit.pid)
        peak = [before]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], rss_kib(audit.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        answer = client.post(f"/v1/apps/{APP}/replay", json={"since": "2000-01-01T00:00:00Z"})
        task_id = answer.json()["id"]
        task = poll(lambda: _finished(client, task_id), 3600, 0.5)
        took = time.perf_counter() - started
        done.set()
        sampler.join()
        print(
            f"  replay of {task['total']:,} messages, pages of {page}: {task['status']}, "
            f"{task['sent']:,} deliveries produced in {took:.1f} s"
        )
        print(
            f"  audit RSS: {before / 1024:.1f} MiB before, {peak[0] / 1024:.1f} MiB peak "
            f"(+{(peak[0] - before) / 1024:.1f} MiB)"
        )
    finally:
        audit.terminate()
        audit.wait(60)
        client.close()
        asyncio.run(drop_topics(bootstrap, prefix))


def _ready(client: httpx.Client) -> bool:
    try:
        return client.get("/readyz").status_code == 200
    except httpx.HTTPError:
        return False


def _finished(client: httpx.Client, task_id: str) -> dict[str, object] | None:
    task: dict[str, object] = client.get(f"/v1/tasks/{task_id}").json()
    return task if task["status"] != "running" else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=500)
    args = parser.parse_args()
    print(f"replay memory ({args.messages:,} messages)")
    run(args.messages, args.page)


if __name__ == "__main__":
    main()
