"""Meta (Facebook, Instagram, WhatsApp): the ``hub.challenge`` handshake, then signed posts.

``GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C`` is answered ``200 C`` when T is
the source's ``verify_token``, else ``403``. Everything else must carry
``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body, keyed with the app secret>``; a
source without an app secret (made for the handshake alone) refuses every post.
"""

from __future__ import annotations

import hmac

from services.ingress.inbound.verification.providers.github import hub_signature
from services.ingress.inbound.verification.request import InboundRequest
from services.ingress.inbound.verification.settings import SourceVerification
from services.ingress.inbound.verification.verdict import (
    Challenge,
    HttpAnswer,
    Rejected,
    Verdict,
)


def verify(settings: SourceVerification, request: InboundRequest, now: float) -> Verdict:
    """Meta's check: the handshake for a ``GET`` with ``hub.mode``, else the signature."""
    if request.method == "GET" and request.query_value("hub.mode") is not None:
        return _handshake(settings, request)
    if not settings.key:
        return Rejected("the source has no app secret to check X-Hub-Signature-256 with")
    return hub_signature(settings.key, request, "meta")


def _handshake(settings: SourceVerification, request: InboundRequest) -> Verdict:
    challenge = request.query_value("hub.challenge")
    if request.query_value("hub.mode") != "subscribe" or not challenge:
        return Rejected("hub.mode must be subscribe, with a hub.challenge", 403, handshake=True)
    token = (request.query_value("hub.verify_token") or "").encode(errors="surrogatepass")
    if settings.verify_token is None or not hmac.compare_digest(settings.verify_token, token):
        return Rejected("hub.verify_token does not match", 403, handshake=True)
    return Challenge(
        "meta",
        HttpAnswer(200, "text/plain; charset=utf-8", challenge.encode(errors="surrogatepass")),
    )
