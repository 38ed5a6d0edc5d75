"""The inbound interface as an outside user drives it: sources configured the way a user of
each provider's SDK would write them, the challenges, the shared URL's ``match`` in its
usual spellings, the received log read right after an answer, PATCHing a route's URL, and
odd ids that must never answer 500. One stack with ``make run``'s defaults (no public URL)."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import stripe
from slack_sdk.signature import SignatureVerifier
from standardwebhooks.webhooks import Webhook

from tests.support.inbound import logged, route, send
from tests.support.receiver import Receiver
from tests.support.stack import Stack

Object = dict[str, Any]
# The Standard Webhooks reference library's own test secret, given without its prefix.
STANDARD_SECRET = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def created(stack: Stack, **fields: Any) -> Object:
    answer = stack.client.post("/v1/sources", json=fields)
    assert answer.status_code == 201, answer.text
    body: Object = answer.json()
    assert body["id"].startswith("src_") and body["status"] == "unverified"
    return body


def test_sdk_secrets_are_taken_as_the_sdks_take_them(stack: Stack) -> None:
    body = orjson.dumps({"id": "evt_1", "type": "invoice.paid"})
    # Stripe: any signing secret text, signed by stripe's own helper.
    stripe_src = created(stack, name="stripe", provider="stripe", secret="stripe-test-secret")
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), "stripe-test-secret", int(time.time())
    )
    answer = send(
        stack, f"/in/{stripe_src['id']}", headers={"Stripe-Signature": header}, content=body
    )
    assert answer.status_code == 202, answer.text
    # Standard Webhooks: the secret as the reference library accepts it (no whsec_ prefix).
    standard = created(stack, name="standard", provider="standard", secret=STANDARD_SECRET)
    now = datetime.now(UTC)
    signature = Webhook(STANDARD_SECRET).sign("msg_1", now, body.decode())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    answer = send(stack, f"/in/{standard['id']}/x", headers=headers, content=body)
    assert answer.status_code == 202, answer.text
    forged = send(stack, f"/in/{standard['id']}/x", headers=headers, content=body + b" ")
    assert forged.status_code == 401
    for src in (stripe_src, standard):
        assert stack.client.get(f"/v1/sources/{src['id']}").json()["status"] == "verified"


def test_meta_verify_token_at_the_top_level_and_without_app_secret(stack: Stack) -> None:
    with_secret = created(stack, name="meta", provider="meta", secret="app", verify_token="vt")
    handshake_only = created(stack, name="meta handshake", provider="meta", verify_token="vt2")
    assert handshake_only["has_secret"] is False
    for src, token in ((with_secret, "vt"), (handshake_only, "vt2")):
        query = f"hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"
        answer = send(stack, f"/in/{src['id']}?{query}", method="GET")
        assert (answer.status_code, answer.text) == (200, "1158201444")
        assert answer.headers["content-type"].startswith("text/plain")
        assert stack.client.get(f"/v1/sources/{src['id']}").json()["status"] == "verified"
    # Without an app secret no post can be proven.
    post = send(stack, f"/in/{handshake_only['id']}", content=b"{}")
    assert post.status_code == 401
    wrong = stack.client.post(
        "/v1/sources",
        json={"name": "gh", "provider": "github", "secret": "s", "verify_token": "vt"},
    )
    assert (
        wrong.status_code == 422 and wrong.json()["error"]["details"][0]["path"] == "verify_token"
    )


def test_generic_sources_as_users_spell_them(stack: Stack) -> None:
    body = b'{"kind":"ping"}'
    bare = created(stack, name="no verification", provider="generic")
    assert bare["verification"] == {"type": "none"}
    assert send(stack, f"/in/{bare['id']}/a", content=body).status_code == 202
    loud = created(
        stack,
        name="hmac in capitals",
        provider="generic",
        secret="k",
        verification={"type": "hmac", "header": "X-Sig", "algorithm": "SHA256", "encoding": "HEX"},
    )
    good = hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert (
        send(stack, f"/in/{loud['id']}", headers={"X-Sig": good}, content=body).status_code == 202
    )
    api_key = created(
        stack,
        name="api key from secret",
        provider="generic",
        secret="key-1",
        verification={"type": "api_key", "header": "X-Api-Key"},
    )
    ok = send(stack, f"/in/{api_key['id']}", headers={"X-Api-Key": "key-1"}, content=body)
    assert ok.status_code == 202
    bad = send(stack, f"/in/{api_key['id']}", headers={"X-Api-Key": "key-2"}, content=body)
    assert bad.status_code == 401
    # A secret with no word on how to check it would leave the source open: refused.
    unsaid = {"name": "secret only", "provider": "generic", "secret": "only"}
    refused = stack.client.post("/v1/sources", json=unsaid)
    assert refused.status_code == 422 and "verification" in refused.text
    # Moving a source to a preset drops the generic settings; GitHub's own check applies.
    moved = stack.client.patch(
        f"/v1/sources/{loud['id']}", json={"provider": "github", "secret": "gh"}
    )
    assert moved.status_code == 200 and moved.json()["verification"] is None
    signed = "sha256=" + hmac.new(b"gh", body, hashlib.sha256).hexdigest()
    headers = {"X-Hub-Signature-256": signed}
    assert send(stack, f"/in/{loud['id']}", headers=headers, content=body).status_code == 202
    assert (
        send(stack, f"/in/{loud['id']}", headers={"X-Sig": good}, content=body).status_code == 401
    )


def test_a_slack_url_verification_that_fails_its_signature_answers_401(stack: Stack) -> None:
    src = created(stack, name="slack", provider="slack", secret="slack-secret")
    challenge = orjson.dumps({"type": "url_verification", "challenge": "c1", "token": "t"})
    ts = str(int(time.time()))
    forged = SignatureVerifier("wrong").generate_signature(timestamp=ts, body=challenge)
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": forged or ""}
    answer = send(stack, f"/in/{src['id']}", headers=headers, content=challenge)
    assert answer.status_code == 401, answer.text
    entry = logged(stack, answer.headers["x-hookbus-inbound-id"])
    assert entry["status"] == "rejected"
    assert stack.client.get(f"/v1/sources/{src['id']}").json()["status"] == "unverified"
    signed = SignatureVerifier("slack-secret").generate_signature(timestamp=ts, body=challenge)
    headers["X-Slack-Signature"] = signed or ""
    answer = send(stack, f"/in/{src['id']}", headers=headers, content=challenge)
    assert (answer.status_code, answer.text) == (200, "c1")


def test_shared_url_match_in_flat_spelling(stack: Stack) -> None:
    tag = unique("tag")
    by_header = created(
        stack, name="flat header", provider="generic", priority=1, match={"X-Conf-Tag": tag}
    )
    by_path = created(
        stack, name="flat jsonpath", provider="generic", priority=2, match={"$.conf_tag": tag}
    )
    assert by_header["match"] == {"headers": {"X-Conf-Tag": tag}}
    assert by_path["match"] == {"body": {"$.conf_tag": tag}}
    first = send(stack, "/hooks/a", headers={"x-conf-tag": tag}, json={"conf_tag": tag})
    second = send(stack, "/hooks/b", json={"conf_tag": tag})
    assert first.status_code == second.status_code == 202
    assert logged(stack, first.json()["id"])["source_id"] == by_header["id"]
    assert logged(stack, second.json()["id"])["source_id"] == by_path["id"]


def test_the_received_log_has_a_request_as_soon_as_it_was_answered(stack: Stack) -> None:
    src = created(
        stack,
        name="read your writes",
        provider="generic",
        verification={"type": "api_key", "header": "X-Key", "key": "k"},
    )
    client = stack.client
    for n in range(15):
        good = send(stack, f"/in/{src['id']}/n", headers={"X-Key": "k"}, json={"n": n})
        assert good.status_code == 202
        got = client.get(f"/v1/inbound/{good.json()['id']}")
        assert got.status_code == 200 and got.json()["status"] == "accepted"
        bad = send(stack, f"/in/{src['id']}/n", headers={"X-Key": "no"}, json={"n": n})
        assert bad.status_code == 401
        params = {"source_id": src["id"], "status": "rejected", "limit": 1}
        newest = client.get("/v1/inbound", params=params).json()["data"]
        assert [e["id"] for e in newest] == [bad.headers["x-hookbus-inbound-id"]]
        again = client.post(f"/v1/inbound/{good.json()['id']}/resubmit")
        assert again.status_code == 202, again.text


@pytest.mark.parametrize("ref", ["%00", "a%3Fx", "a%2Fb", "in_%E2%9C%93", "x" * 3000])
def test_odd_ids_on_the_received_log_answer_404(stack: Stack, ref: str) -> None:
    for method, path in (("GET", f"/v1/inbound/{ref}"), ("POST", f"/v1/inbound/{ref}/resubmit")):
        answer = stack.client.request(method, path)
        assert answer.status_code == 404, (path, answer.status_code, answer.text)
        assert answer.json()["error"]["code"] == "not_found"
    attempts = stack.client.get(f"/v1/inbound/{ref}/attempts")
    assert attempts.status_code < 500, attempts.text


def test_a_route_patch_may_change_only_the_destination_url(stack: Stack) -> None:
    with Receiver() as old, Receiver() as new:
        src = created(stack, name="patched route", provider="generic")
        made = route(
            stack,
            name="forward",
            source_id=src["id"],
            destination={"type": "http", "url": f"{old.url}/old", "headers": {"X-A": "1"}},
        )
        changed = stack.client.patch(
            f"/v1/routes/{made['id']}", json={"destination": {"url": f"{new.url}/new"}}
        )
        assert changed.status_code == 200, changed.text
        destination = changed.json()["destination"]
        assert destination["url"] == f"{new.url}/new" and destination["headers"] == {"X-A": "1"}
        assert send(stack, f"/in/{src['id']}", json={"a": 1}).status_code == 202
        forwarded = new.wait_for(lambda _request: True)
        assert forwarded[0].headers["x-a"] == "1" and not old.requests
        refused = stack.client.patch(
            f"/v1/routes/{made['id']}", json={"destination": {"timeout_ms": 0}}
        )
        assert refused.status_code == 422
        assert refused.json()["error"]["details"][0]["path"].startswith("destination")


def test_a_custom_answer_is_sent_as_configured_and_never_breaks(stack: Stack) -> None:
    twiml = "<Response></Response>"
    src = created(
        stack,
        name="custom answer",
        provider="generic",
        response={"status": 200, "body": twiml, "content_type": "application/xml"},
    )
    answer = send(stack, f"/in/{src['id']}/sms", content=b"From=%2B1")
    assert (answer.status_code, answer.text) == (200, twiml)
    assert answer.headers["content-type"].startswith("application/xml")
    assert answer.headers["x-hookbus-inbound-id"].startswith("in_")
    # A content type that could not be sent as a header is refused when written, not at the
    # first request (which would be accepted, then answered with a broken response).
    for content_type in ("text/plain\r\nX-Injected: 1", "text/\u4e2d"):
        refused = stack.client.post(
            "/v1/sources",
            json={"name": "bad", "provider": "generic", "response": {"content_type": content_type}},
        )
        assert refused.status_code == 422, refused.text


def test_a_route_header_that_cannot_be_sent_is_refused_when_written(stack: Stack) -> None:
    for headers in ({"X-A": "a\r\nX-Injected: 1"}, {"bad name": "v"}, {"X-A": "\u4e2d"}):
        refused = stack.client.post(
            "/v1/routes",
            json={
                "name": "bad header",
                "destination": {"type": "http", "url": "http://127.0.0.1:9/", "headers": headers},
            },
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "validation_error"
