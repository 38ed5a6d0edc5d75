"""The ingress's FastAPI application: the one public HTTP face of hookbus."""

from __future__ import annotations

from fastapi import FastAPI

from services.ingress import apps, endpoints, errors, messages
from services.ingress.state import Ingress
from shared.health import health_router
from shared.json_response import OrjsonResponse

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
    )
    app.state.ingress = hub
    errors.install(app)

    def readiness() -> dict[str, bool]:
        return {"config_caught_up": hub.config.view.ready}

    app.include_router(health_router(readiness))
    app.include_router(apps.router)
    app.include_router(endpoints.router)
    app.include_router(messages.router)
    return app
