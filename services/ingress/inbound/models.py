"""Request bodies of ``/v1/sources`` and ``/v1/routes``, validated before anything is written.

Verification fields (``provider``, ``secret``, ``verification``) are checked by the
verification library itself, on the whole source as it would be stored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator

from services.ingress.inbound.verification import Provider
from services.ingress.models import EventTypeName, Strict
from shared.predicates import check_paths, compile_path

Name = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Priority = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]
# Kafka's own rule for topic names.
TopicName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9._-]{1,249}$")]
# What a forwarded request's framing owns: a route may not set these.
FRAMING_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


def check_jsonpaths(predicates: dict[str, Any] | None) -> dict[str, Any] | None:
    """Every key must be an RFC 9535 JSONPath; raise ``ValueError`` naming the bad ones."""
    problems = check_paths(predicates or {})
    if problems:
        raise ValueError("; ".join(f"invalid JSONPath {p.path!r}: {p.reason}" for p in problems))
    return predicates


class MatchIn(Strict):
    """When the shared ``/hooks`` URL picks a source: every predicate given must hold."""

    headers: dict[str, str] | None = Field(
        default=None,
        description="header name → value glob (`*` = present with any value)",
        examples=[{"X-GitHub-Event": "*"}],
    )
    query: dict[str, str] | None = Field(
        default=None, description="query parameter → value glob", examples=[{"hub.mode": "*"}]
    )
    body: dict[str, Any] | None = Field(
        default=None,
        description="JSONPath → value on the JSON (or form) body",
        examples=[{"$.type": "url_verification"}],
    )

    _paths = field_validator("body")(check_jsonpaths)


class ResponseIn(Strict):
    """The answer to an accepted request, instead of ``202 {"id": ...}``."""

    status: int = Field(default=200, ge=200, le=299)
    body: Any = Field(default=None, description="text as is; any other JSON value encoded")
    content_type: str | None = Field(default=None, max_length=256)


class SourceFields(Strict):
    """What a source create or patch may set (``name`` and ``provider`` required on create)."""

    name: Name | None = None
    provider: Provider | None = None
    secret: str | None = Field(default=None, max_length=4096)
    verification: dict[str, Any] | None = None
    priority: Priority | None = None
    match: MatchIn | None = None
    response: ResponseIn | None = None
    challenge_required: bool | None = Field(
        default=None,
        description="slack, meta, twitter: false accepts verified requests before a challenge",
    )


class SourceIn(SourceFields):
    name: Name = Field(examples=["GitHub org"])
    provider: Provider = Field(examples=["github"])


class SourcePatch(SourceFields):
    pass


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


class AppDestination(Strict):
    type: Literal["app"]
    app_id: str = Field(min_length=1, max_length=256, description="app id or uid")
    event_type: EventTypeName = Field(examples=["github.push"])


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
    destination: Destination | None = None

    _paths = field_validator("matches")(check_jsonpaths)


class RouteIn(RouteFields):
    name: Name = Field(examples=["pull requests to CI"])
    destination: Destination


class RoutePatch(RouteFields):
    pass
