"""Credentials in configured headers: shown masked, sent in full.

An endpoint's or a route's ``headers`` often carry what authenticates hookbus to the receiver
(``Authorization: Bearer ...``, ``X-Api-Key``). Every answer of the API, and the attempts log,
show such a header's value as :data:`MASK`; the dispatcher still sends the real value. A PATCH
that gives back :data:`MASK` for a header that already has a value keeps that value, so a client
may send a read object back unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

MASK = "****"
# Whole names that carry a credential, and parts that make any name one (case-insensitive).
_NAMES = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
_PARTS = ("token", "secret", "key", "password")


def is_credential(name: str) -> bool:
    """True when a header called ``name`` carries a credential and is shown masked."""
    lowered = name.lower()
    return lowered in _NAMES or any(part in lowered for part in _PARTS)


def masked(headers: Mapping[str, str] | None) -> dict[str, str]:
    """``headers`` with every credential's value replaced by :data:`MASK` (None: empty)."""
    return {name: MASK if is_credential(name) else value for name, value in (headers or {}).items()}


def kept(given: Mapping[str, str] | None, current: Mapping[str, str] | None) -> dict[str, str]:
    """``given`` (a PATCH's headers) where a credential sent back as :data:`MASK` keeps the
    value it has in ``current`` (matched case-insensitively); other values as given."""
    stored = {name.lower(): value for name, value in (current or {}).items()}
    return {
        name: stored[name.lower()]
        if value == MASK and is_credential(name) and name.lower() in stored
        else value
        for name, value in (given or {}).items()
    }
