"""Standard Webhooks signing: ``v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>``.

Secrets are ``whsec_`` + base64 of the raw key bytes, as Svix and the Standard Webhooks
libraries use them, so receivers can verify with any of those libraries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

SECRET_PREFIX = "whsec_"
MIN_KEY_BYTES = 24
MAX_KEY_BYTES = 64


def generate_secret() -> str:
    """A fresh ``whsec_`` secret with 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(32)).decode()


def secret_key(secret: str) -> bytes:
    """The raw key bytes of a ``whsec_`` secret; raise ``ValueError`` when it is malformed."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("secret must start with whsec_")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except ValueError as exc:  # binascii.Error, or a character that is not ASCII
        raise ValueError("secret must be whsec_ followed by base64") from exc
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise ValueError(f"secret key must be {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes")
    return key


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of ``body`` for ``msg_id`` at ``timestamp``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one signature per valid secret, space-separated."""
    return " ".join(signature(secret, msg_id, timestamp, body) for secret in secrets)


def verify(secret: str, msg_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """True when any ``v1`` signature in ``header`` matches; compares in constant time."""
    expected = signature(secret, msg_id, timestamp, body)
    found = False
    for candidate in header.split():
        # Compare every candidate so timing does not reveal which one matched.
        found |= hmac.compare_digest(candidate.encode(), expected.encode())
    return found
