"""What the ingress, router and audit share about received (inbound) requests.

- The body travels byte for byte: as text when it is valid UTF-8, else base64.
- Sources' ``match`` and routes' ``matches`` test JSONPath → value or operator object, with
  ``$and``/``$or`` (:mod:`shared.predicates`)
  on the body's *document*: the parsed JSON body, or for a form-encoded body the form as an
  object (a field sent once is a string, a repeated one a list of strings). A body that parses
  as neither has no document, and no JSONPath predicate holds on it; nor does an invalid path.
- Records with a ``kind`` share the events and attempts topics with kind-less outbound records.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qsl

import orjson

from shared import predicates
from shared.predicates import PathError
from shared.predicates import compile_path as compile_path  # validates source and route paths

UTF8, BASE64 = "utf8", "base64"
FORM = "application/x-www-form-urlencoded"


class _Nothing:
    """The document of a body that is neither JSON nor a form."""

    def __repr__(self) -> str:
        return "NO_DOCUMENT"


NO_DOCUMENT: Final = _Nothing()


def encode_body(body: bytes) -> tuple[str, str]:
    """``(text, encoding)``: the body as UTF-8 text when it is valid UTF-8, else base64."""
    try:
        return body.decode("utf-8"), UTF8
    except UnicodeDecodeError:
        return base64.b64encode(body).decode(), BASE64


def decode_body(text: str, encoding: str) -> bytes:
    """The body bytes back from :func:`encode_body`'s output; raise ``ValueError`` if garbled."""
    if encoding == BASE64:
        try:
            return base64.b64decode(text, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"body is not base64: {exc}") from exc
    return text.encode("utf-8", "surrogatepass")


def media_type(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` → ``application/json``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def document(body: bytes, content_type: str | None) -> Any:
    """What JSONPath predicates see: the form as an object, the JSON value, or NO_DOCUMENT.

    A form body is one sent as ``application/x-www-form-urlencoded``; any other content type
    (including none or ``text/plain``, as some providers send JSON) is tried as JSON.
    """
    if media_type(content_type) == FORM:
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            return NO_DOCUMENT
        form: dict[str, Any] = {}
        for name, value in pairs:
            held = form.get(name)
            if held is None:
                form[name] = value
            elif isinstance(held, list):
                held.append(value)
            else:
                form[name] = [held, value]
        return form
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return NO_DOCUMENT


def find(expression: str, doc: Any) -> list[Any]:
    """The values the JSONPath selects in ``doc``; none for a missing document, or for an
    expression that is invalid or fails on it (a predicate or a key never breaks routing)."""
    if doc is NO_DOCUMENT:
        return []
    try:
        return predicates.find(expression, doc)
    except PathError:
        return []


def holds(expression: str, expected: Any, doc: Any) -> bool:
    """True when ``expected`` (a value, JSON equality, or an operator object) holds for what
    the JSONPath finds in ``doc``.

    Never raises: a malformed expression (refused when the configuration was written) or a
    missing document holds nothing.
    """
    return predicates.value_holds(expected, find(expression, doc))


def all_hold(matches: Mapping[str, Any] | None, doc: Any) -> bool:
    """True when every ``JSONPath → value`` (or operator object, or ``$and``/``$or``) of
    ``matches`` holds; empty or None always holds. Never raises, as :func:`find`."""
    return predicates.filter_holds(matches, doc, find)


def record_kind(raw: bytes | None) -> str | None:
    """The top-level ``kind`` of a JSON record, or None (outbound records have none).

    Cheap for the kind-less records of the hot path: only a value mentioning ``"kind"`` is
    parsed; one that is not JSON is left to its default contract to refuse.
    """
    if raw is None or b'"kind"' not in raw:
        return None
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    kind = record.get("kind") if isinstance(record, dict) else None
    return kind if isinstance(kind, str) else None
