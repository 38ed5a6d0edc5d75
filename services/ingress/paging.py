"""Cursor pagination over lists held in memory (the config view)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from shared.errors import Unprocessable


def encode_cursor(last_id: str) -> str:
    """An opaque cursor pointing after ``last_id``."""
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The id a cursor points after; raise :class:`Unprocessable` for a malformed cursor."""
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Unprocessable("invalid cursor", {"cursor": cursor}) from exc


def page(items: list[dict[str, Any]], limit: int, cursor: str | None) -> dict[str, Any]:
    """``{"data", "next_cursor"}`` for ``items`` sorted by ascending ``id``."""
    if cursor:
        after = decode_cursor(cursor)
        items = [item for item in items if item["id"] > after]
    data = items[:limit]
    more = len(items) > limit
    return {"data": data, "next_cursor": encode_cursor(data[-1]["id"]) if more else None}
