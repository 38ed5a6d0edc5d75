"""Plugging the inbound side into the ingress app: its routers and shared state."""

from __future__ import annotations

from fastapi import FastAPI

from services.ingress.inbound import received_log_api, receiving_api, routes_api, sources_api
from services.ingress.inbound.sources_view import Verifiers
from services.ingress.inbound.state import Inbound
from services.ingress.publish.log_barrier import WrittenRecords
from services.ingress.web.hub import Hub
from shared.user_topics import UserTopics


def install(app: FastAPI, hub: Hub) -> None:
    """Add ``/v1/sources``, ``/v1/routes``, ``/v1/inbound`` and the receiving URLs."""
    settings = hub.settings
    app.state.inbound = Inbound(
        verifiers=Verifiers(settings.public_url),
        topics=UserTopics(
            settings.kafka_bootstrap or "", settings.partitions, settings.replication_factor
        ),
        written=WrittenRecords(),
    )
    app.include_router(sources_api.api)
    app.include_router(routes_api.api)
    app.include_router(received_log_api.api)
    app.include_router(receiving_api.api)


def is_receiving(path: str) -> bool:
    """True for the public receiving URLs, whose bodies ``HOOKBUS_MAX_BODY`` limits."""
    return path.startswith(("/in/", "/hooks/")) or path in ("/hooks", "/in")
