"""Reading what the user gives on the command line: JSON from an argument, a file (``@path``)
or stdin (``-``), and moments in time (ISO 8601, or ``30m``/``2h``/``7d`` ago)."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import orjson

TIME_HELP = "ISO 8601, or a duration ago: 30m, 2h, 7d."
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
AGO = re.compile(r"^(\d+)([smhdw])$")


def read_text(source: str) -> str:
    """``source`` itself, the file after ``@``, or stdin for ``-``."""
    if source == "-":
        return sys.stdin.read()
    if source.startswith("@"):
        try:
            return Path(source[1:]).read_text()
        except OSError as exc:
            raise click.BadParameter(f"cannot read {source[1:]}: {exc.strerror}") from exc
    return source


def read_json(source: str, what: str = "--data") -> Any:
    """The JSON value ``source`` holds (see :func:`read_text`); a usage error when it is not."""
    text = read_text(source)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise click.BadParameter(f"{what} is not valid JSON: {exc}") from exc


def read_object(source: str | None, what: str = "--data") -> dict[str, Any]:
    """A JSON object from ``source`` (empty when None)."""
    if source is None:
        return {}
    value = read_json(source, what)
    if not isinstance(value, dict):
        raise click.BadParameter(f"{what} must be a JSON object")
    return value


def body(data: str | None, **fields: Any) -> dict[str, Any]:
    """``--data``'s object with each given option set over it (options left out stay out)."""
    merged = read_object(data)
    merged.update({k: v for k, v in fields.items() if v is not None})
    return merged


def moment(text: str, now: datetime | None = None) -> str:
    """An ISO 8601 UTC timestamp for ``text``: ``2h`` is two hours ago; ISO passes through
    (a time without zone is taken as UTC)."""
    now = now or datetime.now(UTC)
    ago = AGO.match(text.strip())
    if ago:
        when = now - timedelta(**{UNITS[ago.group(2)]: int(ago.group(1))})
    else:
        try:
            when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise click.BadParameter(
                f"{text!r} is neither ISO 8601 nor a duration ago like 30m, 2h, 7d"
            ) from exc
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def when(text: str | None) -> str | None:
    """:func:`moment` of an optional option."""
    return None if text is None else moment(text)
