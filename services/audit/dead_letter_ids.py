"""Dead letters' public ids: ``dl_`` + 26 Crockford base32 characters that spell the time it
was written (10, as every hookbus id starts, so ids sort by time), then its partition (4) and
offset (12) on the dead topic: its place, so the id needs no column and never changes."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "dl_"
WIDTHS = (10, 4, 12)


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def dead_letter_id(at_ms: int, partition: int, offset: int) -> str:
    """The id of the dead letter written at ``at_ms`` to ``partition`` at ``offset``."""
    parts = zip((at_ms, partition, offset), WIDTHS, strict=True)
    return PREFIX + "".join(_encode(value, width) for value, width in parts)


def parse_dead_letter_id(text: str) -> tuple[int, int, int] | None:
    """``(at_ms, partition, offset)`` of an id made by :func:`dead_letter_id`, else None."""
    body = text.removeprefix(PREFIX).upper()
    if not text.startswith(PREFIX) or len(body) != sum(WIDTHS):
        return None
    if any(char not in ALPHABET for char in body):
        return None
    values, start = [], 0
    for width in WIDTHS:
        value = 0
        for char in body[start : start + width]:
            value = value * 32 + ALPHABET.index(char)
        values.append(value)
        start += width
    return values[0], values[1], values[2]
