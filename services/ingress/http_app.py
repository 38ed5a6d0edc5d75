"""The ingress's FastAPI application: the one public HTTP face of hookbus."""

from __future__ import annotations

from fastapi import FastAPI

from services.ingress import (
    apps,
    dashboard,
    dead_letters,
    delivery_log,
    docs_page,
    endpoint_secrets,
    endpoints,
    erasure,
    errors,
    event_types,
    filter_check,
    messages,
    portal_access,
    streams,
    tasks,
)
from services.ingress.bearer_challenge import BearerChallenge
from services.ingress.front_door import FrontDoor
from services.ingress.inbound import api as inbound_api
from services.ingress.json_bodies import JsonBodies
from services.ingress.portal_gate import PortalGate
from services.ingress.recovery import router as recovery_router
from services.ingress.single_query import SingleQuery
from services.ingress.state import Ingress
from services.ingress.trailing_slash import TrailingSlash
from shared.health import health_router
from shared.json_response import OrjsonResponse

# Room for the JSON around a payload of the maximum size (event type, id, channels).
BODY_OVERHEAD = 64 * 1024
# A batch of up to 1000 messages; each one is still held to the per-message limit.
BATCH_BODY_LIMIT = 32 * 1024 * 1024
DESCRIPTION = """
hookbus sends webhooks (publish a message; every subscribed endpoint gets a signed POST,
logged attempt by attempt) and receives them. Every `/v1` call needs
`Authorization: Bearer <HOOKBUS_ADMIN_TOKEN>`. A 2xx answer to a write means it is durable
in Kafka; a configuration change is visible to every later call.
"""


def create_app(hub: Ingress) -> FastAPI:
    """Build the application around the running ingress resources."""
    app = FastAPI(
        title="hookbus",
        version="0.1.0",
        description=DESCRIPTION,
        default_response_class=OrjsonResponse,
        docs_url=None,
        redoc_url=None,
    )
    app.state.ingress = hub
    errors.install(app)
    body_limit = hub.settings.max_payload_bytes + BODY_OVERHEAD

    def limit_for(path: str) -> int:
        if inbound_api.is_receiving(path):
            return hub.settings.max_body
        return BATCH_BODY_LIMIT if path.endswith("/batch") else body_limit

    # Added innermost first: a trailing slash is dropped, then the token and declared length
    # are checked, then the body is read and checked as JSON, then a repeated query parameter
    # is refused.
    app.add_middleware(SingleQuery)
    app.add_middleware(JsonBodies, limit_for=limit_for)
    portal = PortalGate(hub.settings.admin_token, hub.config)
    app.state.portal_gate = portal
    app.add_middleware(
        FrontDoor, token=hub.settings.admin_token, limit_for=limit_for, portal=portal
    )
    app.add_middleware(TrailingSlash)
    app.add_middleware(BearerChallenge)  # outermost: every /v1 401 names its scheme

    def readiness() -> dict[str, bool]:
        return {"kafka": hub.kafka.reachable, "config_caught_up": hub.config.view.ready}

    app.include_router(health_router(readiness))
    docs_page.install(app)
    dashboard.install(app)
    app.include_router(apps.router)
    app.include_router(endpoints.router)
    app.include_router(endpoint_secrets.router)
    app.include_router(event_types.router)
    app.include_router(messages.router)
    app.include_router(delivery_log.router)
    app.include_router(streams.router)  # before /v1/inbound/{id} would take /stream
    inbound_api.install(app, hub)
    app.include_router(recovery_router)
    app.include_router(tasks.router)
    app.include_router(dead_letters.router)
    app.include_router(erasure.router)
    app.include_router(filter_check.router)
    app.include_router(portal_access.router)
    return app
