"""A source's ``dedupe``: the key that makes a repeated delivery of one provider event a
duplicate, and what the ingress puts in the request's record for the router to judge.

``{"header": "X-GitHub-Delivery"}`` or ``{"jsonpath": "$.id"}``, with ``window`` (a duration,
default ``24h``, at most ``HOOKBUS_DEDUPE_WINDOW``: the router's window changelog keeps claims
that long). The router's duplicate window (the one outbound message ids use) holds the claims,
keyed by source id and key value, on the events partition that owns the source, so several
ingress copies and restarts of any service agree. A request without the key is not deduped.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from pydantic import Field, field_validator, model_validator

from services.ingress.api.models import Strict
from services.ingress.inbound.models import HEADER_NAME
from shared.errors import Unprocessable
from shared.inbound import document, find
from shared.predicates import compile_path
from shared.setting_values import SettingsError, parse_duration

DEFAULT_WINDOW = "24h"
# Longer key values are replaced by their hash, so a claim stays small.
MAX_KEY_CHARS = 200


class DedupeIn(Strict):
    """Which part of a request identifies a provider's delivery, and for how long."""

    header: str | None = Field(
        default=None, pattern=f"^{HEADER_NAME.pattern}$", examples=["X-GitHub-Delivery"]
    )
    jsonpath: str | None = Field(default=None, max_length=1024, examples=["$.id"])
    window: str = Field(default=DEFAULT_WINDOW, max_length=32, examples=["24h"])

    @field_validator("jsonpath")
    @classmethod
    def _path(cls, path: str | None) -> str | None:
        if path is not None:
            compile_path(path)
        return path

    @field_validator("window")
    @classmethod
    def _window(cls, window: str) -> str:
        try:
            seconds = parse_duration(window)
        except SettingsError as exc:
            raise ValueError(str(exc)) from None
        if seconds < 1:
            raise ValueError("must be at least 1s")
        return window

    @model_validator(mode="after")
    def _one_key(self) -> DedupeIn:
        if (self.header is None) == (self.jsonpath is None):
            raise ValueError('give one of "header" or "jsonpath"')
        return self


def check_window(source: dict[str, Any], longest: float) -> None:
    """Refuse (422 naming ``dedupe.window``) a window longer than the router keeps claims."""
    dedupe = source.get("dedupe")
    if dedupe and parse_duration(dedupe.get("window") or DEFAULT_WINDOW) > longest:
        message = f"must be at most {longest:g}s (HOOKBUS_DEDUPE_WINDOW)"
        details = [{"path": "dedupe.window", "msg": message}]
        raise Unprocessable(f"dedupe.window: {message}", details)


def stored(dedupe: dict[str, Any] | None) -> dict[str, Any] | None:
    """``dedupe`` as kept on the source: its one key and its window."""
    if dedupe is None:
        return None
    return {name: value for name, value in dedupe.items() if value is not None}


def dedupe_field(
    source: dict[str, Any], headers: dict[str, str], body: bytes
) -> dict[str, Any] | None:
    """The record's ``dedupe`` (``{key, window_s}``) for a request to ``source``, or None when
    the source does not dedupe or the request lacks the key."""
    dedupe = source.get("dedupe")
    if not dedupe:
        return None
    value: Any = None
    if dedupe.get("header"):
        value = headers.get(dedupe["header"].lower(), "").strip() or None
    elif dedupe.get("jsonpath"):
        found = find(dedupe["jsonpath"], document(body, headers.get("content-type")))
        value = found[0] if found else None
    if value is None or value == "":
        return None
    key = value if isinstance(value, str) else orjson.dumps(value).decode()
    if len(key) > MAX_KEY_CHARS:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return {"key": key, "window_s": parse_duration(dedupe.get("window") or DEFAULT_WINDOW)}
