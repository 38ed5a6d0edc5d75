"""Cursor pagination over lists held in memory (the config view)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import orjson

from shared.errors import Unprocessable

# Every id and name of the configuration (``app_...``, an event type's name) has this shape.
_ID = re.compile(r"[A-Za-z0-9_.:-]+")


def encode_cursor(last_id: str) -> str:
    """An opaque cursor pointing after ``last_id``: base64url of ``["<id>"]``, as audit's
    cursors are base64url of a JSON list."""
    return base64.urlsafe_b64encode(orjson.dumps([last_id])).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The id a cursor points after; raise :class:`Unprocessable` for one we did not make."""
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise Unprocessable("invalid cursor", {"cursor": cursor}) from exc
    valid = (
        isinstance(values, list)
        and len(values) == 1
        and isinstance(values[0], str)
        and _ID.fullmatch(values[0]) is not None
    )
    if not valid:
        raise Unprocessable("invalid cursor", {"cursor": cursor})
    return str(values[0])


def page(items: list[dict[str, Any]], limit: int, cursor: str | None) -> dict[str, Any]:
    """``{"data", "next_cursor"}`` for ``items`` sorted by ascending ``id``; raise
    :class:`Unprocessable` for a malformed cursor."""
    if cursor:  # empty = first page, as audit's lists read it
        after = decode_cursor(cursor)
        items = [item for item in items if item["id"] > after]
    data = items[:limit]
    more = len(items) > limit
    return {"data": data, "next_cursor": encode_cursor(data[-1]["id"]) if more else None}
