"""Publish N events over HTTP to one app with one loopback endpoint; print throughput and latency.

    python bench/publish_to_delivery.py [--events 2000] [--concurrency 32] [--rate 50]
                                        [--warmup 200]

Without ``--rate`` it measures capacity (latency then includes the backlog that builds when
publishing outpaces delivery); with it, latency at that offered load. The ``--warmup`` events
go first and are not counted: freshly started services spend their first second or so opening
connections and fetching metadata, which would otherwise be most of the p99. Their first
slowest delivery is printed as the cold-start figure.

Uses ``HOOKBUS_KAFKA_BOOTSTRAP`` when set, else starts the local broker. Prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.kafka_broker import start_test_broker  # noqa: E402
from tests.support.receiver import Received, Receiver  # noqa: E402
from tests.support.stack import Stack  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def publish_all(
    stack: Stack, app_id: str, events: int, concurrency: int, rate: float | None
) -> dict[str, float]:
    sent_at: dict[str, float] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(events):
        queue.put_nowait(number)
    headers = {"authorization": f"Bearer {stack.token}"}
    began = time.monotonic()
    async with httpx.AsyncClient(base_url=stack.base_url, headers=headers, timeout=60) as client:

        async def worker() -> None:
            while not queue.empty():
                number = queue.get_nowait()
                if rate:  # open-loop pacing: event n leaves at n / rate seconds
                    await asyncio.sleep(max(0.0, began + number / rate - time.monotonic()))
                started = time.monotonic()
                answer = await client.post(
                    f"/v1/apps/{app_id}/messages",
                    json={"event_type": "bench.event", "payload": {"n": number}},
                )
                answer.raise_for_status()
                sent_at[answer.json()["id"]] = started

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return sent_at


def wait_for(arrived: dict[str, float], lock: threading.Lock, ids: list[str]) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with lock:
            if all(mid in arrived for mid in ids):
                return
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--rate", type=float, default=None, help="events/s to offer (default: as fast as possible)"
    )
    parser.add_argument("--warmup", type=int, default=200, help="events sent first, not counted")
    args = parser.parse_args()
    arrived: dict[str, float] = {}
    lock = threading.Lock()

    def record(request: Received) -> tuple[int, bytes]:
        with lock:
            arrived.setdefault(request.headers["webhook-id"], time.monotonic())
        return 200, b"ok"

    bootstrap, stop_broker = start_test_broker()
    with tempfile.TemporaryDirectory() as data, Receiver(record) as receiver:
        stack = Stack(bootstrap, Path(data)).start()
        try:
            app = stack.client.post("/v1/apps", json={"name": "bench"}).json()
            stack.client.post(
                f"/v1/apps/{app['id']}/endpoints", json={"url": receiver.url, "ping": False}
            ).raise_for_status()
            warm = asyncio.run(publish_all(stack, app["id"], args.warmup, 4, args.rate))
            wait_for(arrived, lock, list(warm))
            cold_start = max(((arrived[m] - t) * 1000 for m, t in warm.items()), default=0.0)
            pids = {name: process.pid for name, process in stack.processes.items()}
            cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            began = time.monotonic()
            sent_at = asyncio.run(
                publish_all(stack, app["id"], args.events, args.concurrency, args.rate)
            )
            accepted_for = time.monotonic() - began
            wait_for(arrived, lock, list(sent_at))
            with lock:
                latencies = [
                    (arrived[mid] - sent) * 1000 for mid, sent in sent_at.items() if mid in arrived
                ]
                delivered_for = max(arrived[mid] for mid in sent_at if mid in arrived) - began
            cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        finally:
            stack.stop()
            stop_broker()
    offered = f"{args.rate:g}/s offered" if args.rate else "as fast as possible"
    print(f"events published:        {args.events} ({offered}, concurrency {args.concurrency})")
    print(f"warm-up events:          {args.warmup} (not counted; slowest {cold_start:.0f} ms)")
    print(f"accepted events/s:       {args.events / accepted_for:,.0f}")
    print(f"delivered:               {len(latencies)} / {args.events}")
    print(f"end-to-end deliveries/s: {len(latencies) / delivered_for:,.0f}")
    print(f"publish→delivery p50:    {statistics.median(latencies):.1f} ms")
    print(f"publish→delivery p99:    {percentile(latencies, 0.99):.1f} ms")
    for name, seconds in cpu.items():
        print(f"CPU per event, {name + ':':12} {seconds / args.events * 1000:.2f} ms")


if __name__ == "__main__":
    main()
