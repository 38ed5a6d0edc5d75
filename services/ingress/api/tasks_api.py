"""Background tasks: starting a replay, and reading tasks (replay and recover) as they run.

Audit owns tasks: a replay is forwarded to it, which produces the task's request to the tasks
topic and answers ``202 {"id": "task_..."}`` once Kafka acknowledged it; its task workers do
the work page by page and record progress, which ``GET /v1/tasks/{task}`` shows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.ingress.api.apps_api import find_app
from services.ingress.api.endpoints_api import find_endpoint
from services.ingress.api.examples import APP_ID, CREATED, answers, body_examples
from services.ingress.api.models import EventTypePattern, IsoTimestamp
from services.ingress.web import audit_proxy
from services.ingress.web.auth import authorized
from services.ingress.web.hub import Cursor, HubDep, Limit
from shared import clock
from shared.errors import NotFound, Unprocessable

api = APIRouter(prefix="/v1", tags=["tasks"], dependencies=[Depends(authorized)])
TASK_ID = "task_01JD3R0A1B2C3D4E5F6G7H8J9K"
REPLAY_IN = {"since": "2026-11-22T00:00:00Z", "event_types": ["invoice.*"], "only": "failed"}
TASK: dict[str, Any] = {
    "id": TASK_ID,
    "kind": "replay",
    "app_id": APP_ID,
    "status": "running",
    "total": 1200,
    "done": 500,
    "sent": 37,
    "error": None,
    "params": {
        "since": "2026-11-22T00:00:00.000Z",
        "until": None,
        "endpoint_id": None,
        "event_types": ["invoice.*"],
        "only": "failed",
    },
    "created_at": CREATED,
    "finished_at": None,
}


def _utc(moment: datetime) -> datetime:
    try:
        return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)
    except OverflowError:  # year 1 east of UTC: no such instant in UTC
        raise ValueError("out of range") from None


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: IsoTimestamp = Field(description="replay messages published at or after this time")
    until: IsoTimestamp | None = Field(default=None, description="... and before this time")
    endpoint_id: str | None = Field(
        default=None, description="only deliveries to this endpoint (id or uid)", max_length=256
    )
    event_types: list[EventTypePattern] | None = Field(
        default=None, description="only these types (names or prefix patterns)", max_length=100
    )
    only: Literal["failed", "all"] = Field(
        default="all",
        description="all: every delivery again; failed: those whose last attempt ended failed",
    )

    _utc_since = field_validator("since", "until")(
        lambda value: None if value is None else _utc(value)
    )


class TaskCreated(BaseModel):
    id: str = Field(examples=[TASK_ID])


class TaskOut(BaseModel):
    """A background task and how far it got."""

    id: str
    kind: Literal["replay", "recover"]
    app_id: str
    status: Literal["running", "done", "failed"]
    total: int | None = Field(description="items to examine (null until the task started)")
    done: int = Field(description="items examined so far")
    sent: int = Field(description="deliveries sent again so far")
    error: str | None
    params: dict[str, Any]
    created_at: str
    finished_at: str | None

    model_config = ConfigDict(json_schema_extra={"examples": [TASK]})


class TaskPage(BaseModel):
    data: list[TaskOut]
    next_cursor: str | None


@api.post(
    "/apps/{app}/replay",
    status_code=202,
    summary="Replay deliveries of messages published in a time range, in the background",
    response_class=JSONResponse,  # documents the model; handlers relay audit
    response_model=TaskCreated,
    openapi_extra=body_examples(REPLAY_IN),
    responses=answers(202, {"id": TASK_ID}),
)
async def replay(app: str, body: ReplayIn, hub: HubDep) -> Response:
    """Answers ``202 {"id": "task_..."}`` once the task is durable; follow it with
    ``GET /v1/tasks/{id}``. Each matching message is delivered again to every endpoint it was
    delivered to (or only ``endpoint_id``), as a new attempt."""
    found = await find_app(hub, app)
    endpoint_id = None
    if body.endpoint_id is not None:
        try:
            endpoint_id = (await find_endpoint(hub, app, body.endpoint_id))["id"]
        except NotFound:  # the app is there; what the body names is not: invalid content
            raise Unprocessable(
                "endpoint_id names no endpoint of this app", {"endpoint_id": body.endpoint_id}
            ) from None
    if body.until is not None and body.until <= body.since:
        raise Unprocessable("until must be after since", {"since": str(body.since)})
    sent = {
        "since": clock.iso(body.since),
        "until": None if body.until is None else clock.iso(body.until),
        "endpoint_id": endpoint_id,
        "event_types": body.event_types,
        "only": body.only,
        "config_offset": hub.config.view.position,
    }
    return await audit_proxy.post(hub, f"/v1/apps/{found['id']}/replay", sent)


@api.get(
    "/tasks",
    summary="Background tasks, newest first (?app=)",
    response_class=JSONResponse,  # documents the model; handlers relay audit
    response_model=TaskPage,
    responses=answers(200, [TASK], listed=True),
)
async def list_tasks(
    hub: HubDep,
    app: Annotated[str | None, Query(description="only this app's tasks (id or uid)")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    params = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
    if app:
        params["app_id"] = (await find_app(hub, app))["id"]
    return await audit_proxy.get(hub, "/v1/tasks", params)


@api.get(
    "/tasks/{task}",
    summary="A background task: status and progress",
    response_class=JSONResponse,  # documents the model; handlers relay audit
    response_model=TaskOut,
    responses=answers(200, TASK),
)
async def get_task(task: str, request: Request, hub: HubDep) -> Response:
    if not task.startswith("task_") or not task.replace("_", "").isalnum():
        raise NotFound(f"task {task!r} not found", {"task": task})
    return await audit_proxy.forward(hub, request, f"/v1/tasks/{task}")
