"""The received request as verification sees it: an immutable value, nothing parsed but the URL.

Built once per HTTP request by the receiving code; every provider check reads only this.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

HeaderPairs = Iterable[tuple[str | bytes, str | bytes]]


def split_url(url: str) -> tuple[str, str]:
    """The path and raw query string of ``url``; never raises, even for a garbled host."""
    try:
        parts = urlsplit(url)
        return parts.path, parts.query
    except ValueError:  # e.g. a Host header "[::1" turned into the URL's netloc
        rest = url.partition("#")[0].split("://", 1)[-1]
        slash = rest.find("/")
        path, _, query = (rest[slash:] if slash >= 0 else "").partition("?")
        return path, query


def _text(value: str | bytes) -> str:
    # HTTP header bytes are latin-1 on the wire (as Starlette decodes them), never UTF-8.
    return value.decode("latin-1") if isinstance(value, bytes) else value


class Headers:
    """Case-insensitive, read-only headers. With repeated names the first value wins."""

    __slots__ = ("_values",)

    def __init__(self, pairs: HeaderPairs = ()) -> None:
        values: dict[str, str] = {}
        for name, value in pairs:
            values.setdefault(_text(name).lower(), _text(value))
        self._values = values

    def get(self, name: str) -> str | None:
        """The value of header ``name`` (any case), or None when absent."""
        return self._values.get(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._values.items())

    def __repr__(self) -> str:
        # Names only: header values may carry credentials (Authorization, X-Gitlab-Token).
        return f"Headers({sorted(self._values)})"


@dataclass(frozen=True, slots=True)
class InboundRequest:
    """One received HTTP request.

    ``url`` is the full URL as received, query included, with the path exactly as it came on
    the wire (percent-encoding kept: Twilio signs that text). ``path`` and ``query`` are
    derived from it by :meth:`build`.
    """

    method: str
    url: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: Headers
    body: bytes

    @classmethod
    def build(cls, method: str, url: str, headers: HeaderPairs, body: bytes) -> InboundRequest:
        """Parse ``url`` into path and query items (blank values kept). Never raises."""
        path, query = split_url(url)
        items = tuple(parse_qsl(query, keep_blank_values=True))
        return cls(method.upper(), url, path, items, Headers(headers), body)

    def query_value(self, name: str) -> str | None:
        """The first value of query parameter ``name``, or None."""
        for key, value in self.query:
            if key == name:
                return value
        return None
