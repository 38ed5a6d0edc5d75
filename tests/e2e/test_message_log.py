"""Seeing what happened: the message log with its filters, attempts per message and per endpoint
with the full request and response (bodies kept up to 64 KiB), duration, outcome, and stats."""

from __future__ import annotations

from typing import Any

from tests.support.outbound import new_app, new_endpoint, publish
from tests.support.receiver import Received, Receiver
from tests.support.stack import Stack
from tests.support.waiting import poll

BIG = b"y" * (100 * 1024)


# One short retry, so a failing delivery ends (exhausted) within seconds.
STACK_ENV = {"HOOKBUS_RETRY_SCHEDULE": "1s"}


def respond(request: Received) -> tuple[int, bytes]:
    if request.path == "/fail":
        return 500, b"boom"
    return 200, BIG if request.path == "/big" else b"ok"


def listed(stack: Stack, path: str, count: int) -> list[dict[str, Any]]:
    """The ``data`` of a list once it holds ``count`` items (audit stores asynchronously)."""

    def check() -> list[dict[str, Any]] | None:
        data: list[dict[str, Any]] = stack.client.get(path).json()["data"]
        return data if len(data) >= count else None

    found: list[dict[str, Any]] = poll(check)
    return found


def test_messages_list_and_get_with_filters(stack: Stack) -> None:
    api = stack.client
    app = new_app(stack)
    first = publish(stack, app, "invoice.paid", {"n": 1}, channels=["eu"])
    second = publish(stack, app, "invoice.voided", {"n": 2}, channels=["us"])
    third = publish(stack, app, "invoice.paid", {"n": 3}, channels=["eu", "us"])
    base = f"/v1/apps/{app}/messages"
    everything = listed(stack, base, 3)
    assert [m["id"] for m in everything] == [third["id"], second["id"], first["id"]]
    assert api.get(f"{base}/{second['id']}").json() == second

    def ids(query: str) -> list[str]:
        return [m["id"] for m in api.get(f"{base}?{query}").json()["data"]]

    assert ids("event_type=invoice.paid") == [third["id"], first["id"]]
    assert ids("channel=us") == [third["id"], second["id"]]
    assert ids(f"after={first['timestamp']}&event_type=invoice.paid") == [third["id"]]
    assert ids(f"before={third['timestamp']}&channel=eu") == [first["id"]]
    page = api.get(f"{base}?limit=2").json()
    rest = api.get(f"{base}?limit=2&cursor={page['next_cursor']}").json()
    assert [m["id"] for m in page["data"] + rest["data"]] == [m["id"] for m in everything]
    assert rest["next_cursor"] is None

    assert api.get(f"{base}/msg_nope").status_code == 404
    assert api.get(f"{base}?after=yesterday").status_code == 422
    assert api.get(f"{base}?limit=251").status_code == 422


def test_a_published_message_is_in_the_log_as_soon_as_its_202_was_answered(stack: Stack) -> None:
    """Read-your-writes: no polling here, every read comes straight after the publish."""
    api = stack.client
    app = new_app(stack)
    base = f"/v1/apps/{app}/messages"
    for n in range(25):
        message = publish(stack, app, "log.ryw", {"n": n})
        assert api.get(f"{base}/{message['id']}").json() == message
        assert api.get(f"{base}?limit=1").json()["data"] == [message]
    batch = api.post(
        f"{base}/batch", json={"messages": [{"event_type": "log.ryw", "payload": {}}] * 5}
    )
    assert batch.status_code == 202
    listed_now = {m["id"] for m in api.get(f"{base}?limit=5").json()["data"]}
    assert listed_now == {m["id"] for m in batch.json()["data"]}


def test_attempts_show_request_response_duration_outcome_and_stats(stack: Stack) -> None:
    api = stack.client
    app = new_app(stack)
    with Receiver(respond) as receiver:
        good = new_endpoint(stack, app, receiver.url + "/big", headers={"x-team": "billing"})
        bad = new_endpoint(stack, app, receiver.url + "/fail")
        sent = publish(stack, app, "invoice.paid", {"amount": 7})
        # the good endpoint once; the failing one twice (its first try and its one retry)
        receiver.wait_for(lambda r: r.headers.get("webhook-id") == sent["id"], count=3)

    by_message = listed(stack, f"/v1/apps/{app}/messages/{sent['id']}/attempts", 3)
    assert {a["endpoint_id"] for a in by_message} == {good["id"], bad["id"]}
    base = f"/v1/apps/{app}/endpoints"
    succeeded = listed(stack, f"{base}/{good['id']}/attempts?status=succeeded", 1)
    assert api.get(f"{base}/{good['id']}/attempts?status=failed").json()["data"] == []
    attempt = api.get(f"/v1/apps/{app}/attempts/{succeeded[0]['id']}").json()
    assert attempt["outcome"] == "succeeded" and attempt["attempt"] == 1
    assert attempt["duration_ms"] >= 0 and attempt["message_id"] == sent["id"]
    request = attempt["request"]
    assert request["method"] == "POST" and request["url"] == receiver.url + "/big"
    assert request["headers"]["webhook-id"] == sent["id"]
    assert request["headers"]["x-team"] == "billing"
    assert request["headers"]["webhook-signature"].startswith("v1,")
    assert '"amount":7' in request["body"]
    response = attempt["response"]
    assert response["status"] == 200 and response["headers"]["content-type"] == "text/plain"
    assert response["body"] == BIG[: 64 * 1024].decode()  # kept up to 64 KiB

    failed = listed(stack, f"{base}/{bad['id']}/attempts?status=failed", 1)
    pending = listed(stack, f"{base}/{bad['id']}/attempts?status=pending", 1)
    assert [(a["attempt"], a["outcome"]) for a in pending + failed] == [
        (1, "retrying"),
        (2, "exhausted"),
    ]
    for tried in pending + failed:
        assert tried["response"]["status"] == 500 and tried["response"]["body"] == "boom"
    assert api.get(f"{base}/{bad['id']}/attempts?status=bogus").status_code == 422

    stats = api.get(f"{base}/{good['id']}/stats").json()
    assert stats["succeeded"] == 1 and stats["last_success_at"] and stats["last_failure_at"] is None
    assert stats["disabled_reason"] is None
    bad_stats = api.get(f"{base}/{bad['id']}/stats").json()
    assert bad_stats["succeeded"] == 0 and bad_stats["last_failure_at"]
    assert api.get(f"/v1/apps/{app}/attempts/atm_nope").status_code == 404
