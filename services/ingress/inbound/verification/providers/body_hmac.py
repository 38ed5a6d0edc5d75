"""Providers that sign the raw body alone, or a timestamp then the body, with HMAC-SHA256.

- PagerDuty: ``X-PagerDuty-Signature: v1=<hex>[,v1=<hex>...]``, any match (several while a
  secret rolls).
- Shopify: ``X-Shopify-Hmac-Sha256: <base64>``.
- Zendesk: ``X-Zendesk-Webhook-Signature: <base64 of HMAC(timestamp + body)>`` with the
  timestamp (ISO 8601, e.g. ``2021-07-25T10:00:00Z``) in
  ``X-Zendesk-Webhook-Signature-Timestamp``, which must be within 5 minutes of now.
"""

from __future__ import annotations

from services.ingress.inbound.verification.primitives import (
    any_equal,
    fresh,
    from_base64,
    from_hex,
    iso_seconds,
    mac,
    stale_reason,
    unix_seconds,
    wire,
)
from services.ingress.inbound.verification.request import InboundRequest
from services.ingress.inbound.verification.settings import SourceVerification
from services.ingress.inbound.verification.verdict import Rejected, Verdict, Verified

PAGERDUTY = "X-PagerDuty-Signature"
SHOPIFY = "X-Shopify-Hmac-Sha256"
ZENDESK = "X-Zendesk-Webhook-Signature"
ZENDESK_TIMESTAMP = "X-Zendesk-Webhook-Signature-Timestamp"


def pagerduty(settings: SourceVerification, request: InboundRequest, now: float) -> Verdict:
    """PagerDuty's check (v3 webhooks)."""
    value = request.headers.get(PAGERDUTY)
    if value is None:
        return Rejected(f"missing {PAGERDUTY} header")
    items = [item.strip() for item in value.split(",")]
    signatures = [from_hex(item[3:]) for item in items if item.startswith("v1=")]
    if not signatures:
        return Rejected(f"{PAGERDUTY} has no v1 signature")
    if any_equal(mac(settings.key, "sha256", request.body), signatures):
        return Verified("pagerduty")
    return Rejected(f"no {PAGERDUTY} v1 signature matches the body")


def shopify(settings: SourceVerification, request: InboundRequest, now: float) -> Verdict:
    """Shopify's check."""
    value = request.headers.get(SHOPIFY)
    if value is None:
        return Rejected(f"missing {SHOPIFY} header")
    if any_equal(mac(settings.key, "sha256", request.body), [from_base64(value.strip())]):
        return Verified("shopify")
    return Rejected(f"{SHOPIFY} does not match the body")


def zendesk(settings: SourceVerification, request: InboundRequest, now: float) -> Verdict:
    """Zendesk's check."""
    value, timestamp = request.headers.get(ZENDESK), request.headers.get(ZENDESK_TIMESTAMP)
    if value is None or timestamp is None:
        return Rejected(f"missing {ZENDESK if value is None else ZENDESK_TIMESTAMP} header")
    seconds = unix_seconds(timestamp)
    moment = float(seconds) if seconds is not None else iso_seconds(timestamp)
    if moment is None:
        return Rejected(f"{ZENDESK_TIMESTAMP} must be an ISO 8601 timestamp")
    if not fresh(moment, now):
        return Rejected(stale_reason(ZENDESK_TIMESTAMP))
    expected = mac(settings.key, "sha256", wire(timestamp), request.body)
    if any_equal(expected, [from_base64(value.strip())]):
        return Verified("zendesk")
    return Rejected(f"{ZENDESK} does not match the body")
