"""The request an endpoint receives for one attempt, signed the Standard Webhooks way.

The signature covers ``{webhook-id}.{webhook-timestamp}.{body}``; ``webhook-id`` is the message id
(the same on every retry, so receivers can dedupe) and the timestamp is this attempt's, so a
retry is signed afresh with the endpoint's secrets as they are now.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import metadata

from shared import clock, signing
from shared.errors import HookbusError
from shared.records import DeliveryRecord, JsonObject
from shared.secret_box import SecretUnavailable, secret_box

log = logging.getLogger(__name__)
FALLBACK_VERSION = "0.1.0"
# Headers an endpoint's own `headers` may not set: they describe the body or carry the signature.
RESERVED = frozenset(
    {
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "host",
        "connection",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
)


class NoSigningSecret(HookbusError):
    """The endpoint has no secret that may sign right now (all expired or malformed)."""


@dataclass(frozen=True)
class OutboundRequest:
    """What one attempt sends: ``body`` to ``url`` with ``headers``, by ``method`` (an
    endpoint always gets a POST; a forwarded inbound request keeps its own method)."""

    url: str
    headers: dict[str, str]
    body: bytes
    method: str = "POST"


@cache
def user_agent() -> str:
    """``hookbus/<installed version>``, or the fallback version when not installed."""
    try:
        version = metadata.version("hookbus")
    except metadata.PackageNotFoundError:
        version = FALLBACK_VERSION
    return f"hookbus/{version}"


def signing_secrets(endpoint: JsonObject, now: datetime, keys: tuple[bytes, ...] = ()) -> list[str]:
    """The endpoint's secrets that still sign at ``now``, newest first, opened with ``keys``
    (``HOOKBUS_SECRET_KEY``) when stored sealed.

    A secret signs while its ``expires_at`` is null or in the future; malformed ones, and sealed
    ones no key opens, are skipped.
    """
    usable = []
    box = secret_box(keys)
    for entry in endpoint.get("secrets") or []:
        try:
            expires = entry.get("expires_at")
            if expires is not None and clock.parse(expires) <= now:
                continue
            secret = box.open(entry["secret"], endpoint["id"])
            signing.secret_key(secret)
        except (ValueError, KeyError, TypeError, SecretUnavailable) as exc:
            log.warning(
                "unusable signing secret skipped",
                extra={"endpoint_id": endpoint["id"], "reason": type(exc).__name__},
            )
            continue
        usable.append(secret)
    return usable


def build_request(
    delivery: DeliveryRecord,
    endpoint: JsonObject,
    now: datetime,
    keys: tuple[bytes, ...] = (),
) -> OutboundRequest:
    """The signed request for ``delivery`` to ``endpoint`` at ``now``; ``keys`` open sealed
    secrets (``Settings.secret_keys``).

    Raises :class:`NoSigningSecret` when no secret of the endpoint may sign.
    """
    secrets = signing_secrets(endpoint, now, keys)
    if not secrets:
        raise NoSigningSecret("endpoint has no valid signing secret")
    body = delivery["body"].encode("utf-8")
    timestamp = int(now.timestamp())
    custom = {
        name.lower(): value
        for name, value in (endpoint.get("headers") or {}).items()
        if name.lower() not in RESERVED
    }
    # The payload-version header describes the body: it wins over a same-named custom one.
    rendered = {
        name.lower(): value
        for name, value in (delivery.get("headers") or {}).items()
        if name.lower() not in RESERVED
    }
    headers = {
        "content-type": delivery["content_type"],
        "user-agent": user_agent(),
        **custom,
        **rendered,
        "webhook-id": delivery["message_id"],
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(
            secrets, delivery["message_id"], timestamp, body
        ),
    }
    return OutboundRequest(url=endpoint["url"], headers=headers, body=body)
