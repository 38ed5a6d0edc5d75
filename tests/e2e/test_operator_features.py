"""Operator features end to end, through the public API on the real broker with real receivers:
event type names with ``:``, credentials masked in answers, filter operators, payload versions,
per-endpoint ``max_in_flight`` and the catalogue's schema for events produced straight to Kafka.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

import httpx
import orjson

from shared import clock
from tests.e2e.test_kafka_interface import dead_letters, produce
from tests.support.inbound import route, send, source
from tests.support.outbound import arrives, body, new_app, new_endpoint, publish, with_id
from tests.support.receiver import Received, Receiver
from tests.support.stack import Stack
from tests.support.waiting import poll

Object = dict[str, Any]
DEPLOYED = "environment:code:deployed"
FAILED = "environment:code:deploy-failed"


def _attempts(stack: Stack, app: str, ep: str) -> list[Object]:
    def found() -> list[Object] | None:
        answer = stack.client.get(f"/v1/apps/{app}/endpoints/{ep}/attempts")
        data: list[Object] = answer.json()["data"] if answer.status_code == 200 else []
        return data or None

    result: list[Object] = poll(found, 60)
    return result


def test_event_type_names_with_colons_and_colon_prefix_patterns(
    stack: Stack, receiver: Receiver
) -> None:
    api = stack.client
    schema = {"type": "object", "required": ["environment"]}
    made = api.post("/v1/event-types", json={"name": DEPLOYED, "schema": schema})
    assert made.status_code == 201, made.text
    assert api.get(f"/v1/event-types/{DEPLOYED}").json()["name"] == DEPLOYED
    app = new_app(stack, "wpvip")
    colon = new_endpoint(stack, app, receiver.url + "/colon", event_types=["environment:code:*"])
    with Receiver() as other:
        new_endpoint(stack, app, other.url, event_types=["environment:site:*", "invoice.*"])
        refused = api.post(
            f"/v1/apps/{app}/messages", json={"event_type": DEPLOYED, "payload": {"x": 1}}
        )
        assert refused.status_code == 422, refused.text  # the catalogue's schema applies
        got = arrives(stack, app, receiver, DEPLOYED, {"environment": {"type": "production"}})
        assert got.path == "/colon" and body(got)["type"] == DEPLOYED
        # Straight to Kafka, with the same name.
        event = {
            "v": 1,
            "id": f"kafka-{uuid.uuid4().hex[:8]}",
            "app_id": app,
            "event_type": FAILED,
            "payload": {"error": "build"},
            "timestamp": clock.iso(),
        }
        topic = stack.env["HOOKBUS_TOPIC_PREFIX"] + "events"
        asyncio.run(
            produce(stack.env["HOOKBUS_KAFKA_BOOTSTRAP"], topic, [(b"k", orjson.dumps(event))])
        )
        receiver.wait_for(with_id(event["id"]))
        # An app route re-publishing inbound requests under a colon name.
        src = source(stack, name="vip", provider="generic", verification={"type": "none"})
        route(
            stack,
            name="deploys",
            source_id=src["id"],
            destination={"type": "app", "app_id": app, "event_type": FAILED},
        )
        assert send(stack, f"/in/{src['id']}", json={"site": 7}).status_code == 202
        receiver.wait_for(lambda r: body(r).get("data") == {"site": 7})
        assert other.requests == []
    listed = api.get(f"/v1/apps/{app}/messages", params={"event_type": DEPLOYED})
    assert listed.status_code == 200, listed.text
    assert colon["event_types"] == ["environment:code:*"]


def test_credentials_in_headers_are_masked_in_answers_and_sent_in_full(
    stack: Stack, receiver: Receiver
) -> None:
    api = stack.client
    app = new_app(stack, "masked")
    headers = {"Authorization": "Bearer s3cret", "X-Api-Key": "k-1", "x-team": "core"}
    created = new_endpoint(stack, app, receiver.url, headers=headers)
    shown = {"Authorization": "****", "X-Api-Key": "****", "x-team": "core"}
    assert created["headers"] == shown
    ep = created["id"]
    assert api.get(f"/v1/apps/{app}/endpoints/{ep}").json()["headers"] == shown
    assert api.get(f"/v1/apps/{app}/endpoints").json()["data"][0]["headers"] == shown
    got = arrives(stack, app, receiver, "invoice.paid")
    assert got.headers["authorization"] == "Bearer s3cret" and got.headers["x-api-key"] == "k-1"
    logged = _attempts(stack, app, ep)[0]["request"]["headers"]
    assert logged["authorization"] == "****" and logged["x-api-key"] == "****"
    assert logged["x-team"] == "core"
    assert "s3cret" not in api.get(f"/v1/apps/{app}/endpoints/{ep}/attempts").text
    # A read object sent back as it is keeps the credentials it masked.
    patched = api.patch(
        f"/v1/apps/{app}/endpoints/{ep}", json={"headers": {**shown, "x-team": "infra"}}
    )
    assert patched.status_code == 200, patched.text
    again = arrives(stack, app, receiver, "invoice.paid")
    assert again.headers["authorization"] == "Bearer s3cret" and again.headers["x-team"] == "infra"
    # Routes' http destinations too.
    forward = route(
        stack,
        name="masked",
        destination={"type": "http", "url": receiver.url, "headers": {"x-ci-token": "t0k"}},
    )
    for answer in (forward, api.get(f"/v1/routes/{forward['id']}").json()):
        assert answer["destination"]["headers"] == {"x-ci-token": "****"}
    listed = [r for r in api.get("/v1/routes").json()["data"] if r["id"] == forward["id"]]
    assert listed[0]["destination"]["headers"] == {"x-ci-token": "****"}
    api.delete(f"/v1/routes/{forward['id']}")


def test_filter_operators_on_endpoints_routes_and_sources(stack: Stack, receiver: Receiver) -> None:
    api = stack.client
    app = new_app(stack, "filters")
    big = {"$.data.amount": {"$gte": 100}, "$or": [{"$.data.plan": {"$in": ["pro", "team"]}}]}
    # Ordered: once a later message arrived, an earlier one that was routed would have too.
    new_endpoint(stack, app, receiver.url + "/big", filter=big, ordered=True)
    refused = api.post(
        f"/v1/apps/{app}/endpoints",
        json={"url": receiver.url, "filter": {"$.data.amount": {"$bigger": 1}}},
    )
    assert refused.status_code == 422, refused.text
    assert "$.data.amount.$bigger" in refused.json()["error"]["message"]
    with Receiver() as everything:
        new_endpoint(stack, app, everything.url)  # the marker: every message reaches it
        small = publish(stack, app, "invoice.paid", {"amount": 50, "plan": "pro"})
        free = publish(stack, app, "invoice.paid", {"amount": 500, "plan": "free"})
        wanted = publish(stack, app, "invoice.paid", {"amount": 150, "plan": "team"})
        for sent in (small, free, wanted):
            everything.wait_for(with_id(sent["id"]))
    got = receiver.wait_for(with_id(wanted["id"]))
    assert got[0].path == "/big"
    assert receiver.matching(with_id(small["id"])) == []
    assert receiver.matching(with_id(free["id"])) == []
    # A route's matches and a source's match.body use the same operators.
    src = source(
        stack,
        name="shared-url",
        provider="generic",
        verification={"type": "none"},
        match={"body": {"$.event": {"$regex": "^deploy\\."}}},
    )
    route(
        stack,
        name="prod-deploys",
        source_id=src["id"],
        matches={"$.env": {"$nin": ["dev", "staging"]}},
        destination={"type": "http", "url": receiver.url + "/route"},
    )
    assert send(stack, "/hooks/x", json={"event": "build.done", "env": "prod"}).status_code == 404
    assert send(stack, "/hooks/x", json={"event": "deploy.done", "env": "dev"}).status_code == 202
    assert send(stack, "/hooks/x", json={"event": "deploy.done", "env": "prod"}).status_code == 202
    [forwarded] = receiver.wait_for(lambda r: r.path == "/route")
    assert body(forwarded) == {"event": "deploy.done", "env": "prod"}
    bad_route = api.post(
        "/v1/routes",
        json={
            "name": "bad",
            "matches": {"$and": [{"$.a": {"$like": "x"}}]},
            "destination": {"type": "http", "url": receiver.url},
        },
    )
    assert bad_route.status_code == 422 and "$and[0].$.a.$like" in bad_route.text
    assert send(stack, "/hooks/x", json={"event": "deploy.more", "env": "prod"}).status_code == 202
    assert len(receiver.wait_for(lambda r: r.path == "/route", 2)) == 2  # dev never came


def test_filters_test_call(stack: Stack) -> None:
    api = stack.client
    condition = {"$.data.email": {"$regex": "@acme\\.io$"}, "$.data.n": {"$lt": 10}}
    payload = {"type": "user.created", "data": {"email": "ann@acme.io", "n": 3}}
    answer = api.post("/v1/filters/test", json={"filter": condition, "payload": payload})
    assert answer.status_code == 200 and answer.json() == {"matches": True}, answer.text
    payload["data"]["n"] = 30
    answer = api.post("/v1/filters/test", json={"filter": condition, "payload": payload})
    assert answer.json() == {"matches": False}
    unknown = api.post("/v1/filters/test", json={"filter": {"$.a": {"$near": 1}}, "payload": {}})
    assert unknown.status_code == 422 and "$.a.$near" in unknown.json()["error"]["message"]
    # A pattern that backtracks for ever in a backtracking engine answers at once here.
    stall = {"filter": {"$.s": {"$regex": "^(a+)+$"}}, "payload": {"s": "a" * 100_000 + "!"}}
    assert api.post("/v1/filters/test", json=stall).json() == {"matches": False}
    anonymous = httpx.post(stack.base_url + "/v1/filters/test", json=stall)
    assert anonymous.status_code == 401
    operation = httpx.get(stack.base_url + "/openapi.json").json()["paths"]["/v1/filters/test"]
    assert operation["post"]["responses"]["200"]["content"]["application/json"]["example"]


def test_payload_versions_wpvip_style(stack: Stack, receiver: Receiver) -> None:
    api = stack.client
    name = "environment:code:promoted"
    flat = "{type: type, environment_type: data.environment.type, commit: data.commit.sha}"
    versions = [{"name": "v0", "transform": flat}, {"name": "v1"}]
    bad = api.post(
        "/v1/event-types", json={"name": name, "versions": [{"name": "v0", "transform": "a[["}]}
    )
    assert bad.status_code == 422 and "versions.0.transform" in bad.text, bad.text
    made = api.post(
        "/v1/event-types",
        json={"name": name, "versions": versions, "version_header": "x-wpvip-webhook"},
    )
    assert made.status_code == 201, made.text
    assert made.json()["versions"] == versions
    assert made.json()["version_header"] == "x-wpvip-webhook"
    app = new_app(stack, "versions")
    unknown = api.post(
        f"/v1/apps/{app}/endpoints", json={"url": receiver.url, "version": "v9", "ping": False}
    )
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["error"]["details"][0]["path"] == "version"
    legacy = new_endpoint(stack, app, receiver.url + "/legacy", version="v0", ordered=True)
    current = new_endpoint(stack, app, receiver.url + "/current", ordered=True)
    own = new_endpoint(
        stack, app, receiver.url + "/own", version="v0", transform="data.commit", ordered=True
    )
    assert legacy["legacy"] is True and legacy["version"] == "v0"
    assert current["legacy"] is False and current["version"] is None
    listed = {e["id"]: e["legacy"] for e in api.get(f"/v1/apps/{app}/endpoints").json()["data"]}
    assert listed == {legacy["id"]: True, current["id"]: False, own["id"]: True}
    payload = {"environment": {"type": "production", "id": 42}, "commit": {"sha": "9f1c2e7"}}
    sent = publish(stack, app, name, payload)
    got = {r.path: r for r in receiver.wait_for(with_id(sent["id"]), 3)}
    assert body(got["/legacy"]) == {
        "type": name,
        "environment_type": "production",
        "commit": "9f1c2e7",
    }
    assert got["/legacy"].headers["x-wpvip-webhook"] == "v0"
    assert body(got["/current"]) == {"type": name, "timestamp": sent["timestamp"], "data": payload}
    assert got["/current"].headers["x-wpvip-webhook"] == "v1"
    assert body(got["/own"]) == {"sha": "9f1c2e7"}  # the endpoint's own transform wins
    assert got["/own"].headers["x-wpvip-webhook"] == "v0"
    # A version an endpoint is on cannot be dropped; moving the endpoint first frees it.
    dropped = api.patch(f"/v1/event-types/{name}", json={"versions": [{"name": "v1"}]})
    assert dropped.status_code == 409, dropped.text
    moved = api.patch(f"/v1/apps/{app}/endpoints/{legacy['id']}", json={"version": "v1"})
    assert moved.status_code == 200 and moved.json()["legacy"] is False, moved.text
    again = publish(stack, app, name, payload)
    [later] = [r for r in receiver.wait_for(with_id(again["id"]), 3) if r.path == "/legacy"]
    assert later.headers["x-wpvip-webhook"] == "v1" and body(later)["data"] == payload
    # A resend repeats the logged body; the version header comes with it.
    resent = api.post(f"/v1/apps/{app}/messages/{sent['id']}/endpoints/{own['id']}/resend")
    assert resent.status_code == 202, resent.text
    copies = receiver.wait_for(lambda r: r.path == "/own" and with_id(sent["id"])(r), 2)
    assert [r.headers["x-wpvip-webhook"] for r in copies] == ["v0", "v0"]
    assert api.delete(f"/v1/event-types/{name}").status_code == 409  # "own" is still on v0


class InFlight:
    """Answers after holding each request until ``hold_until`` requests are in flight at once
    (or ``patience`` seconds passed); records the most that were ever in flight together."""

    def __init__(self, hold_until: int, patience: float) -> None:
        self.hold_until, self.patience = hold_until, patience
        self.now = self.most = 0
        self.changed = threading.Condition()

    def __call__(self, _request: Received) -> tuple[int, bytes]:
        with self.changed:
            self.now += 1
            self.most = max(self.most, self.now)
            self.changed.notify_all()
            self.changed.wait_for(lambda: self.most >= self.hold_until, self.patience)
            self.now -= 1
        return 200, b"ok"


def test_max_in_flight_bounds_an_endpoint_and_the_default_is_generous(stack: Stack) -> None:
    api = stack.client
    app = new_app(stack, "in-flight")
    for wrong in (0, 1001):
        refused = api.post(
            f"/v1/apps/{app}/endpoints",
            json={"url": "http://127.0.0.1:9/", "max_in_flight": wrong, "ping": False},
        )
        assert refused.status_code == 422, refused.text
    # Two in flight at most: each request waits (in vain) for a third to join it.
    narrow = InFlight(hold_until=3, patience=0.5)
    with Receiver(narrow) as receiver:
        made = new_endpoint(stack, app, receiver.url, event_types=["narrow"], max_in_flight=2)
        assert made["max_in_flight"] == 2
        for _ in range(8):
            publish(stack, app, "narrow")
        receiver.wait_for(lambda _r: True, 8)
    assert narrow.most == 2
    # The default lets many more run at once than the old fixed 8 per endpoint.
    wide = InFlight(hold_until=24, patience=20)
    with Receiver(wide) as receiver:
        made = new_endpoint(stack, app, receiver.url, event_types=["wide"])
        assert made["max_in_flight"] >= 64
        api.post(
            f"/v1/apps/{app}/messages/batch",
            json={"messages": [{"event_type": "wide", "payload": {"n": n}} for n in range(30)]},
        ).raise_for_status()
        receiver.wait_for(lambda _r: True, 30)
    assert wide.most >= 24


def test_events_produced_to_kafka_are_held_to_the_catalogue_schema(
    stack: Stack, receiver: Receiver
) -> None:
    api = stack.client
    schema = {
        "type": "object",
        "required": ["order_id"],
        "properties": {"order_id": {"type": "integer"}},
    }
    made = api.post("/v1/event-types", json={"name": "shop:order:placed", "schema": schema})
    assert made.status_code == 201, made.text
    app = new_app(stack, "kafka-schema")
    new_endpoint(stack, app, receiver.url, event_types=["shop:order:*"], ordered=True)
    prefix, bootstrap = stack.env["HOOKBUS_TOPIC_PREFIX"], stack.env["HOOKBUS_KAFKA_BOOTSTRAP"]

    def event(ident: str, payload: Object) -> tuple[bytes, bytes]:
        record = {
            "v": 1,
            "id": ident,
            "app_id": app,
            "event_type": "shop:order:placed",
            "payload": payload,
            "timestamp": clock.iso(),
        }
        return app.encode(), orjson.dumps(record)

    bad, good = f"bad-{uuid.uuid4().hex[:8]}", f"good-{uuid.uuid4().hex[:8]}"
    records = [event(bad, {"order_id": "seven"}), event(good, {"order_id": 7})]
    asyncio.run(produce(bootstrap, f"{prefix}events", records))
    [letter] = asyncio.run(dead_letters(bootstrap, f"{prefix}dead", 1, about=bad))
    assert "payload.order_id" in str(letter["reason"]), letter
    receiver.wait_for(with_id(good))  # ordered: the bad one, routed first, would be here by now
    assert receiver.matching(with_id(bad)) == []
    # An HTTP publish is checked by the ingress and delivered as before.
    arrives(stack, app, receiver, "shop:order:placed", {"order_id": 8})
