"""Every Prometheus metric hookbus exports, in one place, and the ``/metrics`` answer.

Each service is its own process, so each one's metrics live in the client library's default
registry and ``/metrics`` shows what that process did (plus the library's ``process_*``
metrics). Label values come from small fixed sets (outcomes, status classes, topics, partition
numbers, retry tiers) or from configuration an operator creates by hand (inbound sources):
never from a message, an app or an endpoint, whose numbers grow with the traffic and would
make each scrape, and Prometheus's memory, grow with them.

Services call the helpers below in one line where the thing happens; what needs Kafka
(consumer lag, retry backlog) is sampled when ``/metrics`` is read (:mod:`shared.consumer_lag`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics_core import Metric

from shared import clock

# No "<name>_created" sample beside each counter and histogram: a process start time says it.
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped in the library

__all__ = ["CONTENT_TYPE_LATEST"]

# Ingress ----------------------------------------------------------------------------------
EVENTS_ACCEPTED = Counter(
    "hookbus_events_accepted",
    "Events the ingress wrote durably to Kafka: published messages or received inbound requests",
    ["kind"],
)
HTTP_IN_FLIGHT = Gauge(
    "hookbus_http_requests_in_flight", "HTTP requests the ingress is answering right now"
)
INBOUND_REQUESTS = Counter(
    "hookbus_inbound_requests",
    "Inbound webhook requests received, by source id and verification result "
    "(accepted, rejected, ignored)",
    ["source", "result"],
)

# Router -----------------------------------------------------------------------------------
EVENTS_ROUTED = Counter(
    "hookbus_router_events",
    "Events the router handled, by outcome: routed (maybe to nothing, or a duplicate) or "
    "dead_lettered (the event, or its rendering for some endpoint, went to the dead topic)",
    ["outcome"],
)
DELIVERIES_CREATED = Counter(
    "hookbus_router_deliveries_created", "Delivery records the router produced"
)

# Dispatcher -------------------------------------------------------------------------------
DELIVERIES = Counter(
    "hookbus_deliveries",
    "Delivery attempts by outcome (succeeded, retrying, exhausted, failed) and the endpoint's "
    "HTTP status class (2xx, 3xx, 4xx, 5xx; none when no answer came)",
    ["outcome", "status_class"],
)
REQUEST_SECONDS = Histogram(
    "hookbus_delivery_request_seconds",
    "Duration of each delivery attempt's HTTP exchange, from connecting to the answer read",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60),
)
LATENCY_SECONDS = Histogram(
    "hookbus_delivery_latency_seconds",
    "From the moment the router created a delivery to its successful attempt, retries included",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 36000),
)
IN_FLIGHT = Gauge("hookbus_deliveries_in_flight", "Delivery attempts running right now")
BUFFERED = Gauge(
    "hookbus_deliveries_buffered", "Delivery records fetched and not finished (queued or running)"
)
ENDPOINTS_DISABLED = Counter(
    "hookbus_endpoints_auto_disabled",
    "Endpoints the dispatcher disabled, by reason (gone: a 410 answer; failing: no success "
    "for HOOKBUS_DISABLE_AFTER)",
    ["reason"],
)
RETRY_BACKLOG = Gauge(
    "hookbus_retry_backlog",
    "Records waiting on each retry tier: end offset minus committed offset, summed over the "
    "tier's partitions this copy owns",
    ["tier"],
)

# Audit ------------------------------------------------------------------------------------
DEAD_LETTERS = Counter(
    "hookbus_dead_letters",
    "Dead letters stored by audit, by kind and the service that wrote them",
    ["kind", "service"],
)

# Every service ----------------------------------------------------------------------------
CONSUMER_LAG = Gauge(
    "hookbus_consumer_lag",
    "Records not yet committed by the consumer group, per partition this copy owns "
    "(end offset minus committed offset)",
    ["group", "topic", "partition"],
)
CONFIG_VIEW_OFFSET = Gauge(
    "hookbus_config_view_offset", "Offset of the next config record this service's view reads"
)

ENDPOINTS = Gauge(
    "hookbus_endpoints", "Endpoints in the configuration, by state (enabled, disabled)", ["state"]
)

# Which services' /metrics show each family (the README's table says the same). Every process
# defines them all; a family of another service is left out rather than shown at zero.
OWNERS: dict[Any, frozenset[str]] = {
    EVENTS_ACCEPTED: frozenset({"ingress"}),
    HTTP_IN_FLIGHT: frozenset({"ingress"}),
    INBOUND_REQUESTS: frozenset({"ingress"}),
    EVENTS_ROUTED: frozenset({"router"}),
    DELIVERIES_CREATED: frozenset({"router"}),
    DELIVERIES: frozenset({"dispatcher"}),
    REQUEST_SECONDS: frozenset({"dispatcher"}),
    LATENCY_SECONDS: frozenset({"dispatcher"}),
    IN_FLIGHT: frozenset({"dispatcher"}),
    BUFFERED: frozenset({"dispatcher"}),
    ENDPOINTS_DISABLED: frozenset({"dispatcher"}),
    RETRY_BACKLOG: frozenset({"dispatcher"}),
    ENDPOINTS: frozenset({"dispatcher"}),
    DEAD_LETTERS: frozenset({"audit"}),
    CONSUMER_LAG: frozenset({"router", "dispatcher", "audit"}),
}
_hidden: set[str] = set()

Refresh = Callable[[], Awaitable[None]]
_refreshers: list[Refresh] = []


def serve_as(service: str | None) -> None:
    """Show only ``service``'s families (and the shared ones) on this process's /metrics;
    ``None`` shows every family."""
    _hidden.clear()
    for metric, owners in OWNERS.items():
        if service is not None and service not in owners:
            _hidden.update(family.name for family in metric.describe())


class _Shown(CollectorRegistry):
    """The default registry without the families of other services."""

    def collect(self) -> Iterator[Metric]:
        return (family for family in REGISTRY.collect() if family.name not in _hidden)


def status_class(status: int | None) -> str:
    """``2xx``... for an HTTP status; ``none`` when no answer came."""
    return "none" if status is None else f"{status // 100}xx"


def attempted(
    outcome: str, status: int | None, duration_ms: int | None, delivery: Mapping[str, Any]
) -> None:
    """Count one attempt of ``delivery`` (``duration_ms`` None: no request was made); a success
    also observes the latency since the delivery was created."""
    DELIVERIES.labels(outcome, status_class(status)).inc()
    if duration_ms is not None:
        REQUEST_SECONDS.observe(duration_ms / 1000)
    created_at = delivery.get("created_at")
    if outcome == "succeeded" and isinstance(created_at, str):
        try:
            waited = (clock.now() - clock.parse(created_at)).total_seconds()
        except ValueError:
            return
        LATENCY_SECONDS.observe(max(0.0, waited))


def watch_endpoints(endpoints: Callable[[], Iterable[Mapping[str, Any]]]) -> None:
    """Report the configuration's endpoints by state, counted from ``endpoints()`` at scrape."""

    def counter(enabled: bool) -> Callable[[], float]:
        return lambda: sum(1 for e in endpoints() if bool(e.get("enabled", True)) is enabled)

    ENDPOINTS.labels("enabled").set_function(counter(True))
    ENDPOINTS.labels("disabled").set_function(counter(False))


def inbound_received(source_id: str, result: str) -> None:
    """Count one received inbound request, durable in Kafka, and its verification result."""
    INBOUND_REQUESTS.labels(source_id, result).inc()
    EVENTS_ACCEPTED.labels("inbound").inc()


def on_scrape(refresh: Refresh) -> None:
    """Run ``refresh`` before each ``/metrics`` answer (metrics that need a Kafka round trip)."""
    _refreshers.append(refresh)


async def exposition() -> bytes:
    """The Prometheus text exposition of this process, after every refresh ran.

    Blocks on the refreshes (each bounds its own time and never raises).
    """
    for refresh in list(_refreshers):
        await refresh()
    return bytes(generate_latest(_Shown()))
