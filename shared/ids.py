"""Prefixed, time-sortable identifiers (``msg_`` + 26 Crockford base32 characters).

The first 10 characters encode the creation time in milliseconds and the last 16 are random, as
in ULID, so ids sort by creation time and never need a coordinator; within one millisecond a
process counts up from its last id, so a batch's ids sort in the batch's order.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIXES = frozenset({"app", "ep", "msg", "atm", "src", "rt", "in", "dlv", "et", "task"})


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


_RANDOM_MAX = (1 << 80) - 1
_last = [0, 0]  # the newest (millisecond, random part) handed out by this process
_last_lock = threading.Lock()


def _monotonic_part(millis: int) -> int:
    """Fresh randomness, or within the millisecond of the previous id the next value after its
    (as monotonic ULIDs do), so ids made one after another sort in the order they were made."""
    with _last_lock:
        last_ms, last_random = _last
        if millis == last_ms and last_random < _RANDOM_MAX:
            randomness = last_random + 1
        else:
            randomness = int.from_bytes(os.urandom(10), "big")
        _last[:] = [millis, randomness]
    return randomness


def new_id(prefix: str, now_ms: int | None = None) -> str:
    """Return a new id such as ``app_01JD3...``; ``prefix`` must be one of :data:`PREFIXES`."""
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    return f"{prefix}_{_encode(millis, 10)}{_encode(_monotonic_part(millis), 16)}"


def timestamp_ms(identifier: str) -> int:
    """The creation time in milliseconds encoded in an id made by :func:`new_id`."""
    body = identifier.split("_", 1)[1][:10]
    value = 0
    for char in body:
        value = value * 32 + _ALPHABET.index(char)
    return value


def has_prefix(identifier: str, prefix: str) -> bool:
    """True when ``identifier`` looks like an id of kind ``prefix``."""
    return identifier.startswith(prefix + "_") and len(identifier) == len(prefix) + 27


def derived_id(prefix: str, seed: bytes, at_ms: int | None = None) -> str:
    """A prefixed id fixed by ``seed`` (the same seed gives the same id): 26 Crockford base32
    characters of the seed's SHA-256. With ``at_ms`` the first 10 characters encode that time
    instead, as :func:`new_id` does, so the id still sorts by time."""
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    digest = int.from_bytes(hashlib.sha256(seed).digest()[:17], "big")
    if at_ms is None:
        return f"{prefix}_{_encode(digest, 26)}"
    return f"{prefix}_{_encode(at_ms, 10)}{_encode(digest, 16)}"
