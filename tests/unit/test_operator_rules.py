"""Pure rules behind the operator features: colon names and patterns, masked credentials,
filter operators."""

from __future__ import annotations

import orjson
import pytest
from pydantic import ValidationError

from services.dispatcher.targets.request import build_request
from services.ingress.api.models import EndpointIn, MessageIn
from services.router.deliveries import delivery
from services.router.matching import type_matches
from shared import clock
from shared.contracts import Contract, decode
from shared.endpoint_limits import DEFAULT_MAX_IN_FLIGHT, in_flight_limit
from shared.filters import check_filter, holds
from shared.inbound import all_hold as inbound_all_hold
from shared.payload_versions import chosen, headers_for, is_legacy, transform_for
from shared.secret_headers import MASK, is_credential, kept, masked
from shared.signing import generate_secret


@pytest.mark.parametrize(
    ("pattern", "event_type", "expected"),
    [
        ("environment:code:*", "environment:code:deployed", True),
        ("environment:code:*", "environment:code:deploy-failed", True),
        ("environment:code:*", "environment:site:created", False),
        ("environment:code:*", "environment:code", False),
        ("environment:*", "environment:code:deployed", True),
        ("environment:code:deployed", "environment:code:deployed", True),
        ("invoice.*", "invoice:paid", False),
    ],
)
def test_colon_prefix_patterns(pattern: str, event_type: str, expected: bool) -> None:
    assert type_matches(pattern, event_type) is expected


def test_colon_names_and_patterns_are_accepted_and_others_refused() -> None:
    assert MessageIn(event_type="environment:code:deployed", payload={}).event_type
    EndpointIn(url="https://x.example", event_types=["environment:code:*", "a.*", "*"])
    for bad in ("environment code", "a:*:b*", "*a"):
        with pytest.raises(ValidationError):
            EndpointIn(url="https://x.example", event_types=[bad])


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "cookie",
        "X-API-KEY",
        "x-ci-token",
        "Client-Secret",
        "db-password",
        "x-signing-key",
        "Proxy-Authorization",
    ],
)
def test_credential_names(name: str) -> None:
    assert is_credential(name)


def test_masked_keeps_other_headers_and_kept_restores_masked_values() -> None:
    headers = {"Authorization": "Bearer a", "x-team": "core"}
    assert masked(headers) == {"Authorization": MASK, "x-team": "core"}
    assert masked(None) == {}
    assert kept({"authorization": MASK, "x-team": "ops"}, headers) == {
        "authorization": "Bearer a",
        "x-team": "ops",
    }
    assert kept({"x-api-key": MASK}, headers) == {"x-api-key": MASK}  # nothing to keep


DOC = {
    "type": "invoice.paid",
    "data": {"amount": 150, "plan": "pro", "email": "ann@acme.io", "tags": ["a", "b"]},
}


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ({"$.data.amount": {"$gt": 100}}, True),
        ({"$.data.amount": {"$gt": 150}}, False),
        ({"$.data.amount": {"$gte": 150, "$lt": 200}}, True),
        ({"$.data.amount": {"$lte": 149.5}}, False),
        ({"$.data.amount": {"$gt": "100"}}, False),  # a number never compares with a string
        ({"$.data.plan": {"$eq": "pro"}}, True),
        ({"$.data.plan": {"$neq": "pro"}}, False),
        ({"$.data.missing": {"$neq": "pro"}}, True),
        ({"$.data.plan": {"$in": ["pro", "team"]}}, True),
        ({"$.data.plan": {"$nin": ["pro", "team"]}}, False),
        ({"$.data.tags[*]": {"$in": ["b"]}}, True),
        ({"$.data.email": {"$exists": True}}, True),
        ({"$.data.phone": {"$exists": False}}, True),
        ({"$.data.email": {"$regex": "@acme\\.io$"}}, True),
        ({"$.data.email": {"$regex": "^bob"}}, False),
        ({"$.data.amount": {"$regex": "1"}}, False),  # only strings match a regex
        ({"$or": [{"$.data.plan": "team"}, {"$.data.amount": {"$gt": 100}}]}, True),
        ({"$or": [{"$.data.plan": "team"}, {"$.data.amount": {"$gt": 200}}]}, False),
        ({"$and": [{"$.type": "invoice.paid"}, {"$.data.plan": "pro"}]}, True),
        ({"$.type": "invoice.paid", "$and": [{"$.data.plan": "team"}]}, False),
    ],
)
def test_operators(conditions: dict[str, object], expected: bool) -> None:
    assert check_filter(conditions) == []
    assert holds(conditions, DOC) is expected
    assert inbound_all_hold(conditions, DOC) is expected  # routes and sources: same code


def test_problems_name_where_they_are() -> None:
    [problem] = check_filter({"$or": [{"$.a": 1}, {"$.data.n": {"$bigger": 1}}]})
    assert problem.path == "$or[1].$.data.n.$bigger" and "unknown operator" in problem.reason
    [problem] = check_filter({"$.a": {"$regex": "(a"}})
    assert problem.path == "$.a.$regex" and "invalid $regex" in problem.reason
    assert check_filter({"$or": []})[0].path == "$or"
    assert check_filter({"$.a": {"$in": 3}})[0].path == "$.a.$in"
    assert check_filter({"$.a": {"$exists": "yes"}})[0].path == "$.a.$exists"
    with pytest.raises(ValidationError, match=r"'\$\.data\.n\.\$foo': unknown operator"):
        EndpointIn(url="https://x.example", filter={"$.data.n": {"$foo": 1}})


def test_a_regex_cannot_stall() -> None:
    # Catastrophic backtracking for a backtracking engine; RE2 answers in linear time.
    assert not holds({"$.s": {"$regex": "^(a+)+$"}}, {"s": "a" * 50_000 + "!"})


VERSIONED = {
    "name": "environment:code:deployed",
    "versions": [{"name": "v0", "transform": "data"}, {"name": "v1"}],
    "version_header": "X-WPVIP-Webhook",
}


def test_payload_versions_choose_body_and_header() -> None:
    assert chosen(VERSIONED, {})["name"] == "v1"
    assert chosen(VERSIONED, {"version": "v0"})["name"] == "v0"
    assert chosen(VERSIONED, {"version": "v7"})["name"] == "v1"  # a type without it: current
    assert chosen({"name": "x"}, {"version": "v0"}) is None
    assert transform_for(VERSIONED, {"version": "v0"}) == "data"
    assert transform_for(VERSIONED, {"version": "v0", "transform": "type"}) == "type"
    assert transform_for(VERSIONED, {}) is None
    assert headers_for(VERSIONED, {"version": "v0"}) == {"x-wpvip-webhook": "v0"}
    assert headers_for({**VERSIONED, "version_header": None}, {}) == {}


def test_legacy_is_a_version_that_is_not_current_for_a_type_received() -> None:
    assert is_legacy({"version": "v0"}, [VERSIONED])
    assert not is_legacy({"version": "v1"}, [VERSIONED])
    assert not is_legacy({}, [VERSIONED])
    assert not is_legacy({"version": "v0", "event_types": ["invoice.*"]}, [VERSIONED])


def test_in_flight_limit() -> None:
    assert in_flight_limit({}) == DEFAULT_MAX_IN_FLIGHT >= 64
    assert in_flight_limit({"max_in_flight": 3}) == 3
    assert in_flight_limit({"max_in_flight": 3, "ordered": True}) == 1
    assert in_flight_limit({"max_in_flight": None}) == DEFAULT_MAX_IN_FLIGHT
    with pytest.raises(ValidationError):
        EndpointIn(url="https://x.example", max_in_flight=1001)
    with pytest.raises(ValidationError):
        EndpointIn(url="https://x.example", max_in_flight=0)


def test_a_delivery_carries_its_version_body_and_header() -> None:
    event = {
        "id": "msg_1",
        "app_id": "app_1",
        "event_type": "environment:code:deployed",
        "payload": {"commit": "abc"},
        "timestamp": "2026-11-22T10:15:30.123Z",
    }
    legacy = delivery(event, {"id": "ep_1", "version": "v0"}, VERSIONED)
    assert orjson.loads(legacy["body"]) == {"commit": "abc"}
    assert legacy["headers"] == {"x-wpvip-webhook": "v0"}
    current = delivery(event, {"id": "ep_2"}, VERSIONED)
    assert orjson.loads(current["body"])["data"] == {"commit": "abc"}
    assert current["headers"] == {"x-wpvip-webhook": "v1"}
    plain = delivery(event, {"id": "ep_3"}, None)
    assert plain["headers"] == {}
    for record in (legacy, current, plain):
        decode(Contract.DELIVERY, orjson.dumps({**record, "v": 1}))


def test_the_dispatcher_sends_the_version_header() -> None:
    record = {
        "message_id": "msg_1",
        "content_type": "application/json",
        "body": "{}",
        "headers": {"x-wpvip-webhook": "v0"},
    }
    endpoint = {
        "id": "ep_1",
        "url": "https://x.example",
        "headers": {"X-WPVIP-Webhook": "mine", "Authorization": "Bearer a"},
        "secrets": [{"secret": generate_secret(), "expires_at": None}],
    }
    sent = build_request(record, endpoint, clock.now())
    assert sent.headers["x-wpvip-webhook"] == "v0" and sent.headers["authorization"] == "Bearer a"
