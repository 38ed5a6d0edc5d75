"""A real HTTP receiver on loopback that records every request it gets."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)
    method: str = "POST"


# An answer: status and body, and optionally extra headers.
Responder = Callable[[Received], tuple[int, bytes] | tuple[int, bytes, dict[str, str]]]


class _QuietServer(ThreadingHTTPServer):
    """Says nothing when a client goes away mid-request (a killed dispatcher does)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Receiver:
    """Serves on ``127.0.0.1:<free port>`` in a thread; ``respond`` decides each answer."""

    def __init__(self, respond: Responder | None = None) -> None:
        self.requests: list[Received] = []
        self.respond: Responder = respond or (lambda _req: (200, b"ok"))
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length", "0"))
                request = Received(
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                    method=self.command,
                )
                with receiver._lock:
                    receiver.requests.append(request)
                status, body, *extra = receiver.respond(request)
                self.send_response(status)
                for name, value in (extra[0] if extra else {}).items():
                    self.send_header(name, value)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            # Forwarded inbound requests keep their method: answer every one alike.
            do_PUT = do_PATCH = do_DELETE = do_GET = do_POST  # noqa: N815

            def log_message(self, *_args: object) -> None:
                pass

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL to subscribe."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def matching(self, predicate: Callable[[Received], bool]) -> list[Received]:
        """The requests received so far for which ``predicate`` holds."""
        with self._lock:
            return [r for r in self.requests if predicate(r)]

    def wait_for(
        self, predicate: Callable[[Received], bool], count: int = 1, timeout: float = 60.0
    ) -> list[Received]:
        """Poll until ``count`` matching requests arrived; raise ``AssertionError`` otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.matching(predicate)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"receiver got {len(self.matching(predicate))} of {count} requests")
