"""Whole-pipeline scenarios (``make bench``): publish over HTTP, receive in-process, per service
CPU and peak RSS.

    python bench/pipeline.py [--scenarios a,b,c,d] [--quick]

Scenarios, the same as the peers' load generator (1 KB payloads, a fresh app each):

- ``a``: flat out, 1 endpoint, 3000 messages, 32 publishers;
- ``b``: 100 messages/s for 20 s, 1 endpoint (latency at a steady rate);
- ``c``: fan-out, 10 endpoints, 1000 messages, 32 publishers (10,000 deliveries);
- ``d``: batch publish, 20 calls of 1000 messages to ``/messages/batch`` (accepted/s), 1 endpoint;
- ``idle``: CPU per second of each service while nothing is published.

Runs its own four services (``tests.support.stack``) against ``HOOKBUS_KAFKA_BOOTSTRAP`` (or the
local test broker); the receiver (aiohttp) and publishers share this process. Prints, per
scenario: accepted/s, deliveries/s end to end, publish→delivery p50/p99, deliveries parked on a
retry tier, CPU ms per event per service (per delivery for the dispatcher, audit and the Kafka
broker when it runs on this machine), peak RSS per process, and the 1-minute load average,
since a shared machine's noise shows there. ``--quick`` divides the message counts by 5.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.kafka_broker import start_test_broker  # noqa: E402
from tests.support.stack import Stack  # noqa: E402

PAYLOAD_BYTES = 1024
# --profile DIR: py-spy (pip install py-spy) records each service during each scenario.
PROFILE: Path | None = None
IDLE_GIVE_UP_SECONDS = 60.0


@dataclass(frozen=True)
class Scenario:
    name: str
    messages: int
    endpoints: int = 1
    concurrency: int = 32
    rate: float | None = None
    batch: int = 1


SCENARIOS = {
    "a": Scenario("a: flat out, 1 endpoint", 3000),
    "b": Scenario("b: 100/s for 20 s, 1 endpoint", 2000, concurrency=64, rate=100.0),
    "c": Scenario("c: fan-out, 10 endpoints", 1000, endpoints=10),
    "d": Scenario("d: batch publish, 1000 per call", 20000, concurrency=2, batch=1000),
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """Resident set size of a process now, MiB."""
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class Arrivals:
    """An aiohttp receiver answering 200 at once, keeping each (message, endpoint)'s first
    arrival."""

    def __init__(self) -> None:
        self.first: dict[tuple[str, str], float] = {}
        self.repeats = 0
        self.last = time.monotonic()

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        key = (request.headers.get("webhook-id", ""), request.match_info["ep"])
        now = time.monotonic()
        if key in self.first:
            self.repeats += 1
        else:
            self.first[key] = now
        self.last = now
        return web.Response(text="ok")


def profiler(service: str, pid: int, scenario: Scenario) -> subprocess.Popen[bytes]:
    """py-spy recording ``pid`` as collapsed stacks into the --profile folder."""
    assert PROFILE is not None
    out = PROFILE / f"{scenario.name.split(':')[0]}-{service}.txt"
    spy = Path(sys.executable).with_name("py-spy")
    command = [str(spy), "record", "-r", "100", "-f", "raw", "-o", str(out), "--pid", str(pid)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def listening_pid(bootstrap: str) -> int | None:
    """The process listening on the broker's port on this machine, when ``ss`` can tell."""
    port = bootstrap.rsplit(":", 1)[-1]
    try:
        found = subprocess.run(
            ["ss", "-H", "-ltnp", f"sport = :{port}"], capture_output=True, text=True, check=False
        ).stdout
    except OSError:
        return None
    marker = found.find("pid=")
    return int(found[marker + 4 :].split(",", 1)[0]) if marker >= 0 else None


def parked(stack: Stack) -> int:
    """How many deliveries the dispatcher has parked on a retry tier so far (its log says)."""
    path = stack.log_dir / "dispatcher.log"
    if not path.exists():
        return 0
    return path.read_bytes().count(b"delivery parked")


def payload(tag: str) -> bytes:
    head = b'{"lg_id":"' + tag.encode() + b'","pad":"'
    return head + b"x" * max(0, PAYLOAD_BYTES - len(head) - 2) + b'"}'


async def run(stack: Stack, scenario: Scenario, arrivals: Arrivals, port: int) -> dict[str, float]:
    headers = {"authorization": f"Bearer {stack.token}", "content-type": "application/json"}
    async with aiohttp.ClientSession(stack.base_url, headers=headers) as http:
        tag = f"b{time.monotonic_ns()}"
        async with http.post("/v1/apps", json={"name": tag, "uid": tag}) as answer:
            answer.raise_for_status()
        for n in range(scenario.endpoints):
            url = f"http://127.0.0.1:{port}/{tag}-{n}"
            body = {"url": url, "ping": False}
            async with http.post(f"/v1/apps/{tag}/endpoints", json=body) as answer:
                answer.raise_for_status()
        sent: dict[str, float] = {}
        await publish(http, f"/v1/apps/{tag}/messages", Scenario("warm-up", 20, concurrency=4), {})
        await asyncio.sleep(1.0)
        pids = {name: process.pid for name, process in stack.processes.items()}
        broker = listening_pid(stack.env["HOOKBUS_KAFKA_BOOTSTRAP"])
        if broker is not None:  # None for a broker on another machine
            pids["kafka"] = broker
        cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        peak = dict.fromkeys(pids, 0.0)
        load0 = os.getloadavg()[0]
        parked0 = parked(stack)
        began = time.monotonic()

        async def sample() -> None:
            while True:
                for name, pid in pids.items():
                    peak[name] = max(peak[name], rss_mib(pid))
                await asyncio.sleep(0.5)

        sampler = asyncio.create_task(sample())
        profiled = {name: pid for name, pid in pids.items() if name != "kafka"}  # py-spy: Python
        profilers = [profiler(n, pid, scenario) for n, pid in profiled.items()] if PROFILE else []
        await publish(http, f"/v1/apps/{tag}/messages", scenario, sent)
        accepted_for = time.monotonic() - began
        wanted = {(mid, f"{tag}-{n}") for mid in sent for n in range(scenario.endpoints)}
        while not wanted <= arrivals.first.keys():
            if time.monotonic() - max(arrivals.last, began) > IDLE_GIVE_UP_SECONDS:
                break
            await asyncio.sleep(0.05)
        sampler.cancel()
        for process in profilers:
            process.send_signal(signal.SIGINT)  # py-spy writes what it has so far
            process.wait()
        cpu = {name: cpu_seconds(pid) - cpu0[name] for name, pid in pids.items()}
        parked_now = parked(stack) - parked0
    got = [arrivals.first[k] - sent[k[0]] for k in wanted if k in arrivals.first]
    got.sort()
    last = max((arrivals.first[k] for k in wanted if k in arrivals.first), default=began)
    return {
        "accepted/s": len(sent) / accepted_for,
        "deliveries/s": len(got) / max(1e-9, last - began),
        "delivered": len(got),
        "expected": len(wanted),
        "p50": 1000 * got[len(got) // 2] if got else float("nan"),
        "p99": 1000 * got[min(len(got) - 1, int(0.99 * len(got)))] if got else float("nan"),
        "load": (load0 + os.getloadavg()[0]) / 2,
        "parked": parked_now,
        **{f"cpu {name}": seconds for name, seconds in cpu.items()},
        **{f"rss {name}": mib for name, mib in peak.items()},
    }


async def publish(
    http: aiohttp.ClientSession, path: str, scenario: Scenario, sent: dict[str, float]
) -> None:
    """Publish the scenario's messages (open loop at its rate, else flat out); keep when each
    message id was sent."""
    calls = scenario.messages // scenario.batch
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(calls):
        queue.put_nowait(number)
    began = time.monotonic()

    async def one(number: int) -> None:
        if scenario.rate:
            await asyncio.sleep(max(0.0, began + number / scenario.rate - time.monotonic()))
        started = time.monotonic()
        if scenario.batch == 1:
            body = b'{"event_type":"bench.event","payload":' + payload(str(number)) + b"}"
            async with http.post(path, data=body) as answer:
                answer.raise_for_status()
                sent[(await answer.json())["id"]] = started
            return
        items = b",".join(
            b'{"event_type":"bench.event","payload":' + payload(f"{number}-{i}") + b"}"
            for i in range(scenario.batch)
        )
        async with http.post(path + "/batch", data=b'{"messages":[' + items + b"]}") as answer:
            if answer.status >= 300:
                raise RuntimeError(f"batch publish: {answer.status} {await answer.text()}")
            for item in (await answer.json())["data"]:
                sent[item["id"]] = started

    async def worker() -> None:
        while not queue.empty():
            await one(queue.get_nowait())

    if scenario.rate:  # open loop: every message leaves on time, up to `concurrency` in flight
        gate = asyncio.Semaphore(scenario.concurrency)

        async def paced(number: int) -> None:
            async with gate:
                await one(number)

        await asyncio.gather(*(paced(n) for n in range(calls)))
    else:
        await asyncio.gather(*(worker() for _ in range(scenario.concurrency)))


def report(name: str, figures: dict[str, float], scenario: Scenario) -> None:
    deliveries = max(1.0, figures["delivered"])
    events = max(1, scenario.messages)
    print(f"--- {name}  (load average {figures['load']:.1f})")
    print(f"  accepted/s       {figures['accepted/s']:,.0f}")
    print(f"  deliveries/s     {figures['deliveries/s']:,.0f}")
    print(f"  delivered        {figures['delivered']:.0f} / {figures['expected']:.0f}")
    print(f"  p50 / p99        {figures['p50']:.1f} / {figures['p99']:.1f} ms")
    print(f"  parked           {figures['parked']:.0f} deliveries (an endpoint's backlog was full)")
    for service in ("ingress", "router", "dispatcher", "audit", "kafka"):
        if f"cpu {service}" not in figures:
            continue
        per = deliveries if service in ("dispatcher", "audit", "kafka") else events
        unit = "delivery" if per is deliveries else "event"
        cpu = figures[f"cpu {service}"] * 1000 / per
        rss = figures[f"rss {service}"]
        print(f"  {service:10}       CPU {cpu:6.2f} ms per {unit:8}  peak RSS {rss:5.0f} MiB")


async def serve_receiver(arrivals: Arrivals) -> tuple[web.AppRunner, int]:
    app = web.Application()
    app.router.add_post("/{ep}", arrivals.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def idle(stack: Stack, seconds: float = 10.0) -> None:
    """Print each service's CPU while nothing is published (after the scenarios settled)."""
    pids = {name: process.pid for name, process in stack.processes.items()}
    broker = listening_pid(stack.env["HOOKBUS_KAFKA_BOOTSTRAP"])
    if broker is not None:
        pids["kafka"] = broker
    await asyncio.sleep(3.0)
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    await asyncio.sleep(seconds)
    print(f"--- idle, {seconds:.0f} s  (load average {os.getloadavg()[0]:.1f})")
    for name, pid in pids.items():
        used = (cpu_seconds(pid) - before[name]) * 1000 / seconds
        print(f"  {name:10}       CPU {used:6.1f} ms per second")


async def main_async(names: list[str], quick: bool, stack: Stack) -> None:
    arrivals = Arrivals()
    runner, port = await serve_receiver(arrivals)
    try:
        for name in names:
            if name == "idle":
                await idle(stack)
                continue
            scenario = SCENARIOS[name]
            if quick:
                count = max(scenario.batch, scenario.messages // 5)
                scenario = Scenario(**{**scenario.__dict__, "messages": count})
            report(scenario.name, await run(stack, scenario, arrivals, port), scenario)
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenarios", default="idle,a,b,c,d")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", type=Path, help="folder for py-spy profiles per scenario")
    args = parser.parse_args()
    global PROFILE
    PROFILE = args.profile
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    bootstrap, stop_broker = start_test_broker()
    with tempfile.TemporaryDirectory() as data:
        stack = Stack(bootstrap, Path(data), HOOKBUS_PARTITIONS="6", HOOKBUS_LOG_LEVEL="INFO")
        try:
            stack.start()  # inside: a service that fails to start must not leave the rest running
            asyncio.run(main_async(names, args.quick, stack))
        finally:
            stack.stop()
            stop_broker()


if __name__ == "__main__":
    main()
