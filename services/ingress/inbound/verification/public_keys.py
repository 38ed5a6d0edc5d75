"""SendGrid's verification key: the ECDSA P-256 public key as its settings page shows it."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

import services.ingress.inbound.verification.checks as checks

PATH = "verification_key"
MAX_CHARS = 4096


def public_key(value: Any) -> ec.EllipticCurvePublicKey:
    """The P-256 key of ``value``: base64 of the DER SubjectPublicKeyInfo (what SendGrid shows,
    ``MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE...``), or the same as a PEM block. Raise
    ``Unprocessable`` naming ``verification_key`` when it is missing, malformed or not P-256."""
    if value is None:
        checks.fail(PATH, "is required: the base64 public key SendGrid shows")
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_CHARS:
        checks.fail(PATH, f"must be a non-empty string of at most {MAX_CHARS} characters")
    try:
        if "-----BEGIN" in value:
            key = load_pem_public_key(value.strip().encode())
        else:
            key = load_der_public_key(base64.b64decode("".join(value.split()), validate=True))
    except (binascii.Error, ValueError, TypeError):
        checks.fail(PATH, "must be a base64 public key, as SendGrid shows it")
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        checks.fail(PATH, "must be an ECDSA P-256 public key")
    return key
