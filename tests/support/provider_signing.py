"""Signing as SendGrid and Microsoft Teams sign, for the unit and end-to-end tests.

SendGrid: a P-256 key pair made here; the request is signed with ECDSA-SHA256 over
``timestamp + body`` (what SendGrid's own ``EventWebhook`` helper verifies) and the public key
is shown as SendGrid shows it (base64 of the DER SubjectPublicKeyInfo). Teams: HMAC-SHA256 of
the body keyed with the base64-decoded security token, in ``Authorization: HMAC <base64>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sendgrid.helpers.eventwebhook.eventwebhook_header import EventWebhookHeader


class SendGridSigner:
    """A SendGrid account's Event Webhook signing key."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())

    @property
    def verification_key(self) -> str:
        """The public key as SendGrid's settings page shows it."""
        der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def headers(self, body: bytes, timestamp: int) -> dict[str, str]:
        """The two headers SendGrid sends with ``body`` signed at ``timestamp``."""
        signed = str(timestamp).encode() + body
        signature = self.private.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            EventWebhookHeader.SIGNATURE: base64.b64encode(signature).decode(),
            EventWebhookHeader.TIMESTAMP: str(timestamp),
        }


def teams_token() -> str:
    """A security token as Teams shows it when an outgoing webhook is made (base64)."""
    return base64.b64encode(os.urandom(32)).decode()


def teams_headers(token: str, body: bytes) -> dict[str, str]:
    """The Authorization header Teams sends with ``body``."""
    digest = hmac.new(base64.b64decode(token), body, hashlib.sha256).digest()
    return {"Authorization": "HMAC " + base64.b64encode(digest).decode()}
