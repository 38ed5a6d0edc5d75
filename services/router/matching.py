"""Which endpoints an event goes to: event types, channels, filters, single-endpoint events.

Pure functions over a config state, so the rules are tested without Kafka.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from services.router.rendering import envelope
from shared.filters import FilterError, holds
from shared.records import JsonObject
from shared.type_patterns import WILDCARD, accepts_type, type_matches

__all__ = [
    "WILDCARD",
    "ConfigReader",
    "accepts_channels",
    "accepts_filter",
    "accepts_type",
    "targets",
    "type_matches",
]

log = logging.getLogger(__name__)


class ConfigReader(Protocol):
    """The part of :class:`shared.config_view.ConfigState` routing reads."""

    def get(self, kind: str, ident: str) -> JsonObject | None: ...

    def children(self, kind: str, app_id: str) -> Iterable[JsonObject]: ...


def accepts_channels(endpoint: Mapping[str, Any], channels: Iterable[str]) -> bool:
    """True when the endpoint has no channel restriction or shares a channel with the event."""
    wanted = endpoint.get("channels")
    if not wanted:
        return True
    return not set(wanted).isdisjoint(channels)


def accepts_filter(endpoint: Mapping[str, Any], document: Mapping[str, Any]) -> bool:
    """True when every JSONPath condition of the endpoint's ``filter`` holds on ``document``.

    An expression that does not compile (only a hand-written config record can hold one)
    excludes the endpoint rather than stopping the partition.
    """
    try:
        return holds(endpoint.get("filter"), document)
    except FilterError as exc:
        ids = {"endpoint_id": endpoint["id"], "error": str(exc)}
        log.warning("endpoint filter invalid", extra=ids)
        return False


def targets(config: ConfigReader, event: Mapping[str, Any]) -> list[JsonObject]:
    """The enabled endpoints ``event`` must be delivered to, in endpoint id order.

    An event naming an ``endpoint_id`` (ping, resend) goes to that endpoint alone when it exists,
    belongs to the event's app and is enabled, whatever its types, channels and filter. Other
    events go to every enabled endpoint of the app whose types, channels and filter (evaluated
    on the envelope) accept them. An unknown app has no targets.
    """
    app_id = event["app_id"]
    if config.get("app", app_id) is None:
        log.warning(
            "event for an unknown app routed nowhere",
            extra={"message_id": event["id"], "app_id": app_id},
        )
        return []
    single = event.get("endpoint_id")
    if single is not None:
        endpoint = config.get("endpoint", single)
        if endpoint is None or endpoint.get("app_id") != app_id or not endpoint.get("enabled"):
            log.warning(
                "event for a missing or disabled endpoint routed nowhere",
                extra={"message_id": event["id"], "endpoint_id": single},
            )
            return []
        return [endpoint]
    channels = event.get("channels") or []
    document = envelope(event)
    return [
        endpoint
        for endpoint in config.children("endpoint", app_id)
        if endpoint.get("enabled")
        and accepts_type(endpoint, event["event_type"])
        and accepts_channels(endpoint, channels)
        and accepts_filter(endpoint, document)
    ]
