"""Keyset pagination, newest first: SQL for one page, and opaque cursors for the API.

A page is ordered by a unique key such as ``(ts_ms, id)`` descending; the cursor is the key of
the last row shown, so the next page starts strictly below it whatever was written meanwhile
(an offset would skip or repeat rows as new ones arrive).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, NamedTuple

import orjson
from sqlalchemy import ColumnElement, Select, and_, or_

from shared.errors import Unprocessable
from shared.json_response import OrjsonResponse

Key = tuple[Any, ...]
DEFAULT_LIMIT = 50
MAX_LIMIT = 250


class Page(NamedTuple):
    """One page of API objects and the key of its last row when more rows follow."""

    data: list[dict[str, Any]]
    next_key: Key | None


def below(columns: Sequence[ColumnElement[Any]], key: Key) -> ColumnElement[bool]:
    """``columns < key`` compared as tuples, spelled portably (row values are not everywhere).

    The first column's ``<=`` is also stated alone: a database starts its index range there,
    where the ``OR`` form alone would make it read and skip every row of the earlier pages.
    """
    return and_(columns[0] <= key[0], _below(columns, key))


def _below(columns: Sequence[ColumnElement[Any]], key: Key) -> ColumnElement[bool]:
    first, rest = columns[0], columns[1:]
    lower: ColumnElement[bool] = first < key[0]
    if not rest:
        return lower
    return or_(lower, and_(first == key[0], _below(rest, key[1:])))


def newest_first(
    query: Select[Any], columns: Sequence[ColumnElement[Any]], limit: int, after: Key | None
) -> Select[Any]:
    """``query`` restricted to rows below ``after``, ordered by ``columns`` descending.

    Fetches one row more than ``limit`` so :func:`cut` can tell whether another page follows.
    """
    if after is not None:
        query = query.where(below(columns, after))
    return query.order_by(*(column.desc() for column in columns)).limit(limit + 1)


def cut(objects: list[dict[str, Any]], keys: list[Key], limit: int) -> Page:
    """The first ``limit`` objects, and the key of the last one if more were fetched."""
    more = len(objects) > limit
    return Page(objects[:limit], keys[limit - 1] if more else None)


def encode_cursor(key: Key | None) -> str | None:
    """The opaque cursor text for ``key`` (base64url of its JSON, unpadded)."""
    if key is None:
        return None
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).decode().rstrip("=")


def answer(page: Page) -> OrjsonResponse:
    """A list route's answer: ``{"data": [...], "next_cursor": str|null}``."""
    return OrjsonResponse({"data": page.data, "next_cursor": encode_cursor(page.next_key)})


def decode_cursor(text: str | None, shape: Sequence[type]) -> Key | None:
    """The key a cursor stands for; raise :class:`Unprocessable` when it is not one of ours."""
    if not text:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        values = orjson.loads(raw)
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
