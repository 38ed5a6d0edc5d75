"""``hookbus dead-letters``: records no consumer could take, and deliveries that ran out of
retries; an exhausted one can be sent again."""

from __future__ import annotations

import click

from services.cli_client.api import segment
from services.cli_client.output import Column
from services.cli_client.payloads import TIME_HELP, when
from services.cli_client.session import Session, json_option, paging, pass_session

DEAD_LETTER_COLUMNS = [
    Column("ID", "id", None),
    Column("KIND", "kind", 12),
    Column("AT", "at", None),
    Column("APP", "app_id", None),
    Column("ENDPOINT", "endpoint_id", None),
    Column("MESSAGE", "message_id", None),
    Column("REASON", "reason", 50),
]


@click.group("dead-letters")
def dead_letters() -> None:
    """Dead letters: records no consumer could take, and deliveries that ran out of retries.

    \b
    Example:
      hookbus dead-letters list --kind exhausted
    """


@dead_letters.command("list")
@click.option("--kind", type=click.Choice(["bad_record", "exhausted"]), help="Only this kind.")
@click.option("--after", help=TIME_HELP)
@click.option("--before", help=TIME_HELP)
@paging
@pass_session
def list_dead_letters(
    session: Session,
    kind: str | None,
    after: str | None,
    before: str | None,
    limit: int | None,
    cursor: str | None,
    every: bool,
) -> None:
    """List dead letters, newest first.

    \b
    Example:
      hookbus dead-letters list --kind bad_record
    """
    params = {"kind": kind, "after": when(after), "before": when(before)}
    path = "/v1/dead-letters"
    session.listing(path, DEAD_LETTER_COLUMNS, params, limit=limit, cursor=cursor, every=every)


@dead_letters.command("get")
@click.argument("dead_letter", metavar="DL")
@json_option
@pass_session
def get_dead_letter(session: Session, dead_letter: str) -> None:
    """Show one dead letter: its reason and the record.

    \b
    Example:
      hookbus dead-letters get dl_01JD3R...
    """
    session.show("GET", f"/v1/dead-letters/{segment(dead_letter)}")


@dead_letters.command("redrive")
@click.argument("dead_letter", metavar="DL")
@json_option
@pass_session
def redrive_dead_letter(session: Session, dead_letter: str) -> None:
    """Send an exhausted delivery again.

    \b
    Example:
      hookbus dead-letters redrive dl_01JD3R...
    """
    session.show("POST", f"/v1/dead-letters/{segment(dead_letter)}/redrive")
