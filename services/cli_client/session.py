"""What every command is given: where hookbus is, the token, and whether to print JSON; and
the option decorators the commands share (``--json``, paging)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from services.cli_client.api import DEFAULT_URL, Api
from services.cli_client.output import Column, print_object, print_pages

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Session:
    """The global options, and the API client made from them on first use."""

    url: str = DEFAULT_URL
    token: str | None = None
    as_json: bool = False
    _api: Api | None = field(default=None, repr=False)

    @property
    def api(self) -> Api:
        """The client for ``url`` with ``token`` (made once)."""
        if self._api is None:
            self._api = Api(self.url, self.token)
        return self._api

    def close(self) -> None:
        """Close the API client, if one was made."""
        if self._api is not None:
            self._api.close()

    def show(self, method: str, path: str, body: Any = None) -> Any:
        """Call the API and print the object it answers; return it."""
        answer = self.api.call(method, path, body=body)
        print_object(answer, self.as_json)
        return answer

    def listing(
        self,
        path: str,
        columns: list[Column],
        params: dict[str, Any] | None = None,
        *,
        limit: int | None,
        cursor: str | None,
        every: bool,
    ) -> None:
        """Print a list: a page (or every page) as a table, or as JSON."""
        pages = self.api.pages(path, params or {}, limit, cursor, every)
        print_pages(pages, columns, self.as_json, every)

    def delete(self, path: str, what: str) -> None:
        """Delete ``path``; tell people what went (scripts get the exit code only)."""
        self.api.call("DELETE", path)
        if not self.as_json:
            print(f"deleted {what}", flush=True)


pass_session = click.make_pass_decorator(Session)
JSON_VALUE = "A JSON object, @file or -."
DATA = click.option("--data", help="The whole body as JSON, @file or - (stdin); options win.")


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(Session).as_json = True


def json_option(command: F) -> F:
    """``--json`` on a command too, so it may come after the command's name."""
    option = click.option(
        "--json",
        is_flag=True,
        expose_value=False,
        callback=_set_json,
        help="Print the API's JSON instead of a table.",
    )
    return option(command)


def paging(command: F) -> F:
    """``--limit``, ``--cursor`` and ``--all`` on a list command (and ``--json``)."""
    options = [
        click.option(
            "--limit",
            type=click.IntRange(1, 250),
            default=None,
            help="Rows per page (the API's default is 50, at most 250).",
        ),
        click.option("--cursor", default=None, help="Start at this page (a next_cursor)."),
        click.option("--all", "every", is_flag=True, help="Follow next_cursor to the last page."),
        json_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command
