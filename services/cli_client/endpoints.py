"""``hookbus endpoints``: where an app's messages go, their secrets, pings and stats."""

from __future__ import annotations

import click

from services.cli_client.api import segment
from services.cli_client.output import Column
from services.cli_client.payloads import body, moment
from services.cli_client.session import DATA, Session, json_option, paging, pass_session

COLUMNS = [
    Column("ID", "id", None),
    Column("UID", "uid", 20),
    Column("URL", "url", 50),
    Column("ENABLED", "enabled", 7),
    Column("EVENT TYPES", "event_types", 30),
    Column("DESCRIPTION", "description", 30),
]


def path(app: str, ep: str | None = None, tail: str = "") -> str:
    """``/v1/apps/{app}/endpoints[/{ep}][tail]``."""
    base = f"/v1/apps/{segment(app)}/endpoints"
    return base if ep is None else f"{base}/{segment(ep)}{tail}"


@click.group()
def endpoints() -> None:
    """Endpoints: the URLs an app's messages are delivered to.

    \b
    Example:
      hookbus endpoints create acme https://example.com/hooks --event-type 'invoice.*'
      hookbus endpoints list acme
    """


@endpoints.command("list")
@click.argument("app")
@paging
@pass_session
def list_endpoints(
    session: Session, app: str, limit: int | None, cursor: str | None, every: bool
) -> None:
    """List an app's endpoints.

    \b
    Example:
      hookbus endpoints list acme
    """
    session.listing(path(app), COLUMNS, limit=limit, cursor=cursor, every=every)


@endpoints.command("get")
@click.argument("app")
@click.argument("endpoint")
@json_option
@pass_session
def get_endpoint(session: Session, app: str, endpoint: str) -> None:
    """Show one endpoint (by id or uid).

    \b
    Example:
      hookbus endpoints get acme ep_01JD3R...
    """
    session.show("GET", path(app, endpoint))


@endpoints.command("create")
@click.argument("app")
@click.argument("url")
@click.option("--event-type", "types", multiple=True, help="A name or prefix.* (repeatable).")
@click.option("--channel", "channels", multiple=True, help="A channel (repeatable).")
@click.option("--description", help="A note for people.")
@click.option("--uid", help="Your own id for the endpoint.")
@click.option("--no-ping", is_flag=True, help="Skip the webhook.ping sent on creation.")
@DATA
@json_option
@pass_session
def create_endpoint(
    session: Session,
    app: str,
    url: str,
    types: tuple[str, ...],
    channels: tuple[str, ...],
    description: str | None,
    uid: str | None,
    no_ping: bool,
    data: str | None,
) -> None:
    """Create an endpoint; its signing secret is made for it (see `endpoints secret`).

    \b
    Example:
      hookbus endpoints create acme https://example.com/hooks --event-type 'invoice.*'
    """
    fields = body(
        data,
        url=url,
        event_types=list(types) or None,
        channels=list(channels) or None,
        description=description,
        uid=uid,
        ping=False if no_ping else None,
    )
    session.show("POST", path(app), fields)


@endpoints.command("update")
@click.argument("app")
@click.argument("endpoint")
@click.option("--url", help="A new URL.")
@click.option("--event-type", "types", multiple=True, help="Replaces the list (repeatable).")
@click.option("--description", help="A note for people.")
@click.option("--enable/--disable", "enabled", default=None, help="Turn deliveries on or off.")
@DATA
@json_option
@pass_session
def update_endpoint(
    session: Session,
    app: str,
    endpoint: str,
    url: str | None,
    types: tuple[str, ...],
    description: str | None,
    enabled: bool | None,
    data: str | None,
) -> None:
    """Change an endpoint's fields (only those given).

    \b
    Example:
      hookbus endpoints update acme ep_01JD3R... --disable
    """
    fields = body(
        data, url=url, event_types=list(types) or None, description=description, enabled=enabled
    )
    session.show("PATCH", path(app, endpoint), fields)


@endpoints.command("delete")
@click.argument("app")
@click.argument("endpoint")
@json_option
@pass_session
def delete_endpoint(session: Session, app: str, endpoint: str) -> None:
    """Delete an endpoint.

    \b
    Example:
      hookbus endpoints delete acme ep_01JD3R...
    """
    session.delete(path(app, endpoint), f"endpoint {endpoint}")


@endpoints.command("ping")
@click.argument("app")
@click.argument("endpoint")
@json_option
@pass_session
def ping_endpoint(session: Session, app: str, endpoint: str) -> None:
    """Send the endpoint a webhook.ping message.

    \b
    Example:
      hookbus endpoints ping acme ep_01JD3R...
    """
    session.show("POST", path(app, endpoint, "/ping"))


@endpoints.command("secret")
@click.argument("app")
@click.argument("endpoint")
@json_option
@pass_session
def endpoint_secret(session: Session, app: str, endpoint: str) -> None:
    """Show the endpoint's signing secret (whsec_...).

    \b
    Example:
      hookbus endpoints secret acme ep_01JD3R...
    """
    session.show("GET", path(app, endpoint, "/secret"))


@endpoints.command("rotate")
@click.argument("app")
@click.argument("endpoint")
@click.option("--secret", help="The new whsec_ secret (made for you when left out).")
@json_option
@pass_session
def rotate_secret(session: Session, app: str, endpoint: str, secret: str | None) -> None:
    """Rotate the signing secret; the old one keeps signing beside it for a grace period.

    \b
    Example:
      hookbus endpoints rotate acme ep_01JD3R...
    """
    session.show("POST", path(app, endpoint, "/secret/rotate"), body(None, secret=secret))


@endpoints.command("stats")
@click.argument("app")
@click.argument("endpoint")
@json_option
@pass_session
def endpoint_stats(session: Session, app: str, endpoint: str) -> None:
    """Counts of attempts by outcome, last success and failure.

    \b
    Example:
      hookbus endpoints stats acme ep_01JD3R...
    """
    session.show("GET", path(app, endpoint, "/stats"))


@endpoints.command("recover")
@click.argument("app")
@click.argument("endpoint")
@click.option("--since", required=True, help="ISO 8601, or a duration ago: 30m, 2h, 7d.")
@json_option
@pass_session
def recover_endpoint(session: Session, app: str, endpoint: str, since: str) -> None:
    """Resend every message whose delivery to the endpoint failed since then.

    \b
    Example:
      hookbus endpoints recover acme ep_01JD3R... --since 2h
    """
    session.show("POST", path(app, endpoint, "/recover"), {"since": moment(since)})
