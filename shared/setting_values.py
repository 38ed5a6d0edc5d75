"""The values ``HOOKBUS_*`` variables hold: durations, schedules, keys, booleans, URLs.

Parsers shared by :mod:`shared.settings` (which builds the settings) and
:mod:`shared.settings_check` (which names every variable whose value is not allowed).
"""

from __future__ import annotations

import base64
import binascii
import re

_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d)?\s*$", re.ASCII)
# Longer than anything hookbus waits for or keeps; beyond it, times overflow databases' integers.
MAX_DURATION_S = 100 * 365 * 86400.0
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


class SettingsError(ValueError):
    """A ``HOOKBUS_*`` variable holds a value that cannot be used."""


def parse_duration(text: str) -> float:
    """Parse ``"5s"``, ``"30m"``, ``"2h"``, ``"5d"``, ``"250ms"`` or bare seconds into seconds."""
    match = _DURATION.match(text)
    if not match:
        raise SettingsError(f"not a duration: {text!r} (use e.g. 5s, 30m, 2h, 5d)")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds > MAX_DURATION_S:
        raise SettingsError(f"duration {text!r} is over 100 years")
    return seconds


def parse_schedule(text: str) -> tuple[float, ...]:
    """Parse a comma-separated retry schedule such as ``"5s,5m,30m"`` into seconds."""
    return tuple(parse_duration(part) for part in text.split(",") if part.strip())


def parse_secret_keys(text: str) -> tuple[bytes, ...]:
    """Parse ``HOOKBUS_SECRET_KEY``: comma-separated base64 keys of 32 bytes, newest first."""
    keys = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            key = base64.urlsafe_b64decode(part.replace("+", "-").replace("/", "_") + "==")
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise SettingsError("HOOKBUS_SECRET_KEY must hold base64 keys of 32 bytes")
        keys.append(key)
    return tuple(keys)


def parse_bool(text: str) -> bool:
    """``true``/``false`` as ``HOOKBUS_*`` booleans are written (also 1/0, yes/no, on/off)."""
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"not a boolean: {text!r}")


def at_least_one(name: str, value: int) -> int:
    """``value``, or :class:`SettingsError` naming ``HOOKBUS_<name>`` when it is below 1."""
    if value < 1:
        raise SettingsError(f"HOOKBUS_{name} must be at least 1, got {value}")
    return value


def parse_public_url(text: str | None) -> str | None:
    """``HOOKBUS_PUBLIC_URL`` without its trailing slash; None when unset."""
    if text is None:
        return None
    if not re.match(r"^https?://[^/?#\s]+(/[^?#\s]*)?$", text.strip()):
        raise SettingsError(
            f"HOOKBUS_PUBLIC_URL must be http(s)://host[:port][/prefix], got {text!r}"
        )
    return text.strip().rstrip("/")
