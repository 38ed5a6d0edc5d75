"""The metric helpers and the lag sampler's bookkeeping, without Kafka."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka import TopicPartition
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from shared import clock, metrics
from shared.consumer_lag import ConsumerLag, lag_of
from shared.health import health_router


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_status_classes() -> None:
    assert [metrics.status_class(s) for s in (200, 302, 404, 503, None)] == [
        "2xx",
        "3xx",
        "4xx",
        "5xx",
        "none",
    ]


def test_an_attempt_counts_by_outcome_and_a_success_observes_its_latency() -> None:
    before = sample("hookbus_deliveries_total", outcome="succeeded", status_class="2xx")
    latency = sample("hookbus_delivery_latency_seconds_count")
    requests = sample("hookbus_delivery_request_seconds_count")
    metrics.attempted("succeeded", 204, 120, {"created_at": clock.iso()})
    metrics.attempted("retrying", 503, 80, {"created_at": clock.iso()})
    metrics.attempted("failed", None, None, {"created_at": "not a time"})
    assert sample("hookbus_deliveries_total", outcome="succeeded", status_class="2xx") == before + 1
    assert sample("hookbus_delivery_latency_seconds_count") == latency + 1  # only the success
    assert sample("hookbus_delivery_request_seconds_count") == requests + 2  # not the unsent one


def test_endpoints_are_counted_by_state_at_scrape_time() -> None:
    endpoints: list[dict[str, Any]] = [{"enabled": True}, {}, {"enabled": False}]
    metrics.watch_endpoints(lambda: endpoints)
    assert sample("hookbus_endpoints", state="enabled") == 2
    endpoints.append({"enabled": False})
    assert sample("hookbus_endpoints", state="disabled") == 2


def test_lag_counts_from_the_commit_or_from_the_first_record_kept() -> None:
    assert lag_of(end=100, committed=40, beginning=0) == 60
    assert lag_of(end=100, committed=None, beginning=30) == 70
    assert lag_of(end=100, committed=-1, beginning=30) == 70
    assert lag_of(end=10, committed=12, beginning=0) == 0


class FakeLag(ConsumerLag):
    """The sampler with Kafka's answers given by the test."""

    answers: dict[tuple[str, int], int] = {}

    async def _sample(self, owned: list[TopicPartition]) -> dict[tuple[str, int], int]:
        return {(tp.topic, tp.partition): self.answers[(tp.topic, tp.partition)] for tp in owned}


def test_the_sampler_shows_owned_partitions_only_and_sums_tiers() -> None:
    owned = {TopicPartition("d", 0), TopicPartition("d", 1), TopicPartition("t", 0)}
    lag = FakeLag("unused:1", "unit-group", lambda: owned, tiers={"t": "retry.unit"})
    lag.answers = {("d", 0): 5, ("d", 1): 0, ("t", 0): 3}
    asyncio.run(lag.refresh())
    assert sample("hookbus_consumer_lag", group="unit-group", topic="d", partition="0") == 5
    assert sample("hookbus_retry_backlog", tier="retry.unit") == 3
    owned.discard(TopicPartition("d", 0))  # revoked: its series goes with it
    asyncio.run(lag.refresh())
    labels = {"group": "unit-group", "topic": "d", "partition": "0"}
    assert REGISTRY.get_sample_value("hookbus_consumer_lag", labels) is None


def test_a_failed_sample_keeps_the_last_values() -> None:
    class Failing(ConsumerLag):
        async def _sample(self, owned: list[TopicPartition]) -> dict[tuple[str, int], int]:
            raise OSError("broker away")

    lag = Failing("unused:1", "unit-failing", lambda: [TopicPartition("x", 0)])
    asyncio.run(lag.refresh())  # logs, never raises
    assert REGISTRY.get_sample_value("hookbus_consumer_lag", {"group": "unit-failing"}) is None


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    app.include_router(health_router(lambda: {"config": False}))
    return TestClient(app)


def test_metrics_route_serves_the_text_format_and_readyz_says_why(client: TestClient) -> None:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert "# TYPE hookbus_deliveries_total counter" in answer.text
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"] == {"config": False}


SHOWN = {
    "ingress": ["hookbus_events_accepted_total", "hookbus_http_requests_in_flight"],
    "router": ["hookbus_router_events_total", "hookbus_consumer_lag"],
    "dispatcher": ["hookbus_deliveries_in_flight", "hookbus_endpoints", "hookbus_consumer_lag"],
    "audit": ["hookbus_dead_letters_total", "hookbus_consumer_lag"],
}


def families(text: str) -> set[str]:
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}


@pytest.mark.parametrize("service", sorted(SHOWN))
def test_each_service_shows_its_own_families_and_the_shared_ones(service: str) -> None:
    metrics.serve_as(service)
    try:
        shown = families(asyncio.run(metrics.exposition()).decode())
    finally:
        metrics.serve_as(None)
    everything = families(asyncio.run(metrics.exposition()).decode())
    others = {name for other, names in SHOWN.items() if other != service for name in names}
    assert {"hookbus_config_view_offset", "process_cpu_seconds_total"} <= shown
    assert set(SHOWN[service]) <= shown
    assert not (others - set(SHOWN[service])) & shown
    assert others <= everything
