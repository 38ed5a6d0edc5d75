"""``hookbus inbound``: the received log (every request sent to a source, and what its routes
did), and resubmitting a stored request."""

from __future__ import annotations

from typing import Any

import click

from services.cli_client.api import segment
from services.cli_client.output import Column
from services.cli_client.payloads import TIME_HELP, when
from services.cli_client.session import Session, json_option, paging, pass_session


def route_outcomes(row: Any) -> str:
    """``succeeded, failed`` for a received request's routes."""
    return ", ".join(str(r.get("outcome")) for r in row.get("routes") or []) or "-"


INBOUND_COLUMNS = [
    Column("ID", "id", None),
    Column("SOURCE", "source_id", None),
    Column("RECEIVED", "received_at", None),
    Column("METHOD", "method", 7),
    Column("PATH", "path", 25),
    Column("STATUS", "status", 10),
    Column("VERIFICATION", "verification.result", 12),
    Column("ROUTES", route_outcomes, 30),
]


@click.group()
def inbound() -> None:
    """The received log: every request sent to a source, and what its routes did.

    \b
    Example:
      hookbus inbound list --source src_01JD3R... --status rejected
    """


@inbound.command("list")
@click.option("--source", help="Only this source's requests.")
@click.option("--status", help="accepted, rejected, ignored or duplicate.")
@click.option("--after", help=TIME_HELP)
@click.option("--before", help=TIME_HELP)
@paging
@pass_session
def list_inbound(
    session: Session,
    source: str | None,
    status: str | None,
    after: str | None,
    before: str | None,
    limit: int | None,
    cursor: str | None,
    every: bool,
) -> None:
    """List received requests, newest first.

    \b
    Example:
      hookbus inbound list --status accepted --limit 20
    """
    params = {"source_id": source, "status": status, "after": when(after), "before": when(before)}
    session.listing("/v1/inbound", INBOUND_COLUMNS, params, limit=limit, cursor=cursor, every=every)


@inbound.command("get")
@click.argument("inbound_id", metavar="IN")
@json_option
@pass_session
def get_inbound(session: Session, inbound_id: str) -> None:
    """Show one received request with its headers, body and routes' outcomes.

    \b
    Example:
      hookbus inbound get in_01JD3R...
    """
    session.show("GET", f"/v1/inbound/{segment(inbound_id)}")


@inbound.command("resubmit")
@click.argument("inbound_id", metavar="IN")
@json_option
@pass_session
def resubmit_inbound(session: Session, inbound_id: str) -> None:
    """Run the routes again on a stored request (a new in_ entry).

    \b
    Example:
      hookbus inbound resubmit in_01JD3R...
    """
    session.show("POST", f"/v1/inbound/{segment(inbound_id)}/resubmit")
