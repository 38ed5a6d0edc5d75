"""One line per stream event, for ``hookbus tail``: when, what, and how it went, coloured by
outcome (rich drops the colour when stdout is not a terminal or NO_COLOR is set)."""

from __future__ import annotations

from typing import Any

from rich.text import Text

OUTCOME_STYLES = {
    "succeeded": "green",
    "retrying": "yellow",
    "pending": "yellow",
    "failed": "red",
    "exhausted": "bold red",
    "accepted": "green",
    "rejected": "red",
    "ignored": "dim",
    "duplicate": "yellow",
}


def clock(timestamp: Any) -> str:
    """``10:15:30`` from ``2026-11-22T10:15:30.123Z`` (the text as is when it is not ISO)."""
    text = str(timestamp or "")
    return text[11:19] if len(text) >= 19 and text[10] == "T" else text or "--:--:--"


def message_line(data: dict[str, Any]) -> Text:
    """A new message: its id, event type and channels."""
    channels = ",".join(data.get("channels") or [])
    text = f"{clock(data.get('timestamp'))}  message  {data.get('id')}  {data.get('event_type')}"
    return Text(text + (f"  [{channels}]" if channels else ""), style="cyan")


def attempt_line(data: dict[str, Any]) -> Text:
    """A delivery attempt: message → endpoint, the status answered, the outcome, the time."""
    response = data.get("response") or {}
    status = response.get("status") or "---"
    outcome = str(data.get("outcome"))
    parts = [
        clock(data.get("timestamp")),
        "attempt",
        str(data.get("id")),
        f"{data.get('message_id')} -> {data.get('endpoint_id')}",
        f"#{data.get('attempt')}",
        str(status),
        outcome,
        f"{data.get('duration_ms')} ms",
    ]
    if data.get("error"):
        parts.append(str(data["error"]))
    return Text("  ".join(parts), style=OUTCOME_STYLES.get(outcome, ""))


def inbound_line(data: dict[str, Any]) -> Text:
    """A received request: source, method and path, its status and its routes' outcomes."""
    status = str(data.get("status"))
    path = "/" + str(data.get("path") or "").lstrip("/")
    if data.get("query"):
        path += "?" + str(data["query"])
    verification = (data.get("verification") or {}).get("result") or "-"
    routes = ",".join(str(r.get("outcome")) for r in data.get("routes") or [])
    parts = [
        clock(data.get("received_at")),
        "inbound",
        str(data.get("id")),
        str(data.get("source_id")),
        f"{data.get('method')} {path}",
        status,
        verification,
    ]
    if routes:
        parts.append(f"routes: {routes}")
    return Text("  ".join(parts), style=OUTCOME_STYLES.get(status, ""))


def line(kind: str, data: Any) -> Text:
    """The line for an event of ``kind``."""
    if not isinstance(data, dict):
        return Text(f"{kind}  {data}")
    if kind == "attempt":
        return attempt_line(data)
    if kind == "inbound":
        return inbound_line(data)
    if kind == "message":
        return message_line(data)
    return Text(f"{clock(data.get('timestamp'))}  {kind}  {data.get('id')}")
