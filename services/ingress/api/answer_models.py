"""The shapes of the public API's answers, as the OpenAPI document describes them.

The handlers build their answers as plain dicts (and encode them with orjson, on the hot path);
these models only describe them, for ``/openapi.json``, ``/docs`` and generated clients. Each
object may carry more fields than listed (a later version adds, never renames), so none of
them forbids extra properties. :mod:`services.ingress.web.openapi_doc` attaches them to the
operations; a contract test checks every example in :mod:`services.ingress.api.examples` against
them, and the schemathesis run checks the live answers.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")
Json = dict[str, Any]


class Page(BaseModel, Generic[T]):
    """One page of a list, newest or oldest first as the list says."""

    data: list[T]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null: last")


class ErrorDetail(BaseModel):
    code: str = Field(examples=["validation_error"])
    message: str
    details: Any = Field(default=None, description="what was refused: a path, a limit, an id")


class ErrorBody(BaseModel):
    """Every refusal: 4xx and 5xx answers alike."""

    error: ErrorDetail


class App(BaseModel):
    id: str
    uid: str | None
    name: str
    metadata: Json
    created_at: str
    updated_at: str


class Endpoint(BaseModel):
    id: str
    app_id: str
    url: str
    description: str | None
    uid: str | None
    metadata: Json | None
    event_types: list[str] | None
    channels: list[str] | None
    filter: Json | None
    enabled: bool
    disabled_reason: str | None
    headers: dict[str, str] | None
    timeout_ms: int
    transform: str | None
    content_type: str
    rate_limit: int | None
    ordered: bool
    created_at: str
    updated_at: str


class Secret(BaseModel):
    secret: str = Field(description="whsec_ + base64 of the key")


class EventType(BaseModel):
    name: str
    description: str | None
    schema_: Json | None = Field(alias="schema")
    created_at: str
    updated_at: str


class Message(BaseModel):
    id: str
    event_type: str
    payload: Json | None
    channels: list[str]
    timestamp: str


class DuplicateInBatch(BaseModel):
    """A message of a batch refused as a duplicate id (the others were accepted)."""

    id: str
    error: ErrorDetail


class BatchAccepted(BaseModel):
    data: list[Message | DuplicateInBatch] = Field(description="one item per message, in order")


class HttpExchange(BaseModel):
    url: str
    method: str
    headers: dict[str, str]
    body: str | None


class HttpAnswer(BaseModel):
    status: int
    headers: dict[str, str]
    body: str | None


class Attempt(BaseModel):
    id: str
    message_id: str
    endpoint_id: str
    delivery_id: str | None = None
    event_type: str | None
    attempt: int = Field(ge=1)
    timestamp: str
    duration_ms: int | None
    request: HttpExchange
    response: HttpAnswer | None
    error: str | None
    outcome: Literal["succeeded", "retrying", "failed", "exhausted"]


class EndpointStats(BaseModel):
    succeeded: int
    retrying: int
    failed: int
    exhausted: int
    last_success_at: str | None
    last_failure_at: str | None
    disabled_reason: str | None


class MessageSent(BaseModel):
    message_id: str


class Resent(BaseModel):
    message_id: str
    endpoint_id: str


class Recovered(BaseModel):
    count: int = Field(ge=0, description="messages delivered again")


class Source(BaseModel):
    id: str
    name: str
    provider: str
    url: str = Field(description="where the provider sends: <base>/in/<id>")
    status: Literal["unverified", "verified"]
    verified_at: str | None
    verification: Json | None
    has_secret: bool
    priority: int
    match: Json | None
    response: Json | None
    challenge_required: bool
    created_at: str
    updated_at: str


class Route(BaseModel):
    id: str
    name: str
    source_id: str | None
    path: str | None
    matches: Json | None
    priority: int
    destination: Json
    created_at: str
    updated_at: str


class RouteOutcome(BaseModel):
    route_id: str
    outcome: str


class ReceivedRequest(BaseModel):
    id: str
    source_id: str | None
    received_at: str
    method: str
    path: str
    query: str | None
    headers: dict[str, str]
    body: str | None
    body_encoding: str | None = None
    verification: Json
    status: str
    routes: list[RouteOutcome]


class RouteAttempt(BaseModel):
    id: str
    inbound_id: str
    route_id: str
    attempt: int = Field(ge=1)
    timestamp: str
    duration_ms: int | None
    request: Json
    response: Json | None
    error: str | None
    outcome: str


class Resubmitted(BaseModel):
    id: str
    resubmission_of: str


class InboundAccepted(BaseModel):
    id: str = Field(description="the request's id in the received log")


class SyncOutcome(BaseModel):
    """Sync mode's answer: each route's outcome (200, 404, 500 or 504)."""

    id: str
    outcome: str
    routes: list[Json]
    error: ErrorDetail | None = None


class PortalAccess(BaseModel):
    token: str = Field(description="a portal token: only this app, until expires_at")
    url: str = Field(description="the dashboard limited to the app; the token in the fragment")
    expires_at: str


class Alive(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, bool]
