"""What the commands print: aligned tables and key/value views for people, the API's JSON as
it came for scripts (``--json``), and notes on stderr that never mix with either."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

# Wide enough that a piped table keeps its ids whole; a terminal uses its own width.
PIPE_WIDTH = 200


def console(stderr: bool = False) -> Console:
    """A console on stdout (or stderr); colour only on a terminal, never with NO_COLOR."""
    out = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not out.is_terminal:
        out.width = max(out.width, PIPE_WIDTH)
    return out


OUT = console()
ERR = console(stderr=True)


def emit(renderable: RenderableType) -> None:
    """Print a table or grid on stdout; piped, without the padding that ends its lines."""
    if OUT.is_terminal:
        OUT.print(renderable)
        return
    with OUT.capture() as captured:
        OUT.print(renderable)
    lines = captured.get().splitlines()
    print("\n".join(line.rstrip() for line in lines), flush=True)


@dataclass(frozen=True)
class Column:
    """One table column: its header, the dotted field it shows (or a function of the row), and
    its widest width (None: never cut, for ids)."""

    header: str
    field: str | Callable[[Any], Any]
    width: int | None = 40


def field(row: Any, path: str | Callable[[Any], Any]) -> Any:
    """``row["a"]["b"]`` for ``"a.b"`` (None when any step is missing), or ``path(row)``."""
    if callable(path):
        return path(row)
    for key in path.split("."):
        if not isinstance(row, dict):
            return None
        row = row.get(key)
    return row


def cell(value: Any) -> str:
    """A value as one table cell: ``-`` for nothing, lists joined, objects as compact JSON."""
    if value is None or value == "" or value == [] or value == {}:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def table(rows: Sequence[Any], columns: Sequence[Column]) -> Table:
    """An aligned table of ``rows``; long values end in an ellipsis, ids are never cut."""
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for column in columns:
        whole = column.width is None
        widest = max((len(cell(field(r, column.field))) for r in rows), default=0)
        grid.add_column(
            column.header,
            no_wrap=True,
            overflow="ellipsis",
            max_width=column.width,
            min_width=max(widest, len(column.header)) if whole else None,
        )
    for row in rows:
        grid.add_row(*(Text(cell(field(row, c.field))) for c in columns))
    return grid


def print_json(value: Any) -> None:
    """``value`` as indented JSON on stdout."""
    print(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode(), flush=True)


def print_pages(
    pages: Iterable[dict[str, Any]], columns: Sequence[Column], as_json: bool, every: bool
) -> None:
    """A list: one page (or all of them, with ``every``) as a table, or as the API's JSON.

    With ``every`` and ``--json`` the pages' rows come as one ``{data, next_cursor: null}``.
    """
    rows: list[Any] = []
    last: dict[str, Any] = {}
    for page in pages:
        if as_json and not every:
            print_json(page)
            return
        rows.extend(page.get("data", []))
        last = page
    if as_json:
        print_json({"data": rows, "next_cursor": None})
        return
    if rows:
        emit(table(rows, columns))
    else:
        OUT.print("(none)")
    if last.get("next_cursor"):
        ERR.print(f"more: --cursor {last['next_cursor']} (or --all)", style="dim")


def detail(value: Any) -> str:
    """A field's value in a key/value view: strings as they are, structures as JSON."""
    if isinstance(value, dict | list):
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    return cell(value)


def print_object(obj: Any, as_json: bool) -> None:
    """One object: key/value lines for people, or the API's JSON."""
    if as_json or not isinstance(obj, dict):
        print_json(obj)
        return
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for key, value in obj.items():
        grid.add_row(key, Text(detail(value)))
    emit(grid)


def note(text: str, style: str = "dim") -> None:
    """A line for people on stderr (so stdout stays data)."""
    ERR.print(text, style=style, markup=False, soft_wrap=True)
