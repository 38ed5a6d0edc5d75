"""Ids, settings, timestamps, the config state and the private-destination guard."""

from __future__ import annotations

import asyncio

import pytest

from shared import clock, ids
from shared.config_state import ConfigState
from shared.destinations import PrivateDestination, check_destination, is_private
from shared.errors import Unprocessable
from shared.settings import Settings, SettingsError, parse_duration, parse_schedule


def test_ids_are_prefixed_and_sort_by_time() -> None:
    first = ids.new_id("msg", now_ms=1_700_000_000_000)
    second = ids.new_id("msg", now_ms=1_700_000_000_001)
    assert first.startswith("msg_") and ids.has_prefix(first, "msg")
    assert first < second
    assert ids.timestamp_ms(first) == 1_700_000_000_000
    with pytest.raises(ValueError):
        ids.new_id("nope")


def test_ids_made_in_one_millisecond_sort_in_the_order_they_were_made() -> None:
    made = [ids.new_id("msg", now_ms=1_700_000_000_000) for _ in range(200)]
    assert made == sorted(made) and len(set(made)) == 200
    assert ids.new_id("msg", now_ms=1_700_000_000_001) > made[-1]


def test_derived_ids_are_fixed_by_their_seed_and_can_carry_a_time() -> None:
    plain = ids.derived_id("msg", b"seed")
    assert ids.has_prefix(plain, "msg") and plain == ids.derived_id("msg", b"seed")
    assert plain != ids.derived_id("msg", b"other")
    timed = ids.derived_id("msg", b"seed", at_ms=1_700_000_000_000)
    assert ids.has_prefix(timed, "msg") and timed == ids.derived_id(
        "msg", b"seed", 1_700_000_000_000
    )
    assert ids.timestamp_ms(timed) == 1_700_000_000_000
    assert timed < ids.derived_id("msg", b"aaaa", at_ms=1_700_000_000_001)
    with pytest.raises(ValueError):
        ids.derived_id("nope", b"seed")


def test_settings_from_env() -> None:
    settings = Settings.from_env(
        {
            "HOOKBUS_ADMIN_TOKEN": "t",
            "HOOKBUS_HTTP_PORT": "9000",
            "HOOKBUS_RETRY_SCHEDULE": "1s,2s,4s",
            "HOOKBUS_ALLOW_PRIVATE_DESTINATIONS": "true",
        }
    )
    assert settings.admin_token == "t" and settings.http_port == 9000
    assert settings.retry_schedule == (1.0, 2.0, 4.0)
    assert settings.allow_private_destinations
    assert Settings.from_env({}).retry_schedule[:2] == (5.0, 300.0)
    with pytest.raises(SettingsError):
        Settings.from_env({"HOOKBUS_HTTP_PORT": "eighty"})
    with pytest.raises(SettingsError):
        Settings.from_env({"HOOKBUS_ALLOW_PRIVATE_DESTINATIONS": "maybe"})


def test_durations() -> None:
    assert parse_duration("250ms") == 0.25 and parse_duration("5d") == 432000
    assert parse_schedule("5s, 5m,2h") == (5.0, 300.0, 7200.0)
    with pytest.raises(SettingsError):
        parse_duration("soon")


def test_timestamps_round_trip() -> None:
    text = clock.iso()
    assert text.endswith("Z") and len(text) == 24
    assert clock.iso(clock.parse(text)) == text


def test_config_state_lookup_by_id_and_uid_within_app() -> None:
    state = ConfigState()
    state.apply("app/app_1", {"id": "app_1", "uid": "acme"})
    state.apply("endpoint/ep_1", {"id": "ep_1", "app_id": "app_1", "uid": "main"})
    assert state.lookup("app", "acme") == {"id": "app_1", "uid": "acme"}
    assert state.lookup("endpoint", "main", app_id="app_1") is not None
    assert state.lookup("endpoint", "ep_1", app_id="app_2") is None
    assert state.lookup("endpoint", "main", app_id="app_2") is None
    state.apply("endpoint/ep_1", None)
    assert state.lookup("endpoint", "main", app_id="app_1") is None
    state.apply("app/app_1", {"id": "app_1", "uid": "renamed"})
    assert state.lookup("app", "acme") is None and state.lookup("app", "renamed") is not None


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("169.254.169.254", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("fe80::1", True),
        ("8.8.8.8", False),
        ("2606:4700::1", False),
    ],
)
def test_private_addresses(address: str, private: bool) -> None:
    assert is_private(address) is private


def test_destination_guard() -> None:
    with pytest.raises(PrivateDestination):
        asyncio.run(check_destination("http://127.0.0.1:9/x", allow_private=False))
    asyncio.run(check_destination("http://127.0.0.1:9/x", allow_private=True))
    with pytest.raises(Unprocessable):
        asyncio.run(check_destination("ftp://example.com", allow_private=True))


def test_every_config_example_goes_through_the_config_state() -> None:
    from shared.contracts import Contract, decode, examples

    state = ConfigState()
    for path in examples(Contract.CONFIG):
        record = decode(Contract.CONFIG, path.read_bytes())
        kind, ident = state.apply(f"{record['kind']}/{record['id']}", record["data"])
        assert state.get(kind, ident) == record["data"]
    assert state.lookup("app", "acme") is not None
