"""From a source's ``provider``, ``secret`` and ``verification`` fields to typed settings.

What each provider needs (anything else is refused with 422):

| provider | ``secret`` (required unless said) | ``verification`` |
|---|---|---|
| github | webhook secret | none |
| stripe | endpoint signing secret (``whsec_...``; an API key is refused) | none |
| slack | app signing secret | none |
| twilio | account auth token | optional ``{"public_url": "https://host[/prefix]"}`` |
| pagerduty | webhook subscription secret | none |
| zendesk | webhook signing secret | none |
| shopify | app client secret | none |
| meta | app secret (optional: without it, posts are refused) | ``{"verify_token": "..."}`` |
| twitter | app consumer secret (API secret key) | none |
| gitlab | the webhook's secret token | none |
| standard | base64 of the key, ``whsec_`` prefix optional | none |
| generic | HMAC or API key when the object has none | one of the five; absent = none |
| sendgrid | none (it signs with a private key) | ``{"verification_key": "<base64 public key>"}`` |
| teams | the security token Teams shows (base64) | none |
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import urlsplit

import services.ingress.inbound.verification.checks as checks
from services.ingress.inbound.verification.generic_settings import parse_generic
from services.ingress.inbound.verification.public_keys import public_key
from services.ingress.inbound.verification.settings import (
    PROVIDERS,
    Provider,
    SourceVerification,
)
from shared.signing import SECRET_PREFIX

# The fields `verification` may hold for each preset (generic has its own validation).
_PRESET_FIELDS: dict[str, set[str]] = {
    "meta": {"verify_token"},
    "twilio": {"public_url"},
    "sendgrid": {"verification_key"},
}
# A generic source without `verification` accepts every request, as Svix or Hookdeck would.
NO_CHECK = {"type": "none"}
# Stripe API keys: pasted in place of the signing secret, no signature would ever verify.
_STRIPE_API_KEYS = ("sk_", "rk_", "pk_")


def parse_verification(
    provider: Any,
    secret: Any = None,
    verification: Any = None,
    *,
    public_base_url: str | None = None,
) -> SourceVerification:
    """Validate a source's verification fields and decode its keys once.

    ``public_base_url`` is a deployment-wide default for Twilio's ``public_url`` (a source's
    own value wins). Raise ``Unprocessable`` (``details``: ``[{"path", "msg"}]``) for an unknown
    provider, a missing or malformed secret, or a bad ``verification`` object. Pure: never blocks.
    """
    if provider not in PROVIDERS:
        checks.fail("provider", f"must be one of {', '.join(PROVIDERS)}")
    name = cast(Provider, provider)
    if verification is not None and not isinstance(verification, Mapping):
        checks.fail("verification", "must be an object")
    options: Mapping[str, Any] = verification or {}
    if name == "generic":
        if not options and secret is not None:
            checks.fail("verification", "is required with a secret, to say how it is checked")
        return SourceVerification(name, check=parse_generic(options or NO_CHECK, secret))
    checks.only_fields(options, "verification", _PRESET_FIELDS.get(name, set()))
    if name == "sendgrid":
        if secret is not None:
            checks.fail("secret", "sendgrid signs with a private key: give verification_key")
        return SourceVerification(name, public_key=public_key(options.get("verification_key")))
    if name == "meta":
        # The handshake needs only the verify token; posts are refused until a secret is set.
        key = b"" if secret is None else _key(name, checks.secret_text(secret, "secret"))
        token = checks.secret_text(options.get("verify_token"), "verification.verify_token")
        return SourceVerification(name, key, verify_token=token.encode())
    key = _key(name, checks.secret_text(secret, "secret"))
    if name == "twilio":
        public = options.get("public_url", public_base_url)
        url = None if public is None else _public_url(public)
        return SourceVerification(name, key, public_url=url)
    return SourceVerification(name, key)


def _key(provider: Provider, secret: str) -> bytes:
    if provider == "standard":
        return _whsec_key(secret)
    if provider == "teams":
        return _base64_key(secret)
    if provider == "stripe" and secret.startswith(_STRIPE_API_KEYS):
        # Any other text is used as is (Stripe's own signing helpers take any string).
        checks.fail("secret", "must be the endpoint's signing secret (whsec_...), not an API key")
    return secret.encode()


def _whsec_key(secret: str) -> bytes:
    # As the reference library does: the whsec_ prefix is optional, the rest is base64, and
    # the key may have any length (the specification only recommends 24 to 64 bytes).
    encoded = secret.removeprefix(SECRET_PREFIX).rstrip("=")
    try:
        # Padding is optional in the wild (the reference library adds it back): so do we.
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except ValueError:  # binascii.Error, or a character that is not ASCII
        checks.fail("secret", "must be base64 (optionally after whsec_)")
    if not key:
        checks.fail("secret", "must hold a key after whsec_")
    return key


def _base64_key(secret: str) -> bytes:
    # Teams shows its security token as base64; the HMAC key is what it decodes to.
    try:
        key = base64.b64decode(secret, validate=True)
    except ValueError:  # binascii.Error, or a character that is not ASCII
        checks.fail("secret", "must be the security token as Teams shows it (base64)")
    if not key:
        checks.fail("secret", "must hold a key")
    return key


def _public_url(value: Any) -> str:
    path = "verification.public_url"
    if not isinstance(value, str):
        checks.fail(path, "must be a string")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        checks.fail(path, "must be an absolute http or https URL")
    if parts.query or parts.fragment or parts.username or parts.password:
        checks.fail(path, "must be scheme://host[:port][/path prefix], nothing more")
    return value.rstrip("/")
