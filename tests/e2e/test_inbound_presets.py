"""Every provider preset end to end: a request signed by the provider's SDK (or its documented
recipe) is answered 202 and logged accepted; the same request tampered is answered 401 and
logged rejected; the Slack, Meta and Twitter handshakes; the source's status."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import urlencode

import orjson
import pytest
from twilio.request_validator import RequestValidator

from tests.support.inbound import logged, send, source
from tests.support.stack import Stack
from tests.unit.inbound_signers import JSON_BODY, PRESETS, TWILIO_PARAMS, Preset, Signed

HOOK_PATH = "provider/event"


def preset_id(preset: Preset) -> str:
    return f"{preset.provider}-{preset.sign.__name__}"


def signed_for(preset: Preset, stack: Stack, src: str) -> Signed:
    """The preset's signed request, for this source's real URL (Twilio signs the URL)."""
    now = int(time.time())
    url = f"{stack.base_url}/in/{src}/{HOOK_PATH}?team=a"
    if preset.sign.__name__ == "twilio_form":
        signature = RequestValidator(preset.secret).compute_signature(url, TWILIO_PARAMS)
        headers = {
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return Signed("POST", url, headers, urlencode(TWILIO_PARAMS).encode())
    if preset.sign.__name__ == "twilio_json":
        validator = RequestValidator(preset.secret)
        url = f"{url}&bodySHA256={validator.compute_hash(JSON_BODY.decode())}"
        headers = {"X-Twilio-Signature": validator.compute_signature(url, {})}
        return Signed("POST", url, headers | {"Content-Type": "application/json"}, JSON_BODY)
    made = preset.sign(preset.secret, preset.body, now)
    return Signed(made.method, url, made.headers, made.body)


def answer_challenge(preset: Preset, stack: Stack, src: str) -> None:
    """Answer the provider's handshake the way the provider sends it."""
    if preset.provider == "slack":
        body = orjson.dumps({"type": "url_verification", "challenge": "ch4ll3nge", "token": "t"})
        made = preset.sign(preset.secret, body, int(time.time()))
        answer = send(stack, f"/in/{src}", headers=made.headers, content=body)
        assert (answer.status_code, answer.text) == (200, "ch4ll3nge")
    elif preset.provider == "meta":
        query = "hub.mode=subscribe&hub.verify_token=tok&hub.challenge=1158201444"
        answer = send(stack, f"/in/{src}?{query}", method="GET")
        assert (answer.status_code, answer.text) == (200, "1158201444")
    elif preset.provider == "twitter":
        answer = send(stack, f"/in/{src}/webhook?crc_token=crc-Tok.1", method="GET")
        digest = hmac.new(preset.secret.encode(), b"crc-Tok.1", hashlib.sha256).digest()
        expected = "sha256=" + base64.b64encode(digest).decode()
        assert answer.status_code == 200 and answer.json() == {"response_token": expected}
    else:
        return
    entry = logged(stack, answer.headers["x-hookbus-inbound-id"])
    assert entry["status"] == "accepted" and entry["verification"]["result"] == "challenge"


@pytest.mark.parametrize("preset", PRESETS, ids=preset_id)
def test_preset_accepts_signed_and_rejects_tampered(stack: Stack, preset: Preset) -> None:
    created = source(
        stack,
        name=preset_id(preset),
        provider=preset.provider,
        secret=preset.secret,
        verification=preset.verification,
    )
    src = created["id"]
    assert created["status"] == "unverified"
    assert created["url"] == f"{stack.base_url}/in/{src}"
    assert "secret" not in created and created["has_secret"] is True
    answer_challenge(preset, stack, src)
    signed = signed_for(preset, stack, src)
    path = signed.url.removeprefix(stack.base_url)

    good = send(stack, path, headers=signed.headers, content=signed.body)
    assert good.status_code == 202, good.text
    inbound_id = good.json()["id"]
    assert inbound_id.startswith("in_") and good.headers["x-hookbus-inbound-id"] == inbound_id

    if preset.provider == "gitlab":  # a shared token, not a signature: tamper with it
        tampered = send(stack, path, headers={"X-Gitlab-Token": "forged"}, content=signed.body)
    else:
        tampered = send(stack, path, headers=signed.headers, content=signed.body + b"&x=1")
    assert tampered.status_code == 401, tampered.text
    assert tampered.json()["error"]["code"] == "unauthorized"

    accepted = logged(stack, inbound_id)
    assert accepted["status"] == "accepted" and accepted["source_id"] == src
    assert accepted["verification"]["result"] == "verified"
    assert accepted["path"] == HOOK_PATH and accepted["query"].startswith("team=a")
    assert accepted["body"] == signed.body.decode() and accepted["body_encoding"] == "utf8"
    for name in preset.proof_headers:  # signature headers are kept in the log
        assert accepted["headers"][name.lower()] == signed.headers[name]
    rejected = logged(stack, tampered.headers["x-hookbus-inbound-id"])
    assert rejected["status"] == "rejected" and rejected["verification"]["result"] == "rejected"
    assert rejected["routes"] == [] and rejected["routed_at"] is None
    assert stack.client.get(f"/v1/sources/{src}").json()["status"] == "verified"


@pytest.mark.parametrize("provider", ["slack", "meta"])
def test_challenge_providers_ignore_everything_until_the_challenge(
    stack: Stack, provider: str
) -> None:
    preset = next(p for p in PRESETS if p.provider == provider)
    src = source(
        stack,
        name=f"{provider} awaiting",
        provider=provider,
        secret=preset.secret,
        verification=preset.verification,
    )["id"]
    signed = signed_for(preset, stack, src)
    path = signed.url.removeprefix(stack.base_url)
    early = send(stack, path, headers=signed.headers, content=signed.body)
    assert early.status_code == 403, early.text
    entry = logged(stack, early.headers["x-hookbus-inbound-id"])
    assert entry["status"] == "ignored" and entry["verification"]["result"] == "verified"
    assert stack.client.get(f"/v1/sources/{src}").json()["status"] == "unverified"

    answer_challenge(preset, stack, src)
    source_now = stack.client.get(f"/v1/sources/{src}").json()
    assert source_now["status"] == "verified" and source_now["verified_at"]
    again = send(stack, path, headers=signed.headers, content=signed.body)
    assert again.status_code == 202, again.text


def test_meta_wrong_verify_token_is_refused(stack: Stack) -> None:
    src = source(
        stack, name="meta", provider="meta", secret="s", verification={"verify_token": "tok"}
    )["id"]
    refused = send(
        stack,
        f"/in/{src}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1",
        method="GET",
    )
    assert refused.status_code == 403
    assert logged(stack, refused.headers["x-hookbus-inbound-id"])["status"] == "rejected"
    assert stack.client.get(f"/v1/sources/{src}").json()["status"] == "unverified"


def test_slack_without_url_verification_can_opt_out_of_the_challenge(stack: Stack) -> None:
    preset = next(p for p in PRESETS if p.provider == "slack")
    created = source(
        stack,
        name="slash commands",
        provider="slack",
        secret=preset.secret,
        challenge_required=False,
    )
    form = b"command=%2Fdeploy&text=api&user_id=U1"
    made = preset.sign(preset.secret, form, int(time.time()))
    headers = made.headers | {"content-type": "application/x-www-form-urlencoded"}
    answer = send(stack, f"/in/{created['id']}/commands", headers=headers, content=form)
    assert answer.status_code == 202, answer.text
    assert stack.client.get(f"/v1/sources/{created['id']}").json()["status"] == "verified"
    # GitHub has no handshake: asking for one is refused; false (what a GET shows) is taken.
    github = {"name": "gh", "provider": "github", "secret": "s"}
    asked = stack.client.post("/v1/sources", json=github | {"challenge_required": True})
    assert asked.status_code == 422 and "challenge_required" in asked.text
    plain = stack.client.post("/v1/sources", json=github | {"challenge_required": False})
    assert plain.status_code == 201 and plain.json()["challenge_required"] is False
