"""Every ``HOOKBUS_*`` value checked at start, so a bad one stops the process with one line that
names the variable, its value and what is allowed (``hookbus`` exits 2), instead of a traceback
later or a silently different behaviour (a port past 65535 listening on a random one, a negative
body limit refusing everything).

The rules are a table, one entry per variable; a variable not in it is left to
:meth:`shared.settings.Settings.from_env` (which raises :class:`SettingsError` itself). Values
that may be secrets are never echoed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shared.setting_values import (
    SettingsError,
    parse_bool,
    parse_duration,
    parse_public_url,
    parse_schedule,
    parse_secret_keys,
)

Check = Callable[[str], bool]
_TOPIC_PREFIX = re.compile(r"^[A-Za-z0-9._-]{0,200}$")
_INSTANCE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_URL = re.compile(r"^https?://[^/?#\s]+(/[^?#\s]*)?$")
_HOST_PORT = re.compile(r"^\[?[A-Za-z0-9._:-]+\]?:(\d{1,5})$")
_DATABASE = re.compile(r"^(sqlite|postgres|postgresql)(\+[a-z0-9_]+)?://", re.IGNORECASE)
_TOKEN = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII without spaces: it rides in a header
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class Rule:
    """What a variable may hold: ``check`` says whether a value is allowed, ``allowed`` says
    it in words; ``secret`` values are never printed."""

    check: Check
    allowed: str
    secret: bool = False


def _integer(low: int, high: int | None = None) -> Check:
    def check(text: str) -> bool:
        if not re.fullmatch(r"[+-]?\d{1,18}", text.strip()):
            return False
        value = int(text)
        return value >= low and (high is None or value <= high)

    return check


def _parses(parse: Callable[[str], object]) -> Check:
    def check(text: str) -> bool:
        try:
            parse(text)
        except (SettingsError, ValueError):
            return False
        return True

    return check


def _duration(zero: bool) -> Check:
    def check(text: str) -> bool:
        try:
            seconds = parse_duration(text)
        except SettingsError:
            return False
        return seconds >= 0 if zero else seconds > 0

    return check


def _schedule(text: str) -> bool:
    try:
        steps = parse_schedule(text)
    except SettingsError:
        return False
    return bool(steps) and all(step > 0 for step in steps)


def _bootstrap(text: str) -> bool:
    servers = [part.strip() for part in text.split(",")]
    return all(
        (found := _HOST_PORT.match(server)) is not None and 1 <= int(found.group(1)) <= 65535
        for server in servers
    )


def _matches(pattern: re.Pattern[str]) -> Check:
    return lambda text: pattern.fullmatch(text.strip()) is not None


PORT = Rule(_integer(1, 65535), "a TCP port number from 1 to 65535")
POSITIVE = Rule(_integer(1), "a whole number of at least 1")
DURATION = Rule(_duration(zero=False), "a duration above zero such as 250ms, 5s, 30m, 2h or 5d")
DURATION_OR_ZERO = Rule(_duration(zero=True), "a duration such as 0, 250ms, 5s, 30m, 2h or 5d")
RULES: dict[str, Rule] = {
    "ADMIN_TOKEN": Rule(_matches(_TOKEN), "printable ASCII without spaces", secret=True),
    "HTTP_HOST": Rule(lambda text: bool(text.strip()) and " " not in text, "a host or address"),
    "HTTP_PORT": PORT,
    "AUDIT_PORT": PORT,
    "ROUTER_PORT": PORT,
    "DISPATCHER_PORT": PORT,
    "AUDIT_URL": Rule(_matches(_URL), "an http(s)://host[:port] URL"),
    "KAFKA_BOOTSTRAP": Rule(_bootstrap, "comma-separated host:port pairs"),
    "TOPIC_PREFIX": Rule(
        _matches(_TOPIC_PREFIX), "letters, digits, '.', '_' and '-' (at most 200), as Kafka allows"
    ),
    "PARTITIONS": POSITIVE,
    "REPLICATION_FACTOR": POSITIVE,
    "DATABASE_URL": Rule(
        lambda text: _DATABASE.match(text.strip()) is not None,
        "a sqlite://, postgresql:// or postgres:// URL",
        secret=True,
    ),
    "RETRY_SCHEDULE": Rule(_schedule, "comma-separated durations above zero, e.g. 5s,5m,30m"),
    "ALLOW_PRIVATE_DESTINATIONS": Rule(
        _parses(parse_bool), "true or false (also 1/0, yes/no, on/off)"
    ),
    "MAX_PAYLOAD_BYTES": POSITIVE,
    "DELIVERY_CONCURRENCY": POSITIVE,
    "SECRET_GRACE": DURATION_OR_ZERO,
    "DISABLE_AFTER": DURATION,
    "RETRY_AFTER_MAX": DURATION_OR_ZERO,
    "LOG_LEVEL": Rule(lambda text: text.strip().upper() in LOG_LEVELS, ", ".join(LOG_LEVELS)),
    "RETENTION": DURATION_OR_ZERO,
    "RETENTION_INTERVAL": DURATION,
    "INSTANCE_ID": Rule(_matches(_INSTANCE), "letters, digits, '.', '_' and '-' (at most 64)"),
    "DEDUPE_WINDOW": DURATION,
    "VERDICT_TIMEOUT": DURATION,
    "SECRET_KEY": Rule(
        _parses(parse_secret_keys), "comma-separated base64 keys of 32 bytes", secret=True
    ),
    "MAX_BODY": POSITIVE,
    "SYNC_TIMEOUT": DURATION,
    "PUBLIC_URL": Rule(_parses(parse_public_url), "an http(s)://host[:port][/prefix] URL"),
    "STREAM_KEEPALIVE": DURATION,
    "TASK_PAGE_SIZE": POSITIVE,
}
# Read as they are: any text is a usable value.
UNCHECKED = frozenset({"DATA_DIR"})


def check_env(env: Mapping[str, str]) -> None:
    """Raise :class:`SettingsError` for the first ``HOOKBUS_*`` variable of :data:`RULES` whose
    value is not allowed (an empty value counts as unset, as it does for the settings)."""
    for name, rule in RULES.items():
        value = env.get("HOOKBUS_" + name)
        if value in (None, "") or rule.check(value):
            continue
        shown = "(hidden)" if rule.secret else repr(value)
        raise SettingsError(f"HOOKBUS_{name}={shown} is not allowed: expected {rule.allowed}")
