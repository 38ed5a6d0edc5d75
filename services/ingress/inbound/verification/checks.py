"""Small field checks shared by the settings validation; each raises ``Unprocessable``.

Messages and details name the field, never its value: a value may be a secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NoReturn

from shared.errors import Unprocessable

MAX_SECRET_CHARS = 1024
# RFC 9110 token characters: what a header name may be made of.
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,256}")


def fail(path: str, message: str) -> NoReturn:
    """Raise ``Unprocessable`` for the field at ``path`` (``details``: one ``{path, msg}``)."""
    raise Unprocessable(f"{path}: {message}", [{"path": path, "msg": message}])


def only_fields(obj: Mapping[str, Any], path: str, allowed: set[str]) -> None:
    """Refuse unknown fields, so a typo never silently does nothing."""
    unknown = sorted(set(obj) - allowed)
    if unknown:
        fields = ", ".join(unknown)
        expected = ", ".join(sorted(allowed)) or "nothing"
        fail(path, f"unknown field(s) {fields}; expected {expected}")


def text(obj: Mapping[str, Any], name: str, path: str, *, required: bool = True) -> str | None:
    """The non-empty string field ``name`` of ``obj`` (None when optional and absent)."""
    value = obj.get(name)
    if value is None:
        if required:
            fail(f"{path}.{name}", "is required")
        return None
    if not isinstance(value, str) or not value:
        fail(f"{path}.{name}", "must be a non-empty string")
    if len(value) > MAX_SECRET_CHARS:
        fail(f"{path}.{name}", f"must be at most {MAX_SECRET_CHARS} characters")
    return value


def secret_text(value: Any, path: str) -> str:
    """A secret or token: a non-empty string without surrounding whitespace."""
    if value is None:
        fail(path, "is required")
    if not isinstance(value, str) or not value:
        fail(path, "must be a non-empty string")
    if len(value) > MAX_SECRET_CHARS:
        fail(path, f"must be at most {MAX_SECRET_CHARS} characters")
    if value != value.strip():
        # A pasted trailing newline would make every signature fail, silently.
        fail(path, "must not start or end with whitespace")
    return value


def header_name(value: Any, path: str) -> str:
    """A valid HTTP header name."""
    if not isinstance(value, str) or not _HEADER_NAME.fullmatch(value):
        fail(path, "must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)")
    return value


def header_value(value: Any, path: str) -> bytes:
    """A header value to compare against: printable, no line breaks, as latin-1 bytes."""
    if not isinstance(value, str) or not value or len(value) > MAX_SECRET_CHARS:
        fail(path, f"must be a non-empty string of at most {MAX_SECRET_CHARS} characters")
    if "\r" in value or "\n" in value or value != value.strip():
        fail(path, "must not contain line breaks or surrounding whitespace")
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        fail(path, "must contain only latin-1 characters, as HTTP header values do")


def choice(obj: Mapping[str, Any], name: str, path: str, options: tuple[str, ...]) -> str:
    """Field ``name``: one of ``options``."""
    value = obj.get(name)
    if value not in options:
        fail(f"{path}.{name}", f"must be one of {', '.join(options)}")
    assert isinstance(value, str)
    return value
