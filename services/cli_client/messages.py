"""``hookbus send`` publishes a message; ``hookbus messages`` and ``hookbus attempts`` read
the deliveries log."""

from __future__ import annotations

from typing import Any

import click

from services.cli_client.api import segment
from services.cli_client.output import Column, print_json
from services.cli_client.payloads import TIME_HELP, read_json, when
from services.cli_client.session import Session, json_option, paging, pass_session

MESSAGE_COLUMNS = [
    Column("ID", "id", None),
    Column("EVENT TYPE", "event_type", 40),
    Column("CHANNELS", "channels", 20),
    Column("TIMESTAMP", "timestamp", None),
]
ATTEMPT_COLUMNS = [
    Column("ID", "id", None),
    Column("MESSAGE", "message_id", None),
    Column("ENDPOINT", "endpoint_id", None),
    Column("#", "attempt", 3),
    Column("OUTCOME", "outcome", 10),
    Column("STATUS", "response.status", 6),
    Column("MS", "duration_ms", 6),
    Column("TIMESTAMP", "timestamp", None),
    Column("ERROR", "error", 30),
]


@click.command()
@click.argument("app")
@click.argument("event_type")
@click.option(
    "--data", default="{}", show_default=True, help="The payload: JSON, @file or - (stdin)."
)
@click.option("--id", "event_id", help="Your event id (a repeat within 24 h is refused).")
@click.option("--channel", "channels", multiple=True, help="A channel (repeatable).")
@json_option
@pass_session
def send(
    session: Session, app: str, event_type: str, data: str, event_id: str | None, channels: Any
) -> None:
    """Publish a message to an app; its endpoints get it.

    \b
    Example:
      hookbus send acme invoice.paid --data '{"invoice_id": "in_42", "amount": 1200}'
      echo '{"amount": 5}' | hookbus send acme invoice.paid --data -
      hookbus send acme invoice.paid --data @invoice.json
    """
    payload = read_json(data)
    if not isinstance(payload, dict):
        raise click.BadParameter("the payload must be a JSON object", param_hint="--data")
    message: dict[str, Any] = {"event_type": event_type, "payload": payload}
    if event_id is not None:
        message["id"] = event_id
    if channels:
        message["channels"] = list(channels)
    answer = session.api.call("POST", f"/v1/apps/{segment(app)}/messages", body=message)
    if session.as_json:
        print_json(answer)
    else:
        print(f"sent {answer['id']} ({event_type}) to {app}", flush=True)


@click.group()
def messages() -> None:
    """The message log of an app.

    \b
    Example:
      hookbus messages list acme --event-type invoice.paid --after 1h
    """


@messages.command("list")
@click.argument("app")
@click.option("--event-type", help="Only this event type.")
@click.option("--channel", help="Only this channel.")
@click.option("--after", help=TIME_HELP)
@click.option("--before", help=TIME_HELP)
@paging
@pass_session
def list_messages(
    session: Session,
    app: str,
    event_type: str | None,
    channel: str | None,
    after: str | None,
    before: str | None,
    limit: int | None,
    cursor: str | None,
    every: bool,
) -> None:
    """List an app's messages, newest first.

    \b
    Example:
      hookbus messages list acme --limit 10
    """
    params = {
        "event_type": event_type,
        "channel": channel,
        "after": when(after),
        "before": when(before),
    }
    path = f"/v1/apps/{segment(app)}/messages"
    session.listing(path, MESSAGE_COLUMNS, params, limit=limit, cursor=cursor, every=every)


@messages.command("get")
@click.argument("app")
@click.argument("message")
@json_option
@pass_session
def get_message(session: Session, app: str, message: str) -> None:
    """Show one message with its payload.

    \b
    Example:
      hookbus messages get acme msg_01JD3R...
    """
    session.show("GET", f"/v1/apps/{segment(app)}/messages/{segment(message)}")


@click.group()
def attempts() -> None:
    """The deliveries log: each attempt, its request, response and outcome.

    \b
    Example:
      hookbus attempts list acme --endpoint ep_01JD3R... --status failed
    """


@attempts.command("list")
@click.argument("app")
@click.option("--endpoint", help="The endpoint's attempts (newest first).")
@click.option("--message", help="The message's attempts, to every endpoint.")
@click.option(
    "--status", type=click.Choice(["succeeded", "failed", "pending"]), help="With --endpoint."
)
@paging
@pass_session
def list_attempts(
    session: Session,
    app: str,
    endpoint: str | None,
    message: str | None,
    status: str | None,
    limit: int | None,
    cursor: str | None,
    every: bool,
) -> None:
    """List the attempts of an endpoint or of a message (give one of --endpoint, --message).

    \b
    Example:
      hookbus attempts list acme --message msg_01JD3R...
    """
    if (endpoint is None) == (message is None):
        raise click.UsageError("give one of --endpoint or --message")
    base = f"/v1/apps/{segment(app)}"
    if endpoint is not None:
        path, params = f"{base}/endpoints/{segment(endpoint)}/attempts", {"status": status}
    else:
        path, params = f"{base}/messages/{segment(str(message))}/attempts", {}
    session.listing(path, ATTEMPT_COLUMNS, params, limit=limit, cursor=cursor, every=every)


@attempts.command("get")
@click.argument("app")
@click.argument("attempt")
@json_option
@pass_session
def get_attempt(session: Session, app: str, attempt: str) -> None:
    """Show one attempt: the request sent, the response, the outcome.

    \b
    Example:
      hookbus attempts get acme atm_01JD3R...
    """
    session.show("GET", f"/v1/apps/{segment(app)}/attempts/{segment(attempt)}")
