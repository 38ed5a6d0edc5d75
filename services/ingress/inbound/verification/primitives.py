"""The building blocks every provider check uses: HMAC, decoding, comparison, freshness.

Every comparison of a secret-derived value goes through :func:`any_equal`, which is
constant-time per candidate (``hmac.compare_digest``) and looks at every candidate, so the
time taken tells an attacker neither how much of a signature was right nor which one matched.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime

# The replay window of every timestamped scheme (Stripe, Slack, Zendesk, Standard Webhooks).
TOLERANCE_SECONDS = 300
_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def mac(key: bytes, algorithm: str, *parts: bytes) -> bytes:
    """HMAC of the concatenated ``parts`` (fed in turn: the body is never copied)."""
    signer = hmac.new(key, digestmod=_DIGESTS[algorithm])
    for part in parts:
        signer.update(part)
    return signer.digest()


def from_hex(text: str) -> bytes | None:
    """Bytes of a hex string (either case), or None when it is not hex."""
    try:
        return bytes.fromhex(text)
    except ValueError:
        return None


def from_base64(text: str) -> bytes | None:
    """Bytes of a standard base64 string, or None when it is not base64."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def any_equal(expected: bytes, candidates: Iterable[bytes | None]) -> bool:
    """True when any candidate equals ``expected``; undecodable (None) candidates never do."""
    found = False
    for candidate in candidates:
        if candidate is not None:
            found |= hmac.compare_digest(expected, candidate)
    return found


def equal(expected: bytes, given: str | None) -> bool:
    """Constant-time check that the text ``given`` (latin-1, as headers are) is ``expected``."""
    return given is not None and hmac.compare_digest(expected, wire(given))


def wire(text: str) -> bytes:
    """A header value back as the bytes that came on the wire (headers are latin-1 decoded)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:  # built from str by a caller, not from wire bytes
        return text.encode(errors="surrogatepass")


def unix_seconds(text: str) -> int | None:
    """An integer Unix timestamp, or None (no sign, no fraction, no spaces)."""
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        return None
    return int(text)


def iso_seconds(text: str) -> float | None:
    """An ISO 8601 timestamp (``2021-07-25T10:00:00Z``) as Unix seconds, or None."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


def fresh(timestamp: float, now: float) -> bool:
    """True when ``timestamp`` is within the tolerance of ``now``, either way."""
    return abs(now - timestamp) <= TOLERANCE_SECONDS


def stale_reason(header: str) -> str:
    """The rejection reason for a timestamp outside the window."""
    return f"{header} is more than {TOLERANCE_SECONDS} seconds away from now"
