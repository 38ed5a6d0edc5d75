"""``hookbus tail``: an app's live stream (messages and attempts) or the received log's."""

from __future__ import annotations

import click
import orjson

from services.cli_client.api import segment
from services.cli_client.lines import line
from services.cli_client.output import OUT, note
from services.cli_client.session import Session, json_option, pass_session
from services.cli_client.streams import events


@click.command()
@click.argument("app", required=False)
@click.option("--inbound", "received", is_flag=True, help="The received log's stream instead.")
@click.option("--source", help="With --inbound: only this source's requests.")
@json_option
@pass_session
def tail(session: Session, app: str | None, received: bool, source: str | None) -> None:
    """Print live events, one line each, until Ctrl-C.

    For an app: each new message and each delivery attempt. With --inbound: each received
    request. --json prints each event's JSON, one per line. A dropped connection is made
    again, missing nothing still in the log.

    \b
    Example:
      hookbus tail acme
      hookbus tail --inbound --source src_01JD3R...
    """
    if received == (app is not None):
        raise click.UsageError("give an APP, or --inbound (not both)")
    if source is not None and not received:
        raise click.UsageError("--source goes with --inbound")
    if received:
        path, what = "/v1/inbound/stream", "received requests"
        params = {"source_id": source} if source else None
    else:
        path, what = f"/v1/apps/{segment(str(app))}/stream", f"app {app}"
        params = None

    def connected(again: bool) -> None:
        note("reconnected" if again else f"tailing {what} at {session.url} (Ctrl-C to stop)")

    def dropped(why: str) -> None:
        note(f"stream dropped ({why}); reconnecting...", style="yellow")

    try:
        for event in events(session.api, path, params, connected, dropped):
            if session.as_json:
                print(orjson.dumps(event.data).decode(), flush=True)
            else:
                OUT.print(line(event.kind, event.data), soft_wrap=True)
    except KeyboardInterrupt:
        note("stopped")
