"""The second wave of inbound features without Kafka: enabled flags, the disabled source's
answer, the event type taken from a request, the dedupe key of a request."""

from __future__ import annotations

from typing import Any

import orjson

from services.ingress.inbound.disabled import disabled_decision, is_disabled
from services.ingress.inbound.shared_url import candidates
from services.router.inbound.route_matching import matching_routes
from tests.unit.test_inbound_receiving import source
from tests.unit.test_inbound_routing import route, state

SRC = "src_1"


def test_a_disabled_route_never_matches() -> None:
    view = state(
        ("route", route("rt_1")),
        ("route", route("rt_2", enabled=False)),
        ("route", route("rt_3", enabled=True)),
    )
    assert [r["id"] for r in matching_routes(view, SRC, "any", {})] == ["rt_1", "rt_3"]


def test_a_disabled_source_is_never_a_candidate_of_the_shared_url() -> None:
    sources = [
        source("src_1", 0, {}, enabled=False),
        source("src_2", 1, {}),
        source("src_3", 2, {}),
    ]
    assert [s["id"] for s in candidates(sources)] == ["src_2", "src_3"]


def test_a_disabled_source_answers_404_and_is_logged_ignored() -> None:
    assert (
        is_disabled({"enabled": False})
        and not is_disabled({})
        and not is_disabled({"enabled": True})
    )
    decision = disabled_decision("src_9")
    assert decision.answer is not None and decision.answer.status == 404
    error: dict[str, Any] = orjson.loads(decision.answer.body)["error"]
    assert error["code"] == "not_found" and "disabled" in error["message"]
    assert (decision.log_status, decision.route, decision.mark_verified) == (
        "ignored",
        False,
        False,
    )
