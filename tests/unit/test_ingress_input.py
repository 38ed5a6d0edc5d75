"""The ingress's first line of defence against odd input: JSON bodies, URLs, timestamps,
cursors and ids. Each case here answered 500 (or was silently accepted) before."""

from __future__ import annotations

import asyncio
import base64

import orjson
import pytest

from services.ingress.api.models import is_id
from services.ingress.publish.kafka_probe import KafkaProbe
from services.ingress.web import paging
from services.ingress.web.json_bodies import is_json, reencode
from shared import clock
from shared.destinations import check_url_syntax
from shared.errors import KafkaUnavailable, Unprocessable


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/vnd.api+json", True),
        ("text/plain", False),
        ("application/x-www-form-urlencoded", False),
        ("", False),
        ("text/json+xml", False),
    ],
)
def test_json_content_types(content_type: str, expected: bool) -> None:
    assert is_json(content_type) is expected


@pytest.mark.parametrize(
    "body",
    [b'{"a": NaN}', b'{"a": "\\ud800"}', b'{"a": "\xff"}', b'{"a": 1', b"[" * 2000 + b"]" * 2000],
)
def test_what_json_does_not_allow_is_refused(body: bytes) -> None:
    with pytest.raises(orjson.JSONDecodeError):
        reencode(body)


def test_bodies_are_written_again_so_any_handler_result_can_be_encoded() -> None:
    assert reencode(b'{ "a" : [1, 2.5, "x", null] }') == b'{"a":[1,2.5,"x",null]}'
    # Past 64 bits an integer becomes a float: orjson, and so Kafka records, hold no bigger.
    big = orjson.loads(reencode(b'{"n": 123456789012345678901234567890}'))["n"]
    assert isinstance(big, float) and big == pytest.approx(1.2345678901234568e29)
    orjson.dumps(big)


def test_a_body_too_deep_to_store_is_refused_and_one_just_shallow_enough_is_kept() -> None:
    def nested(depth: int) -> bytes:
        return b'{"a":' * depth + b"1" + b"}" * depth

    assert orjson.loads(reencode(nested(252))) == orjson.loads(nested(252))
    with pytest.raises(orjson.JSONEncodeError):
        reencode(nested(253))


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "https://example.com:99999/",
        "http://exa mple.com/",
        "http://example.com/\x01",
        "ftp://example.com/",
        "example.com",
    ],
)
def test_urls_that_no_request_could_use_are_refused(url: str) -> None:
    with pytest.raises(Unprocessable):
        check_url_syntax(url)


def test_urls_with_ipv6_ports_and_credentials_pass() -> None:
    assert check_url_syntax("http://[::1]:8080/hooks") == "::1"
    assert check_url_syntax("https://u:p@example.com:443/p?q=1") == "example.com"


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_a_timestamp_outside_the_utc_range_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="out of range"):
        clock.parse(text)


def test_config_list_cursors_round_trip_and_refuse_what_we_did_not_make() -> None:
    items = [{"id": f"app_{n}"} for n in range(5)]
    first = paging.page(items, 2, None)
    second = paging.page(items, 2, first["next_cursor"])
    assert [i["id"] for i in second["data"]] == ["app_2", "app_3"]
    assert paging.page(items, 2, "")["data"] == items[:2]
    abc = base64.urlsafe_b64encode(b"ABC").decode()
    for cursor in ("!!!!", "%%%", abc, base64.urlsafe_b64encode(b'["a b"]').decode()):
        with pytest.raises(Unprocessable):
            paging.page(items, 2, cursor)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("msg_01ABC", True), ("evt-2026.1", True), (".", False), ("..", False), ("a?b", False)],
)
def test_ids_are_of_the_uid_alphabet_and_never_dots_alone(text: str, expected: bool) -> None:
    assert is_id(text) is expected
    assert is_id("a" * 257) is False


class FlakyView:
    """A config view whose end offset is answered or refused, as told."""

    def __init__(self) -> None:
        self.up = True

    async def end_offset(self) -> int:
        if not self.up:
            raise KafkaUnavailable("down")
        return 7


def test_the_kafka_probe_follows_what_kafka_answers() -> None:
    view = FlakyView()
    probe = KafkaProbe(view, interval=0.01, timeout=1.0)  # type: ignore[arg-type]

    async def scenario() -> list[bool]:
        seen = [await probe.check()]
        view.up = False
        seen.append(await probe.check())
        view.up = True
        seen.append(await probe.check())
        return seen

    assert asyncio.run(scenario()) == [True, False, True]
