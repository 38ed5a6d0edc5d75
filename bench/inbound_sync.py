"""Inbound requests in sync mode (X-Hookbus-Sync: true) to one source whose routes are a Kafka
topic and an HTTP service on loopback; print the answer latency next to async mode's.

    python bench/inbound_sync.py [--requests 300] [--concurrency 8]

Uses ``HOOKBUS_KAFKA_BOOTSTRAP`` when set, else starts the local broker. Prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.kafka_broker import start_test_broker  # noqa: E402
from tests.support.receiver import Receiver  # noqa: E402
from tests.support.stack import Stack  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def send_all(
    stack: Stack, source_id: str, requests: int, concurrency: int, sync: bool
) -> tuple[list[float], dict[int, int], float]:
    """Latencies (ms), answers by status, and the seconds it all took."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    headers = {"content-type": "application/json"}
    if sync:
        headers["x-hookbus-sync"] = "true"
    left = list(range(requests))
    began = time.monotonic()
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as client:

        async def worker() -> None:
            while left:
                number = left.pop()
                started = time.monotonic()
                answer = await client.post(
                    f"/in/{source_id}/bench", content=b'{"n": %d}' % number, headers=headers
                )
                latencies.append((time.monotonic() - started) * 1000)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, statuses, time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    bootstrap, stop_broker = start_test_broker()
    with tempfile.TemporaryDirectory() as data, Receiver() as receiver:
        stack = Stack(bootstrap, Path(data)).start()
        try:
            api = stack.client
            source = api.post(
                "/v1/sources",
                json={"name": "bench", "provider": "generic", "verification": {"type": "none"}},
            ).json()
            for name, destination in (
                ("kafka", {"type": "kafka", "topic": "bench-inbound"}),
                ("http", {"type": "http", "url": receiver.url + "/in"}),
            ):
                api.post(
                    "/v1/routes",
                    json={"name": name, "source_id": source["id"], "destination": destination},
                ).raise_for_status()
            # one request first: the router checks a kafka route's topic once, on its first use
            asyncio.run(send_all(stack, source["id"], 1, 1, True))
            results = {
                mode: asyncio.run(
                    send_all(stack, source["id"], args.requests, args.concurrency, mode == "sync")
                )
                for mode in ("sync", "async")  # sync first: async leaves a backlog
            }
        finally:
            stack.stop()
            stop_broker()
    print(f"requests per mode:  {args.requests} (concurrency {args.concurrency})")
    for mode, (latencies, statuses, seconds) in results.items():
        print(
            f"{mode:5}  answers {statuses}  {args.requests / seconds:,.0f}/s  "
            f"p50 {statistics.median(latencies):.1f} ms  p90 {percentile(latencies, 0.9):.1f} ms  "
            f"p99 {percentile(latencies, 0.99):.1f} ms  max {max(latencies):.1f} ms"
        )


if __name__ == "__main__":
    main()
