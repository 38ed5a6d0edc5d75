"""The audit HTTP app: health routes (open) and every ``/v1`` API, behind the admin token."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from services.audit import (
    erasure_api,
    http_errors,
    log_api,
    recovery_api,
    redrive_api,
    stream_api,
    task_api,
)
from services.audit.hub import Hub
from services.audit.inbound import received_api
from services.audit.store import Store
from shared.health import Readiness, health_router
from shared.json_response import OrjsonResponse

READING = (log_api.api, received_api.api, stream_api.api)
WRITING = (recovery_api.api, task_api.api, redrive_api.api, erasure_api.api)


def build_app(store: Store | Hub, admin_token: str, readiness: Readiness) -> FastAPI:
    """The audit app over ``store`` (or a whole :class:`Hub`): the reading APIs always, the
    writing ones (resend, recover, tasks and replay, redrive, expunge) when it has a producer."""
    hub = store if isinstance(store, Hub) else Hub(store)
    app = FastAPI(title="hookbus audit", openapi_url=None, default_response_class=OrjsonResponse)
    app.state.hub = hub
    http_errors.install(app)
    app.include_router(health_router(readiness))
    admin = [Depends(http_errors.admin_only(admin_token))]
    for api in (*READING, *(WRITING if hub.producer is not None else ())):
        app.include_router(api, dependencies=admin)
    return app
