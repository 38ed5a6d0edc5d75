"""Keyset pagination, newest first: SQL for one page, and its answer with the shared cursor
(:mod:`shared.cursors`).

A page is ordered by a unique key such as ``(ts_ms, id)`` descending; the cursor is the key of
the last row shown, so the next page starts strictly below it whatever was written meanwhile
(an offset would skip or repeat rows as new ones arrive).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, or_

from shared.cursors import Key, encode_cursor
from shared.json_response import OrjsonResponse

__all__ = ["Key", "Page", "answer", "below", "cut", "newest_first"]


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


def answer(page: Page) -> OrjsonResponse:
    """A list route's answer: ``{"data": [...], "next_cursor": str|null}``."""
    return OrjsonResponse({"data": page.data, "next_cursor": encode_cursor(page.next_key)})
