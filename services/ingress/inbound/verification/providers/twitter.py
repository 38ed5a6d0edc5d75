"""Twitter / X Account Activity: the CRC handshake, then signed posts.

``GET ?crc_token=T`` is answered ``{"response_token": "sha256=" + base64(HMAC-SHA256(consumer
secret, T))}``; posts carry ``X-Twitter-Webhooks-Signature: sha256=<base64 HMAC-SHA256 of the
body>``. Both use the same key, so an answered CRC is a signature of T. To keep the handshake
from signing forged posts, tokens are limited to the opaque characters Twitter uses, and a post
must be a JSON object (as every Account Activity event is): it starts with ``{``, which no
token contains.
"""

from __future__ import annotations

import base64
import re

import orjson

from services.ingress.inbound.verification.primitives import any_equal, from_base64, mac
from services.ingress.inbound.verification.request import InboundRequest
from services.ingress.inbound.verification.settings import SourceVerification
from services.ingress.inbound.verification.verdict import (
    Challenge,
    HttpAnswer,
    Rejected,
    Verdict,
    Verified,
)

HEADER = "X-Twitter-Webhooks-Signature"
PREFIX = "sha256="
_CRC_TOKEN = re.compile(r"^[A-Za-z0-9+/=_.:~-]{1,512}$")


def verify(settings: SourceVerification, request: InboundRequest, now: float) -> Verdict:
    """Twitter's check: the CRC for a ``GET`` with ``crc_token``, else the signature."""
    if request.method == "GET":
        token = request.query_value("crc_token")
        if token is not None:
            return _crc(settings.key, token)
    value = request.headers.get(HEADER)
    if value is None:
        return Rejected(f"missing {HEADER} header")
    if not value.startswith(PREFIX):
        return Rejected(f"{HEADER} must be {PREFIX}<base64>")
    expected = mac(settings.key, "sha256", request.body)
    if not any_equal(expected, [from_base64(value[len(PREFIX) :])]):
        return Rejected(f"{HEADER} does not match the body")
    if not request.body.startswith(b"{"):
        return Rejected("a Twitter post must be a JSON object")
    return Verified("twitter")


def _crc(key: bytes, token: str) -> Verdict:
    if not _CRC_TOKEN.match(token):
        return Rejected("crc_token is not a token Twitter sends", 403, handshake=True)
    digest = base64.b64encode(mac(key, "sha256", token.encode())).decode()
    body = orjson.dumps({"response_token": PREFIX + digest})
    return Challenge("twitter", HttpAnswer(200, "application/json", body))
