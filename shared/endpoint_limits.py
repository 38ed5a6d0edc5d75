"""How many deliveries may be in flight to one endpoint at once (``max_in_flight``).

The default is generous: at 64 in flight a receiver answering in 50 ms gets about 1,280
deliveries a second from one dispatcher copy, more than one copy makes in total, so a fast
receiver is limited by its own speed. It still leaves most of ``HOOKBUS_DELIVERY_CONCURRENCY``
(200) to the other endpoints when one hangs, which is the point of a per-endpoint bound. An
``ordered`` endpoint always gets 1. The dispatcher's global bound caps every endpoint's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_MAX_IN_FLIGHT = 64
MAX_IN_FLIGHT = 1000


def in_flight_limit(endpoint: Mapping[str, Any]) -> int:
    """The most deliveries to ``endpoint`` that may run at once: 1 when ordered, else its
    ``max_in_flight`` (1–1000), else :data:`DEFAULT_MAX_IN_FLIGHT`."""
    if endpoint.get("ordered"):
        return 1
    given = endpoint.get("max_in_flight")
    if isinstance(given, int) and not isinstance(given, bool) and given >= 1:
        return min(given, MAX_IN_FLIGHT)
    return DEFAULT_MAX_IN_FLIGHT
