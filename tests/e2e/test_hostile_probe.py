"""The cases of a hostile black-box probe, kept so they stay true: the token's variants over
every /v1 operation of the OpenAPI document, tenancy across apps, the destination guard's
address forms (at creation and at delivery), and inputs that reached a decoder or a parser.

Runs on a hookbus that refuses private destinations, as production does.
"""

from __future__ import annotations

import asyncio
import base64
import socket
from typing import Any

import httpx
import pytest

from tests.e2e.test_tenancy import SAMPLE_PATH_VALUES, operations, write_endpoint
from tests.support.outbound import new_app, publish
from tests.support.receiver import Receiver
from tests.support.stack import Stack, poll

STACK_ENV = {"HOOKBUS_ALLOW_PRIVATE_DESTINATIONS": "false", "HOOKBUS_RETRY_SCHEDULE": "1s"}


def refused(answer: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, (answer.request.url, answer.text)
    error: dict[str, Any] = answer.json()["error"]
    assert set(error) == {"code", "message", "details"}
    if code is not None:
        assert error["code"] == code, error
    return error


def test_every_v1_operation_refuses_every_wrong_token(stack: Stack) -> None:
    token = stack.token
    basic = base64.b64encode(f"admin:{token}".encode()).decode()
    wrong = [
        {},
        {"authorization": ""},
        {"authorization": "Bearer"},
        {"authorization": "Bearer wrong"},
        {"authorization": token},
        {"authorization": f"Token {token}"},
        {"authorization": f"Basic {basic}"},
        {"authorization": f"Bearer {token}x"},
        {"authorization": f"Bearer {token[:-1]}"},
        {"authorization": f"Bearer {token.upper()}"},
        {"x-authorization": f"Bearer {token}"},
        {"cookie": f"token={token}"},
    ]
    found = operations(stack)
    assert len(found) >= 40
    with httpx.Client(base_url=stack.base_url, timeout=30) as plain:
        for method, path, _ in found:
            url = path.format(**SAMPLE_PATH_VALUES)
            for headers in wrong:
                answer = plain.request(method, url, headers=headers, params={"token": token})
                refused(answer, 401, "unauthorized")
                assert answer.headers["www-authenticate"] == "Bearer", (method, path)
        # The scheme is case-insensitive (RFC 7235): the token itself is what is checked.
        assert plain.get("/v1/apps", headers={"authorization": f"bearer {token}"}).is_success


def test_apps_see_nothing_of_each_other(stack: Stack) -> None:
    api = stack.client
    mine, theirs = new_app(stack, "mine"), new_app(stack, "theirs")
    endpoint_id = asyncio.run(write_endpoint(stack, mine, "http://example.invalid/x"))
    api.patch(f"/v1/apps/{mine}/endpoints/{endpoint_id}", json={"uid": "shared-uid"})
    sent = publish(stack, mine, "invoice.paid", {"private": 1})
    attempts = f"/v1/apps/{mine}/endpoints/{endpoint_id}/attempts"
    attempt_id = poll(lambda: api.get(attempts).json()["data"])[0]["id"]
    other = f"/v1/apps/{theirs}"
    for ref in (endpoint_id, "shared-uid"):
        for method, path, body in (
            ("GET", f"{other}/endpoints/{ref}", None),
            ("GET", f"{other}/endpoints/{ref}/secret", None),
            ("POST", f"{other}/endpoints/{ref}/secret/rotate", {}),
            ("GET", f"{other}/endpoints/{ref}/stats", None),
            ("GET", f"{other}/endpoints/{ref}/attempts", None),
            ("POST", f"{other}/endpoints/{ref}/recover", {"since": "2026-01-01T00:00:00Z"}),
            ("POST", f"{other}/messages/{sent['id']}/endpoints/{ref}/resend", None),
        ):
            refused(api.request(method, path, json=body), 404, "not_found")
    for path in (
        f"{other}/messages/{sent['id']}",
        f"{other}/messages/{sent['id']}/attempts",
        f"{other}/attempts/{attempt_id}",
    ):
        refused(api.get(path), 404, "not_found")
    assert api.get(f"{other}/messages").json()["data"] == []
    assert api.get(f"{other}/endpoints").json()["data"] == []
    assert api.get(f"/v1/apps/{mine}/messages/{sent['id']}/attempts").json()["data"]


GUARDED_URLS = [
    "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",  # NAT64 of 169.254.169.254
    "http://[2002:a9fe:a9fe::]/",  # 6to4 of 169.254.169.254
    "http://[::a9fe:a9fe]/",  # IPv4-compatible
    "http://[fec0::1]/",  # site-local
    "http://[::ffff:169.254.169.254]/",  # IPv4-mapped
    "http://[::ffff:7f00:1]/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://[::1]/",
    "http://[::]/",
    "http://[64:ff9b::7f00:1]/",
    "http://127.1/",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://017700000001/",
    "http://0.0.0.0/",
    "http://100.64.0.1/",
    "http://192.0.0.9/",
    "http://198.18.0.1/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://localhost/",
]


def test_the_guard_refuses_every_private_address_form_at_creation(stack: Stack) -> None:
    api = stack.client
    app = new_app(stack, "guarded")
    for url in GUARDED_URLS:
        error = refused(api.post(f"/v1/apps/{app}/endpoints", json={"url": url}), 422)
        assert error["code"] == "private_destination", (url, error)
    route = {"name": "r", "destination": {"type": "http", "url": GUARDED_URLS[0]}}
    refused(api.post("/v1/routes", json=route), 422, "private_destination")
    assert api.get(f"/v1/apps/{app}/endpoints").json()["data"] == []


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6 on this machine")
def test_the_guard_refuses_ipv6_forms_at_delivery(stack: Stack) -> None:
    """An endpoint written straight to the config log (as if its address changed) gets
    failed attempts naming the private address, and no request leaves."""
    api = stack.client
    app = new_app(stack, "delivery")
    with Receiver() as receiver:
        port = receiver.url.rsplit(":", 1)[1].split("/")[0]
        forms = [f"http://[64:ff9b::7f00:1]:{port}/x", f"http://[::ffff:7f00:1]:{port}/x"]
        ids = [asyncio.run(write_endpoint(stack, app, url)) for url in forms]
        publish(stack, app, "invoice.paid")
        for endpoint_id in ids:
            path = f"/v1/apps/{app}/endpoints/{endpoint_id}/attempts?status=failed"
            final = poll(lambda path=path: api.get(path).json()["data"])
            assert "private" in final[0]["error"] and final[0]["response"] is None
        assert receiver.requests == []


def test_bad_inputs_get_a_clear_4xx(stack: Stack) -> None:
    api = stack.client
    app = new_app(stack, "inputs")
    # A secret that is not ASCII reached base64 and answered 500.
    for provider in ("standard", "stripe", "github"):
        answer = api.post("/v1/sources", json={"name": "r", "provider": provider, "secret": "é"})
        if provider == "standard":
            error = refused(answer, 422, "validation_error")
            assert error["details"][0]["path"] == "secret"
        else:
            assert answer.status_code == 201, answer.text  # any text is their secret
    source = api.post("/v1/sources", json={"name": "s", "provider": "standard", "secret": "QUJD"})
    assert source.status_code == 201, source.text
    patched = api.patch(f"/v1/sources/{source.json()['id']}", json={"secret": "whsec_é"})
    assert refused(patched, 422)["details"][0]["path"] == "secret"
    endpoints = f"/v1/apps/{app}/endpoints"
    error = refused(api.post(endpoints, json={"url": "https://a.test/", "secret": "whsec_é"}), 422)
    assert error["details"][0]["path"] == "secret"
    one = f"{endpoints}/{asyncio.run(write_endpoint(stack, app, 'https://a.test/'))}"
    refused(api.post(f"{one}/secret/rotate", json={"secret": "whsec_\u2603"}), 422)
    # Timestamps are ISO 8601 text; a number is not read as a Unix time.
    for since in (12345, "12345", 1.5, True, None, "yesterday"):
        refused(api.post(f"{one}/recover", json={"since": since}), 422, "validation_error")
    # Values must have the JSON type the document declares.
    refused(api.post(endpoints, json={"url": "https://example.com/", "ping": 0}), 422)
    refused(api.post(endpoints, json={"url": "https://example.com/", "timeout_ms": "5"}), 422)
    refused(api.post("/v1/apps", json={"name": 5}), 422)
    # Paging: bounds, garbage cursors, a parameter given twice.
    for params in ({"limit": 0}, {"limit": 251}, {"limit": "ten"}, {"cursor": "é%%"}):
        refused(api.get("/v1/apps", params=params), 422)
    refused(api.get("/v1/apps?limit=5&limit=500"), 422, "validation_error")
    # Attempts of what is not there.
    refused(api.get(f"/v1/apps/{app}/messages/msg_nope/attempts"), 404, "not_found")
    refused(api.get("/v1/inbound/in_nope/attempts"), 404, "not_found")
    # HTTP details: 405 says what is allowed; a head over 32 KiB is 431, even unauthenticated.
    answer = api.put("/v1/apps")
    refused(answer, 405, "method_not_allowed")
    assert answer.headers["allow"] == "GET, POST"
    with httpx.Client(base_url=stack.base_url, timeout=30) as plain:
        big = plain.get("/healthz", headers={"x-big": "a" * (8 * 1024 * 1024)})
        refused(big, 431, "header_fields_too_large")
        assert plain.get("/healthz").status_code == 200
    # Bodies: not JSON, not an object, not declared JSON.
    raw = {"content-type": "application/json"}
    refused(api.post("/v1/apps", content=b'{"name": "\xff"}', headers=raw), 400, "malformed_json")
    refused(api.post("/v1/apps", content=b"[1, 2]", headers=raw), 422)
    refused(api.post("/v1/apps", content=b"name=x", headers={"content-type": "text/plain"}), 415)
    for weird in ("%00", "..%2F..", "%E2%98%83", "a" * 300):
        refused(api.get(f"/v1/apps/{weird}"), 404)
