"""Records that carry a copy of a body are cut to fit a Kafka record instead of being refused
by the broker on every try (which would hold their partition forever)."""

from __future__ import annotations

import base64

import orjson
import pytest

from shared.contracts import Contract, decode
from shared.kafka_io import dead_letter
from shared.record_fit import fit_text
from shared.topics import MAX_VALUE_BYTES


def wrapped(text: str) -> bytes:
    return orjson.dumps({"other": "fields", "body": text})


def test_a_record_that_fits_is_left_whole() -> None:
    value, kept = fit_text(wrapped, "hello", limit=100)
    assert value == wrapped("hello") and kept == 5


@pytest.mark.parametrize("char", ["a", '"', "\x01", "é", "😀"], ids=repr)
def test_the_longest_prefix_found_fits_whatever_the_escaping(char: str) -> None:
    text = char * 50_000
    value, kept = fit_text(wrapped, text, limit=20_000)
    assert len(value) <= 20_000 and 0 < kept < len(text)
    assert orjson.loads(value)["body"] == text[:kept]
    # Not needlessly short: the cut keeps most of what could fit.
    assert len(value) > 20_000 * 0.9


def test_base64_is_cut_on_a_whole_group() -> None:
    text = base64.b64encode(bytes(range(256)) * 400).decode()
    value, kept = fit_text(wrapped, text, limit=10_000, step=4)
    assert kept % 4 == 0 and len(value) <= 10_000
    base64.b64decode(orjson.loads(value)["body"], validate=True)


def test_a_record_too_large_without_its_body_is_refused() -> None:
    with pytest.raises(ValueError):
        fit_text(lambda text: b"x" * 200 + text.encode(), "body", limit=100)


def test_a_small_dead_letter_keeps_the_whole_record_and_reason() -> None:
    value = dead_letter("bad", "t.events", 1, 7, b"k", b'{"id": "x"}', "router")
    letter = decode(Contract.DEAD_LETTER, value)
    assert letter["reason"] == "bad" and letter["record"] == '{"id": "x"}'


@pytest.mark.parametrize("char", [b"a", b'"', b"\x01"], ids=repr)
def test_a_dead_letter_of_a_record_near_the_limit_fits_and_says_it_was_cut(char: bytes) -> None:
    original = char * (MAX_VALUE_BYTES - 100)
    value = dead_letter("payload: broken", "t.events", 0, 3, b"app_1", original, "router")
    assert len(value) <= MAX_VALUE_BYTES
    letter = decode(Contract.DEAD_LETTER, value)
    assert letter["reason"].startswith("payload: broken (record cut to its first ")
    assert original.decode().startswith(letter["record"]) and letter["record"]
    assert letter["origin"]["offset"] == 3
