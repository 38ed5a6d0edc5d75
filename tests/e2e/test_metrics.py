"""``hookbus run``, a little traffic, then ``/metrics`` of each service: every metric is there,
non-zero where the traffic passed. The services' logs of that run are JSON lines, carry the
ids of what they are about, and hold none of the secrets used."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from tests.support.receiver import Received, Receiver
from tests.support.stack import REPO, free_port
from tests.support.waiting import poll

pytestmark = pytest.mark.kafka
SERVICES = {"ingress": "HTTP", "audit": "AUDIT", "router": "ROUTER", "dispatcher": "DISPATCHER"}
ENDPOINT_SECRET = "whsec_" + "bWV0cmljcy10ZXN0LWVuZHBvaW50LXNlY3JldC0zMmI="
SOURCE_SECRET = "metrics-source-secret-" + uuid.uuid4().hex
TOKEN = "metrics-token-" + uuid.uuid4().hex
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@dataclass
class Running:
    """``hookbus run`` with its ports, prefix and the file its services log to."""

    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    bootstrap: str
    prefix: str
    log: Path
    client: httpx.Client

    def metrics(self, service: str) -> Samples:
        answer = httpx.get(f"http://127.0.0.1:{self.ports[service]}/metrics", timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/plain")
        found: Samples = {}
        for family in text_string_to_metric_families(answer.text):
            for sample in family.samples:
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return found


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


def answer(request: Received) -> tuple[int, bytes]:
    if request.path == "/slow":
        time.sleep(4)
    return {"/gone": 410, "/failing": 503}.get(request.path, 200), b"ok"


@pytest.fixture(scope="module")
def running(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    data = Path(tmp_path_factory.mktemp("metrics"))
    ports = {name: free_port() for name in SERVICES}
    prefix = f"metrics{uuid.uuid4().hex[:8]}."
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HOOKBUS_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "HOOKBUS_TOPIC_PREFIX": prefix,
        "HOOKBUS_PARTITIONS": "2",
        "HOOKBUS_DATA_DIR": str(data),
        "HOOKBUS_ADMIN_TOKEN": TOKEN,
        "HOOKBUS_ALLOW_PRIVATE_DESTINATIONS": "true",  # as make run does
        "HOOKBUS_RETRY_SCHEDULE": "1s,1h",  # the second retry waits on retry.1h for the test
        **{f"HOOKBUS_{SERVICES[name]}_PORT": str(port) for name, port in ports.items()},
    }
    log = data / "run.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "run"],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{ports['ingress']}",
        headers={"authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    try:

        def ready() -> bool:
            assert process.poll() is None, log.read_text()[-3000:]
            for port in ports.values():
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code != 200:
                        return False
                except httpx.HTTPError:
                    return False
            return True

        poll(ready, 120, 0.3)
        yield Running(process, ports, kafka_bootstrap, prefix, log, client)
    finally:
        client.close()
        process.send_signal(signal.SIGINT)
        assert process.wait(90) == 0


def traffic(run: Running, receiver: Receiver) -> dict[str, Any]:
    """Messages to four endpoints (fine, failing, gone, slow), two inbound requests, and one
    record on the events topic that breaks its contract."""
    client = run.client
    app = client.post("/v1/apps", json={"name": "metrics"}).json()["id"]
    endpoints = {}
    for path in ("/fine", "/failing", "/gone", "/slow"):
        fields = {"url": receiver.url + path, "ping": False, "secret": ENDPOINT_SECRET}
        created = client.post(f"/v1/apps/{app}/endpoints", json=fields)
        assert created.status_code == 201, created.text
        endpoints[path] = created.json()["id"]
    for n in range(3):
        published = client.post(
            f"/v1/apps/{app}/messages", json={"event_type": "metrics.test", "payload": {"n": n}}
        )
        assert published.status_code == 202, published.text
    source = client.post(
        "/v1/sources", json={"name": "gh", "provider": "github", "secret": SOURCE_SECRET}
    ).json()
    body = b'{"zen": "metrics"}'
    digest = hmac.new(SOURCE_SECRET.encode(), body, hashlib.sha256).hexdigest()
    for signature in (f"sha256={digest}", "sha256=" + "0" * 64):
        headers = {"x-hub-signature-256": signature, "x-github-event": "ping"}
        httpx.post(f"{source['url']}/x", content=body, headers=headers, timeout=30)
    asyncio.run(produce_bad_event(run))
    return {"app": app, "endpoints": endpoints, "source": source["id"]}


async def produce_bad_event(run: Running) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=run.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(f"{run.prefix}events", b"not json", key=b"app")
    finally:
        await producer.stop()


def test_every_metric_shows_the_traffic_and_logs_keep_secrets_out(running: Running) -> None:
    with Receiver(answer) as receiver:
        sent = traffic(running, receiver)
        # The slow endpoint holds its three deliveries for seconds: they show as in flight.
        poll(lambda: value(running.metrics("dispatcher"), "hookbus_deliveries_in_flight") >= 1, 60)

        def delivered() -> Samples | None:
            found = running.metrics("dispatcher")
            done = (
                value(found, "hookbus_deliveries_total", outcome="succeeded", status_class="2xx")
                >= 6  # fine and slow
                and value(found, "hookbus_retry_backlog", tier="retry.1h") >= 3
                # Each of the three concurrent 410 answers may disable it.
                and value(found, "hookbus_endpoints_auto_disabled_total", reason="gone") >= 1
            )
            return found if done else None

        dispatcher = poll(delivered, 90, 0.5)
    assert (
        value(dispatcher, "hookbus_deliveries_total", outcome="retrying", status_class="5xx") >= 6
    )
    assert value(dispatcher, "hookbus_deliveries_total", outcome="failed", status_class="4xx") >= 1
    assert value(dispatcher, "hookbus_delivery_request_seconds_count") >= 10
    assert value(dispatcher, "hookbus_delivery_latency_seconds_count") >= 6
    assert value(dispatcher, "hookbus_delivery_latency_seconds_bucket", le="+Inf") >= 6
    assert value(dispatcher, "hookbus_endpoints", state="disabled") == 1
    assert value(dispatcher, "hookbus_endpoints", state="enabled") == 3
    assert ("hookbus_deliveries_buffered", ()) in dispatcher  # 0: retries not due are not held
    group = running.prefix + "dispatcher"
    lags = partitions(dispatcher, group)
    tier = running.prefix + "retry.1h"
    assert {t for t, _ in lags} == {
        running.prefix + "deliveries",
        running.prefix + "retry.1s",
        tier,
    }
    assert len(lags) == 6  # 2 partitions of each topic, all owned by the one copy
    assert value(dispatcher, "hookbus_consumer_lag", group=group, topic=tier) >= 3

    ingress = running.metrics("ingress")
    assert value(ingress, "hookbus_events_accepted_total", kind="message") == 3
    assert value(ingress, "hookbus_events_accepted_total", kind="inbound") == 2
    for result in ("accepted", "rejected"):
        counted = value(
            ingress, "hookbus_inbound_requests_total", source=sent["source"], result=result
        )
        assert counted == 1, result

    router = poll(lambda: routed(running, 6), 60)
    assert value(router, "hookbus_router_events_total", outcome="dead_lettered") >= 1
    assert value(router, "hookbus_router_deliveries_created_total") >= 12
    assert {t for t, _ in partitions(router, running.prefix + "router")} == {
        running.prefix + "events"
    }

    audit = poll(lambda: dead_lettered(running), 60)
    audit_topics = {t for t, _ in partitions(audit, running.prefix + "audit")}
    logged = ("events", "attempts", "dead", "tasks")
    assert audit_topics == {running.prefix + t for t in logged}

    for service in SERVICES:
        samples = running.metrics(service)
        assert value(samples, "hookbus_config_view_offset") > 0, service
        assert value(samples, "process_cpu_seconds_total") > 0, service
    check_logs(running, sent)


def partitions(samples: Samples, group: str) -> set[tuple[str, str]]:
    """The (topic, partition) pairs with a lag series of ``group``."""
    found = set()
    for (name, labels), _ in samples.items():
        named = dict(labels)
        if name == "hookbus_consumer_lag" and named["group"] == group:
            found.add((named["topic"], named["partition"]))
    return found


def routed(run: Running, events: int) -> Samples | None:
    found = run.metrics("router")
    return found if value(found, "hookbus_router_events_total") >= events else None


def dead_lettered(run: Running) -> Samples | None:
    found = run.metrics("audit")
    letters = value(found, "hookbus_dead_letters_total", kind="bad_record", service="router")
    return found if letters >= 1 else None


def check_logs(run: Running, sent: dict[str, Any]) -> None:
    """One JSON object per line, ids on what concerns an endpoint, and no secret anywhere."""
    # hookbus run writes its progress and its own log lines to stderr, each service to
    # <data dir>/logs/<service>.log.
    own = run.log.read_text()
    services = [path.read_text() for path in sorted((run.log.parent / "logs").glob("*.log"))]
    secrets = (TOKEN, SOURCE_SECRET, ENDPOINT_SECRET, ENDPOINT_SECRET.removeprefix("whsec_"))
    for text in (own, *services):
        assert not [secret for secret in secrets if secret in text]
    lines = [line for line in own.splitlines() if line.startswith("{")]
    lines += [line for text in services for line in text.splitlines() if line.strip()]
    entries = [orjson.loads(line) for line in lines]
    assert all(isinstance(e, dict) and {"ts", "level", "service", "msg"} <= set(e) for e in entries)
    assert {e["service"] for e in entries} >= {
        "hookbus",
        "ingress",
        "router",
        "dispatcher",
        "audit",
    }
    fine = sent["endpoints"]["/fine"]
    recorded = [e for e in entries if e["msg"] == "attempt recorded" and e["endpoint_id"] == fine]
    assert len(recorded) >= 3 and all(e["delivery_id"].startswith("dlv_") for e in recorded)
    disabled = [e for e in entries if e["msg"] == "endpoint disabled"]
    assert {e["endpoint_id"] for e in disabled} == {sent["endpoints"]["/gone"]}
