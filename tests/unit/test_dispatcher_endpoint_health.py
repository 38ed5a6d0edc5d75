"""Endpoint health: failure clock, checkpoint into config, disable, reset on success."""

from __future__ import annotations

from typing import Any

from services.dispatcher.outcomes.endpoint_health import EndpointHealth

DAY = 86400.0


def endpoint(**changes: Any) -> dict[str, Any]:
    return {"id": "ep_1", "enabled": True, "failing_since": None, **changes}


def test_failures_checkpoint_once_then_disable_after_the_limit() -> None:
    health = EndpointHealth(disable_after=5 * DAY)
    ep = endpoint()
    assert health.failed(ep, 1000.0) is None
    assert health.failing_since("ep_1") == 1000.0
    assert health.failed(ep, 1000.0 + 1800) is None  # under the one-hour checkpoint
    change = health.failed(ep, 1000.0 + 3600)
    assert change == {"failing_since": "1970-01-01T00:16:40.000Z"}
    assert health.failed(ep, 1000.0 + 7200) is None  # its write is still on its way
    health.written("ep_1", change)
    ep = endpoint(failing_since=change["failing_since"])
    assert health.failed(ep, 1000.0 + 7200) is None  # already checkpointed
    disabled = health.failed(ep, 1000.0 + 5 * DAY)
    assert disabled is not None and disabled["enabled"] is False
    assert disabled["failing_since"] is None
    assert disabled["disabled_reason"] == "failing without a success since 1970-01-01T00:16:40.000Z"
    health.written("ep_1", disabled)
    assert health.failing_since("ep_1") is None


def test_a_success_resets_the_clock_and_clears_the_checkpoint() -> None:
    health = EndpointHealth(disable_after=5 * DAY)
    health.failed(endpoint(), 0.0)
    assert health.succeeded(endpoint()) is None
    assert health.failing_since("ep_1") is None
    change = health.succeeded(endpoint(failing_since="2026-01-01T00:00:00.000Z"))
    assert change == {"failing_since": None}


def test_a_restarted_dispatcher_continues_the_checkpointed_clock() -> None:
    health = EndpointHealth(disable_after=DAY)
    since = "1970-01-01T00:00:00.000Z"
    disabled = health.failed(endpoint(failing_since=since), DAY + 1)
    assert disabled is not None and disabled["enabled"] is False


def test_gone_disables_at_once_and_a_short_limit_checkpoints_sooner() -> None:
    health = EndpointHealth(disable_after=8.0)
    gone = health.gone(endpoint())
    assert gone is not None and gone["disabled_reason"] == "the endpoint answered 410 Gone"
    assert health.gone(endpoint()) is None  # one disable at a time
    health.written("ep_1", gone)
    health.failed(endpoint(), 0.0)
    assert health.failed(endpoint(), 2.0) == {"failing_since": "1970-01-01T00:00:00.000Z"}
