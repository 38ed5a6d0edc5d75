"""Endpoint health: an endpoint failing without a single success for a while gets disabled.

The state is when each endpoint started failing. It lives in memory and, so that a restart of
the dispatcher does not restart the clock, is checkpointed into the endpoint's config record as
``failing_since`` once the endpoint has been failing for :data:`CHECKPOINT_SECONDS` (or a quarter
of ``HOOKBUS_DISABLE_AFTER`` when that is shorter), and cleared by the next success. An endpoint
that fails now and then writes nothing; a restart forgets at most one checkpoint period.

Methods return the change to write to the endpoint's config record (None: nothing to write);
the caller writes it and calls :meth:`EndpointHealth.written`. No I/O here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared import clock

CHECKPOINT_SECONDS = 3600.0
GONE_REASON = "the endpoint answered 410 Gone"
Change = dict[str, Any]


def _iso(epoch: float) -> str:
    return clock.iso(datetime.fromtimestamp(epoch, UTC))


def _epoch(text: Any) -> float | None:
    try:
        return clock.parse(text).timestamp() if isinstance(text, str) else None
    except ValueError:
        return None


def disable(reason: str) -> Change:
    """The change that disables an endpoint with ``reason``, its failure clock reset."""
    return {"enabled": False, "disabled_reason": reason, "failing_since": None}


class EndpointHealth:
    """When each endpoint started failing, and what follows from the next outcome."""

    def __init__(self, disable_after: float) -> None:
        self._disable_after = disable_after
        self._checkpoint = min(CHECKPOINT_SECONDS, disable_after / 4)
        self._since: dict[str, float] = {}
        self._writing: set[str] = set()

    def failing_since(self, endpoint_id: str) -> float | None:
        """Epoch seconds of the first failure since the last success, if known to be failing."""
        return self._since.get(endpoint_id)

    def succeeded(self, endpoint: dict[str, Any]) -> Change | None:
        """Forget the failures; clear a checkpointed ``failing_since``."""
        ident = endpoint["id"]
        self._since.pop(ident, None)
        if endpoint.get("failing_since") is not None and ident not in self._writing:
            return self._begin(ident, {"failing_since": None})
        return None

    def failed(self, endpoint: dict[str, Any], now: float) -> Change | None:
        """Count a failure at epoch ``now``: disable past the limit, or checkpoint the clock."""
        ident = endpoint["id"]
        since = self._since.get(ident)
        if since is None:
            known = _epoch(endpoint.get("failing_since"))
            since = self._since[ident] = now if known is None else known
        if ident in self._writing:
            return None
        age = now - since
        if age >= self._disable_after:
            return self._begin(ident, disable(f"failing without a success since {_iso(since)}"))
        if age >= self._checkpoint and endpoint.get("failing_since") is None:
            return self._begin(ident, {"failing_since": _iso(since)})
        return None

    def gone(self, endpoint: dict[str, Any]) -> Change | None:
        """The endpoint answered 410: disable it now (unless a change is already on its way)."""
        if endpoint["id"] in self._writing:
            return None
        return self._begin(endpoint["id"], disable(GONE_REASON))

    def _begin(self, ident: str, change: Change) -> Change:
        self._writing.add(ident)
        return change

    def written(self, endpoint_id: str, change: Change) -> None:
        """The change returned earlier is in the config log (or was abandoned)."""
        self._writing.discard(endpoint_id)
        if change.get("enabled") is False:
            self._since.pop(endpoint_id, None)
