"""A real Server-Sent Events client in a thread, for end-to-end tests of live streams."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import httpx
import orjson


@dataclass
class Event:
    """One event as the client parsed it."""

    event: str
    id: str
    data: Any


class SseClient:
    """Reads ``url`` (with ``headers``) until :meth:`close`, keeping every event and comment."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.events: list[Event] = []
        self.comments: list[str] = []
        self.status: int | None = None
        self.content_type = ""
        self._client = httpx.Client(timeout=httpx.Timeout(30, read=None))
        self._url, self._headers = url, headers
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        fields: dict[str, str] = {}
        try:
            with self._client.stream("GET", self._url, headers=self._headers) as answer:
                self.status = answer.status_code
                self.content_type = answer.headers.get("content-type", "")
                for line in answer.iter_lines():
                    if line.startswith(":"):
                        self.comments.append(line[1:].strip())
                    elif line == "":
                        if "data" in fields:
                            data = orjson.loads(fields["data"])
                            self.events.append(Event(fields.get("event", ""), fields["id"], data))
                        fields = {}
                    else:
                        name, _, value = line.partition(":")
                        fields[name] = value[1:] if value.startswith(" ") else value
        except (httpx.HTTPError, RuntimeError):  # closed by the test
            return

    def of(self, event: str) -> list[Any]:
        """The ``data`` of every event named ``event`` so far."""
        return [e.data for e in list(self.events) if e.event == event]

    def close(self) -> None:
        """Disconnect."""
        self._client.close()
        self._thread.join(5)
