"""The ingress's FastAPI application: the one public HTTP face of hookbus."""

from __future__ import annotations

from fastapi import FastAPI

from services.ingress import dashboard
from services.ingress.api import (
    apps_api,
    dead_letters_api,
    delivery_log_api,
    endpoint_secrets_api,
    endpoints_api,
    erasure_api,
    event_types_api,
    filter_check_api,
    messages_api,
    portal_access_api,
    recovery_api,
    streams_api,
    tasks_api,
)
from services.ingress.inbound import http_app as inbound_http
from services.ingress.web import docs_page, errors
from services.ingress.web.bearer_challenge import BearerChallenge
from services.ingress.web.front_door import FrontDoor
from services.ingress.web.hub import Hub
from services.ingress.web.json_bodies import JsonBodies
from services.ingress.web.portal_gate import PortalGate
from services.ingress.web.single_query import SingleQuery
from services.ingress.web.trailing_slash import TrailingSlash
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


def create_app(hub: Hub) -> FastAPI:
    """Build the application around the running ingress resources."""
    app = FastAPI(
        title="hookbus",
        version="0.1.0",
        description=DESCRIPTION,
        default_response_class=OrjsonResponse,
        docs_url=None,
        redoc_url=None,
    )
    app.state.hub = hub
    errors.install(app)
    body_limit = hub.settings.max_payload_bytes + BODY_OVERHEAD

    def limit_for(path: str) -> int:
        if inbound_http.is_receiving(path):
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
    app.include_router(apps_api.api)
    app.include_router(endpoints_api.api)
    app.include_router(endpoint_secrets_api.api)
    app.include_router(event_types_api.api)
    app.include_router(messages_api.api)
    app.include_router(delivery_log_api.api)
    app.include_router(streams_api.api)  # before /v1/inbound/{id} would take /stream
    inbound_http.install(app, hub)
    app.include_router(recovery_api.api)
    app.include_router(tasks_api.api)
    app.include_router(dead_letters_api.api)
    app.include_router(erasure_api.api)
    app.include_router(filter_check_api.api)
    app.include_router(portal_access_api.api)
    return app
