"""Cursor pagination over lists held in memory (the config view), with the cursor every
``/v1`` list shares (:mod:`shared.cursors`): base64url of ``["<last id>"]``."""

from __future__ import annotations

import re
from typing import Any

from shared.cursors import decode_cursor, encode_cursor
from shared.errors import Unprocessable

# Every id and name of the configuration (``app_...``, an event type's name) has this shape.
_ID = re.compile(r"[A-Za-z0-9_.:-]+")


def page(items: list[dict[str, Any]], limit: int, cursor: str | None) -> dict[str, Any]:
    """``{"data", "next_cursor"}`` for ``items`` sorted by ascending ``id``; raise
    :class:`Unprocessable` for a malformed cursor."""
    key = decode_cursor(cursor, (str,))  # empty = first page, as audit's lists read it
    if key is not None:
        after = str(key[0])
        if _ID.fullmatch(after) is None:
            raise Unprocessable("invalid cursor", {"cursor": cursor})
        items = [item for item in items if item["id"] > after]
    data = items[:limit]
    more = len(items) > limit
    return {"data": data, "next_cursor": encode_cursor([data[-1]["id"]]) if more else None}
