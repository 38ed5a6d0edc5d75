"""``hookbus routes``: what happens to a request a source received (forwarded to a URL, put on
a Kafka topic, or published to an app)."""

from __future__ import annotations

from typing import Any

import click

from services.cli_client.api import segment
from services.cli_client.output import Column
from services.cli_client.payloads import body, read_json, read_object
from services.cli_client.session import DATA, JSON_VALUE, Session, json_option, paging, pass_session


def target(route: Any) -> Any:
    """Where a route sends to: the URL, the topic or the app."""
    to = route.get("destination") or {}
    return to.get("url") or to.get("topic") or to.get("app_id")


ROUTE_COLUMNS = [
    Column("ID", "id", None),
    Column("NAME", "name", 30),
    Column("SOURCE", "source_id", None),
    Column("PATH", "path", 20),
    Column("DESTINATION", "destination.type", 12),
    Column("TO", target, 50),
]


@click.group()
def routes() -> None:
    """Routes: where a received request goes (an HTTP URL, a Kafka topic or an app).

    \b
    Example:
      hookbus routes create to-ci --source src_01JD3R... --forward-to https://ci.example.com/hook
    """


@routes.command("list")
@click.option("--source", help="Only this source's routes.")
@paging
@pass_session
def list_routes(
    session: Session, source: str | None, limit: int | None, cursor: str | None, every: bool
) -> None:
    """List routes.

    \b
    Example:
      hookbus routes list --source src_01JD3R...
    """
    params = {"source_id": source}
    session.listing("/v1/routes", ROUTE_COLUMNS, params, limit=limit, cursor=cursor, every=every)


@routes.command("get")
@click.argument("route")
@json_option
@pass_session
def get_route(session: Session, route: str) -> None:
    """Show one route.

    \b
    Example:
      hookbus routes get rt_01JD3R...
    """
    session.show("GET", f"/v1/routes/{segment(route)}")


@routes.command("create")
@click.argument("name")
@click.option("--source", help="Only requests to this source (default: any).")
@click.option("--path", "sub_path", help="The path after the source, exact or a glob: git/*.")
@click.option("--forward-to", help="Destination: forward to this HTTP URL.")
@click.option("--destination", help=f"Destination: {JSON_VALUE}")
@click.option("--matches", help=f"JSONPath -> value conditions: {JSON_VALUE}")
@DATA
@json_option
@pass_session
def create_route(
    session: Session,
    name: str,
    source: str | None,
    sub_path: str | None,
    forward_to: str | None,
    destination: str | None,
    matches: str | None,
    data: str | None,
) -> None:
    """Create a route.

    \b
    Example:
      hookbus routes create to-ci --source src_01JD3R... --forward-to https://ci.example.com/hook
      hookbus routes create to-app --destination '{"type": "app", "app_id": "acme",
        "event_type": "github.push"}'
    """
    target = read_json(destination, "--destination") if destination is not None else None
    if forward_to is not None:
        target = {"type": "http", "url": forward_to}
    conditions = read_object(matches, "--matches") if matches is not None else None
    fields = body(
        data,
        name=name,
        source_id=source,
        path=sub_path,
        destination=target,
        matches=conditions,
    )
    session.show("POST", "/v1/routes", fields)


@routes.command("update")
@click.argument("route")
@click.option("--name", help="A new name.")
@click.option("--forward-to", help="A new HTTP destination URL.")
@click.option("--enable/--disable", "enabled", default=None, help="Match requests or not.")
@DATA
@json_option
@pass_session
def update_route(
    session: Session,
    route: str,
    name: str | None,
    forward_to: str | None,
    enabled: bool | None,
    data: str | None,
) -> None:
    """Change a route's fields (only those given).

    \b
    Example:
      hookbus routes update rt_01JD3R... --data '{"matches": {"$.ref": "refs/heads/main"}}'
    """
    target = {"type": "http", "url": forward_to} if forward_to is not None else None
    fields = body(data, name=name, destination=target, enabled=enabled)
    session.show("PATCH", f"/v1/routes/{segment(route)}", fields)


@routes.command("delete")
@click.argument("route")
@json_option
@pass_session
def delete_route(session: Session, route: str) -> None:
    """Delete a route.

    \b
    Example:
      hookbus routes delete rt_01JD3R...
    """
    session.delete(f"/v1/routes/{segment(route)}", f"route {route}")
