"""The ``hookbus`` client commands as one click group, and how they end: exit 0 when all went
well, 1 when hookbus refused (its error code and message printed), 2 on bad usage, 3 when
hookbus could not be reached (the URL named)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import click
import orjson

from services.cli_client.api import DEFAULT_URL, ApiRefused, CliError
from services.cli_client.apps import apps, event_types
from services.cli_client.dead_letters import dead_letters
from services.cli_client.endpoints import endpoints
from services.cli_client.listen import listen
from services.cli_client.messages import attempts, messages, send
from services.cli_client.output import ERR
from services.cli_client.received import inbound
from services.cli_client.routes import routes
from services.cli_client.session import Session
from services.cli_client.sources import sources
from services.cli_client.tail import tail
from services.cli_client.tasks import replay, tasks

OK, REFUSED, USAGE, UNREACHABLE, INTERRUPTED = 0, 1, 2, 3, 130
DETAILS_SHOWN = 500  # characters of an error's details: enough for a validation path
PROCESS_COMMANDS = {
    "run": "Start the broker (unless HOOKBUS_KAFKA_BOOTSTRAP) and all four services.",
    "kafka": "Run the local single-node KRaft broker only.",
    "serve": "Run one service: ingress, router, dispatcher or audit.",
}


def default_token() -> str | None:
    """``HOOKBUS_TOKEN``, else ``HOOKBUS_ADMIN_TOKEN``."""
    return os.environ.get("HOOKBUS_TOKEN") or os.environ.get("HOOKBUS_ADMIN_TOKEN") or None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--url",
    envvar="HOOKBUS_URL",
    default=DEFAULT_URL,
    show_default=True,
    help="hookbus's base URL [env HOOKBUS_URL].",
)
@click.option(
    "--token",
    default=default_token,
    show_default="HOOKBUS_TOKEN, else HOOKBUS_ADMIN_TOKEN",
    help="The admin token or a portal token.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON instead of tables.")
@click.pass_context
def hookbus(ctx: click.Context, url: str, token: str | None, as_json: bool) -> None:
    """hookbus: run a webhook platform, or drive a running one through its API.

    \b
    Example:
      export HOOKBUS_URL=http://127.0.0.1:8080 HOOKBUS_TOKEN=dev-token
      hookbus apps create "Acme Corp" --uid acme
      hookbus endpoints create acme https://example.com/hooks
      hookbus send acme invoice.paid --data '{"amount": 1200}'
      hookbus tail acme

    Exit codes: 0 ok, 1 hookbus refused (its error is printed), 2 bad usage, 3 hookbus
    unreachable.
    """
    session = ctx.ensure_object(Session)
    session.url, session.token = url, token
    session.as_json = session.as_json or as_json
    ctx.call_on_close(session.close)


def process_command(name: str) -> click.Command:
    """A help entry for ``run``/``kafka``/``serve``, which ``services.cli`` runs itself; reached
    here only when global options came before it."""

    @click.pass_context
    def delegate(ctx: click.Context, args: tuple[str, ...]) -> int:
        from services.processes import main as process_main

        return process_main([name, *args])

    return click.Command(
        name,
        callback=delegate,
        help=PROCESS_COMMANDS[name],
        params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
        context_settings={"ignore_unknown_options": True, "help_option_names": []},
        add_help_option=False,
    )


for command in (
    apps,
    endpoints,
    event_types,
    sources,
    routes,
    send,
    messages,
    attempts,
    inbound,
    dead_letters,
    replay,
    tasks,
    tail,
    listen,
):
    hookbus.add_command(command)
for name in PROCESS_COMMANDS:
    hookbus.add_command(process_command(name))


def fail(error: CliError) -> int:
    """Print ``error`` on stderr; its exit code."""
    ERR.print(f"error: {error}", style="red", markup=False)
    if isinstance(error, ApiRefused) and error.details not in (None, {}, []):
        details = orjson.dumps(error.details).decode()
        ERR.print(f"details: {details[:DETAILS_SHOWN]}", style="dim", markup=False)
    if isinstance(error, ApiRefused) and error.status == 401:
        ERR.print("hint: pass --token or set HOOKBUS_TOKEN", style="dim")
    return error.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """Run one client command; its exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result: Any = hookbus.main(args, prog_name="hookbus", standalone_mode=False)
    except CliError as error:
        return fail(error)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except (click.Abort, KeyboardInterrupt):
        return INTERRUPTED
    return result if isinstance(result, int) else OK
