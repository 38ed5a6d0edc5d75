"""Signing secrets at rest: AES-256-GCM under ``HOOKBUS_SECRET_KEY`` on the config topic.

A stored secret is either plain (``whsec_...``, when no key is set or it was written before one
was) or sealed: ``enc:v1:<key id>:<base64(nonce | ciphertext)>``. The endpoint id is bound in as
associated data, so a sealed secret copied onto another endpoint does not open. The first key
seals; every key listed opens, so the key can be rotated by putting a new one first.
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.errors import HookbusError

SEALED_PREFIX = "enc:v1:"
NONCE_BYTES = 12


class SecretUnavailable(HookbusError):
    """A sealed secret that no configured key opens (key missing, wrong or rotated away)."""


def _key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


class SecretBox:
    """Seals and opens signing secrets with the configured keys (none: secrets stay plain)."""

    def __init__(self, keys: tuple[bytes, ...]) -> None:
        self._ciphers = {_key_id(key): AESGCM(key) for key in keys}
        self._sealing = _key_id(keys[0]) if keys else None

    @property
    def enabled(self) -> bool:
        """True when new secrets are sealed."""
        return self._sealing is not None

    def seal(self, secret: str, endpoint_id: str) -> str:
        """The stored form of ``secret`` for ``endpoint_id``: sealed when a key is set."""
        if self._sealing is None:
            return secret
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self._sealing].encrypt(nonce, secret.encode(), endpoint_id.encode())
        return f"{SEALED_PREFIX}{self._sealing}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, stored: str, endpoint_id: str) -> str:
        """The plain secret of a stored one; raise :class:`SecretUnavailable` if it won't open."""
        if not stored.startswith(SEALED_PREFIX):
            return stored
        key_id, _, text = stored[len(SEALED_PREFIX) :].partition(":")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise SecretUnavailable(f"secret sealed with key {key_id}, which is not configured")
        try:
            raw = base64.b64decode(text, validate=True)
            plain = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], endpoint_id.encode())
        except (InvalidTag, ValueError) as exc:
            raise SecretUnavailable("sealed secret does not open with its key") from exc
        return plain.decode()


@lru_cache(maxsize=8)
def secret_box(keys: tuple[bytes, ...]) -> SecretBox:
    """The box for ``keys`` (``Settings.secret_keys``), built once per process."""
    return SecretBox(keys)
