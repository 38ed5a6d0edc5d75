"""Route deliveries (inbound requests forwarded to an HTTP service) through the DeliveryHandler:
the forwarded request, the route attempt record, retries, 410, dead letters, skips, parking.

Every route_delivery example in contracts/ goes through it (the contract test of this consumer).
"""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import orjson
import pytest

from services.dispatcher.flow.lanes import Job
from services.dispatcher.flow.parking import Parking
from services.dispatcher.handler import ENDPOINT_CONCURRENCY, backlog_limit, lane_limit
from services.dispatcher.intake.offsets import OffsetTracker
from services.dispatcher.targets.forwarding import forward_headers, forward_url
from shared import clock
from shared.contracts import Contract, decode, encode, examples
from shared.inbound import decode_body
from shared.settings import Settings
from tests.support import records
from tests.unit.test_dispatcher_handler import FakeProducer, FakeView, Record, handle, sent_to

ROUTE_EXAMPLES = examples(Contract.ROUTE_DELIVERY)


def delivery_named(stem: str = "forward") -> dict[str, Any]:
    return records.example(Contract.ROUTE_DELIVERY, stem)


def route_for(delivery: dict[str, Any], **destination: Any) -> dict[str, Any]:
    return {
        "id": delivery["route_id"],
        "name": "to CI",
        "source_id": delivery["source_id"],
        "path": None,
        "matches": None,
        "priority": 0,
        "destination": {
            "type": "http",
            "url": "http://ci.example.com/hook",
            "headers": {"Authorization": "Bearer ci"},
            "timeout_ms": 5000,
            **destination,
        },
        "created_at": clock.iso(),
        "updated_at": clock.iso(),
    }


def with_route(delivery: dict[str, Any], **destination: Any) -> tuple[bytes, FakeView]:
    view = FakeView()
    view.apply(f"route/{delivery['route_id']}", route_for(delivery, **destination))
    return encode(Contract.ROUTE_DELIVERY, delivery), view


def route_job(raw: bytes) -> Job:
    record = Record("t.deliveries", 1, 7, b"rt_key", raw)
    return Job("t.deliveries-1", "rt_key", record, OffsetTracker())


@pytest.mark.parametrize("path", ROUTE_EXAMPLES, ids=lambda p: p.name)
def test_every_route_delivery_example_is_forwarded_once(path: Path) -> None:
    raw = path.read_bytes()
    delivery = decode(Contract.ROUTE_DELIVERY, raw)
    _, view = with_route(delivery)
    producer, calls, again = handle(raw, view, status=204, job=route_job(raw))
    assert again is None and view.waited == [delivery["config_offset"]]
    [request] = calls
    received = delivery["request"]
    assert request.method == received["method"]
    assert request.content == decode_body(received["body"], received["body_encoding"])
    [(topic, key, value)] = [sent for sent in producer.sent if sent[0] == "t.attempts"]
    assert key == delivery["route_id"].encode()
    attempt = decode(Contract.ROUTE_ATTEMPT, value)
    assert attempt["outcome"] == "succeeded" and attempt["delivery_id"] == delivery["id"]
    assert attempt["attempt"] == delivery["attempt"] and attempt["response"]["status"] == 204
    # the first try of a sync request answers its caller too
    replies = [sent for sent in producer.sent if sent[0] == "t.replies"]
    expected = 1 if delivery.get("reply_to") and delivery["attempt"] == 1 else 0
    assert len(replies) == expected and len(producer.sent) == 1 + expected
    assert attempt["request"]["body"] == received["body"]


def test_the_request_goes_as_it_came_with_the_route_headers_and_ids() -> None:
    delivery = delivery_named()
    raw, view = with_route(delivery, url="http://ci.example.com/hook?team=api")
    producer, [request], _ = handle(raw, view, job=route_job(raw))
    assert str(request.url) == "http://ci.example.com/hook?team=api&env=prod"
    assert (
        request.headers["x-hub-signature-256"]
        == delivery["request"]["headers"]["x-hub-signature-256"]
    )
    assert request.headers["x-github-event"] == "push"
    assert request.headers["authorization"] == "Bearer ci"
    assert request.headers["x-hookbus-inbound-id"] == delivery["inbound_id"]
    assert request.headers["x-hookbus-source-id"] == delivery["source_id"]
    assert request.headers["x-hookbus-route-id"] == delivery["route_id"]
    assert "webhook-signature" not in request.headers
    [attempt] = sent_to(producer, "t.attempts")
    assert attempt["request"]["url"] == "http://ci.example.com/hook?team=api&env=prod"
    assert attempt["request"]["headers"]["authorization"] == "****"  # sent in full, logged masked


def test_binary_bodies_and_other_methods_are_forwarded_byte_for_byte() -> None:
    delivery = delivery_named("binary_put")
    raw, view = with_route(delivery)
    _, [request], _ = handle(raw, view, job=route_job(raw))
    assert request.method == "PUT"
    assert request.content == base64.b64decode(delivery["request"]["body"])
    assert request.headers["content-encoding"] == "gzip"
    assert str(request.url) == "http://ci.example.com/hook"  # no query: nothing appended


@pytest.mark.parametrize(
    ("url", "query", "expected"),
    [("https://a.example/x", "", "https://a.example/x"),
     ("https://a.example/x", "a=1&b=2", "https://a.example/x?a=1&b=2"),
     ("https://a.example/x?k=v", "a=1", "https://a.example/x?k=v&a=1"),
     ("https://a.example/x?", "a=1", "https://a.example/x?a=1"),
     ("https://a.example/x#top", "a=1", "https://a.example/x?a=1#top")],
)  # fmt: skip
def test_forward_url_appends_the_query(url: str, query: str, expected: str) -> None:
    assert forward_url(url, query) == expected


def test_forward_headers_drop_hop_by_hop_ones_and_ours_win() -> None:
    received = {
        "host": "hooks.example.com",
        "content-length": "12",
        "transfer-encoding": "chunked",
        "connection": "keep-alive, x-private-hop",
        "x-private-hop": "1",
        "keep-alive": "timeout=5",
        "content-type": "application/json",
        "x-hookbus-route-id": "rt_forged",
        "user-agent": "Stripe/1.0",
    }
    delivery = delivery_named()
    headers = forward_headers(received, {"X-Team": "api", "Host": "evil"}, delivery)
    assert set(headers) == {
        "content-type",
        "user-agent",
        "x-team",
        "x-hookbus-inbound-id",
        "x-hookbus-source-id",
        "x-hookbus-route-id",
    }
    assert headers["x-hookbus-route-id"] == delivery["route_id"]
    assert headers["user-agent"] == "Stripe/1.0" and headers["x-team"] == "api"
    assert forward_headers({}, {}, delivery)["user-agent"].startswith("hookbus/")


def test_a_failed_forward_is_retried_on_its_tier_as_a_route_delivery() -> None:
    delivery = delivery_named()
    raw, view = with_route(delivery)
    producer, _, again = handle(raw, view, status=502, job=route_job(raw))
    assert again is None
    [attempt] = [
        decode(Contract.ROUTE_ATTEMPT, v) for t, _, v in producer.sent if t == "t.attempts"
    ]
    assert attempt["outcome"] == "retrying" and attempt["response"]["status"] == 502
    [(topic, key, value)] = [s for s in producer.sent if s[0] == "t.retry.5s"]
    retry = decode(Contract.ROUTE_DELIVERY, value)
    assert key == delivery["route_id"].encode() and retry["attempt"] == 2
    assert retry["id"] == delivery["id"] and retry["due_at"] is not None


def test_gone_stops_the_retries_of_a_route_delivery() -> None:
    delivery = delivery_named()
    raw, view = with_route(delivery)
    producer, _, _ = handle(raw, view, status=410, job=route_job(raw))
    [attempt] = sent_to(producer, "t.attempts")
    assert attempt["outcome"] == "failed" and len(producer.sent) == 1


def test_the_last_failure_is_exhausted_and_dead_lettered_as_a_route_delivery() -> None:
    delivery = {**delivery_named(), "attempt": 2}
    raw, view = with_route(delivery)
    settings = Settings(topic_prefix="t.", allow_private_destinations=True, retry_schedule=(1.0,))
    producer, _, _ = handle(raw, view, status=500, settings=settings, job=route_job(raw))
    [attempt] = sent_to(producer, "t.attempts")
    assert attempt["outcome"] == "exhausted"
    [dead] = [decode(Contract.DEAD_LETTER, v) for t, _, v in producer.sent if t == "t.dead"]
    assert dead["kind"] == "exhausted" and "after 2 attempt(s)" in dead["reason"]
    assert (
        decode(Contract.ROUTE_DELIVERY, dead["record"].encode())["route_id"] == delivery["route_id"]
    )


def test_private_destinations_are_refused_for_routes_too() -> None:
    delivery = delivery_named()
    raw, view = with_route(delivery, url="http://10.1.2.3/hook")
    settings = Settings(topic_prefix="t.", allow_private_destinations=False)
    producer, calls, _ = handle(raw, view, settings=settings, job=route_job(raw))
    assert calls == []
    [attempt] = sent_to(producer, "t.attempts")
    assert attempt["outcome"] == "retrying" and "private" in attempt["error"]
    assert attempt["response"] is None


@pytest.mark.parametrize(
    ("change", "error"),
    [("deleted", "the route was deleted"), ("kafka", "the route no longer forwards over HTTP")],
)
def test_a_deleted_or_changed_route_gets_a_failed_attempt_without_a_request(
    change: str, error: str
) -> None:
    delivery = delivery_named()
    raw, view = with_route(delivery)
    if change == "deleted":
        view.apply(f"route/{delivery['route_id']}", None)
    else:
        kafka = {"type": "kafka", "topic": "t-user", "key": None}
        view.apply(f"route/{delivery['route_id']}", {**route_for(delivery), "destination": kafka})
    producer, calls, again = handle(raw, view, job=route_job(raw))
    assert calls == [] and again is None
    [attempt] = sent_to(producer, "t.attempts")  # so the received log does not stay pending
    assert attempt["outcome"] == "failed" and attempt["error"] == error
    assert attempt["response"] is None and len(producer.sent) == 1


def test_a_route_delivery_with_a_garbled_body_is_dead_lettered() -> None:
    delivery = delivery_named("binary_put")
    delivery["request"]["body"] = "not base64!"
    raw, view = with_route(delivery)
    producer, calls, _ = handle(raw, view, job=route_job(raw))
    assert calls == []
    [dead] = [decode(Contract.DEAD_LETTER, v) for t, _, v in producer.sent if t == "t.dead"]
    assert "base64" in dead["reason"] and dead["origin"]["service"] == "dispatcher"


def test_route_lanes_run_several_at_once_and_may_park() -> None:
    view = FakeView()
    assert lane_limit(view, "rt_01JD3QZV00B1C2D3E4F5G6H7J8") == ENDPOINT_CONCURRENCY
    assert backlog_limit(view, "rt_01JD3QZV00B1C2D3E4F5G6H7J8") is not None


def test_a_parked_route_delivery_stays_a_route_delivery() -> None:
    raw = next(p for p in ROUTE_EXAMPLES if p.stem == "forward").read_bytes()
    producer = FakeProducer()
    settings = Settings(topic_prefix="t.", retry_schedule=(5.0, 300.0))
    asyncio.run(Parking(settings, producer)(route_job(raw), 10.0))  # type: ignore[arg-type]
    [(topic, key, value)] = producer.sent
    parked = decode(Contract.ROUTE_DELIVERY, value)
    assert topic == "t.retry.5m" and key == parked["route_id"].encode()
    assert parked["attempt"] == 1 and parked["due_at"] is not None
    assert orjson.loads(raw)["request"] == parked["request"]


def test_non_ascii_header_values_travel_as_latin_1() -> None:
    delivery = delivery_named()
    delivery["request"]["headers"]["x-name"] = "caf\u00e9"
    raw, view = with_route(delivery, headers={"x-note": "\u20ac"})
    _, [request], _ = handle(raw, view, job=route_job(raw))
    raw_headers = dict(request.headers.raw)
    assert raw_headers[b"x-name"] == "caf\u00e9".encode("latin-1")
    assert raw_headers[b"x-note"] == "\u20ac".encode()
