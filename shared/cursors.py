"""The list cursor every ``/v1`` list shares (ingress and audit), and the page-size limits.

A cursor is opaque to clients: the base64url (unpadded) of a JSON list, the key of the last item
shown, e.g. ``["app_..."]`` for a config list by id, ``[ts_ms, "msg_..."]`` for a log list.
The next page starts strictly after that key, whatever was written meanwhile.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

import orjson

from shared.errors import Unprocessable

DEFAULT_LIMIT = 50
"""A list's page size when ``limit`` is not given."""
MAX_LIMIT = 250
"""The largest ``limit`` a list accepts (a larger one is a 422)."""

Key = tuple[Any, ...]


def encode_cursor(key: Sequence[Any] | None) -> str | None:
    """The opaque cursor text for ``key`` (None for no key: the last page)."""
    if key is None:
        return None
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).decode().rstrip("=")


def decode_cursor(text: str | None, shape: Sequence[type]) -> Key | None:
    """The key a cursor stands for (None for no or empty cursor: the first page); raise
    :class:`Unprocessable` when it is not one of ours, i.e. not a list of ``shape``'s types."""
    if not text:
        return None
    try:
        values = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise Unprocessable("invalid cursor", {"cursor": text}) from exc
    valid = (
        isinstance(values, list)
        and len(values) == len(shape)
        and all(type(v) is kind for v, kind in zip(values, shape, strict=False))
    )
    if not valid:
        raise Unprocessable("invalid cursor", {"cursor": text})
    return tuple(values)
