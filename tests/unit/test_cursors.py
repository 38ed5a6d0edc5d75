"""The list cursor every /v1 list shares (shared/cursors.py)."""

from __future__ import annotations

import base64

import pytest

from shared.cursors import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, encode_cursor
from shared.errors import Unprocessable


def test_a_key_round_trips_and_is_opaque_unpadded_base64url() -> None:
    cursor = encode_cursor((1795342530123, "msg_01JD3QY8Z9V2M4KXW7R5T6N8PB"))
    assert cursor is not None and "=" not in cursor
    assert base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).startswith(b"[")
    assert decode_cursor(cursor, (int, str)) == (1795342530123, "msg_01JD3QY8Z9V2M4KXW7R5T6N8PB")


def test_no_key_is_no_cursor_and_no_cursor_is_the_first_page() -> None:
    assert encode_cursor(None) is None
    assert decode_cursor(None, (str,)) is None
    assert decode_cursor("", (str,)) is None


@pytest.mark.parametrize("text", ["not-ours", "!!!", encode_cursor(["a", "b"]), encode_cursor([1])])
def test_a_cursor_we_did_not_make_is_refused_naming_it(text: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        decode_cursor(text, (str,))
    assert refused.value.details == {"cursor": text}


def test_the_page_limits() -> None:
    assert (DEFAULT_LIMIT, MAX_LIMIT) == (50, 250)
