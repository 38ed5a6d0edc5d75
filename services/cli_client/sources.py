"""``hookbus sources``: who may send webhooks to hookbus, and how each request is verified."""

from __future__ import annotations

import click

from services.cli_client.api import segment
from services.cli_client.output import Column
from services.cli_client.payloads import body, read_object
from services.cli_client.session import DATA, JSON_VALUE, Session, json_option, paging, pass_session

SOURCE_COLUMNS = [
    Column("ID", "id", None),
    Column("NAME", "name", 30),
    Column("PROVIDER", "provider", 10),
    Column("STATUS", "status", 10),
    Column("ENABLED", "enabled", 7),
    Column("URL", "url", None),
]


@click.group()
def sources() -> None:
    """Sources: who may send webhooks to hookbus, and how each request is verified.

    \b
    Example:
      hookbus sources create "GitHub org" --provider github --secret s3cr3t
      hookbus sources list
    """


@sources.command("list")
@paging
@pass_session
def list_sources(session: Session, limit: int | None, cursor: str | None, every: bool) -> None:
    """List sources.

    \b
    Example:
      hookbus sources list
    """
    session.listing("/v1/sources", SOURCE_COLUMNS, limit=limit, cursor=cursor, every=every)


@sources.command("get")
@click.argument("source")
@json_option
@pass_session
def get_source(session: Session, source: str) -> None:
    """Show one source.

    \b
    Example:
      hookbus sources get src_01JD3R...
    """
    session.show("GET", f"/v1/sources/{segment(source)}")


@sources.command("create")
@click.argument("name")
@click.option("--provider", default="generic", show_default=True, help="github, stripe, ...")
@click.option("--secret", help="The provider's signing secret.")
@click.option("--verification", help=f"For generic: {JSON_VALUE}")
@DATA
@json_option
@pass_session
def create_source(
    session: Session,
    name: str,
    provider: str,
    secret: str | None,
    verification: str | None,
    data: str | None,
) -> None:
    """Create a source; its answer carries the URL to give the provider.

    \b
    Example:
      hookbus sources create "GitHub org" --provider github --secret s3cr3t
    """
    check = read_object(verification, "--verification") if verification is not None else None
    fields = body(data, name=name, provider=provider, secret=secret, verification=check)
    session.show("POST", "/v1/sources", fields)


@sources.command("update")
@click.argument("source")
@click.option("--name", help="A new name.")
@click.option("--secret", help="A new signing secret.")
@click.option("--enable/--disable", "enabled", default=None, help="Accept requests or not.")
@DATA
@json_option
@pass_session
def update_source(
    session: Session,
    source: str,
    name: str | None,
    secret: str | None,
    enabled: bool | None,
    data: str | None,
) -> None:
    """Change a source's fields (only those given).

    \b
    Example:
      hookbus sources update src_01JD3R... --disable
    """
    fields = body(data, name=name, secret=secret, enabled=enabled)
    session.show("PATCH", f"/v1/sources/{segment(source)}", fields)


@sources.command("delete")
@click.argument("source")
@json_option
@pass_session
def delete_source(session: Session, source: str) -> None:
    """Delete a source and the routes bound to it.

    \b
    Example:
      hookbus sources delete src_01JD3R...
    """
    session.delete(f"/v1/sources/{segment(source)}", f"source {source}")
