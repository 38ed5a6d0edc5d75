"""The second wave of inbound features end to end, on the real broker: FlexDeploy's sync
header, sources' and routes' ``enabled`` flags, the sendgrid and teams presets signed as those
providers sign, an app route's event type taken from the request, and a source's dedupe."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import orjson

from tests.e2e.test_publish_safety import second_ingress
from tests.support.inbound import consume, logged, route, send, source
from tests.support.outbound import body, new_app, new_endpoint
from tests.support.provider_signing import SendGridSigner, teams_headers, teams_token
from tests.support.receiver import Receiver
from tests.support.stack import Stack

Object = dict[str, Any]

STACK_ENV = {"HOOKBUS_SYNC_TIMEOUT": "10s"}


def open_source(stack: Stack, **fields: Any) -> str:
    created = source(stack, name=f"open-{uuid.uuid4().hex[:6]}", provider="generic", **fields)
    return str(created["id"])


def to_topic(stack: Stack, src: str, **fields: Any) -> Object:
    topic = f"additions-{uuid.uuid4().hex[:8]}"
    return route(
        stack,
        name=f"to-{topic}",
        source_id=src,
        destination={"type": "kafka", "topic": topic},
        **fields,
    )


def test_flexdeploys_sync_header_waits_for_the_routes(stack: Stack) -> None:
    src = open_source(stack)
    kafka = to_topic(stack, src)
    body = b'{"deploy": 1}'
    answer = send(stack, f"/in/{src}/run", content=body, headers={"flex-sync-webhook": "true"})
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert shown["outcome"] == "succeeded"
    assert [r["route_id"] for r in shown["routes"]] == [kafka["id"]]
    # the same request without the header is answered at once, as any async one
    plain = send(stack, f"/in/{src}/run", content=body)
    assert plain.status_code == 202 and "routes" not in plain.json()
    assert logged(stack, shown["id"])["status"] == "accepted"


def sync(stack: Stack, src: str, body: bytes = b'{"n": 1}', **headers: str) -> Any:
    """A sync-mode request (FlexDeploy's header), answered with the routes that ran."""
    headers = {"flex-sync-webhook": "true", "content-type": "application/json", **headers}
    return send(stack, f"/in/{src}/run", content=body, headers=headers)


def test_a_disabled_source_answers_404_routes_nothing_until_enabled_again(stack: Stack) -> None:
    src = open_source(stack, enabled=False)
    assert stack.client.get(f"/v1/sources/{src}").json()["enabled"] is False
    to_topic(stack, src)
    refused = send(stack, f"/in/{src}/run", content=b'{"n": 1}')
    assert refused.status_code == 404, refused.text
    assert refused.json()["error"]["code"] == "not_found"
    entry = logged(stack, refused.headers["x-hookbus-inbound-id"])
    assert entry["status"] == "ignored" and entry["routes"] == []
    assert entry["verification"]["reason"] == "the source is disabled"
    patched = stack.client.patch(f"/v1/sources/{src}", json={"enabled": True})
    assert patched.status_code == 200 and patched.json()["enabled"] is True
    answer = sync(stack, src)
    assert answer.status_code == 200, answer.text
    # off again: the very next request is refused
    assert stack.client.patch(f"/v1/sources/{src}", json={"enabled": False}).status_code == 200
    assert send(stack, f"/in/{src}/run", content=b"{}").status_code == 404


def test_the_shared_url_skips_a_disabled_source(stack: Stack) -> None:
    marker = uuid.uuid4().hex
    first = open_source(stack, match={"headers": {"x-marker": marker}}, priority=-50)
    second = open_source(stack, match={"headers": {"x-marker": marker}}, priority=-40)
    off = stack.client.patch(f"/v1/sources/{first}", json={"enabled": False})
    assert off.status_code == 200, off.text
    answer = send(stack, "/hooks/x", content=b"{}", headers={"x-marker": marker})
    assert answer.status_code == 202, answer.text
    assert logged(stack, answer.json()["id"])["source_id"] == second


def test_a_disabled_route_never_matches_until_enabled_again(stack: Stack) -> None:
    src = open_source(stack)
    on = to_topic(stack, src, priority=1)
    off = to_topic(stack, src, priority=2, enabled=False)
    assert off["enabled"] is False and on["enabled"] is True
    answer = sync(stack, src)
    assert answer.status_code == 200, answer.text
    assert [r["route_id"] for r in answer.json()["routes"]] == [on["id"]]
    patched = stack.client.patch(f"/v1/routes/{off['id']}", json={"enabled": True})
    assert patched.status_code == 200 and patched.json()["enabled"] is True
    again = sync(stack, src)
    assert [r["route_id"] for r in again.json()["routes"]] == [on["id"], off["id"]]
    assert stack.client.patch(f"/v1/routes/{on['id']}", json={"enabled": False}).status_code == 200
    last = sync(stack, src)
    assert [r["route_id"] for r in last.json()["routes"]] == [off["id"]]


SENDGRID_BODY = b'[{"email":"a@example.com","event":"delivered","sg_event_id":"ev-1"}]\r\n'


def test_sendgrid_signed_event_webhook_is_verified_with_the_shown_public_key(
    stack: Stack,
) -> None:
    signer = SendGridSigner()
    created = source(
        stack, name="sendgrid", provider="sendgrid", verification_key=signer.verification_key
    )
    assert created["verification"] == {"verification_key": signer.verification_key}
    src = created["id"]
    now = int(time.time())
    headers = signer.headers(SENDGRID_BODY, now) | {"content-type": "application/json"}
    answer = send(stack, f"/in/{src}", content=SENDGRID_BODY, headers=headers)
    assert answer.status_code == 202, answer.text
    entry = logged(stack, answer.json()["id"])
    assert entry["status"] == "accepted"
    assert entry["verification"] == {"result": "verified", "scheme": "sendgrid"}
    assert stack.client.get(f"/v1/sources/{src}").json()["status"] == "verified"
    tampered = send(
        stack, f"/in/{src}", content=SENDGRID_BODY.replace(b"delivered", b"bounce"), headers=headers
    )
    assert tampered.status_code == 401, tampered.text
    stale = signer.headers(SENDGRID_BODY, now - 3600)
    assert send(stack, f"/in/{src}", content=SENDGRID_BODY, headers=stale).status_code == 401
    # a key SendGrid never showed: refused, naming the field
    bad = stack.client.post(
        "/v1/sources", json={"name": "sg", "provider": "sendgrid", "verification_key": "MFkw"}
    )
    assert bad.status_code == 422 and "verification_key" in bad.text


def test_teams_outgoing_webhook_is_verified_with_the_security_token(stack: Stack) -> None:
    token = teams_token()
    src = source(stack, name="teams", provider="teams", secret=token)["id"]
    body = b'{"type":"message","text":"<at>hookbus</at> deploy api"}'
    answer = send(stack, f"/in/{src}", content=body, headers=teams_headers(token, body))
    assert answer.status_code == 202, answer.text
    entry = logged(stack, answer.json()["id"])
    assert entry["verification"] == {"result": "verified", "scheme": "teams"}
    forged = teams_headers(teams_token(), body)
    assert send(stack, f"/in/{src}", content=body, headers=forged).status_code == 401
    bad = stack.client.post(
        "/v1/sources", json={"name": "t", "provider": "teams", "secret": "not base64!"}
    )
    assert bad.status_code == 422 and "secret" in bad.text


def test_an_app_route_takes_its_event_type_from_a_header_or_the_body(
    stack: Stack, receiver: Receiver
) -> None:
    app = new_app(stack, "github fan-out")
    new_endpoint(stack, app, receiver.url + "/gh", event_types=["github.*"])
    new_endpoint(stack, app, receiver.url + "/billing", event_types=["invoice.*"])
    github = open_source(stack)
    by_header = route(
        stack,
        name="github events",
        source_id=github,
        destination={
            "type": "app",
            "app_id": app,
            "event_type": {"header": "X-GitHub-Event", "prefix": "github."},
        },
    )
    assert by_header["destination"]["event_type"] == {
        "header": "X-GitHub-Event",
        "prefix": "github.",
    }
    for event in ("push", "pull_request"):
        answer = sync(stack, github, b'{"ref": "main"}', **{"X-GitHub-Event": event})
        assert answer.status_code == 200, answer.text
        assert answer.json()["routes"][0]["detail"]["event_type"] == f"github.{event}"
    got = receiver.wait_for(lambda r: r.path == "/gh", count=2)
    assert sorted(body(r)["type"] for r in got) == ["github.pull_request", "github.push"]
    # no header: the route fails with the reason, in the answer and in the received log
    missing = sync(stack, github, b'{"ref": "main"}')
    assert missing.status_code == 500, missing.text
    [entry] = logged(stack, missing.json()["id"], routed=True)["routes"]
    assert entry["outcome"] == "failed" and "X-GitHub-Event" in entry["detail"]["error"]
    # from the body: one Stripe-like source fans invoice.* out to the billing endpoint
    stripe_like = open_source(stack)
    route(
        stack,
        name="by type",
        source_id=stripe_like,
        destination={"type": "app", "app_id": app, "event_type": {"jsonpath": "$.type"}},
    )
    typed = sync(stack, stripe_like, b'{"type": "invoice.paid", "id": "evt_1"}')
    assert typed.status_code == 200, typed.text
    [delivered] = receiver.wait_for(lambda r: r.path == "/billing")
    assert body(delivered)["type"] == "invoice.paid"
    assert body(delivered)["data"] == {"type": "invoice.paid", "id": "evt_1"}
    untyped = sync(stack, stripe_like, b'{"id": "evt_2"}')
    assert untyped.status_code == 500
    assert "$.type" in untyped.json()["routes"][0]["detail"]["error"]


def test_an_event_type_that_is_no_name_header_or_jsonpath_is_refused(stack: Stack) -> None:
    app = new_app(stack, "refusals")
    for given in (5, {"header": "X-Event", "jsonpath": "$.t"}, {"jsonpath": "type"}, ["a"]):
        answer = stack.client.post(
            "/v1/routes",
            json={
                "name": "bad",
                "destination": {"type": "app", "app_id": app, "event_type": given},
            },
        )
        assert answer.status_code == 422, answer.text
        assert "event_type" in answer.text


def delivery(stack: Stack, src: str, delivery_id: str, base: str = "") -> Any:
    """A GitHub-like delivery: the same X-GitHub-Delivery on every retry of one event."""
    url = (base or stack.base_url) + f"/in/{src}/push"
    headers = {"X-GitHub-Delivery": delivery_id, "content-type": "application/json"}
    return httpx.post(url, content=b'{"ref": "main"}', headers=headers, timeout=30)


def test_a_repeated_delivery_is_answered_as_a_duplicate_and_routes_nothing(stack: Stack) -> None:
    created = source(
        stack,
        name="github deduped",
        provider="generic",
        dedupe={"header": "X-GitHub-Delivery"},
    )
    assert created["dedupe"] == {"header": "X-GitHub-Delivery", "window": "24h"}
    src = created["id"]
    kafka = to_topic(stack, src)
    first = delivery(stack, src, "d-1")
    assert first.status_code == 202, first.text
    first_id = first.json()["id"]
    repeat = delivery(stack, src, "d-1")
    assert repeat.status_code == 200, repeat.text
    assert repeat.json() == {"id": first_id, "duplicate": True}
    repeat_id = repeat.headers["x-hookbus-inbound-id"]
    entry = logged(stack, repeat_id, routed=True)
    assert entry["status"] == "duplicate" and entry["routes"] == []
    assert entry["duplicate_of"] == first_id
    assert logged(stack, first_id, routed=True)["status"] == "accepted"
    listed = stack.client.get("/v1/inbound", params={"source_id": src, "status": "duplicate"})
    assert [e["id"] for e in listed.json()["data"]] == [repeat_id]
    # another delivery is not a duplicate, nor is a request without the header
    assert delivery(stack, src, "d-2").status_code == 202
    plain = send(stack, f"/in/{src}/push", content=b"{}")
    assert plain.status_code == 202
    # a sync caller repeating a delivery gets the same answer
    again = send(
        stack,
        f"/in/{src}/push",
        content=b"{}",
        headers={"X-GitHub-Delivery": "d-2", "X-Hookbus-Sync": "true"},
    )
    assert again.status_code == 200 and again.json()["duplicate"] is True
    topic = kafka["destination"]["topic"]
    records = consume(stack.env["HOOKBUS_KAFKA_BOOTSTRAP"], topic, lambda found: len(found) >= 3)
    assert sorted(r["headers"].get("x-github-delivery", "-") for r in records) == [
        "-",
        "d-1",
        "d-2",
    ]


def test_dedupe_holds_across_ingress_copies_and_a_router_restart(stack: Stack) -> None:
    src = source(
        stack, name="stripe-like", provider="generic", dedupe={"jsonpath": "$.id", "window": "1h"}
    )["id"]
    to_topic(stack, src)

    def event(base: str, event_id: str) -> Any:
        body = orjson.dumps({"id": event_id, "type": "invoice.paid"})
        return httpx.post(f"{base}/in/{src}/x", content=body, timeout=30)

    first = event(stack.base_url, "evt_1")
    assert first.status_code == 202, first.text
    with second_ingress(stack) as other:
        repeat = event(str(other.base_url), "evt_1")
        assert repeat.status_code == 200, repeat.text
        assert repeat.json() == {"id": first.json()["id"], "duplicate": True}
    stack.processes["router"].kill()
    stack.processes["router"].wait(30)
    stack.start_service("router")
    stack.wait_ready("router")
    after = event(stack.base_url, "evt_1")
    assert after.status_code == 200, after.text
    assert after.json() == {"id": first.json()["id"], "duplicate": True}
    assert event(stack.base_url, "evt_2").status_code == 202


def test_bad_dedupe_settings_are_refused_naming_the_field(stack: Stack) -> None:
    cases = [
        ({"cookie": "x"}, "dedupe.cookie"),
        ({"header": "X-A", "jsonpath": "$.id"}, "dedupe"),
        ({"jsonpath": "id"}, "dedupe.jsonpath"),
        ({"header": "X-A", "window": "soon"}, "dedupe.window"),
        ({"header": "X-A", "window": "30d"}, "dedupe.window"),
    ]
    for dedupe, field in cases:
        answer = stack.client.post(
            "/v1/sources", json={"name": "bad", "provider": "generic", "dedupe": dedupe}
        )
        assert answer.status_code == 422, (dedupe, answer.text)
        assert field in answer.text, (dedupe, answer.text)
