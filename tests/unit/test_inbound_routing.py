"""Inbound routing without Kafka: body documents, JSONPath predicates, path globs, route order,
destination records, and the planner's choices (what is routed, what fails, what is bad)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest

from services.router.handler import Incoming, Router
from services.router.inbound import destinations
from services.router.inbound.planner import InboundPlanner
from services.router.inbound.route_matching import matching_routes, path_matches
from shared import clock
from shared.config_state import ConfigState
from shared.contracts import Contract, decode, examples
from shared.errors import BadRecord, KafkaUnavailable
from shared.ids import has_prefix, timestamp_ms
from shared.inbound import (
    NO_DOCUMENT,
    all_hold,
    compile_path,
    decode_body,
    document,
    encode_body,
    record_kind,
)
from tests.support.records import example

SRC = "src_01JD3QZZ00B1C2D3E4F5G6H7J8"
APP = "app_01JD3QXW2N0B7C4D5E6F7G8H9J"


@pytest.mark.parametrize(
    ("body", "encoding"),
    [(b"", "utf8"), (b"{}", "utf8"), ("caf\u00e9".encode(), "utf8"), (b"\x00\xff\xfe", "base64")],
)
def test_bodies_travel_byte_for_byte(body: bytes, encoding: str) -> None:
    text, used = encode_body(body)
    assert used == encoding and decode_body(text, used) == body


def test_documents_of_json_form_and_garbage() -> None:
    assert document(b'{"a": [1, {"b": true}]}', None) == {"a": [1, {"b": True}]}
    assert document(b'{"a": 1}', "text/plain") == {"a": 1}  # JSON whatever the type says
    form = "application/x-www-form-urlencoded; charset=utf-8"
    assert document(b"From=%2B1&To=&x=1&x=2", form) == {"From": "+1", "To": "", "x": ["1", "2"]}
    assert document(b"{nope", "application/json") is NO_DOCUMENT
    assert document(b"\xff=1", form) is NO_DOCUMENT


def test_jsonpath_predicates_all_hold_with_json_equality() -> None:
    doc = {"action": "opened", "pr": {"draft": False, "n": 1}, "labels": [{"name": "bug"}]}
    assert all_hold({"$.action": "opened", "$.pr.n": 1.0}, doc)
    assert not all_hold({"$.action": "opened", "$.pr.n": 2}, doc)  # AND: one fails
    assert all_hold({"$.labels[*].name": "bug"}, doc)  # any value found
    assert not all_hold({"$.pr.draft": 0}, doc)  # false is not 0
    assert not all_hold({"$.missing": None}, doc)
    assert all_hold({}, NO_DOCUMENT) and all_hold(None, doc)
    assert not all_hold({"$.action": "opened"}, NO_DOCUMENT)
    for bad in ("action", "$[", "$."):
        with pytest.raises(ValueError):
            compile_path(bad)


def test_record_kind_is_cheap_for_outbound_records() -> None:
    assert record_kind(b'{"v": 1, "payload": {"kind": "x"}}') is None
    assert record_kind(b'{"v": 1, "kind": "inbound"}') == "inbound"
    assert record_kind(b'{"kind": 5}') is None and record_kind(None) is None
    assert record_kind(b'"kind" but not json') is None


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        (None, "anything/at/all", True),
        ("git/push", "git/push", True),
        ("/git/push", "git/push", True),
        ("git/push", "git/pushed", False),
        ("git/*", "git/push", True),
        ("git/*", "git/a/b", False),
        ("git/**", "git/a/b", True),
        ("git/**", "git/", True),
        ("git/?", "git/a", True),
        ("git/?", "git/ab", False),
        ("a.b", "axb", False),  # only * ** ? are special
        ("", "", True),
    ],
)
def test_path_globs(pattern: str | None, path: str, matches: bool) -> None:
    assert path_matches(pattern, path) is matches


def route(ident: str, **fields: Any) -> dict[str, Any]:
    destination = {"type": "kafka", "topic": f"t-{ident}", "key": None}
    return {"id": ident, "name": ident, "priority": 0, "destination": destination, **fields}


def state(*objects: tuple[str, dict[str, Any]]) -> ConfigState:
    view = ConfigState()
    for kind, obj in objects:
        view.apply(f"{kind}/{obj['id']}", obj)
    return view


def test_every_matching_route_runs_by_priority_then_age() -> None:
    view = state(
        ("route", route("rt_3", priority=-1)),
        ("route", route("rt_1", source_id=SRC, path="git/*")),
        ("route", route("rt_2", source_id="src_other")),
        ("route", route("rt_4", matches={"$.a": 1})),
    )
    found = matching_routes(view, SRC, "git/push", {"a": 1})
    assert [r["id"] for r in found] == ["rt_3", "rt_1", "rt_4"]
    assert [r["id"] for r in matching_routes(view, SRC, "other", NO_DOCUMENT)] == ["rt_3"]


def test_kafka_key_and_app_payload() -> None:
    inbound = example(Contract.INBOUND, "github_push")
    doc = {"repository": {"id": 7, "full_name": "acme/api"}}
    assert destinations.kafka_key({"key": "$.repository.full_name"}, inbound, doc) == "acme/api"
    assert destinations.kafka_key({"key": "$.repository.id"}, inbound, doc) == "7"
    assert destinations.kafka_key({"key": "$.nothing"}, inbound, doc) == inbound["source_id"]
    assert destinations.kafka_key({"key": "fixed"}, inbound, doc) == "fixed"
    assert destinations.kafka_key({"key": None}, inbound, NO_DOCUMENT) == inbound["source_id"]
    assert destinations.payload(inbound, doc) == doc
    assert destinations.payload(inbound, [1, 2]) == {
        "body": inbound["body"],
        "body_encoding": "utf8",
    }


class Topics:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.made: list[str] = []

    async def ensure(self, topic: str) -> None:
        if self.failures:
            self.failures -= 1
            raise KafkaUnavailable("refused")
        self.made.append(topic)


async def no_wait(offset: int, ident: str) -> None:
    return None


def planner(view: ConfigState, topics: Topics | None = None) -> InboundPlanner:
    return InboundPlanner(
        view,
        topics or Topics(),
        events_topic="p.events",
        deliveries_topic="p.deliveries",
        attempts_topic="p.attempts",
        retry_delay=0,
    )


def test_an_app_route_holds_the_payload_to_its_event_types_schema() -> None:
    inbound = example(Contract.INBOUND, "github_push")  # its body has "ref", not "amount"
    schema = {"type": "object", "required": ["amount"]}
    typed = {"id": "gh.paid", "name": "gh.paid", "schema": schema}
    to_app = route("rt_2", destination={"type": "app", "app_id": APP, "event_type": "gh.paid"})
    view = state(("app", {"id": APP, "name": "a"}), ("event_type", typed), ("route", to_app))
    out = asyncio.run(planner(view).plan(orjson.dumps(inbound), no_wait))
    assert [o.topic for o in out] == ["p.attempts"]  # no event: only the routing record
    [entry] = decode(Contract.INBOUND_ROUTED, out[0].value)["routes"]
    assert entry["outcome"] == "failed"
    assert entry["detail"]["error"].startswith('payload: "amount" is a required property')
    view.apply("event_type/gh.paid", {**typed, "schema": {"type": "object"}})
    out = asyncio.run(planner(view).plan(orjson.dumps(inbound), no_wait))
    assert [o.topic for o in out] == ["p.events", "p.attempts"]


def test_planner_writes_one_record_per_route_then_the_routing_record() -> None:
    inbound = example(Contract.INBOUND, "github_push")
    app = {"id": APP, "name": "a"}
    http = route("rt_1", destination={"type": "http", "url": "https://x", "timeout_ms": 5})
    to_app = route("rt_2", destination={"type": "app", "app_id": APP, "event_type": "gh.push"})
    gone = route("rt_3", destination={"type": "app", "app_id": "app_gone", "event_type": "x"})
    view = state(("app", app), ("route", http), ("route", to_app), ("route", gone))
    view.apply("route/rt_4", route("rt_4", path="git/*", matches={"$.ref": "refs/heads/main"}))
    waited: list[int] = []

    async def wait(offset: int, ident: str) -> None:
        waited.append(offset)

    topics = Topics()
    out = asyncio.run(planner(view, topics).plan(orjson.dumps(inbound), wait))
    assert waited == [inbound["config_offset"]] and topics.made == ["t-rt_4"]
    assert [(o.topic, o.key) for o in out] == [
        ("p.deliveries", b"rt_1"),
        ("p.events", APP.encode()),
        ("t-rt_4", SRC.encode()),
        ("p.attempts", SRC.encode()),
    ]
    delivery = decode(Contract.ROUTE_DELIVERY, out[0].value)
    assert (
        delivery["request"]["body"] == inbound["body"] and delivery["inbound_id"] == inbound["id"]
    )
    event = decode(Contract.EVENT, out[1].value)
    assert has_prefix(event["id"], "msg") and event["payload"]["ref"] == "refs/heads/main"
    # Time-sortable by the request's arrival, and fixed by request and route: a replayed
    # inbound record re-publishes the same message, which the duplicate window then drops.
    received = clock.parse(inbound["received_at"])
    assert timestamp_ms(event["id"]) == int(received.timestamp() * 1000)
    again = asyncio.run(planner(view, Topics()).plan(orjson.dumps(inbound), wait))
    assert decode(Contract.EVENT, again[1].value)["id"] == event["id"]
    other = asyncio.run(planner(view, Topics()).plan(orjson.dumps({**inbound, "id": "in_2"}), wait))
    assert decode(Contract.EVENT, other[1].value)["id"] != event["id"]
    assert decode(Contract.INBOUND, out[2].value)["route_id"] == "rt_4"
    routed = decode(Contract.INBOUND_ROUTED, out[3].value)
    outcomes = [(r["route_id"], r["outcome"]) for r in routed["routes"]]
    assert outcomes == [
        ("rt_1", "pending"),
        ("rt_2", "succeeded"),
        ("rt_3", "failed"),
        ("rt_4", "succeeded"),
    ]


def test_planner_records_a_kafka_route_failed_when_its_topic_cannot_be_made() -> None:
    view = state(("route", route("rt_1")))
    raw = orjson.dumps(example(Contract.INBOUND, "github_push"))
    out = asyncio.run(planner(view, Topics(failures=5)).plan(raw, no_wait))
    [routed] = [decode(Contract.INBOUND_ROUTED, o.value) for o in out]
    assert routed["routes"][0]["outcome"] == "failed"
    assert "refused" in routed["routes"][0]["detail"]["error"]


@pytest.mark.parametrize("stem", ["rejected", "slack_challenge"])
def test_requests_whose_routes_do_not_run_cause_nothing(stem: str) -> None:
    view = state(("route", route("rt_1")))
    raw = orjson.dumps(example(Contract.INBOUND, stem))
    assert asyncio.run(planner(view).plan(raw, no_wait)) == []


@pytest.mark.parametrize("path", examples(Contract.INBOUND), ids=lambda p: p.name)
def test_every_inbound_example_goes_through_the_planner(path: Path) -> None:
    view = state(("route", route("rt_1")))
    out = asyncio.run(planner(view).plan(path.read_bytes(), no_wait))
    record = orjson.loads(path.read_bytes())
    assert len(out) == (2 if record["route"] else 0)


class Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes]] = []

    async def send(self, topic: str, key: bytes | None, value: bytes) -> Any:
        self.sent.append((topic, key, value))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


class Gate:
    async def wait_for(self, offset: int, timeout: float) -> None:
        return None


def test_router_dead_letters_a_record_with_a_kind_that_breaks_the_inbound_contract() -> None:
    view = state(("route", route("rt_1")))
    router = Router(view, Gate(), Outbox(), "p.deliveries", "p.dead", inbound=planner(view))
    broken = {**example(Contract.INBOUND, "github_push"), "kind": "inbound_routed"}
    out = asyncio.run(router.plan(Incoming("p.events", 0, 9, SRC.encode(), orjson.dumps(broken))))
    [dead] = out
    assert dead.topic == "p.dead" and dead.key == SRC.encode()
    assert "inbound" in decode(Contract.DEAD_LETTER, dead.value)["reason"]
    garbled = {**example(Contract.INBOUND, "binary_body"), "body": "@@not base64"}
    out = asyncio.run(router.plan(Incoming("p.events", 0, 10, None, orjson.dumps(garbled))))
    assert out[0].topic == "p.dead"
    with pytest.raises(BadRecord):
        asyncio.run(planner(view).plan(orjson.dumps(garbled), no_wait))
