"""The second wave of inbound features without Kafka: enabled flags, the disabled source's
answer, the event type taken from a request, the dedupe key of a request."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from services.ingress.inbound.dedupe import dedupe_field
from services.ingress.inbound.disabled import disabled_decision, is_disabled
from services.ingress.inbound.shared_url import candidates
from services.router.claims import Claims
from services.router.inbound.event_types import Unresolved, event_type_of
from services.router.inbound.route_matching import matching_routes
from services.router.window import Window
from shared.contracts import Contract, decode
from tests.support.records import example
from tests.unit.test_inbound_receiving import source
from tests.unit.test_inbound_routing import APP, no_wait, planner, route, state
from tests.unit.test_router_window import Clock

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


def test_the_event_type_is_fixed_or_taken_from_a_header_or_the_body() -> None:
    inbound = {"headers": {"x-github-event": "push"}}
    assert event_type_of("fixed.name", inbound, {}) == "fixed.name"
    spec = {"header": "X-GitHub-Event", "prefix": "github."}
    assert event_type_of(spec, inbound, {}) == "github.push"
    assert event_type_of({"header": "X-GitHub-Event"}, inbound, {}) == "push"
    assert (
        event_type_of({"jsonpath": "$.type"}, inbound, {"type": "invoice.paid"}) == "invoice.paid"
    )
    with pytest.raises(Unresolved, match="no X-GitHub-Event header"):
        event_type_of(spec, {"headers": {}}, {})
    with pytest.raises(Unresolved, match=r"\$.type not found"):
        event_type_of({"jsonpath": "$.type"}, inbound, {"kind": "x"})
    with pytest.raises(Unresolved, match="not text"):
        event_type_of({"jsonpath": "$.type"}, inbound, {"type": 7})
    with pytest.raises(Unresolved, match="neither a name"):
        event_type_of({}, inbound, {})


def test_a_name_made_from_the_request_that_is_no_event_type_fails_the_route() -> None:
    inbound = example(Contract.INBOUND, "github_push")
    inbound["headers"]["x-github-event"] = "push it"  # a space: no event type name
    spec = {"header": "X-GitHub-Event", "prefix": "gh."}
    to_app = route("rt_2", destination={"type": "app", "app_id": APP, "event_type": spec})
    view = state(("app", {"id": APP, "name": "a"}), ("route", to_app))
    out = asyncio.run(planner(view).plan(orjson.dumps(inbound), no_wait))
    assert [o.topic for o in out] == ["p.attempts"]
    [entry] = decode(Contract.INBOUND_ROUTED, out[0].value)["routes"]
    assert entry["outcome"] == "failed"
    assert entry["detail"]["error"] == "'gh.push it' is not a valid event type name"
    inbound["headers"]["x-github-event"] = "push"
    out = asyncio.run(planner(view).plan(orjson.dumps(inbound), no_wait))
    assert decode(Contract.EVENT, out[0].value)["event_type"] == "gh.push"


def inbound_with_key(key: str, ident: str, received_at: str) -> dict[str, Any]:
    record = example(Contract.INBOUND, "github_push")
    record.update(id=ident, received_at=received_at, dedupe={"key": key, "window_s": 60.0})
    return record


def test_the_window_judges_a_repeated_dedupe_key_within_the_sources_window() -> None:
    clock = Clock()
    clock.now = clock_at = 1_800_000_000.0
    judge = Window(Claims(), "t.changelog", 3600.0, clock)
    stamp = "2027-01-15T08:00:00.000Z"  # 1_800_000_000
    first = inbound_with_key("d-1", "in_A", stamp)
    verdict, claims = judge.judge_inbound(first, 0, 10)
    assert (
        verdict is None
        and len(claims) == 1
        and claims[0].key == b"%s/in/d-1" % (first["source_id"].encode())
    )
    # consumed again after a crash: its own claim, not a duplicate
    assert judge.judge_inbound(first, 0, 10)[0] is None
    assert judge.judge_inbound(inbound_with_key("d-1", "in_B", stamp), 0, 11) == ("in_A", [])
    assert judge.judge_inbound(inbound_with_key("d-2", "in_C", stamp), 0, 12)[0] is None
    clock.now = clock_at + 61  # past the source's 60 s window
    late = judge.judge_inbound(inbound_with_key("d-1", "in_D", stamp), 0, 13)
    assert late[0] is None and len(late[1]) == 1


def test_the_dedupe_key_comes_from_a_header_or_the_body() -> None:
    by_header = {"dedupe": {"header": "X-GitHub-Delivery", "window": "1h"}}
    found = dedupe_field(by_header, {"x-github-delivery": "abc"}, b"")
    assert found == {"key": "abc", "window_s": 3600.0}
    assert dedupe_field(by_header, {}, b"") is None
    by_path = {"dedupe": {"jsonpath": "$.id", "window": "24h"}}
    assert dedupe_field(by_path, {}, b'{"id": 7}') == {"key": "7", "window_s": 86400.0}
    assert dedupe_field(by_path, {}, b'{"other": 7}') is None
    assert dedupe_field({}, {"x-github-delivery": "abc"}, b"") is None
    long = dedupe_field(by_header, {"x-github-delivery": "x" * 500}, b"")
    assert long is not None and long["key"].startswith("sha256:") and len(long["key"]) < 100
