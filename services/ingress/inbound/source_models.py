"""Request bodies of ``/v1/sources``, validated before anything is written.

Verification fields (``provider``, ``secret``, ``verification``) are checked by the
verification library itself, on the whole source as it would be stored.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from services.ingress.api.models import Strict
from services.ingress.inbound.dedupe import DedupeIn
from services.ingress.inbound.models import Name, Priority, check_jsonpaths
from services.ingress.inbound.verification import Provider

# Other spellings of the predicate groups, accepted on input and stored canonically.
_MATCH_GROUPS = {"header": "headers", "jsonpath": "body", "json": "body"}


def _canonical_match(given: Any) -> Any:
    """``match`` in its stored shape ``{headers, query, body}``.

    Besides that shape, a flat object is read as the handbook's "header/JSONPath predicates":
    a key starting with ``$`` is a JSONPath on the body, any other key with a text value a
    header name; ``header``, ``jsonpath`` and ``json`` are read as ``headers`` and ``body``.
    """
    if not isinstance(given, dict):
        return given
    groups: dict[str, Any] = {}
    for name, value in given.items():
        group = _MATCH_GROUPS.get(name, name)
        if group in ("headers", "query", "body") and (value is None or isinstance(value, dict)):
            if value is not None:
                groups[group] = {**groups.get(group, {}), **value}
        elif name.startswith("$"):
            groups.setdefault("body", {})[name] = value
        elif isinstance(value, str):
            groups.setdefault("headers", {})[name] = value
        else:
            groups[name] = value  # refused below as an unknown field
    return groups


class MatchIn(Strict):
    """When the shared ``/hooks`` URL picks a source: every predicate given must hold."""

    _canonical = model_validator(mode="before")(_canonical_match)

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
    content_type: str | None = Field(
        default=None,
        max_length=256,
        # A media type (RFC 6838 names) with optional parameters, printable ASCII only: it
        # becomes a header of the answer, so a line break or a non-latin-1 character would
        # break that answer after the request was accepted.
        pattern=r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*"
        r"( *;[ -~]*)?$",
        examples=["application/xml"],
    )


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
    verify_token: str | None = Field(
        default=None,
        max_length=4096,
        description="meta: the verify token of the hub.challenge handshake (the same as "
        "verification.verify_token)",
    )
    verification_key: str | None = Field(
        default=None,
        max_length=4096,
        description="sendgrid: the Event Webhook's verification key as SendGrid shows it (base64 "
        "ECDSA P-256 public key; stored as verification.verification_key)",
    )
    enabled: bool | None = Field(
        default=None,
        description="false: the source answers 404 and routes nothing (default true)",
    )
    dedupe: DedupeIn | None = Field(
        default=None,
        description="a repeat of the same header or JSONPath value within window answers 200 "
        '{"id": <first>, "duplicate": true} and routes nothing',
        examples=[{"header": "X-GitHub-Delivery", "window": "24h"}],
    )


class SourceIn(SourceFields):
    name: Name = Field(examples=["GitHub org"])
    provider: Provider = Field(examples=["github"])


class SourcePatch(SourceFields):
    pass
