"""Inbound routing end to end: the shared URL's priority order, path globs, AND-ed JSONPath
matches, query parameters passed on but never matched, the kafka, app and http destinations,
resubmit, the received log's filters, the custom answer, and bad input."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import orjson
from twilio.request_validator import RequestValidator

from shared.ids import has_prefix
from tests.support.inbound import consume, logged, route, send, source
from tests.support.receiver import Receiver
from tests.support.stack import Stack

MAX_BODY = 64 * 1024
PUBLIC_URL = "https://hooks.example.test"


STACK_ENV = {"HOOKBUS_MAX_BODY": str(MAX_BODY), "HOOKBUS_PUBLIC_URL": PUBLIC_URL}


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def accepted(stack: Stack, path: str, **kwargs: Any) -> str:
    answer = send(stack, path, **kwargs)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def routes_of(entry: dict[str, Any]) -> dict[str, str]:
    return {r["route_id"]: r["outcome"] for r in entry["routes"]}


def test_shared_url_tries_sources_by_ascending_priority(stack: Stack) -> None:
    tag = unique("x-team")
    github = source(
        stack,
        name="github on the shared url",
        provider="github",
        secret="gh-secret",
        priority=1,
        match={"headers": {tag: "*", "x-github-event": "*"}},
    )
    fallback = source(
        stack,
        name="anything of the team",
        provider="generic",
        verification={"type": "none"},
        priority=5,
        match={"headers": {tag: "acme*"}, "body": {"$.kind": "deploy"}},
    )
    assert github["url"] == f"{PUBLIC_URL}/in/{github['id']}"
    body = b'{"kind": "deploy"}'
    signature = "sha256=" + hmac.new(b"gh-secret", body, hashlib.sha256).hexdigest()
    both = {tag: "acme-1", "x-github-event": "push", "x-hub-signature-256": signature}
    # Both sources match: the lower priority number takes it, and verifies it as GitHub.
    first = accepted(stack, "/hooks/ci", headers=both, content=body)
    assert logged(stack, first)["source_id"] == github["id"]
    forged = send(
        stack, "/hooks/ci", headers={**both, "x-hub-signature-256": "sha256=00"}, content=body
    )
    assert forged.status_code == 401
    assert logged(stack, forged.headers["x-hookbus-inbound-id"])["source_id"] == github["id"]
    # Only the second source matches.
    second = accepted(stack, "/hooks/ci", headers={tag: "acme-2"}, content=body)
    assert logged(stack, second)["source_id"] == fallback["id"]
    # The body predicate fails, and no source is left.
    for miss in (b'{"kind": "other"}', b"{not json"):
        nothing = send(stack, "/hooks/ci", headers={tag: "acme-3"}, content=miss)
        assert nothing.status_code == 404 and nothing.json()["error"]["code"] == "not_found"


def test_routes_match_path_globs_and_all_jsonpaths_but_never_the_query(stack: Stack) -> None:
    bootstrap = stack.env["HOOKBUS_KAFKA_BOOTSTRAP"]
    src = source(stack, name="repo", provider="generic", verification={"type": "none"})["id"]
    narrow, wide, exact = unique("narrow"), unique("wide"), unique("exact")
    strict = route(
        stack,
        name="opened on api",
        source_id=src,
        path="git/*",
        matches={"$.action": "opened", "$.repo.name": "api"},
        destination={"type": "kafka", "topic": narrow, "key": "$.repo.name"},
    )["id"]
    broad = route(
        stack,
        name="all of git",
        source_id=src,
        path="/git/**",
        destination={"type": "kafka", "topic": wide},
    )["id"]
    any_source = route(
        stack, name="exact", path="exact/push", destination={"type": "kafka", "topic": exact}
    )["id"]
    opened = b'{"action": "opened", "repo": {"name": "api"}}'
    sent = {
        "both": accepted(stack, f"/in/{src}/git/push?env=prod", content=opened),
        "one_match": accepted(
            stack, f"/in/{src}/git/push", content=b'{"action": "closed", "repo": {"name": "api"}}'
        ),
        "deeper": accepted(stack, f"/in/{src}/git/deep/push", content=opened),
        "malformed": accepted(stack, f"/in/{src}/git/push", content=b'{"action": "opened"'),
        "exact": accepted(stack, f"/in/{src}/exact/push?env=prod&path=git/x", content=b"{}"),
        "elsewhere": accepted(stack, f"/in/{src}/other", content=opened),
    }
    ran = {name: routes_of(logged(stack, ident, routed=True)) for name, ident in sent.items()}
    assert ran == {
        "both": {strict: "succeeded", broad: "succeeded"},
        "one_match": {broad: "succeeded"},
        "deeper": {broad: "succeeded"},
        "malformed": {broad: "succeeded"},
        "exact": {any_source: "succeeded"},
        "elsewhere": {},
    }
    [record] = consume(bootstrap, narrow, lambda found: len(found) >= 1)
    assert record["id"] == sent["both"] and record["route_id"] == strict
    assert record["kind"] == "inbound" and record["_key"] == "api"
    assert record["query"] == "env=prod" and record["path"] == "git/push"
    assert orjson.loads(record["body"]) == orjson.loads(opened)
    on_wide = consume(bootstrap, wide, lambda found: len(found) >= 4)
    assert {r["id"] for r in on_wide} == {
        sent[n] for n in ("both", "one_match", "deeper", "malformed")
    }
    assert all(r["_key"] == src for r in on_wide)
    [passed_on] = consume(bootstrap, exact, lambda found: len(found) >= 1)
    assert passed_on["query"] == "env=prod&path=git/x"


def test_app_destination_fans_a_form_post_out_to_the_apps_endpoints(
    stack: Stack, receiver: Receiver
) -> None:
    app = stack.client.post("/v1/apps", json={"name": "SMS", "uid": unique("sms")}).json()
    endpoint = stack.client.post(
        f"/v1/apps/{app['id']}/endpoints", json={"url": receiver.url, "ping": False}
    )
    assert endpoint.status_code == 201
    src = source(stack, name="sms", provider="generic", verification={"type": "none"})["id"]
    fanned = route(
        stack,
        name="texts from one number",
        source_id=src,
        matches={"$.From": "+14155550100"},
        destination={"type": "app", "app_id": app["uid"], "event_type": "sms.received"},
    )
    assert fanned["destination"]["app_id"] == app["id"]  # a uid is stored as the app's id
    form = {"content-type": "application/x-www-form-urlencoded"}
    other = accepted(stack, f"/in/{src}/sms", headers=form, content=b"From=%2B1999&Body=no")
    inbound_id = accepted(
        stack, f"/in/{src}/sms", headers=form, content=b"From=%2B14155550100&Body=hello+world"
    )
    delivered = receiver.wait_for(lambda r: b"sms.received" in r.body)[0]
    envelope = orjson.loads(delivered.body)
    assert envelope["type"] == "sms.received"
    assert envelope["data"] == {"From": "+14155550100", "Body": "hello world"}
    assert has_prefix(delivered.headers["webhook-id"], "msg")
    entry = logged(stack, inbound_id, routed=True)
    assert entry["routes"][0]["outcome"] == "succeeded"
    assert entry["routes"][0]["detail"]["message_id"] == delivered.headers["webhook-id"]
    assert logged(stack, other, routed=True)["routes"] == []
    assert len(receiver.matching(lambda r: b"sms.received" in r.body)) == 1


def test_http_destination_is_handed_to_the_dispatcher_as_a_route_delivery(
    stack: Stack, receiver: Receiver
) -> None:
    src = source(stack, name="to ci", provider="generic", verification={"type": "none"})["id"]
    forward = route(
        stack,
        name="forward",
        source_id=src,
        destination={"type": "http", "url": receiver.url + "/ci", "headers": {"x-ci": "1"}},
    )
    assert forward["destination"]["timeout_ms"] == 15000
    inbound_id = accepted(stack, f"/in/{src}/build?ref=main", content=b"\x00\xffbinary")
    [run] = logged(stack, inbound_id, routed=True)["routes"]
    # pending until the dispatcher's first attempt is logged (the forwarding itself is tested
    # in test_inbound_forwarding)
    assert run["destination"] == "http" and run["outcome"] in ("pending", "succeeded")
    prefix, bootstrap = stack.env["HOOKBUS_TOPIC_PREFIX"], stack.env["HOOKBUS_KAFKA_BOOTSTRAP"]

    def has_delivery(found: list[dict[str, Any]]) -> bool:
        return any(r.get("id") == run["detail"]["delivery_id"] for r in found)

    delivery = next(
        r
        for r in consume(bootstrap, f"{prefix}deliveries", has_delivery)
        if r.get("id") == run["detail"]["delivery_id"]
    )
    assert delivery["kind"] == "route" and delivery["route_id"] == forward["id"]
    assert delivery["_key"] == forward["id"] and delivery["inbound_id"] == inbound_id
    assert delivery["request"]["query"] == "ref=main" and delivery["request"]["path"] == "build"
    assert delivery["request"]["body_encoding"] == "base64"
    [forwarded] = receiver.wait_for(lambda r: r.headers.get("x-hookbus-route-id") == forward["id"])
    assert forwarded.body == b"\x00\xffbinary" and forwarded.path == "/ci?ref=main"


def test_resubmit_runs_the_routes_again_on_the_stored_request(stack: Stack) -> None:
    bootstrap = stack.env["HOOKBUS_KAFKA_BOOTSTRAP"]
    src = source(stack, name="replayable", provider="github", secret="s3cret")["id"]
    topic = unique("replayed")
    route(stack, name="all", source_id=src, destination={"type": "kafka", "topic": topic})
    body = b'{"zen": "Keep it logically awesome."}'
    signature = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    original = accepted(
        stack, f"/in/{src}/ping?q=1", headers={"x-hub-signature-256": signature}, content=body
    )
    logged(stack, original, routed=True)
    again = stack.client.post(f"/v1/inbound/{original}/resubmit")
    assert again.status_code == 202, again.text
    assert again.json()["resubmission_of"] == original
    rerun = logged(stack, again.json()["id"], routed=True)
    assert rerun["resubmission_of"] == original and rerun["status"] == "accepted"
    assert rerun["body"] == body.decode() and rerun["query"] == "q=1"
    assert [r["outcome"] for r in rerun["routes"]] == ["succeeded"]
    records = consume(bootstrap, topic, lambda found: len(found) >= 2)
    assert [r["resubmission_of"] for r in records] == [None, original]
    assert records[0]["body"] == records[1]["body"]

    unsigned = send(stack, f"/in/{src}/ping", content=body)
    assert unsigned.status_code == 401
    rejected = unsigned.headers["x-hookbus-inbound-id"]
    logged(stack, rejected)
    refused = stack.client.post(f"/v1/inbound/{rejected}/resubmit")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "conflict"
    assert stack.client.post("/v1/inbound/in_nope/resubmit").status_code == 404


def test_received_log_lists_and_filters(stack: Stack) -> None:
    src = source(stack, name="filtered", provider="gitlab", secret="tok")["id"]
    good = accepted(stack, f"/in/{src}", headers={"x-gitlab-token": "tok"}, content=b"{}")
    bad = send(stack, f"/in/{src}", headers={"x-gitlab-token": "no"}, content=b"{}")
    bad_id = bad.headers["x-hookbus-inbound-id"]
    logged(stack, good), logged(stack, bad_id)
    api = stack.client

    def ids(query: str) -> list[str]:
        answer = api.get(f"/v1/inbound?source_id={src}{query}")
        assert answer.status_code == 200, answer.text
        return [entry["id"] for entry in answer.json()["data"]]

    assert ids("") == [bad_id, good]  # newest first
    assert ids("&status=rejected") == [bad_id]
    assert ids("&status=accepted") == [good]
    assert ids("&status=ignored") == []
    first = api.get(f"/v1/inbound?source_id={src}&limit=1").json()
    rest = api.get(f"/v1/inbound?source_id={src}&limit=1&cursor={first['next_cursor']}").json()
    assert [e["id"] for e in first["data"] + rest["data"]] == [bad_id, good]
    assert rest["next_cursor"] is None
    assert api.get("/v1/inbound?status=lost").status_code == 422
    assert api.get("/v1/inbound", headers={"authorization": ""}).status_code == 401


def test_custom_answer_and_bad_input(stack: Stack) -> None:
    polite = source(
        stack,
        name="needs 200",
        provider="generic",
        verification={"type": "none"},
        response={"status": 200, "body": "OK"},
    )["id"]
    answer = send(stack, f"/in/{polite}/x", content=b"{}")
    assert (answer.status_code, answer.text) == (200, "OK")
    assert answer.headers["content-type"].startswith("text/plain")
    logged(stack, answer.headers["x-hookbus-inbound-id"])

    unknown = send(stack, "/in/src_unknown/x", content=b"{}")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"

    raw = source(stack, name="raw", provider="generic", verification={"type": "none"})["id"]
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    stored = accepted(stack, f"/in/{raw}/logo", headers={"content-type": "image/png"}, content=png)
    entry = logged(stack, stored)
    assert entry["body_encoding"] == "base64" and entry["headers"]["content-type"] == "image/png"
    assert base64.b64decode(entry["body"]) == png

    too_big = b"x" * (MAX_BODY + 1)
    declared = send(stack, f"/in/{raw}/big", content=too_big)
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:  # no content-length: refused while reading
        for _ in range(MAX_BODY // 1024 + 2):
            yield b"y" * 1024

    streamed = send(stack, f"/in/{raw}/big", content=chunks())
    assert streamed.status_code == 413
    # Refused from the declared length or while reading: the same answer.
    assert streamed.json()["error"]["details"] == declared.json()["error"]["details"]
    assert declared.json()["error"]["details"] == {"limit": MAX_BODY}
    exactly = accepted(stack, f"/in/{raw}/big", content=b"z" * MAX_BODY)
    logged(stack, exactly)
    listed = stack.client.get(f"/v1/inbound?source_id={raw}").json()["data"]
    assert [e["id"] for e in listed] == [exactly, stored]  # the refused ones wrote nothing


def test_management_api_validates_and_hides_secrets(stack: Stack) -> None:
    api = stack.client
    created = source(
        stack,
        name="basic",
        provider="generic",
        verification={"type": "basic", "username": "u", "password": "p4ss"},
    )
    assert created["verification"] == {"type": "basic", "username": "u", "password": "[redacted]"}
    listed = api.get("/v1/sources").json()["data"]
    assert "p4ss" not in orjson.dumps(listed).decode()
    bad = [
        ({"name": "s", "provider": "stripe", "secret": "sk_live_1"}, "secret"),
        ({"name": "s", "provider": "nope", "secret": "x"}, "provider"),
        ({"name": "s", "provider": "meta", "secret": "x"}, "verify_token"),
        ({"name": "s", "provider": "github", "secret": "x", "match": {"body": {"a.b": 1}}}, "$"),
    ]
    for body, word in bad:
        refused = api.post("/v1/sources", json=body)
        assert refused.status_code == 422 and word in refused.text, refused.text
    patched = api.patch(f"/v1/sources/{created['id']}", json={"priority": 7, "name": "renamed"})
    assert patched.status_code == 200 and patched.json()["priority"] == 7
    prefix = stack.env["HOOKBUS_TOPIC_PREFIX"]
    wrong_routes = [
        {"source_id": "src_nope", "destination": {"type": "kafka", "topic": "t"}},
        {"destination": {"type": "kafka", "topic": f"{prefix}events"}},
        {"destination": {"type": "kafka", "topic": "bad topic"}},
        {"destination": {"type": "app", "app_id": "app_nope", "event_type": "a.b"}},
        {"destination": {"type": "http", "url": "ftp://x"}},
        {"matches": {"$[": 1}, "destination": {"type": "kafka", "topic": "t"}},
    ]
    for body in wrong_routes:
        refused = api.post("/v1/routes", json={"name": "r", **body})
        assert refused.status_code == 422, (body, refused.text)
    bound = route(
        stack,
        name="bound",
        source_id=created["id"],
        destination={"type": "kafka", "topic": unique("t")},
    )
    assert api.get(f"/v1/routes/{bound['id']}").status_code == 200
    assert api.delete(f"/v1/sources/{created['id']}").status_code == 204
    assert api.get(f"/v1/sources/{created['id']}").status_code == 404
    assert api.get(f"/v1/routes/{bound['id']}").status_code == 404  # deleted with its source
    assert send(stack, f"/in/{created['id']}", content=b"{}").status_code == 404
    assert api.get("/v1/sources", headers={"authorization": "Bearer no"}).status_code == 401


def test_twilio_is_checked_against_the_public_url(stack: Stack) -> None:
    src = source(stack, name="sms", provider="twilio", secret="tw-token")
    assert src["url"] == f"{PUBLIC_URL}/in/{src['id']}"
    params = {"From": "+14155550100", "Body": "hi"}
    # Twilio signs the URL it called: the public one, not the address hookbus listens on.
    signature = RequestValidator("tw-token").compute_signature(f"{src['url']}/sms?x=1", params)
    headers = {
        "x-twilio-signature": signature,
        "content-type": "application/x-www-form-urlencoded",
    }
    body = urlencode(params).encode()
    accepted(stack, f"/in/{src['id']}/sms?x=1", headers=headers, content=body)
    local = RequestValidator("tw-token").compute_signature(
        f"{stack.base_url}/in/{src['id']}/sms?x=1", params
    )
    wrong = send(
        stack,
        f"/in/{src['id']}/sms?x=1",
        headers={**headers, "x-twilio-signature": local},
        content=body,
    )
    assert wrong.status_code == 401
    documented = stack.client.get("/openapi.json").json()["paths"]
    assert {"/v1/sources", "/v1/routes", "/v1/inbound", "/in/{src}/{path}"} <= set(documented)
