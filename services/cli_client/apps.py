"""``hookbus apps``: the apps (one per customer) and ``hookbus event-types``: the catalogue."""

from __future__ import annotations

import click

from services.cli_client.api import segment
from services.cli_client.output import Column
from services.cli_client.payloads import body, read_json
from services.cli_client.session import DATA, Session, json_option, paging, pass_session

APP_COLUMNS = [
    Column("ID", "id", None),
    Column("UID", "uid"),
    Column("NAME", "name"),
    Column("CREATED", "created_at", None),
]
EVENT_TYPE_COLUMNS = [
    Column("NAME", "name", None),
    Column("DESCRIPTION", "description", 50),
    Column("SCHEMA", "schema", 30),
]


@click.group()
def apps() -> None:
    """Apps: one per customer of yours, the isolation boundary.

    \b
    Example:
      hookbus apps create "Acme Corp" --uid acme
      hookbus apps list
    """


@apps.command("list")
@paging
@pass_session
def list_apps(session: Session, limit: int | None, cursor: str | None, every: bool) -> None:
    """List apps.

    \b
    Example:
      hookbus apps list --all
    """
    session.listing("/v1/apps", APP_COLUMNS, limit=limit, cursor=cursor, every=every)


@apps.command("get")
@click.argument("app")
@json_option
@pass_session
def get_app(session: Session, app: str) -> None:
    """Show one app (by id or uid).

    \b
    Example:
      hookbus apps get acme
    """
    session.show("GET", f"/v1/apps/{segment(app)}")


@apps.command("create")
@click.argument("name")
@click.option("--uid", help="Your own id for the app.")
@click.option("--metadata", help="A JSON object, @file or -.")
@DATA
@json_option
@pass_session
def create_app(
    session: Session, name: str, uid: str | None, metadata: str | None, data: str | None
) -> None:
    """Create an app.

    \b
    Example:
      hookbus apps create "Acme Corp" --uid acme --metadata '{"plan": "pro"}'
    """
    meta = read_json(metadata, "--metadata") if metadata is not None else None
    session.show("POST", "/v1/apps", body(data, name=name, uid=uid, metadata=meta))


@apps.command("update")
@click.argument("app")
@click.option("--name", help="A new name.")
@click.option("--uid", help="A new uid.")
@click.option("--metadata", help="A JSON object, @file or -.")
@DATA
@json_option
@pass_session
def update_app(
    session: Session,
    app: str,
    name: str | None,
    uid: str | None,
    metadata: str | None,
    data: str | None,
) -> None:
    """Change an app's fields (only those given).

    \b
    Example:
      hookbus apps update acme --name "Acme Corporation"
    """
    meta = read_json(metadata, "--metadata") if metadata is not None else None
    changes = body(data, name=name, uid=uid, metadata=meta)
    session.show("PATCH", f"/v1/apps/{segment(app)}", changes)


@apps.command("delete")
@click.argument("app")
@json_option
@pass_session
def delete_app(session: Session, app: str) -> None:
    """Delete an app and its endpoints.

    \b
    Example:
      hookbus apps delete acme
    """
    session.delete(f"/v1/apps/{segment(app)}", f"app {app}")


@click.group("event-types")
def event_types() -> None:
    """Event types: the optional catalogue, with JSON Schemas checked at publish time.

    \b
    Example:
      hookbus event-types create invoice.paid --description "An invoice was paid"
    """


@event_types.command("list")
@paging
@pass_session
def list_event_types(session: Session, limit: int | None, cursor: str | None, every: bool) -> None:
    """List event types.

    \b
    Example:
      hookbus event-types list
    """
    session.listing("/v1/event-types", EVENT_TYPE_COLUMNS, limit=limit, cursor=cursor, every=every)


@event_types.command("get")
@click.argument("name")
@json_option
@pass_session
def get_event_type(session: Session, name: str) -> None:
    """Show one event type.

    \b
    Example:
      hookbus event-types get invoice.paid
    """
    session.show("GET", f"/v1/event-types/{segment(name)}")


@event_types.command("create")
@click.argument("name")
@click.option("--description", help="What the event means.")
@click.option("--schema", help="A JSON Schema, @file or -.")
@DATA
@json_option
@pass_session
def create_event_type(
    session: Session, name: str, description: str | None, schema: str | None, data: str | None
) -> None:
    """Create an event type.

    \b
    Example:
      hookbus event-types create invoice.paid --schema @invoice.schema.json
    """
    shape = read_json(schema, "--schema") if schema is not None else None
    session.show(
        "POST", "/v1/event-types", body(data, name=name, description=description, schema=shape)
    )


@event_types.command("update")
@click.argument("name")
@click.option("--description", help="What the event means.")
@click.option("--schema", help="A JSON Schema, @file or -.")
@DATA
@json_option
@pass_session
def update_event_type(
    session: Session, name: str, description: str | None, schema: str | None, data: str | None
) -> None:
    """Change an event type's description or schema.

    \b
    Example:
      hookbus event-types update invoice.paid --description "Paid in full"
    """
    shape = read_json(schema, "--schema") if schema is not None else None
    changes = body(data, description=description, schema=shape)
    session.show("PATCH", f"/v1/event-types/{segment(name)}", changes)


@event_types.command("delete")
@click.argument("name")
@json_option
@pass_session
def delete_event_type(session: Session, name: str) -> None:
    """Delete an event type.

    \b
    Example:
      hookbus event-types delete invoice.paid
    """
    session.delete(f"/v1/event-types/{segment(name)}", f"event type {name}")
