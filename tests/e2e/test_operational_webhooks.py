"""Operational webhooks end to end: a real receiver subscribed to the built-in app
``operational`` gets, signed, every event the four services tell about: endpoints created,
updated, deleted, disabled by the dispatcher (410) and enabled again, a delivery exhausted, a
source verified; and nothing about the operational app's own endpoints."""

from __future__ import annotations

from typing import Any

from standardwebhooks.webhooks import Webhook

from shared.operational import OPERATIONAL_APP_ID
from tests.support.inbound import send, source
from tests.support.outbound import body, new_app, new_endpoint, publish
from tests.support.receiver import Received, Receiver
from tests.support.stack import Stack
from tests.support.waiting import poll

STACK_ENV = {"HOOKBUS_RETRY_SCHEDULE": "1s"}
Object = dict[str, Any]


def by_path(request: Received) -> tuple[int, bytes]:
    if request.path.startswith("/gone"):
        return 410, b"gone"
    if request.path.startswith("/fail"):
        return 500, b"no"
    return 200, b"ok"


def told(receiver: Receiver, event_type: str, **data: Any) -> Object:
    """The operational event of ``event_type`` whose data holds ``data``, once it arrived."""

    def matches(request: Received) -> bool:
        if not request.path.startswith("/ops"):
            return False
        event = body(request)
        payload = event["data"]
        return bool(
            event["type"] == event_type and all(payload.get(k) == v for k, v in data.items())
        )

    [request] = receiver.wait_for(matches)
    event: Object = body(request)
    return event


def test_the_operator_hears_of_endpoints_deliveries_and_sources_signed(stack: Stack) -> None:
    builtin = stack.client.get("/v1/apps/operational")
    assert builtin.status_code == 200, builtin.text
    assert builtin.json()["id"] == OPERATIONAL_APP_ID
    with Receiver(by_path) as receiver:
        ops = new_endpoint(stack, "operational", receiver.url + "/ops")
        secret = stack.client.get(f"/v1/apps/operational/endpoints/{ops['id']}/secret").json()
        app = new_app(stack, "customer")
        kept = new_endpoint(stack, app, receiver.url + "/ok", uid="kept")
        assert told(receiver, "endpoint.created", endpoint_id=kept["id"])["data"] == {
            "app_id": app,
            "app_uid": None,
            "endpoint_id": kept["id"],
            "endpoint_uid": "kept",
        }
        patched = stack.client.patch(
            f"/v1/apps/{app}/endpoints/{kept['id']}", json={"description": "x"}
        )
        assert patched.status_code == 200
        told(receiver, "endpoint.updated", endpoint_id=kept["id"])
        gone = new_endpoint(stack, app, receiver.url + "/gone", event_types=["gone.*"])
        failing = new_endpoint(stack, app, receiver.url + "/fail", event_types=["fail.*"])
        publish(stack, app, "gone.now", {"n": 1})
        disabled = told(receiver, "endpoint.disabled", endpoint_id=gone["id"])["data"]
        assert disabled["app_id"] == app and disabled["reason"] == "gone"
        enabled = stack.client.patch(
            f"/v1/apps/{app}/endpoints/{gone['id']}", json={"enabled": True}
        )
        assert enabled.status_code == 200
        told(receiver, "endpoint.enabled", endpoint_id=gone["id"])
        sent = publish(stack, app, "fail.now", {"n": 2})
        exhausted = told(receiver, "message.attempt.exhausted", message_id=sent["id"])["data"]
        assert exhausted["endpoint_id"] == failing["id"] and exhausted["app_id"] == app
        last = stack.client.get(f"/v1/apps/{app}/attempts/{exhausted['last_attempt_id']}")
        assert last.status_code == 200 and last.json()["outcome"] == "exhausted"
        assert stack.client.delete(f"/v1/apps/{app}/endpoints/{kept['id']}").status_code == 204
        told(receiver, "endpoint.deleted", endpoint_id=kept["id"])
        src = source(stack, name="open", provider="generic")["id"]
        assert send(stack, f"/in/{src}", content=b"{}").status_code == 202
        verified = told(receiver, "source.verified", source_id=src)["data"]
        assert verified["provider"] == "generic"
        replay = stack.client.post(
            f"/v1/apps/{app}/replay", json={"since": "2000-01-01T00:00:00Z", "only": "all"}
        )
        assert replay.status_code == 202, replay.text
        finished = told(receiver, "task.completed", task_id=replay.json()["id"])["data"]
        assert finished["app_id"] == app and finished["status"] == "done"
        # every one signed with the operational endpoint's secret, as any delivery is
        delivered = receiver.matching(lambda r: r.path.startswith("/ops"))
        for request in delivered:
            Webhook(secret["secret"]).verify(request.body, request.headers)
        # the operational app's own endpoint was never the subject of an event
        about = [body(r)["data"].get("endpoint_id") for r in delivered]
        assert ops["id"] not in about
        stack.client.patch(f"/v1/apps/operational/endpoints/{ops['id']}", json={"description": "y"})
        marker = new_endpoint(stack, app, receiver.url + "/ok")
        told(receiver, "endpoint.created", endpoint_id=marker["id"])
        after = [
            body(r)["data"].get("endpoint_id")
            for r in receiver.matching(lambda r: r.path.startswith("/ops"))
        ]
        assert ops["id"] not in after
    # the types a subscriber may list are the documented ones
    types = poll(lambda: stack.client.get("/v1/apps/operational/messages").json()["data"], 30)
    assert {m["event_type"] for m in types} >= {"endpoint.created", "source.verified"}
