"""One HTTP client for the public API, and the two ways a call can fail.

``ApiRefused`` is an answer of 400 or more (exit 1, its ``code`` and ``message`` printed);
``Unreachable`` is no answer at all (exit 3, naming the URL).
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import quote

import httpx

DEFAULT_URL = "http://127.0.0.1:8080"


def user_agent() -> str:
    """``hookbus-cli/<version>`` as the installed package says."""
    try:
        return f"hookbus-cli/{version('hookbus')}"
    except PackageNotFoundError:
        return "hookbus-cli"


class CliError(Exception):
    """A failure that ends the command with ``exit_code`` after printing ``str(self)``."""

    exit_code = 1


class ApiRefused(CliError):
    """hookbus answered with an error: its status, code, message and details."""

    exit_code = 1

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message, self.details = status, code, message, details


class Unreachable(CliError):
    """No answer from hookbus at ``url`` (refused, timed out, bad address)."""

    exit_code = 3

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"hookbus is not reachable at {url}: {reason}")
        self.url = url


def segment(value: str) -> str:
    """``value`` as one path segment, whatever characters it holds."""
    return quote(value, safe="")


def refusal(response: httpx.Response) -> ApiRefused:
    """The :class:`ApiRefused` an error answer stands for (its JSON error, or its status)."""
    try:
        error = response.json()["error"]
        return ApiRefused(
            response.status_code, str(error["code"]), str(error["message"]), error.get("details")
        )
    except (ValueError, KeyError, TypeError):
        text = response.text.strip()[:200] or response.reason_phrase
        return ApiRefused(response.status_code, f"http_{response.status_code}", text)


def reason(exc: httpx.TransportError) -> str:
    """A short human reason for a transport failure."""
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or no such host"
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    return str(exc) or type(exc).__name__


class Api:
    """Calls to one hookbus with one token. Blocking; every call may raise :class:`CliError`."""

    def __init__(self, base_url: str, token: str | None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"user-agent": user_agent()}
        if token:
            headers["authorization"] = f"Bearer {token}"
        try:
            self.http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)
        except httpx.InvalidURL as exc:
            raise Unreachable(base_url, f"not a URL ({exc})") from exc

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """The decoded JSON answer of ``method path`` (None for an empty answer)."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self.http.request(method, path, json=body, params=query)
        except httpx.TransportError as exc:
            raise Unreachable(self.base_url, reason(exc)) from exc
        except httpx.InvalidURL as exc:
            raise Unreachable(self.base_url, f"not a URL ({exc})") from exc
        if response.status_code >= 400:
            raise refusal(response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ApiRefused(
                response.status_code, "not_json", f"{path} answered something other than JSON"
            ) from exc

    def pages(
        self, path: str, params: dict[str, Any], limit: int | None, cursor: str | None, every: bool
    ) -> Iterator[dict[str, Any]]:
        """Each page of a list (``{data, next_cursor}``): one, or with ``every`` all of them."""
        while True:
            page: dict[str, Any] = self.call(
                "GET", path, params={**params, "limit": limit, "cursor": cursor}
            )
            yield page
            cursor = page.get("next_cursor")
            if not every or not cursor:
                return

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()
