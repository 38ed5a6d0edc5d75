"""What a forwarded inbound request looks like on the wire. Pure: no I/O.

- method: the original one; URL: the destination's ``url`` with the original query appended
  (after ``?``, or ``&`` when the URL has a query of its own);
- headers: the original ones (the provider's signature headers included) without those that
  belong to one connection or to the framing (``host``, ``content-length``,
  ``transfer-encoding``, ``connection`` and the other hop-by-hop ones), then the route's
  ``headers``, then ``x-hookbus-inbound-id``, ``x-hookbus-source-id`` and ``x-hookbus-route-id``;
- body: the received bytes, unchanged, so the destination can check the provider's signature.
"""

from __future__ import annotations

from services.dispatcher.targets.request import user_agent
from shared.records import RouteDeliveryRecord

# RFC 9110 7.6.1: these describe one connection or the framing, never the message.
HOP_BY_HOP = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "expect",
    }
)
INBOUND_ID, SOURCE_ID, ROUTE_ID = (
    "x-hookbus-inbound-id",
    "x-hookbus-source-id",
    "x-hookbus-route-id",
)


def forward_url(url: str, query: str) -> str:
    """``url`` with ``query`` (raw, without ``?``) appended, before any fragment."""
    if not query:
        return url
    base, hash_, fragment = url.partition("#")
    joint = "&" if "?" in base else "?"
    if base.endswith(("?", "&")):
        joint = ""
    return f"{base}{joint}{query}{hash_}{fragment}"


def forward_headers(
    received: dict[str, str], extra: dict[str, str], delivery: RouteDeliveryRecord
) -> dict[str, str]:
    """The headers of the forwarded request (names lowercased, as received)."""
    named = received.get("connection", "")
    dropped = HOP_BY_HOP | {token.strip().lower() for token in named.split(",") if token.strip()}
    headers = {name: value for name, value in received.items() if name not in dropped}
    headers.setdefault("user-agent", user_agent())
    for name, value in extra.items():
        if name.lower() not in HOP_BY_HOP:
            headers[name.lower()] = value
    headers[INBOUND_ID] = delivery["inbound_id"]
    headers[SOURCE_ID] = delivery["source_id"]
    headers[ROUTE_ID] = delivery["route_id"]
    return headers
