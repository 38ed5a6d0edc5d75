"""Parameters the audit routes share: a list's ``limit`` and cursor shape, and timestamps given
as ISO 8601 text (``after``/``before`` bounds, a recovery's ``since``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from services.audit.rows import epoch_ms
from shared.cursors import MAX_LIMIT
from shared.errors import Unprocessable

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
TIME_KEY = (int, str)  # the cursor of a list ordered by (ts_ms, id)


def moment(name: str, text: str) -> int:
    """The parameter ``name`` as milliseconds since the epoch; raise :class:`Unprocessable`
    when it is not an ISO 8601 timestamp."""
    try:
        return epoch_ms(text)
    except ValueError as exc:
        raise Unprocessable(f"{name} must be an ISO 8601 timestamp", {name: text}) from exc


def bound(name: str, text: str | None) -> int | None:
    """An optional time bound: None when absent, else as :func:`moment`."""
    return None if text is None else moment(name, text)
