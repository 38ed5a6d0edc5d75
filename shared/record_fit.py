"""Keeping a record within Kafka's size limit by cutting the copy of a body it carries.

Dead letters carry the record they stand for, and attempt records the request body that was
sent; both copies can be as large as a record may be, and JSON escaping makes them larger. A
record over ``max.message.bytes`` is refused by the broker on every try, so producing it again
would hold its partition forever. Instead the copy is cut short: the original stays intact
where it came from (the dead letter names its topic, partition and offset; the delivery keeps
its full body).
"""

from __future__ import annotations

from collections.abc import Callable

from shared.topics import MAX_VALUE_BYTES

# Each pass aims a little under the limit, since escaping is not spread evenly over the text.
_MARGIN = 0.97
_PASSES = 8


def fit_text(
    encode: Callable[[str], bytes], text: str, limit: int = MAX_VALUE_BYTES, step: int = 1
) -> tuple[bytes, int]:
    """``encode(text)``, or when that is over ``limit`` bytes, ``encode`` of the longest prefix
    of ``text`` found (a multiple of ``step`` characters, so base64 stays whole) that fits.

    Returns the value and how many characters of ``text`` it kept. Raises ``ValueError`` when
    even an empty ``text`` does not fit (the rest of the record is too large by itself).
    """
    value, kept = encode(text), len(text)
    if len(value) <= limit:
        return value, kept
    bare = len(encode(""))
    if bare > limit:
        raise ValueError(f"a record of {bare} bytes without its body is over {limit} bytes")
    for _ in range(_PASSES):
        per_char = max(1.0, (len(value) - bare) / max(kept, 1))
        kept = int((limit - bare) * _MARGIN / per_char)
        kept -= kept % step
        value = encode(text[:kept])
        if len(value) <= limit:
            return value, kept
    return encode(""), 0
