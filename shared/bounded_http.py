"""uvicorn's fast HTTP/1.1 protocol (httptools) with a bound on the request line and headers.

httptools buffers a header of any size before handing it over, so without a bound one
request with an 8 MiB header is read, held and answered. Here the bytes of each request's head
(request line and headers, up to the blank line) are counted as they arrive; past
:data:`MAX_HEAD_BYTES` the request is answered ``431 Request Header Fields Too Large`` with
the API's JSON error shape before the parser sees more of it. The connection is then
half-closed and what the client still sends is read and dropped for a moment (a lingering
close): closing at once, with unread bytes, would reset the connection and the client could
lose the answer.
"""

from __future__ import annotations

from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Request line plus headers. Browsers and providers stay far below it (Node's default is 16 KiB,
# nginx's largest default 32 KiB): a head this large is a mistake or an attack.
MAX_HEAD_BYTES = 32 * 1024
# How long a refused connection is drained before it is closed.
LINGER_S = 2.0
_BODY = orjson.dumps(
    {
        "error": {
            "code": "header_fields_too_large",
            "message": f"the request line and headers exceed {MAX_HEAD_BYTES} bytes",
            "details": {"limit": MAX_HEAD_BYTES},
        }
    }
)
_431 = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: application/json\r\n"
    b"content-length: " + str(len(_BODY)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _BODY
)


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` answering 431 to a request head over :data:`MAX_HEAD_BYTES`."""

    max_head_bytes = MAX_HEAD_BYTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # reading a request line and headers (not a body)
        self._head_bytes = 0
        self._tail = b""  # the last bytes seen, so a blank line split across reads is found
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # draining a refused request until the connection closes
        if self._in_head:
            window = self._tail + data
            end = _head_end(window)
            counted = len(data) if end < 0 else max(0, end - len(self._tail))
            self._head_bytes += counted
            self._tail = window[-3:]
            if self._head_bytes > self.max_head_bytes:
                self._refuse()
                return
        super().data_received(data)

    def _refuse(self) -> None:
        self._refused = True
        self.transport.write(_431)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_S, self.transport.close)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        # The next bytes on this connection start the head of a pipelined or kept-alive request.
        self._in_head, self._head_bytes, self._tail = True, 0, b""
        super().on_message_complete()


def _head_end(data: bytes) -> int:
    """Where the blank line ending a head is in ``data`` (CRLF or bare LF), or -1."""
    ends = [i for i in (data.find(b"\r\n\r\n"), data.find(b"\n\n")) if i >= 0]
    return min(ends) if ends else -1
