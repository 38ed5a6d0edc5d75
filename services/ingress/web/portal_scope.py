"""Which ``/v1`` calls a portal token may make. No I/O: the gate applies the answer.

A portal token is a restricted client of the same API, never a second API: it may read its own
app, manage that app's endpoints (secrets, ping, recover, attempts, stats), read its messages
and attempts, resend, replay and follow the app's stream; read the event-type catalogue; and
try a filter (``POST /v1/filters/test`` reads and changes nothing). It may never publish, change
or delete the app, issue portal tokens, nor call anything outside ``/v1/apps/{its app}``.
"""

from __future__ import annotations

from dataclasses import dataclass

READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Call:
    """How a portal token's call is judged.

    ``app_ref`` is the ``{app}`` the path names (id or uid), to be matched with the token's app
    first (another app: 404); ``permitted`` is False for calls no portal token may make (403);
    ``writes`` tells whether a read-only token is refused (403).
    """

    app_ref: str | None
    permitted: bool
    writes: bool


def _under_app(method: str, rest: list[str]) -> bool:
    """Whether a portal token may make this call below ``/v1/apps/{app}``."""
    if not rest:
        return method in READS  # the app itself: read, never change or delete
    head, tail = rest[0], rest[1:]
    if head == "endpoints":
        return True  # its endpoints: create, edit, secrets, ping, recover, attempts, stats
    if head == "attempts":
        return method in READS
    if head == "messages":
        return _messages(method, tail)
    if head == "replay":
        return method == "POST" and not tail
    if head == "stream":
        return method in READS and not tail
    return False  # portal-access, and whatever else comes to live under an app


def _messages(method: str, tail: list[str]) -> bool:
    # Publishing (POST .../messages, .../messages/batch) is never a portal's to do.
    if len(tail) == 4 and tail[1] == "endpoints" and tail[3] == "resend":
        return method == "POST"
    if len(tail) <= 1 or (len(tail) == 2 and tail[1] == "attempts"):
        return method in READS
    return False  # expunge and anything else


def judge(method: str, path: str) -> Call:
    """Judge a ``/v1`` call (``path`` without query, trailing slash already dropped)."""
    method = method.upper()
    parts = path.strip("/").split("/")[1:]  # drop "v1"
    writes = method not in READS
    if len(parts) >= 2 and parts[0] == "apps":
        return Call(parts[1], _under_app(method, parts[2:]), writes)
    if parts and parts[0] == "event-types" and len(parts) <= 2:
        return Call(None, method in READS, writes)
    if parts == ["filters", "test"]:
        return Call(None, method == "POST", writes=False)
    return Call(None, permitted=False, writes=writes)
