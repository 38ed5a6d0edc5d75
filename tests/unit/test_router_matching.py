"""Which endpoints an event reaches: types, patterns, channels, single endpoint, unknown app."""

from __future__ import annotations

from typing import Any

import pytest

from services.router.matching import accepts_channels, accepts_type, targets, type_matches
from shared.config_state import ConfigState
from tests.support import records

APP = "app_01JD3QXW2N0B7C4D5E6F7G8H9J"
OTHER_APP = "app_01JD3QXW2N0B7C4D5E6F7G8H9K"


def endpoint(ident: str, app_id: str = APP, **fields: Any) -> dict[str, Any]:
    return {"id": ident, "app_id": app_id, "enabled": True, **fields}


def event(**fields: Any) -> dict[str, Any]:
    at = "2026-11-22T10:15:30.123Z"
    base = records.event(id="msg_1", app_id=APP, event_type="invoice.paid", timestamp=at)
    return {**base, **fields}


def state(*endpoints: dict[str, Any]) -> ConfigState:
    config = ConfigState()
    config.apply(f"app/{APP}", {"id": APP, "name": "acme"})
    config.apply(f"app/{OTHER_APP}", {"id": OTHER_APP, "name": "other"})
    for item in endpoints:
        config.apply(f"endpoint/{item['id']}", item)
    return config


@pytest.mark.parametrize(
    ("pattern", "event_type", "expected"),
    [
        ("invoice.paid", "invoice.paid", True),
        ("invoice.paid", "invoice.paid.late", False),
        ("invoice.*", "invoice.paid", True),
        ("invoice.*", "invoice.paid.late", True),
        ("invoice.*", "invoice", False),
        ("invoice.*", "invoices.paid", False),
        ("*", "anything.at.all", True),
        ("invoice", "invoice.paid", False),
    ],
)
def test_type_patterns(pattern: str, event_type: str, expected: bool) -> None:
    assert type_matches(pattern, event_type) is expected


def test_absent_or_null_event_types_accept_everything() -> None:
    assert accepts_type({}, "user.created")
    assert accepts_type({"event_types": None}, "user.created")
    assert not accepts_type({"event_types": []}, "user.created")
    assert accepts_type({"event_types": ["invoice.*", "user.created"]}, "user.created")


def test_channels_restrict_only_when_set() -> None:
    assert accepts_channels({"channels": None}, [])
    assert accepts_channels({"channels": []}, ["billing"])
    assert accepts_channels({"channels": ["billing", "eu"]}, ["eu"])
    assert not accepts_channels({"channels": ["billing"]}, ["eu"])
    assert not accepts_channels({"channels": ["billing"]}, [])


def test_targets_follow_types_channels_and_enabled() -> None:
    config = state(
        endpoint("ep_a", event_types=["invoice.*"]),
        endpoint("ep_b", event_types=["user.created"]),
        endpoint("ep_c", event_types=None, enabled=False),
        endpoint("ep_d", channels=["billing"]),
        endpoint("ep_e", channels=["shipping"]),
        endpoint("ep_f", app_id=OTHER_APP),
    )
    found = targets(config, event(channels=["billing"]))
    assert [item["id"] for item in found] == ["ep_a", "ep_d"]
    assert [item["id"] for item in targets(config, event(event_type="user.created"))] == ["ep_b"]


def test_single_endpoint_event_ignores_types_and_channels() -> None:
    config = state(endpoint("ep_a", event_types=["invoice.*"], channels=["billing"]))
    found = targets(config, event(event_type="webhook.ping", endpoint_id="ep_a"))
    assert [item["id"] for item in found] == ["ep_a"]


@pytest.mark.parametrize(
    "target",
    [
        endpoint("ep_a", enabled=False),
        endpoint("ep_a", app_id=OTHER_APP),
        None,
    ],
    ids=["disabled", "other-app", "missing"],
)
def test_single_endpoint_event_needs_an_enabled_endpoint_of_the_app(
    target: dict[str, Any] | None,
) -> None:
    config = state() if target is None else state(target)
    assert targets(config, event(endpoint_id="ep_a")) == []


def test_unknown_app_has_no_targets() -> None:
    config = state(endpoint("ep_a", app_id="app_unknown"))
    assert targets(config, event(app_id="app_unknown")) == []
