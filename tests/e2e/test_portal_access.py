"""Portal tokens through the API: a link limited to one app reads and manages that app's
endpoints and log, and can neither read nor change anything else; expiry, read-only and
revocation are enforced on the server."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import orjson

from tests.support.outbound import new_app, new_endpoint, publish
from tests.support.receiver import Receiver
from tests.support.stack import Stack
from tests.support.waiting import poll

PATH_VALUES = {
    "ep": "ep_x",
    "msg": "msg_x",
    "atm": "atm_x",
    "name": "a.b",
    "src": "src_x",
    "rt": "rt_x",
    "inbound_id": "in_x",
    "task": "task_x",
    "dl": "dl_x",
}
# The calls outside /v1/apps/{app} a portal token may make.
OPEN_TO_PORTAL = {
    ("GET", "/v1/event-types"),
    ("GET", "/v1/event-types/{name}"),
    ("POST", "/v1/filters/test"),
}


def portal_link(stack: Stack, app: str, **body: Any) -> dict[str, Any]:
    answer = stack.client.post(f"/v1/apps/{app}/portal-access", json=body)
    assert answer.status_code == 201, answer.text
    link: dict[str, Any] = answer.json()
    return link


def as_portal(stack: Stack, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=stack.base_url, headers={"authorization": f"Bearer {token}"}, timeout=30
    )


def operations(stack: Stack) -> list[tuple[str, str]]:
    spec = stack.client.get("/openapi.json").json()
    return [
        (method.upper(), path)
        for path, methods in spec["paths"].items()
        for method in methods
        if path.startswith("/v1")
    ]


def test_a_link_opens_the_portal_with_a_token_that_expires(stack: Stack) -> None:
    app = new_app(stack)
    link = portal_link(stack, app)
    assert link["url"] == f"{stack.base_url}/portal/#token={link['token']}"
    assert link["expires_at"].endswith("Z")
    for wrong in ("31d", "soon", 0, -5):
        answer = stack.client.post(f"/v1/apps/{app}/portal-access", json={"expires_in": wrong})
        assert answer.status_code == 422, (wrong, answer.text)
    assert stack.client.post("/v1/apps/app_nope/portal-access", json={}).status_code == 404
    assert portal_link(stack, app, expires_in="30d")["expires_at"] > link["expires_at"]
    short = portal_link(stack, app, expires_in=1)
    with as_portal(stack, short["token"]) as portal:
        answer = poll(lambda: (a := portal.get(f"/v1/apps/{app}")).status_code == 401 and a)
    assert "expired" in answer.json()["error"]["message"]


def test_a_portal_token_manages_its_own_app(stack: Stack, receiver: Receiver) -> None:
    app = stack.client.post("/v1/apps", json={"name": "Acme", "uid": "acme-portal"}).json()
    link = portal_link(stack, app["id"])
    with as_portal(stack, link["token"]) as portal:
        assert portal.get("/v1/apps/acme-portal").json()["id"] == app["id"]
        created = portal.post(f"/v1/apps/{app['id']}/endpoints", json={"url": receiver.url})
        assert created.status_code == 201, created.text
        ep = created.json()["id"]
        base = f"/v1/apps/{app['id']}/endpoints/{ep}"
        assert portal.patch(base, json={"description": "mine"}).status_code == 200
        assert portal.get(f"{base}/secret").json()["secret"].startswith("whsec_")
        assert portal.post(f"{base}/ping").status_code == 202
        attempts = poll(lambda: portal.get(f"{base}/attempts").json()["data"])
        message = attempts[0]["message_id"]
        assert portal.get(f"/v1/apps/{app['id']}/attempts/{attempts[0]['id']}").status_code == 200
        assert portal.get(f"/v1/apps/{app['id']}/messages/{message}").status_code == 200
        resend = portal.post(f"/v1/apps/{app['id']}/messages/{message}/endpoints/{ep}/resend")
        assert resend.status_code == 202, resend.text
        assert portal.get("/v1/event-types").status_code == 200
        # Never publish, never change or delete the app, never issue more links.
        refused = [
            portal.post(f"/v1/apps/{app['id']}/messages", json={"event_type": "a", "payload": {}}),
            portal.post(f"/v1/apps/{app['id']}/messages/batch", json={"messages": []}),
            portal.patch(f"/v1/apps/{app['id']}", json={"name": "x"}),
            portal.delete(f"/v1/apps/{app['id']}"),
            portal.post(f"/v1/apps/{app['id']}/portal-access", json={}),
            portal.delete(f"/v1/apps/{app['id']}/portal-access"),
        ]
        assert [a.status_code for a in refused] == [403] * len(refused)
        assert portal.delete(base).status_code == 204


def test_a_portal_token_reaches_nothing_outside_its_app(stack: Stack) -> None:
    mine, other = new_app(stack), new_app(stack)
    theirs = new_endpoint(stack, other, "http://127.0.0.1:9/x")
    their_message = publish(stack, other, "secret.thing", {"x": 1})["id"]
    link = portal_link(stack, mine)
    with as_portal(stack, link["token"]) as portal:
        for method, path in operations(stack):
            if "{app}" in path:
                url = path.format(app=other, **PATH_VALUES)
                expected = 404  # another app is not there at all
            elif (method, path) in OPEN_TO_PORTAL:
                continue
            else:
                url, expected = path.format(**PATH_VALUES), 403
            answer = portal.request(method, url, json={})
            assert answer.status_code == expected, (method, path, answer.text)
        # Another app's objects named under its own app are not found either.
        for path in (
            f"/v1/apps/{mine}/endpoints/{theirs['id']}",
            f"/v1/apps/{mine}/endpoints/{theirs['id']}/secret",
            f"/v1/apps/{mine}/messages/{their_message}",
        ):
            assert portal.get(path).status_code == 404, path
        assert portal.get("/v1/apps").status_code == 403
        listed = portal.get(f"/v1/apps/{mine}/messages").json()["data"]
        assert all(m["id"] != their_message for m in listed)


def test_read_only_tampered_and_revoked_tokens(stack: Stack) -> None:
    app = new_app(stack)
    endpoint = new_endpoint(stack, app, "http://127.0.0.1:9/x")
    read_only = portal_link(stack, app, read_only=True)
    with as_portal(stack, read_only["token"]) as portal:
        assert portal.get(f"/v1/apps/{app}/endpoints").status_code == 200
        base = f"/v1/apps/{app}/endpoints/{endpoint['id']}"
        for answer in (
            portal.post(f"/v1/apps/{app}/endpoints", json={"url": "http://127.0.0.1:9/y"}),
            portal.patch(base, json={"description": "x"}),
            portal.post(f"{base}/ping"),
            portal.post(f"{base}/secret/rotate", json={}),
        ):
            assert answer.status_code == 403, answer.text
            assert "read-only" in answer.json()["error"]["message"]
    # A token whose claims were changed (here: made writable) is not this server's.
    body, _, signature = read_only["token"].removeprefix("hbp_").partition(".")
    claims = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged_body = base64.urlsafe_b64encode(orjson.dumps({**claims, "ro": False})).decode()
    forged = f"hbp_{forged_body.rstrip('=')}.{signature}"
    with as_portal(stack, forged) as portal:
        assert portal.get(f"/v1/apps/{app}").status_code == 401
    writable = portal_link(stack, app)
    assert stack.client.delete(f"/v1/apps/{app}/portal-access").status_code == 204
    with as_portal(stack, writable["token"]) as portal:
        answer = portal.get(f"/v1/apps/{app}")
        assert answer.status_code == 401
        assert "revoked" in answer.json()["error"]["message"]
    with as_portal(stack, portal_link(stack, app)["token"]) as portal:
        assert portal.get(f"/v1/apps/{app}").status_code == 200
