"""Following a live stream (Server-Sent Events) of hookbus, across dropped connections.

The stream carries ``id:`` on each event; a reconnect sends the last one as ``Last-Event-ID``
so nothing still in the log is missed. The first connection failing is the command's failure
(unreachable: exit 3, refused: exit 1); later drops are retried with a growing pause.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from httpx_sse import SSEError, connect_sse

from services.cli_client.api import Api, Unreachable, reason, refusal

# A quiet stream is not a dead one, but a read that never ends would hide a vanished server:
# past this many seconds without a byte the connection is made again (missing nothing).
IDLE_SECONDS = 60.0
MAX_PAUSE = 5.0


@dataclass(frozen=True)
class Event:
    """One stream event: its kind (``message``, ``attempt``, ``inbound``), id and JSON data."""

    kind: str
    id: str
    data: Any


def events(
    api: Api,
    path: str,
    params: dict[str, str] | None = None,
    on_connect: Callable[[bool], None] = lambda _again: None,
    on_drop: Callable[[str], None] = lambda _why: None,
) -> Iterator[Event]:
    """Every event of the stream at ``path``, forever (until the caller stops iterating).

    ``on_connect(again)`` runs each time the stream is open; ``on_drop(why)`` when it broke.
    Raises :class:`Unreachable` or :class:`ApiRefused` if the first connection fails, and
    :class:`ApiRefused` whenever hookbus refuses with a 4xx (a bad token, an unknown app).
    """
    last_id: str | None = None
    connected = False
    pause = 0.5
    timeout = httpx.Timeout(10.0, read=IDLE_SECONDS)
    while True:
        headers = {"accept": "text/event-stream"}
        if last_id:
            headers["last-event-id"] = last_id
        why = "the stream ended"
        try:
            with connect_sse(
                api.http, "GET", path, params=params, headers=headers, timeout=timeout
            ) as source:
                response = source.response
                if response.status_code != 200:
                    response.read()
                    if connected and response.status_code >= 500:
                        raise _Drop(f"hookbus answered {response.status_code}")
                    if connected and response.status_code == 422 and last_id:
                        # The position is no longer one hookbus knows: go on from now.
                        last_id = None
                        raise _Drop("the last event is no longer in the log; going on from now")
                    raise refusal(response)
                on_connect(connected)
                connected, pause = True, 0.5
                for sse in source.iter_sse():
                    if sse.id:
                        last_id = sse.id
                    if not sse.data:
                        continue
                    try:
                        data = orjson.loads(sse.data)
                    except orjson.JSONDecodeError:
                        data = sse.data  # shown as it came rather than lost
                    yield Event(sse.event, sse.id, data)
        except httpx.ReadTimeout as exc:
            if not connected:
                raise Unreachable(api.base_url, reason(exc)) from exc
            continue  # idle: reconnect at once, quietly
        except (httpx.TransportError, SSEError) as exc:
            if not connected:
                text = reason(exc) if isinstance(exc, httpx.TransportError) else str(exc)
                raise Unreachable(api.base_url, text) from exc
            why = reason(exc) if isinstance(exc, httpx.TransportError) else str(exc)
        except _Drop as drop:
            why = str(drop)
        on_drop(why)
        time.sleep(pause)
        pause = min(pause * 2, MAX_PAUSE)


class _Drop(Exception):
    """The stream broke in a way worth retrying."""
