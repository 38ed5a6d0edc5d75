"""What the dispatcher shows on ``/metrics`` beyond its counters: work in hand, endpoints by
state, and its consumer group's lag with the retry tiers' backlog (see :mod:`shared.metrics`)."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer

from services.dispatcher.flow.lanes import LaneScheduler
from shared import consumer_lag, metrics
from shared.config_state import ConfigState
from shared.settings import Settings


def watch(
    settings: Settings, consumer: AIOKafkaConsumer, lanes: LaneScheduler, view: ConfigState
) -> None:
    """Read these at every scrape; the Kafka part on clients of its own (never blocks here)."""
    metrics.IN_FLIGHT.set_function(lambda: lanes.running)
    metrics.BUFFERED.set_function(lambda: lanes.outstanding)
    metrics.watch_endpoints(lambda: view.all("endpoint"))
    consumer_lag.watch(settings, "dispatcher", consumer.assignment, tiers=True)
