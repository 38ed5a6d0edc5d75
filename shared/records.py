"""One typed record per contract in ``contracts/``: the shape of every record on every topic.

Each type mirrors the properties of its JSON Schema (``tests/contract/test_records.py``
holds them together, both ways); the schema stays the judge of values (patterns, enums, ranges).
Optional properties are ``NotRequired``. Decode and encode them with the typed functions of
:mod:`shared.contracts` (``decode_delivery``, ``encode_attempt``, ...).

This module does not use ``from __future__ import annotations``: ``NotRequired`` must be seen
when the classes are built, so that ``__required_keys__`` is true to the schema.
"""

from typing import Any, NotRequired, TypedDict

Headers = dict[str, str]
"""HTTP headers as records carry them: one string per (lower- or mixed-case) name."""

JsonObject = dict[str, Any]
"""A JSON object whose shape the contract leaves open (a payload, a config object's data)."""


class ReplyTo(TypedDict):
    """Where a synchronous caller waits for the answer of a record (the ingress instance)."""

    instance: str
    correlation_id: str


class Idempotency(TypedDict):
    """The ``Idempotency-Key`` of a publish and the hash of the request it came with."""

    key: str
    hash: str


class EventRecord(TypedDict):
    """A published message (topic ``events``, key: app id)."""

    v: int
    id: str
    app_id: str
    event_type: str
    payload: JsonObject
    channels: NotRequired[list[str]]
    timestamp: str
    config_offset: NotRequired[int]
    schema_checked: NotRequired[bool]
    endpoint_id: NotRequired[str | None]
    dedupe: NotRequired[bool]
    idempotency: NotRequired[Idempotency]
    reply_to: NotRequired[ReplyTo]


class DeliveryRecord(TypedDict):
    """One message owed to one endpoint (topics ``deliveries`` and retry tiers, key: endpoint)."""

    v: int
    id: str
    message_id: str
    app_id: str
    endpoint_id: str
    event_type: str
    body: str
    content_type: str
    attempt: int
    created_at: str
    due_at: NotRequired[str | None]
    config_offset: NotRequired[int]
    headers: NotRequired[Headers]


class AttemptRequest(TypedDict):
    """The request an attempt sent to an endpoint."""

    url: str
    method: str
    headers: Headers
    body: str


class AttemptResponse(TypedDict):
    """What the endpoint answered (the body cut to the kept size)."""

    status: int
    headers: Headers
    body: str


class AttemptRecord(TypedDict):
    """One try of a delivery to an endpoint (topic ``attempts``, key: endpoint id)."""

    v: int
    id: str
    delivery_id: str
    message_id: str
    app_id: str
    endpoint_id: str
    event_type: NotRequired[str]
    attempt: int
    timestamp: str
    duration_ms: int
    request: AttemptRequest
    response: AttemptResponse | None
    error: str | None
    outcome: str


class ConfigRecord(TypedDict):
    """One configuration object (topic ``config``, compacted, key: ``kind/id``).

    ``data`` is the object of its ``kind`` (app, endpoint, event type, source, route, ...), or
    the tombstone's last state; its shape is checked by the schema's per-kind definitions.
    """

    v: int
    kind: str
    id: str
    data: JsonObject
    updated_at: str


class Origin(TypedDict):
    """Where a dead-lettered record was read, and which service gave up on it."""

    topic: str
    partition: int
    offset: int
    key: NotRequired[str | None]
    service: NotRequired[str]


class DeadLetterRecord(TypedDict):
    """A record that could not be processed, or a delivery out of tries (topic ``dead``)."""

    v: int
    reason: str
    kind: NotRequired[str]
    origin: Origin
    record: str
    at: str


class ReplyRecord(TypedDict):
    """The answer to a synchronous request (topic ``replies``, key: ingress instance id)."""

    v: int
    correlation_id: str
    instance: str
    kind: str
    status: int
    body: JsonObject


class Verification(TypedDict):
    """How a received request's signature was checked, and what came of it."""

    result: str
    scheme: NotRequired[str]
    reason: NotRequired[str]
    ignored: NotRequired[str]


class Dedupe(TypedDict):
    """The provider's redelivery key of a received request and the window it is unique in."""

    key: str
    window_s: float


class InboundRecord(TypedDict):
    """A received request of a source (topic ``events``, key: source id; or a user topic)."""

    v: int
    kind: str
    id: str
    source_id: str
    received_at: str
    method: str
    path: str
    query: str
    headers: Headers
    body: str
    body_encoding: str
    verification: Verification
    status: str
    route: bool
    config_offset: NotRequired[int]
    resubmission_of: NotRequired[str | None]
    route_id: NotRequired[str | None]
    dedupe: NotRequired[Dedupe]
    reply_to: NotRequired[ReplyTo]


class RouteOutcome(TypedDict):
    """What one matching route did with a received request."""

    route_id: str
    destination: str
    outcome: str
    detail: NotRequired[JsonObject]


class InboundRoutedRecord(TypedDict):
    """How a received request was routed (topic ``attempts``, key: source id)."""

    v: int
    kind: str
    inbound_id: str
    source_id: str
    routed_at: str
    duplicate_of: NotRequired[str]
    routes: list[RouteOutcome]


class ForwardedRequest(TypedDict):
    """The received request a route forwards (its path and query are appended to the URL)."""

    method: str
    path: str
    query: str
    headers: Headers
    body: str
    body_encoding: str


class RouteDeliveryRecord(TypedDict):
    """One received request owed to one HTTP route (topics ``deliveries`` and retry tiers)."""

    v: int
    kind: str
    id: str
    inbound_id: str
    source_id: str
    route_id: str
    request: ForwardedRequest
    attempt: int
    created_at: str
    due_at: NotRequired[str | None]
    config_offset: NotRequired[int]
    reply_to: NotRequired[ReplyTo]


class RouteAttemptRequest(TypedDict):
    """The request a route attempt sent."""

    url: str
    method: str
    headers: Headers
    body: str
    body_encoding: str


class RouteAttemptRecord(TypedDict):
    """One try of a route delivery (topic ``attempts``, key: route id)."""

    v: int
    kind: str
    id: str
    delivery_id: str
    inbound_id: str
    source_id: str
    route_id: str
    attempt: int
    timestamp: str
    duration_ms: int
    request: RouteAttemptRequest
    response: AttemptResponse | None
    error: str | None
    outcome: str


class TaskParams(TypedDict):
    """What a task request asks for: a replay's window and filters, or a recovery's start."""

    since: str
    until: NotRequired[str | None]
    endpoint_id: NotRequired[str | None]
    event_types: NotRequired[list[str] | None]
    only: NotRequired[str]
    total: NotRequired[int]


class TaskRecord(TypedDict):
    """A background task's request, progress or an erasure (topic ``tasks``).

    ``type`` says which: a ``request`` has kind/app_id/params/created_at, a ``progress`` has
    seq/status/done/sent/at, an ``expunge`` has app_id/at (the schema checks each).
    """

    v: int
    type: str
    id: str
    kind: NotRequired[str]
    app_id: NotRequired[str]
    params: NotRequired[TaskParams]
    created_at: NotRequired[str]
    config_offset: NotRequired[int]
    seq: NotRequired[int]
    status: NotRequired[str]
    total: NotRequired[int | None]
    done: NotRequired[int]
    sent: NotRequired[int]
    cursor: NotRequired[list[Any] | None]
    started: NotRequired[bool]
    resumes: NotRequired[int]
    error: NotRequired[str | None]
    at: NotRequired[str]
    finished_at: NotRequired[str | None]
