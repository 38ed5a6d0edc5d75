"""A source's verification settings, typed, with its keys decoded once.

Built by :func:`~.validation.parse_verification` from the source's ``provider``, ``secret`` and
``verification`` fields; keep the result with the source (it is immutable and cheap to share)
so no request decodes a secret again. Secrets are left out of every ``repr``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

Provider = Literal[
    "github",
    "stripe",
    "slack",
    "twilio",
    "pagerduty",
    "zendesk",
    "shopify",
    "meta",
    "twitter",
    "gitlab",
    "standard",
    "generic",
    "sendgrid",
    "teams",
]
PROVIDERS: tuple[Provider, ...] = get_args(Provider)
# Providers that prove the URL with a handshake before sending anything else.
CHALLENGE_PROVIDERS: frozenset[Provider] = frozenset({"slack", "meta", "twitter"})
Algorithm = Literal["sha1", "sha256", "sha512"]
Encoding = Literal["hex", "base64"]


@dataclass(frozen=True, slots=True)
class NoCheck:
    """``{"type": "none"}``: every request is accepted unverified."""


@dataclass(frozen=True, slots=True)
class HeaderCheck:
    """``{"type": "header", "headers": {name: value}}``: every listed header has that value."""

    headers: tuple[tuple[str, bytes], ...] = field(repr=False)


@dataclass(frozen=True, slots=True)
class BasicCheck:
    """``{"type": "basic", "username", "password"}``: HTTP Basic authentication."""

    credentials: bytes = field(repr=False)  # b"username:password", as Basic encodes it


@dataclass(frozen=True, slots=True)
class ApiKeyCheck:
    """``{"type": "api_key", "header", "key"}``: one header carries the key."""

    header: str
    key: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class HmacCheck:
    """``{"type": "hmac", ...}``: ``header`` = ``prefix`` + encoded HMAC of the raw body."""

    header: str
    algorithm: Algorithm
    encoding: Encoding
    prefix: str
    key: bytes = field(repr=False)


GenericCheck = NoCheck | HeaderCheck | BasicCheck | ApiKeyCheck | HmacCheck


@dataclass(frozen=True, slots=True)
class SourceVerification:
    """How one source's requests are verified.

    ``key`` is the HMAC key (or token) as bytes: the secret's UTF-8 bytes, except for
    ``standard`` and ``teams``, whose secrets are base64-decoded. ``check`` is set for
    ``generic`` only, ``verify_token`` for ``meta`` only, ``public_key`` (the ECDSA P-256
    verification key) for ``sendgrid`` only. ``public_url`` (``twilio`` only) replaces the
    scheme, host and port of the received URL before the signature is computed.
    """

    provider: Provider
    key: bytes = field(default=b"", repr=False)
    check: GenericCheck | None = None
    verify_token: bytes | None = field(default=None, repr=False)
    public_url: str | None = None
    public_key: EllipticCurvePublicKey | None = field(default=None, repr=False)

    @property
    def uses_challenge(self) -> bool:
        """True when the provider answers a handshake first (Slack, Meta, Twitter)."""
        return self.provider in CHALLENGE_PROVIDERS
