"""The single entry point: verify one request for one source."""

from __future__ import annotations

from collections.abc import Callable

from services.ingress.inbound.verification.providers import (
    body_hmac,
    generic,
    github,
    gitlab,
    meta,
    sendgrid,
    slack,
    standard,
    stripe,
    teams,
    twilio,
    twitter,
)
from services.ingress.inbound.verification.request import InboundRequest
from services.ingress.inbound.verification.settings import Provider, SourceVerification
from services.ingress.inbound.verification.verdict import Verdict

Check = Callable[[SourceVerification, InboundRequest, float], Verdict]

_CHECKS: dict[Provider, Check] = {
    "github": github.verify,
    "stripe": stripe.verify,
    "slack": slack.verify,
    "twilio": twilio.verify,
    "pagerduty": body_hmac.pagerduty,
    "zendesk": body_hmac.zendesk,
    "shopify": body_hmac.shopify,
    "meta": meta.verify,
    "twitter": twitter.verify,
    "gitlab": gitlab.verify,
    "standard": standard.verify,
    "generic": generic.verify,
    "sendgrid": sendgrid.verify,
    "teams": teams.verify,
}


def verify(settings: SourceVerification, request: InboundRequest, now: float) -> Verdict:
    """Verify ``request`` as ``settings.provider`` signs, at ``now`` (Unix seconds).

    Pure and CPU-only (one or two HMACs over the body): never blocks, never raises for any
    request, however malformed; a request that fails is ``Rejected`` with a reason that is safe
    to answer and to log.
    """
    return _CHECKS[settings.provider](settings, request, now)
