"""Request bodies of ``/v1/routes`` (and what source bodies share), validated before anything
is written. Source bodies are in :mod:`.source_models`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, TypeAdapter, ValidationError, field_validator

from services.ingress.api.models import EventTypeName, Strict
from shared.predicates import compile_path, filter_problems

Name = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Priority = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]
# Kafka's own rule for topic names.
TopicName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9._-]{1,249}$")]
# What a forwarded request's framing owns: a route may not set these.
FRAMING_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
# What a route's header may be: a token name (RFC 9110) and a value without control characters,
# of printable ASCII (what the forwarding client sends); anything else would only fail at
# every delivery.
HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,256}")
HEADER_VALUE = re.compile(r"[\t\x20-\x7e]{0,4096}")


def check_jsonpaths(predicates: dict[str, Any] | None) -> dict[str, Any] | None:
    """Every key must be an RFC 9535 JSONPath (or ``$and``/``$or``) and every operator known;
    raise ``ValueError`` naming where each problem is."""
    problems = filter_problems(predicates or {})
    if problems:
        raise ValueError("; ".join(str(problem) for problem in problems))
    return predicates


class HttpDestination(Strict):
    type: Literal["http"]
    url: str = Field(max_length=2048, examples=["https://ci.example.com/github"])
    headers: dict[str, str] | None = None
    timeout_ms: int | None = Field(default=None, ge=1, le=30000)

    @field_validator("headers")
    @classmethod
    def _framing(cls, headers: dict[str, str] | None) -> dict[str, str] | None:
        reserved = sorted(name for name in headers or {} if name.lower() in FRAMING_HEADERS)
        if reserved:
            raise ValueError(f"headers may not set {', '.join(reserved)}")
        for name, value in (headers or {}).items():
            if not HEADER_NAME.fullmatch(name):
                raise ValueError(f"header name {name!r} is not an HTTP token")
            if not HEADER_VALUE.fullmatch(value):
                raise ValueError(f"header {name}: a value must be printable ASCII")
        return headers


class KafkaDestination(Strict):
    type: Literal["kafka"]
    topic: TopicName = Field(examples=["github-events"])
    key: str | None = Field(
        default=None,
        max_length=1024,
        description="record key: a JSONPath ($...) into the body, or a literal; default the "
        "source id",
    )

    @field_validator("key")
    @classmethod
    def _key(cls, key: str | None) -> str | None:
        if key is not None and key.startswith("$"):
            compile_path(key)
        return key


class EventTypeFromHeader(Strict):
    """The event type is this request header's value, after ``prefix``."""

    header: str = Field(pattern=f"^{HEADER_NAME.pattern}$", examples=["X-GitHub-Event"])
    prefix: str | None = Field(
        default=None, max_length=128, pattern=r"^[a-zA-Z0-9_.:-]*$", examples=["github."]
    )


class EventTypeFromBody(Strict):
    """The event type is the text this JSONPath finds in the body."""

    jsonpath: str = Field(max_length=1024, examples=["$.type"])

    _path = field_validator("jsonpath")(lambda path: compile_path(path) and path)


EVENT_TYPE_SHAPES = (
    'an event type name, {"header": "<name>", "prefix"?: "<text>"} or {"jsonpath": "$..."}'
)


def _event_type_spec(given: Any) -> Any:
    """Validate ``event_type`` as the one shape it has, so a refusal names one problem rather
    than one per shape it is not."""
    shape: Callable[[Any], Any] | None = None
    if isinstance(given, str):
        shape = NAME.validate_python
    elif isinstance(given, dict) and set(given) in ({"header"}, {"header", "prefix"}):
        shape = EventTypeFromHeader.model_validate
    elif isinstance(given, dict) and set(given) == {"jsonpath"}:
        shape = EventTypeFromBody.model_validate
    if shape is None:
        raise ValueError(f"must be {EVENT_TYPE_SHAPES}")
    try:
        return shape(given)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ValueError(f"{where + ': ' if where else ''}{message}") from None


NAME: TypeAdapter[str] = TypeAdapter(EventTypeName)


class AppDestination(Strict):
    type: Literal["app"]
    app_id: str = Field(min_length=1, max_length=256, description="app id or uid")
    event_type: EventTypeName | EventTypeFromHeader | EventTypeFromBody = Field(
        examples=["github.push", {"header": "X-GitHub-Event", "prefix": "github."}],
        description="a fixed name, or taken from each request: a header's value after an "
        "optional prefix, or the text a JSONPath finds in the body",
    )

    _spec = field_validator("event_type", mode="before")(_event_type_spec)


Destination = Annotated[
    HttpDestination | KafkaDestination | AppDestination, Field(discriminator="type")
]


class RouteFields(Strict):
    """What a route create or patch may set (``name`` and ``destination`` required on create)."""

    name: Name | None = None
    source_id: str | None = Field(default=None, description="null = requests of any source")
    path: str | None = Field(
        default=None, max_length=1024, description="exact or glob (`*`, `**`, `?`); null = any"
    )
    matches: dict[str, Any] | None = Field(
        default=None, examples=[{"$.action": "opened"}], description="JSONPath → value, all hold"
    )
    priority: Priority | None = None
    enabled: bool | None = Field(default=None, description="false: never matches (default true)")

    _paths = field_validator("matches")(check_jsonpaths)


class RouteIn(RouteFields):
    name: Name = Field(examples=["pull requests to CI"])
    destination: Destination


class RoutePatch(RouteFields):
    destination: dict[str, Any] | None = Field(
        default=None,
        description="a whole destination, or (same type, or no type) the fields to change",
        examples=[{"url": "https://ci.example.com/v2/github"}],
    )


DESTINATION = TypeAdapter(Destination)
