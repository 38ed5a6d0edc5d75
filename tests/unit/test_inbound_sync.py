"""Sync mode without Kafka: the router's and the dispatcher's replies, the reply inbox gathering
several replies per request, and how the ingress adds them up into 200/404/500/504."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from services.ingress.inbound.sync_mode import complete, summary, tally, wants_sync
from services.ingress.publish.reply_inbox import ReplyInbox
from services.router.inbound.planner import InboundPlanner
from shared.config_state import ConfigState
from shared.contracts import Contract, decode, encode
from shared.request_reply import Reply, ReplyAddress, reply_partition, reply_record
from tests.support.records import example
from tests.unit.test_dispatcher_handler import FakeView, handle, sent_to
from tests.unit.test_dispatcher_routes import route_job, with_route
from tests.unit.test_inbound_routing import Topics, no_wait

Object = dict[str, Any]
APP = "app_01JD3QXW2N0B7C4D5E6F7G8H9J"
REPLY_TO = {"instance": "ingress-7f3a", "correlation_id": "5e1f0c7a9e2d4f6b8a0c1e3d"}


def route(ident: str, **destination: Any) -> Object:
    return {
        "id": ident,
        "name": ident,
        "source_id": None,
        "path": None,
        "matches": None,
        "priority": 0,
        "destination": destination,
    }


def planned(*routes: Object, replies_topic: str = "p.replies") -> list[Any]:
    view = ConfigState()
    view.apply(f"app/{APP}", {"id": APP, "name": "a"})
    for found in routes:
        view.apply(f"route/{found['id']}", found)
    planner = InboundPlanner(
        view,
        Topics(),
        events_topic="p.events",
        deliveries_topic="p.deliveries",
        attempts_topic="p.attempts",
        replies_topic=replies_topic,
    )
    raw = orjson.dumps(example(Contract.INBOUND, "sync_request"))
    return asyncio.run(planner.plan(raw, no_wait))


def test_the_router_replies_with_every_route_and_the_pending_http_ones() -> None:
    http = route("rt_1", type="http", url="https://ci.example.com", timeout_ms=5)
    kafka = route("rt_2", type="kafka", topic="user-topic", key=None)
    app = route("rt_3", type="app", app_id=APP, event_type="gh.push")
    out = planned(http, kafka, app)
    assert [o.topic for o in out] == [
        "p.deliveries",
        "user-topic",
        "p.events",
        "p.attempts",
        "p.replies",
    ]
    delivery = decode(Contract.ROUTE_DELIVERY, out[0].value)
    assert delivery["reply_to"] == REPLY_TO
    assert "reply_to" not in decode(Contract.INBOUND, out[1].value)  # hookbus's own business
    reply = decode(Contract.REPLY, out[-1].value)
    assert out[-1].key == REPLY_TO["instance"].encode()
    assert reply["correlation_id"] == REPLY_TO["correlation_id"] and reply["kind"] == "inbound"
    assert reply["status"] == 202 and reply["body"]["from"] == "router"
    outcomes = [(r["route_id"], r["destination"], r["outcome"]) for r in reply["body"]["routes"]]
    assert outcomes == [
        ("rt_1", "http", "pending"),
        ("rt_2", "kafka", "succeeded"),
        ("rt_3", "app", "succeeded"),
    ]


def test_the_router_replies_404_when_no_route_matches_and_nothing_without_a_caller() -> None:
    [routed, reply] = planned()
    assert routed.topic == "p.attempts"
    assert decode(Contract.REPLY, reply.value)["status"] == 404
    assert decode(Contract.REPLY, reply.value)["body"]["routes"] == []
    assert [o.topic for o in planned(replies_topic="")] == ["p.attempts"]


def sync_delivery(**changes: Any) -> Object:
    delivery: Object = {**example(Contract.ROUTE_DELIVERY, "sync_forward"), **changes}
    return delivery


@pytest.mark.parametrize(
    ("status", "outcome", "retrying"),
    [(200, "succeeded", False), (502, "failed", True), (410, "failed", False)],
)
def test_the_dispatcher_replies_after_the_first_attempt(
    status: int, outcome: str, retrying: bool
) -> None:
    delivery = sync_delivery()
    raw, view = with_route(delivery)
    producer, _, _ = handle(raw, view, status=status, job=route_job(raw))
    [(key, value)] = [(k, v) for t, k, v in producer.sent if t == "t.replies"]
    assert key == REPLY_TO["instance"].encode()
    reply = decode(Contract.REPLY, value)
    assert reply["body"]["from"] == "dispatcher"
    [entry] = reply["body"]["routes"]
    assert entry["route_id"] == delivery["route_id"] and entry["outcome"] == outcome
    assert entry["detail"]["status"] == status and entry["detail"]["retrying"] is retrying
    assert entry["detail"]["delivery_id"] == delivery["id"]


def test_later_attempts_and_callers_that_do_not_wait_get_no_reply() -> None:
    for delivery in (sync_delivery(attempt=2), example(Contract.ROUTE_DELIVERY, "forward")):
        raw, view = with_route(delivery)
        producer, calls, _ = handle(raw, view, status=500, job=route_job(raw))
        assert len(calls) == 1 and sent_to(producer, "t.replies") == []


def test_a_deleted_route_fails_its_attempt_and_answers_the_caller() -> None:
    delivery = sync_delivery()
    raw = encode(Contract.ROUTE_DELIVERY, delivery)
    producer, calls, again = handle(raw, FakeView(), job=route_job(raw))
    assert calls == [] and again is None
    [attempt] = sent_to(producer, "t.attempts")
    assert attempt["outcome"] == "failed" and attempt["error"] == "the route was deleted"
    [reply] = sent_to(producer, "t.replies")
    assert reply["body"]["routes"][0]["outcome"] == "failed"


def router_reply(*entries: Object) -> Reply:
    return Reply("inbound", 202, {"inbound_id": "in_1", "from": "router", "routes": list(entries)})


def forwarded(route_id: str, outcome: str, status: int | None) -> Reply:
    entry = {
        "route_id": route_id,
        "destination": "http",
        "outcome": outcome,
        "detail": {"status": status, "retrying": outcome == "failed"},
    }
    return Reply("inbound", 200, {"inbound_id": "in_1", "from": "dispatcher", "routes": [entry]})


KAFKA = {"route_id": "rt_k", "destination": "kafka", "outcome": "succeeded", "detail": {}}
HTTP = {"route_id": "rt_h", "destination": "http", "outcome": "pending", "detail": {}}
HTTP2 = {**HTTP, "route_id": "rt_h2"}


def test_all_routes_succeeded_answers_200_whatever_order_the_replies_came_in() -> None:
    replies = [forwarded("rt_h", "succeeded", 204), router_reply(KAFKA, HTTP)]
    assert complete(replies)
    status, body = summary("in_1", replies)
    assert status == 200 and body["outcome"] == "succeeded" and "error" not in body
    assert [(r["route_id"], r["outcome"]) for r in body["routes"]] == [
        ("rt_k", "succeeded"),
        ("rt_h", "succeeded"),
    ]
    assert body["routes"][1]["detail"]["status"] == 204


def test_no_route_answers_404_and_a_failure_500() -> None:
    assert summary("in_1", [router_reply()])[0] == 404
    replies = [router_reply(KAFKA, HTTP), forwarded("rt_h", "failed", 502)]
    status, body = summary("in_1", replies)
    assert status == 500 and body["error"]["code"] == "route_failed"
    assert body["error"]["details"]["failed"] == ["rt_h"]


def test_pending_at_the_deadline_is_504_unless_a_route_already_failed() -> None:
    assert not complete([]) and tally([]) is None
    assert summary("in_1", [])[0] == 504
    waiting = [router_reply(KAFKA, HTTP, HTTP2)]
    assert not complete(waiting)
    status, body = summary("in_1", waiting)
    assert status == 504 and body["error"]["details"]["pending"] == ["rt_h", "rt_h2"]
    status, _ = summary("in_1", [*waiting, forwarded("rt_h", "failed", None)])
    assert status == 500


def test_a_repeated_reply_for_one_route_keeps_the_first() -> None:
    replies = [
        router_reply(HTTP),
        forwarded("rt_h", "failed", 500),
        forwarded("rt_h", "succeeded", 200),
    ]
    assert summary("in_1", replies)[0] == 500


def test_only_true_asks_for_sync_mode() -> None:
    assert wants_sync({"x-hookbus-sync": "true"}) and wants_sync({"x-hookbus-sync": " TRUE"})
    assert not wants_sync({"x-hookbus-sync": "1"}) and not wants_sync({})


def test_flexdeploys_header_asks_for_sync_mode_too() -> None:
    assert wants_sync({"flex-sync-webhook": "true"}) and wants_sync({"flex-sync-webhook": "True"})
    assert not wants_sync({"flex-sync-webhook": "false"})


def test_the_inbox_gathers_several_replies_for_one_address() -> None:
    async def go() -> None:
        inbox = ReplyInbox("127.0.0.1:1", "p.replies", "ingress-a")
        address = inbox.new_gathering_address()
        other = ReplyAddress("ingress-b", address.correlation_id)

        def deliver(to: ReplyAddress, n: int) -> None:
            inbox._deliver(reply_record(to, Reply("inbound", 200, {"n": n}))[1])

        async def later() -> None:
            await asyncio.sleep(0.01)
            deliver(other, 0)  # another instance's: ignored
            deliver(address, 1)
            await asyncio.sleep(0.01)
            deliver(address, 2)

        task = asyncio.create_task(later())
        replies, enough = await inbox.gather(address, lambda found: len(found) >= 2, 5)
        await task
        assert enough and [r.body["n"] for r in replies] == [1, 2]
        deliver(address, 3)  # after the answer: ignored, no error
        lone = inbox.new_gathering_address()
        replies, enough = await inbox.gather(lone, lambda found: len(found) >= 1, 0.05)
        assert (replies, enough) == ([], False)
        with pytest.raises(KeyError):
            await inbox.gather(lone, lambda found: True, 1)

    asyncio.run(go())
    assert 0 <= reply_partition("ingress-a", 3) < 3
