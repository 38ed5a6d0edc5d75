"""Portal tokens: a bearer token limited to one app, signed by the server. No I/O.

A token is ``hbp_<claims>.<signature>``: the claims (app id, read-only flag, expiry, issue time)
as base64url JSON, and an HMAC-SHA256 of them under a key derived from the admin token. Every
ingress copy shares the admin token, so any copy can check a token another one issued, and
changing the admin token invalidates every portal token at once. Revocation is not in the
token: a ``portal_revocation`` record on the config topic refuses every token of the app issued
until its time (see :mod:`services.ingress.web.portal_gate`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import orjson

PREFIX = "hbp_"
# What the admin token is mixed with to make the signing key: a key used for nothing else.
_KEY_LABEL = b"hookbus portal token v1"


@dataclass(frozen=True)
class Grant:
    """What a valid portal token allows: one app, maybe read-only, until ``expires`` (unix s).

    ``issued_ms`` is the issue time in unix milliseconds, compared with revocations.
    """

    app_id: str
    read_only: bool
    expires: int
    issued_ms: int


class InvalidToken(Exception):
    """The text is not a portal token this server signed (or it was tampered with)."""


def signing_key(admin_token: str) -> bytes:
    """The key portal tokens are signed with, derived from ``HOOKBUS_ADMIN_TOKEN``."""
    return hmac.new(admin_token.encode(), _KEY_LABEL, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(key: bytes, grant: Grant) -> str:
    """A signed token carrying ``grant``."""
    claims = {
        "app": grant.app_id,
        "ro": grant.read_only,
        "exp": grant.expires,
        "iat": grant.issued_ms,
        # Two tokens issued in the same millisecond still differ.
        "n": secrets.token_urlsafe(6),
    }
    body = _b64(orjson.dumps(claims))
    return f"{PREFIX}{body}.{_b64(_sign(key, body))}"


def is_portal_token(text: str) -> bool:
    """True when ``text`` is shaped like a portal token (it may still be invalid)."""
    return text.startswith(PREFIX)


def verify(key: bytes, token: str) -> Grant:
    """The grant a token carries; raise :class:`InvalidToken` unless this key signed it.

    Expiry is not checked here (the caller knows the time and answers it apart).
    """
    body, dot, signature = token.removeprefix(PREFIX).partition(".")
    if not token.startswith(PREFIX) or not dot:
        raise InvalidToken("not a portal token")
    try:
        given = _unb64(signature)
        if not hmac.compare_digest(given, _sign(key, body)):
            raise InvalidToken("bad signature")
        claims = orjson.loads(_unb64(body))
        return Grant(
            app_id=str(claims["app"]),
            read_only=bool(claims["ro"]),
            expires=int(claims["exp"]),
            issued_ms=int(claims["iat"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidToken("malformed portal token") from exc


def _sign(key: bytes, body: str) -> bytes:
    return hmac.new(key, body.encode(), hashlib.sha256).digest()
