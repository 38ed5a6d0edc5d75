"""Twilio: ``X-Twilio-Signature: base64(HMAC(auth token, URL + sorted form parameters))``.

The URL is the one Twilio called, query included: the received URL, or the source's
``public_url`` (scheme://host[:port][/prefix]) followed by the received path and query, for a
hookbus behind a proxy that changes host or scheme. As Twilio's own library does, the URL is
tried with and without its default port. Form bodies add each parameter's name then value,
sorted by name (then value). A URL with ``bodySHA256`` (JSON bodies) signs the URL alone and
that parameter must be the hex SHA-256 of the body. HMAC-SHA1 unless
``X-Twilio-Webhooks-Signature-Settings`` names ``algorithm=HMAC_SHA256``.
"""

from __future__ import annotations

import hashlib
from urllib.parse import SplitResult, parse_qs, urlsplit

from services.ingress.inbound.verification.primitives import any_equal, from_base64, from_hex, mac
from services.ingress.inbound.verification.request import InboundRequest, split_url
from services.ingress.inbound.verification.settings import SourceVerification
from services.ingress.inbound.verification.verdict import Rejected, Verdict, Verified

HEADER = "X-Twilio-Signature"
SETTINGS = "X-Twilio-Webhooks-Signature-Settings"
_ALGORITHMS = {"HMAC_SHA1": "sha1", "HMAC_SHA256": "sha256"}
_FORM = "application/x-www-form-urlencoded"


def verify(settings: SourceVerification, request: InboundRequest, now: float) -> Verdict:
    """Twilio's check (``now`` is unused: the scheme has no timestamp)."""
    given = request.headers.get(HEADER)
    if given is None:
        return Rejected(f"missing {HEADER} header")
    algorithm = _algorithm(request.headers.get(SETTINGS))
    if algorithm is None:
        return Rejected(f"{SETTINGS} names an algorithm other than HMAC_SHA1 or HMAC_SHA256")
    body_hash = request.query_value("bodySHA256")
    if body_hash is not None:
        if not any_equal(hashlib.sha256(request.body).digest(), [from_hex(body_hash)]):
            return Rejected("bodySHA256 does not match the body")
        params = b""
    else:
        form = _form(request)
        if form is None:
            return Rejected("the form body is not UTF-8")
        params = form
    url = _signed_url(settings.public_url, request.url)
    expected = [mac(settings.key, algorithm, variant, params) for variant in _port_variants(url)]
    signature = from_base64(given.strip())
    if signature is not None and any_equal(signature, expected):
        return Verified("twilio")
    return Rejected(f"{HEADER} does not match the URL and parameters")


def _algorithm(settings_header: str | None) -> str | None:
    for part in (settings_header or "").split(","):
        name, _, value = part.partition("=")
        if name.strip() == "algorithm" and value.strip():
            return _ALGORITHMS.get(value.strip().upper())
    return "sha1"


def _form(request: InboundRequest) -> bytes | None:
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != _FORM or not request.body:
        return b""
    try:
        params = parse_qs(request.body.decode(), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return None
    # Twilio's library sorts names, then each name's distinct values.
    return "".join(
        name + value for name in sorted(params) for value in sorted(set(params[name]))
    ).encode()


def _signed_url(public_url: str | None, received: str) -> str:
    if public_url is None:
        return received
    path, query = split_url(received)
    return public_url + path + (f"?{query}" if query else "")


def _port_variants(url: str) -> list[bytes]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a garbled host or port: only the URL as received can match
        return [_utf8(url)]
    if port is None:
        default = 443 if parts.scheme == "https" else 80
        other = _with_netloc(parts, f"{parts.netloc}:{default}")
    else:
        other = _with_netloc(parts, parts.netloc.rsplit(":", 1)[0])
    return [_utf8(url), _utf8(other)]


def _with_netloc(parts: SplitResult, netloc: str) -> str:
    return parts._replace(netloc=netloc).geturl()


def _utf8(text: str) -> bytes:
    # A URL built by the caller from decoded parts may hold lone surrogates: never raise.
    return text.encode(errors="surrogatepass")
