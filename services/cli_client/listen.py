"""``hookbus listen``: forward live traffic to a server on your machine, like ``stripe listen``.

An app's new messages are forwarded as an endpoint would get them (the envelope, signed the
Standard Webhooks way with a secret made for this run), so the user's own verification code
runs as in production. A source's received requests are forwarded as they came: method, path
after the source, query, headers and body.
"""

from __future__ import annotations

import time
from typing import Any

import click
import httpx
import orjson
from rich.text import Text

from services.cli_client.api import CliError, reason, segment, user_agent
from services.cli_client.lines import clock
from services.cli_client.output import OUT, note, print_json
from services.cli_client.session import Session, json_option, pass_session
from services.cli_client.streams import events
from shared.inbound import decode_body
from shared.signing import generate_secret, secret_key, signature

# Not sent on: they describe the connection to hookbus, not the request.
HOP_HEADERS = {
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "expect",
    "proxy-authorization",
    "proxy-connection",
}


def signed(message: dict[str, Any], secret: str, now: int) -> tuple[dict[str, str], bytes]:
    """The headers and body an endpoint without a transform gets for ``message``."""
    envelope = {
        "type": message.get("event_type"),
        "timestamp": message.get("timestamp"),
        "data": message.get("payload"),
    }
    body = orjson.dumps(envelope)
    msg_id = str(message.get("id"))
    headers = {
        "content-type": "application/json",
        "user-agent": user_agent(),
        "webhook-id": msg_id,
        "webhook-timestamp": str(now),
        "webhook-signature": signature(secret, msg_id, now, body),
    }
    return headers, body


def as_received(
    request: dict[str, Any], forward: str
) -> tuple[str, httpx.URL, dict[str, str], bytes]:
    """Method, URL (``forward`` + the path after the source + the query), headers and body of a
    received request as it came."""
    url = httpx.URL(forward)
    sub_path = str(request.get("path") or "").lstrip("/")
    if sub_path:
        url = url.copy_with(path=url.path.rstrip("/") + "/" + sub_path)
    query = str(request.get("query") or "")
    if query:
        joined = f"{url.query.decode()}&{query}" if url.query else query
        url = url.copy_with(query=joined.encode())
    headers = {
        k: v for k, v in (request.get("headers") or {}).items() if k.lower() not in HOP_HEADERS
    }
    text = request.get("body")
    body = b"" if text is None else decode_body(text, str(request.get("body_encoding") or "utf8"))
    return str(request.get("method") or "POST"), url, headers, body


class Forwarder:
    """Sends each request to the local server and prints one line of how it answered."""

    def __init__(self, forward: str, as_json: bool) -> None:
        self.forward = forward
        self.as_json = as_json
        # Straight to the local server: no proxy from the environment, no redirects followed.
        self.http = httpx.Client(timeout=30.0, trust_env=False, follow_redirects=False)

    def send(
        self,
        data: dict[str, Any],
        label: str,
        method: str,
        url: httpx.URL,
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        """Forward one request; a server that is down or slow is one clear line, not a crash."""
        when = clock(data.get("timestamp") or data.get("received_at"))
        started = time.monotonic()
        result: dict[str, Any] = {"id": data.get("id"), "url": str(url)}
        try:
            answer = self.http.request(method, url, headers=headers, content=body)
        except httpx.HTTPError as exc:
            why = reason(exc) if isinstance(exc, httpx.TransportError) else str(exc)
            if isinstance(exc, httpx.ConnectError):
                why += " (is your server running?)"
            result["error"] = f"could not reach {url}: {why}"
            self.report(result, Text(f"{when}  {label}  -> {result['error']}", style="red"))
            return
        ms = round((time.monotonic() - started) * 1000)
        result.update(status=answer.status_code, duration_ms=ms)
        style = "green" if answer.is_success else "red"
        text = f"{when}  {label}  -> {answer.status_code} {answer.reason_phrase}  {ms} ms"
        self.report(result, Text(text, style=style))

    def report(self, result: dict[str, Any], text: Text) -> None:
        if self.as_json:
            print(orjson.dumps(result).decode(), flush=True)
        else:
            OUT.print(text, soft_wrap=True)


@click.command()
@click.argument("app", required=False)
@click.option("--source", help="Forward this source's received requests instead of messages.")
@click.option("--forward", "forward", required=True, help="The local URL to send them to.")
@click.option("--secret", help="Sign with this whsec_ secret instead of a new one (messages).")
@json_option
@pass_session
def listen(
    session: Session, app: str | None, source: str | None, forward: str, secret: str | None
) -> None:
    """Forward live traffic to a local server until Ctrl-C, one line per request.

    With APP: each new message of the app, signed as hookbus signs deliveries (Standard
    Webhooks), with a secret made for this run and printed first. With --source: each request
    the source receives and accepts, as it came (its path after the source is added to the
    URL). Nothing is retried: a local server that is down gets a line saying so.

    \b
    Example:
      hookbus listen acme --forward http://localhost:3000/webhooks
      hookbus listen --source src_01JD3R... --forward http://localhost:3000/github
    """
    if (source is None) == (app is None):
        raise click.UsageError("give an APP, or --source (not both)")
    if not httpx.URL(forward).scheme.startswith("http"):
        raise click.BadParameter("must be an http:// or https:// URL", param_hint="--forward")
    if secret is not None:
        try:
            secret_key(secret)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--secret") from exc
    forwarder = Forwarder(forward, session.as_json)
    if app is not None:
        key = secret or generate_secret()
        path, kind, what = f"/v1/apps/{segment(app)}/stream", "message", f"app {app}"
        params = None
        if session.as_json:
            print_json({"secret": key})
    else:
        key = ""
        path, kind, what = "/v1/inbound/stream", "inbound", f"source {source}"
        params = {"source_id": str(source)}

    def connected(again: bool) -> None:
        if again:
            note("reconnected")
            return
        note(f"forwarding {what} to {forward} (Ctrl-C to stop)", style="")
        if kind == "message":
            note(f"signing secret for this run: {key}", style="bold")

    def dropped(why: str) -> None:
        note(f"stream dropped ({why}); reconnecting...", style="yellow")

    try:
        for event in events(session.api, path, params, connected, dropped):
            if event.kind != kind or not isinstance(event.data, dict):
                continue
            if kind == "message":
                forward_message(forwarder, whole(session, event.data, path), key)
            elif event.data.get("source_id") == source:
                forward_request(forwarder, whole(session, event.data, path))
    except KeyboardInterrupt:
        note("stopped")


def whole(session: Session, data: dict[str, Any], stream: str) -> dict[str, Any]:
    """``data``, or the whole object from the log when the stream cut its payload or body
    (over 64 KiB); what the stream gave if the log cannot be read."""
    if not (data.get("payload_truncated") or data.get("body_truncated")):
        return data
    base = stream.removesuffix("/stream")
    path = f"{base}/messages/{segment(str(data.get('id')))}"
    if data.get("body_truncated"):
        path = f"{base}/{segment(str(data.get('id')))}"
    try:
        found: dict[str, Any] = session.api.call("GET", path)
    except CliError as error:
        note(f"{data.get('id')}: forwarding the cut copy, the whole one is unreadable ({error})")
        return data
    return found


def forward_message(forwarder: Forwarder, data: dict[str, Any], key: str) -> None:
    """Forward a new message as an endpoint gets it, signed with ``key``."""
    headers, body = signed(data, key, int(time.time()))
    label = f"{data.get('id')}  {data.get('event_type')}"
    forwarder.send(data, label, "POST", httpx.URL(forwarder.forward), headers, body)


def forward_request(forwarder: Forwarder, data: dict[str, Any]) -> None:
    """Forward a received request as it came; one that was not accepted only gets a line."""
    label = f"{data.get('id')}  {data.get('method')} /{str(data.get('path') or '').lstrip('/')}"
    if data.get("status") != "accepted":
        note(f"{label}  {data.get('status')}: not forwarded")
        return
    method, url, headers, body = as_received(data, forwarder.forward)
    forwarder.send(data, label, method, url, headers, body)
