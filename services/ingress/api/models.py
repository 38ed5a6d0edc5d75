"""Request bodies of the management and publish API, validated before anything is written."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from shared import clock, signing
from shared.endpoint_limits import DEFAULT_MAX_IN_FLIGHT, MAX_IN_FLIGHT
from shared.filters import MAX_CONDITIONS, check_filter, count_conditions
from shared.setting_values import SettingsError, parse_duration
from shared.transforms import TransformError, compile_transform

# ":" is a separator as much as ".": WPVIP names its types `environment:code:deployed`.
EVENT_TYPE_PATTERN = r"^[a-zA-Z0-9_.:-]+$"
EventTypeName = Annotated[str, StringConstraints(pattern=EVENT_TYPE_PATTERN, max_length=256)]
# A subscription: `*`, a name, or a prefix pattern ending in `.*` or `:*`.
EventTypePattern = Annotated[
    str, StringConstraints(pattern=r"^(\*|[a-zA-Z0-9_.:-]+([.:]\*)?)$", max_length=256)
]
# Ids and uids: letters, digits, "_", "." and "-", but not dots alone: "." and ".." are path
# segments that HTTP clients resolve away, so such an id could never be read back.
ID_PATTERN = r"^[a-zA-Z0-9_.-]*[a-zA-Z0-9_-][a-zA-Z0-9_.-]*$"
MAX_ID_LENGTH = 256
Uid = Annotated[str, StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=MAX_ID_LENGTH)]
# A channel is free text, less control characters (a database may refuse to store them).
CHANNEL_PATTERN = r"^[^\x00-\x1f\x7f]+$"
Channel = Annotated[str, StringConstraints(pattern=CHANNEL_PATTERN, max_length=128)]
# A payload version's name (an event type's `versions`, an endpoint's `version`).
VersionName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
ContentType = Literal["application/json", "application/x-www-form-urlencoded"]
# RFC 9110: a field name is a token; a value holds no control character but tab.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Headers the dispatcher owns: an endpoint may not override its signature or framing.
RESERVED_HEADERS = frozenset(
    {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "content-type",
        "content-length",
        "host",
        "user-agent",
        "transfer-encoding",
        "connection",
    }
)


def _iso_timestamp(value: Any) -> datetime:
    # pydantic alone takes numbers and numeric strings as Unix times; the API speaks ISO 8601.
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 timestamp, e.g. 2026-11-22T10:00:00Z")
    try:
        return clock.parse(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 timestamp, e.g. 2026-11-22T10:00:00Z") from None


# A point in time as the API writes it: ISO 8601 text only (no offset: UTC), in UTC.
IsoTimestamp = Annotated[datetime, BeforeValidator(_iso_timestamp)]


def is_id(text: str) -> bool:
    """True when ``text`` could be an id or uid hookbus made or accepted."""
    return len(text) <= MAX_ID_LENGTH and re.fullmatch(ID_PATTERN, text) is not None


class _NullAs(BeforeValidator):
    """A ``BeforeValidator`` whose JSON Schema also admits ``null``, as the field does."""

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"anyOf": [handler(schema), {"type": "null"}]}


def null_as(default: Callable[[], Any]) -> Any:
    """Annotation reading ``null`` as the field's default: an optional field may be sent as
    null (as generated API clients do) and means the same as leaving it out (the OpenAPI
    document says the field may be null)."""
    return _NullAs(lambda value: default() if value is None else value)


class Strict(BaseModel):
    """Unknown fields are refused, so a typo never silently does nothing; and values are
    taken only as the JSON type the field declares (no ``0`` for false, no ``"5"`` for 5),
    as the OpenAPI document says."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _check_retention(text: str) -> str:
    try:
        seconds = parse_duration(text)
    except SettingsError:
        raise ValueError("retention must be a duration such as 7d, 12h or 30m") from None
    if seconds < 1:
        raise ValueError("retention must be at least 1s")
    return text


Retention = Annotated[str, StringConstraints(max_length=32), AfterValidator(_check_retention)]
RETENTION_DOC = "erase payloads and bodies older than this from the logs (e.g. 7d)"


class AppIn(Strict):
    name: str = Field(min_length=1, max_length=256, examples=["Acme Corp"])
    uid: Uid | None = Field(default=None, examples=["acme"])
    metadata: Annotated[dict[str, Any], null_as(dict)] = Field(default_factory=dict)
    retention: Retention | None = Field(default=None, description=RETENTION_DOC, examples=["7d"])


class AppPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=256)
    uid: Uid | None = None
    metadata: dict[str, Any] | None = None
    retention: Retention | None = Field(default=None, description=RETENTION_DOC)


def _check_headers(headers: dict[str, str] | None) -> dict[str, str] | None:
    if headers:
        reserved = sorted(name for name in headers if name.lower() in RESERVED_HEADERS)
        if reserved:
            raise ValueError(f"headers may not set {', '.join(reserved)}")
        # What HTTP cannot carry would fail every delivery: refuse it here instead.
        for name, value in headers.items():
            if _HEADER_NAME.fullmatch(name) is None:
                raise ValueError(f"{name!r} is not a valid header name")
            if _HEADER_VALUE_BAD.search(value):
                raise ValueError(f"the value of {name!r} holds a control character")
    return headers


def _check_secret(secret: str | None) -> str | None:
    if secret is not None:
        signing.secret_key(secret)  # raises ValueError with the reason
    return secret


def check_filter_field(conditions: dict[str, Any] | None) -> dict[str, Any] | None:
    """Field validator of a filter: raise ``ValueError`` naming where each problem is."""
    problems = check_filter(conditions)
    if problems:
        raise ValueError("; ".join(str(problem) for problem in problems))
    if count_conditions(conditions) > MAX_CONDITIONS:
        raise ValueError(f"at most {MAX_CONDITIONS} conditions")
    return conditions


def _check_transform(expression: str | None) -> str | None:
    if expression is not None:
        try:
            compile_transform(expression)
        except TransformError as exc:
            raise ValueError(f"invalid JMESPath: {exc}") from None
    return expression


class EndpointFields(Strict):
    """What an endpoint create or patch may set (``url`` is required only on create)."""

    url: str | None = Field(default=None, max_length=2048, examples=["https://example.com/hooks"])
    description: str | None = Field(default=None, max_length=1024)
    uid: Uid | None = None
    metadata: dict[str, Any] | None = None
    event_types: list[EventTypePattern] | None = Field(
        default=None, examples=[["invoice.*", "environment:code:*"]]
    )
    channels: list[Channel] | None = None
    filter: dict[str, Any] | None = Field(
        default=None,
        description="JSONPath (RFC 9535) → expected value or operator object ($eq, $neq, $gt, "
        "$gte, $lt, $lte, $in, $nin, $exists, $regex); $and / $or combine filters; all must "
        "hold on the envelope",
        examples=[
            {"$.data.environment.type": "production"},
            {"$.data.amount": {"$gte": 100}, "$or": [{"$.data.plan": {"$in": ["pro", "team"]}}]},
        ],
    )
    enabled: bool | None = None
    headers: dict[str, str] | None = Field(default=None, examples=[{"x-wpvip-webhook": "v1"}])
    timeout_ms: int | None = Field(default=None, ge=1, le=30000)
    transform: str | None = Field(
        default=None,
        max_length=4096,
        description="JMESPath over the envelope; its result becomes the body",
        examples=["merge(data, {event: type})"],
    )
    content_type: ContentType | None = None
    rate_limit: int | None = Field(default=None, ge=1)
    ordered: bool | None = None
    version: VersionName | None = Field(
        default=None,
        description="payload version (of the event types' `versions`) this endpoint gets; "
        "absent = always the current one",
        examples=["v0"],
    )
    max_in_flight: int | None = Field(
        default=None,
        ge=1,
        le=MAX_IN_FLIGHT,
        description=f"most deliveries in flight to it at once (default {DEFAULT_MAX_IN_FLIGHT}; "
        "an ordered endpoint always 1)",
        examples=[16],
    )

    _headers = field_validator("headers")(_check_headers)
    _filter = field_validator("filter")(check_filter_field)
    _transform = field_validator("transform")(_check_transform)


class EndpointIn(EndpointFields):
    url: str = Field(max_length=2048, examples=["https://example.com/hooks"])
    secret: str | None = Field(default=None, description="whsec_ + base64 of 24-64 bytes")
    ping: Annotated[bool, null_as(lambda: True)] = True

    _secret = field_validator("secret")(_check_secret)


class EndpointPatch(EndpointFields):
    pass


class RotateIn(Strict):
    secret: str | None = None

    _secret = field_validator("secret")(_check_secret)


class MessageIn(Strict):
    event_type: EventTypeName = Field(examples=["invoice.paid"])
    payload: dict[str, Any] = Field(examples=[{"invoice_id": "inv_1", "amount": 4200}])
    id: Uid | None = Field(
        default=None, description="Your event id; a repeat within 24 h is refused with 409"
    )
    channels: Annotated[list[Channel], null_as(list)] = Field(default_factory=list)


class BatchIn(Strict):
    messages: list[MessageIn] = Field(min_length=1, max_length=1000)


MAX_VERSIONS = 32


class VersionIn(Strict):
    """One payload version of an event type."""

    name: VersionName = Field(examples=["v0"])
    transform: str | None = Field(
        default=None,
        max_length=4096,
        description="JMESPath over the envelope shaping this version's body (none: the envelope)",
        examples=["merge(data, {event: type})"],
    )

    _transform = field_validator("transform")(_check_transform)


def _check_versions(versions: list[VersionIn] | None) -> list[VersionIn] | None:
    if versions is not None:
        names = [version.name for version in versions]
        if len(set(names)) != len(names):
            raise ValueError("version names must be unique")
    return versions


def _check_version_header(name: str | None) -> str | None:
    if name is not None:
        if _HEADER_NAME.fullmatch(name) is None:
            raise ValueError(f"{name!r} is not a valid header name")
        if name.lower() in RESERVED_HEADERS:
            raise ValueError(f"{name} is a header hookbus sets itself")
    return name


Versions = Annotated[list[VersionIn], Field(min_length=1, max_length=MAX_VERSIONS)]
VERSIONS_DOC = "payload versions, oldest first; the last is current"
VERSIONS_EXAMPLE = [{"name": "v0", "transform": "merge(data, {event: type})"}, {"name": "v1"}]


class EventTypeIn(Strict):
    name: EventTypeName = Field(examples=["invoice.paid"])
    description: Annotated[str, null_as(str)] = Field(
        default="", max_length=1024, examples=["An invoice was paid"]
    )
    # "schema" would shadow a BaseModel attribute: the field is aliased.
    json_schema: dict[str, Any] | None = Field(
        default=None,
        alias="schema",
        description="JSON Schema every payload of this type must follow (null: any object)",
        examples=[{"type": "object", "required": ["invoice_id"]}],
    )
    versions: Versions | None = Field(
        default=None, description=VERSIONS_DOC, examples=[VERSIONS_EXAMPLE]
    )
    version_header: str | None = Field(
        default=None,
        max_length=256,
        description="request header carrying the version's name on every delivery",
        examples=["x-wpvip-webhook"],
    )

    _versions = field_validator("versions")(_check_versions)
    _version_header = field_validator("version_header")(_check_version_header)


class EventTypePatch(Strict):
    description: str | None = Field(default=None, max_length=1024)
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    versions: Versions | None = Field(default=None, description=VERSIONS_DOC + "; null: none")
    version_header: str | None = Field(default=None, max_length=256)

    _versions = field_validator("versions")(_check_versions)
    _version_header = field_validator("version_header")(_check_version_header)
