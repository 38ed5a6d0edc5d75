"""One exception hierarchy for hookbus.

HookbusError
├── Retryable            transient: try again later (Kafka down, receiver timeout)
│   └── KafkaUnavailable the broker did not acknowledge: nothing was accepted (HTTP 503)
├── BadRecord            a Kafka record that can never be processed: dead-letter it
├── TopicLayoutError     the broker's topics break what hookbus relies on: refuse to start
└── ApiError             a refusal to show to an HTTP caller, with status and code
    ├── BadRequest (400)  Unauthorized (401)  Forbidden (403)  NotFound (404)
    ├── Conflict (409)    PayloadTooLarge (413)  UnsupportedMediaType (415)
    └── Unprocessable (422)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class HookbusError(Exception):
    """Root of every error hookbus raises on purpose."""


class Retryable(HookbusError):
    """A transient failure: the same operation may succeed later."""


class KafkaUnavailable(Retryable):
    """Kafka did not acknowledge a write in time; nothing was accepted."""


class BadRecord(HookbusError):
    """A record that will never be processable (bad JSON, fails its contract)."""

    def __init__(self, reason: str, raw: bytes | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.raw = raw


class TopicLayoutError(HookbusError):
    """Topics on the broker are laid out in a way hookbus cannot work with (see the message)."""


class ApiError(HookbusError):
    """An error answered to an HTTP caller as ``{"error": {code, message, details}}``."""

    status = 400
    code = "bad_request"
    # Headers the answer carries beside the body (a 401's WWW-Authenticate).
    headers: Mapping[str, str] = {}

    def __init__(self, message: str, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code

    def body(self) -> dict[str, Any]:
        """The JSON error body."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"
    headers = {"WWW-Authenticate": "Bearer"}  # RFC 6750: the scheme the caller must use


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class Unprocessable(ApiError):
    status, code = 422, "validation_error"
